# stormtower as a container: built in one stage, run as a non-root user in a slim second one.
#   docker build -t stormtower .
#   docker run -d -p 8443:8443 -p 127.0.0.1:8020:8020 -v stormtower-data:/var/lib/stormtower stormtower
# Settings come as STORMTOWER_* variables or flags after the image name (`start --legacy-port 443`).
# SIGTERM drains for up to --drain-timeout (30 s) plus --shutdown-grace (5 s), but `docker stop` kills
# after 10 s: run with `--stop-timeout 45` (Compose: stop_grace_period: 45s). A Dockerfile cannot set it.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not copied yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY machines machines
COPY scripts/build-console.mjs scripts/
# The console is bundled here (esbuild, Preact: build-time only) and served from dist/console/.
RUN npx tsc -p tsconfig.build.json && node scripts/build-console.mjs && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    STORMTOWER_DATA_DIR=/var/lib/stormtower \
    STORMTOWER_API_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist/src dist/src
COPY --from=build /src/dist/machines dist/machines
COPY --from=build /src/dist/console dist/console
RUN mkdir -p /var/lib/stormtower && chown node:node /var/lib/stormtower
USER node
# The CA, the tower's certificates and the issued agents' records live here: keep them.
VOLUME /var/lib/stormtower
# Bolts (TLS), then the API; the legacy and cluster listeners are off unless configured.
EXPOSE 8443 8020
# /health sits behind the API token when one is set, so the check sends it too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD \
  node -e "const t=process.env.STORMTOWER_API_TOKEN;fetch('http://127.0.0.1:'+(process.env.STORMTOWER_API_PORT||8020)+'/health',{headers:t?{authorization:'Bearer '+t}:{}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start"]
