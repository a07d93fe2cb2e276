/**
 * The north-bound API as one Hono app: health, the bolt API (`/clients`, `/proxy`), the minion
 * registry (`/minions`) and its change feed (`/minions/events`), and the one error shape.
 *
 * For browsers: CORS for listed origins (`cors.ts`) runs before the guard, so a preflight needs no
 * token; with a token, `POST /session` gives a browser a cookie the guard accepts (`session/`).
 * The console's page (`/ui/`) is served before the guard: the page is not secret, its data is.
 *
 * The routes carry their own description (`openapi/`), served as `GET /openapi.json`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Cluster } from '../cluster/cluster.js';
import type { BoltTable } from '../link/bolt-table.js';
import { LimitLog } from '../log/limit-log.js';
import type { Logger } from '../log/logger.js';
import type { ApiObserver } from './api-observer.js';
import type { RelayAudit } from './audit/relay-audit.js';
import { bearerAuth, tokenCheck } from './auth.js';
import type { ApiEnv } from './bindings.js';
import { compressBody } from './compression.js';
import type { FleetDetail } from './console/fleet-contract.js';
import { CORS_PATHS, corsFor, streamCorsHeaders } from './cors.js';
import { drainGate } from './drain-gate.js';
import { apiError, errorHandler } from './errors.js';
import type { ChangeFeed } from './feed/change-feed.js';
import type { RegistrySource } from './feed/registry-source.js';
import { TrustedProxies } from './forwarding.js';
import { headerRelay, TARGET_HEADER } from './header-relay.js';
import { OPENAPI_PATH, serveDocument } from './openapi/document.js';
import { validationHook } from './openapi/validation-hook.js';
import type { RelayTracker } from './relay-tracker.js';
import { clientRoutes, type MinionStatusLookup, type MissingClients } from './routes/clients.js';
import { consoleRoutes } from './routes/console.js';
import { fleetRoutes } from './routes/fleet.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { type MinionEventOptions, minionEventRoutes } from './routes/minion-events.js';
import { minionRoutes } from './routes/minions.js';
import { proxyRoutes, type RemoteRelay } from './routes/proxy.js';
import { SESSION_PATH, sessionRoutes } from './session/session-routes.js';
import { SessionStore } from './session/session-store.js';
import type { TowerPhase } from './tower-phase.js';

export interface ApiOptions {
  readonly table: BoltTable;
  readonly log: Logger;
  readonly relayTimeoutMs: number;
  /** A relayed body on which no byte moves for this long, either way, is aborted. */
  readonly relayIdleTimeoutMs: number;
  /** Proxies in front of the API whose X-Forwarded-For is kept; none when absent. */
  readonly trustProxy?: readonly string[];
  readonly apiToken?: string | undefined;
  /** Browser origins allowed to call the read API (CORS); none when absent. */
  readonly corsOrigins?: readonly string[];
  /** Browser sessions (with `apiToken` only): how many at once, and how long one may sit unused. */
  readonly sessions?: { readonly limit: number; readonly idleMs: number };
  readonly startedAt?: number;
  readonly registry: RegistrySource;
  readonly feed: ChangeFeed;
  readonly minionStatus?: MinionStatusLookup;
  /** Legacy minions connected before a restart that have not come back (`GET /clients?missing=1`). */
  readonly missingClients?: MissingClients;
  readonly events?: MinionEventOptions;
  /** Relay requests carrying `stormbolt-target: <cname>:<port>` (the old stormbolt header relay). */
  readonly headerRelay?: boolean;
  /** In a cluster: its state for `/health` and `/ready`, and other towers' bolts for `/clients`. */
  readonly cluster?: Pick<Cluster, 'status' | 'remoteRecords'>;
  /** Who answers for a cname no local bolt holds (a peer tower in a cluster); none when absent. */
  readonly remoteRelay?: RemoteRelay;
  /** The tower's metrics: told about relays and event streams, and serving `GET /metrics`. */
  readonly observer?: ApiObserver;
  /** Where the tower is in its life, for `/ready` and the drain gate; `serving` when absent. */
  readonly phase?: () => TowerPhase;
  /** Counts relays in flight, so a drain can wait for them; none are counted when absent. */
  readonly relays?: RelayTracker;
  /** Told about each relay refused because the tower is draining. */
  readonly onRelayRefused?: () => void;
  /** Answer `GET /health` and `GET /ready` without the API token (`--public-health`). */
  readonly publicHealth?: boolean;
  /** Writes one audit line per relay (`/proxy` and the header relay); none are written when absent. */
  readonly audit?: RelayAudit;
  /** Serve the console at `/ui/` from the built files in this folder; no console when absent. */
  readonly consoleAssets?: string;
  /** The live minions in detail for `GET /fleet` (the console's table); the route is absent without it. */
  readonly fleetDetail?: () => FleetDetail;
  /** The tower's version, for the OpenAPI document; `0.0.0` when absent. */
  readonly version?: string;
}

export function createApp(options: ApiOptions): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.onError(errorHandler(options.log));
  app.notFound(() => {
    throw apiError(404, 'not-found', 'no such route');
  });
  if (options.consoleAssets !== undefined) app.route('/', consoleRoutes(options.consoleAssets));
  const corsOrigins = options.corsOrigins ?? [];
  if (corsOrigins.length > 0) for (const path of CORS_PATHS) app.use(path, corsFor(corsOrigins));
  const limitLog = new LimitLog(options.log);
  const sessions = options.apiToken
    ? new SessionStore(options.sessions ?? { limit: 1000, idleMs: 8 * 3600 * 1000 })
    : undefined;
  // The description holds no secret, and tooling reading it should not need the token.
  const publicPaths = [OPENAPI_PATH, ...(options.publicHealth ? ['/health', '/ready'] : [])];
  if (options.apiToken && sessions) {
    const trusted = new Set(corsOrigins);
    app.use(
      '*',
      bearerAuth(options.apiToken, {
        sessions,
        sessionPath: SESSION_PATH,
        trustedOrigin: (origin, c) => trusted.has(origin) || origin === new URL(c.req.url).origin,
        publicPaths,
      }),
    );
    app.route('/', sessionRoutes({ sessions, checkToken: tokenCheck(options.apiToken), limitLog }));
  }
  for (const path of ['/minions', '/clients', '/fleet']) app.use(path, compressBody());
  const dropHeaders = new Set(options.apiToken ? ['host', 'authorization'] : ['host']);
  const relay = {
    relayTimeoutMs: options.relayTimeoutMs,
    relayIdleTimeoutMs: options.relayIdleTimeoutMs,
    dropHeaders,
    limitLog,
    stripSessionCookie: sessions !== undefined,
    trustProxy: new TrustedProxies(options.trustProxy),
    remote: options.remoteRelay,
    observer: options.observer?.relay,
    audit: options.audit,
  };
  const phase = options.phase ?? (() => 'serving');
  if (options.relays) {
    const relayByHeader = options.headerRelay === true;
    app.use(
      '*',
      drainGate({
        relays: options.relays,
        draining: () => phase() === 'draining',
        isRelay: (c) =>
          c.req.path.startsWith('/proxy/') || (relayByHeader && c.req.header(TARGET_HEADER) !== undefined),
        ...(options.onRelayRefused ? { onRefused: options.onRelayRefused } : {}),
      }),
    );
  }
  if (options.headerRelay) app.use('*', headerRelay(options.table, relay));
  const { cluster } = options;
  const startedAt = options.startedAt ?? Date.now();
  app.route('/', healthRoutes(options.table, startedAt, cluster && (() => cluster.status()), phase));
  app.route(
    '/',
    clientRoutes(
      options.table,
      options.minionStatus,
      cluster && (() => cluster.remoteRecords()),
      options.missingClients,
    ),
  );
  app.route(
    '/',
    minionEventRoutes(options.feed, {
      log: options.log,
      ...options.events,
      ...(options.observer?.feed ? { observer: options.observer.feed } : {}),
      ...(corsOrigins.length > 0 ? { headers: streamCorsHeaders(corsOrigins) } : {}),
    }),
  );
  const scrape = options.observer?.scrape;
  if (scrape) app.route('/', metricsRoutes(scrape));
  app.route('/', minionRoutes(options.registry));
  if (options.fleetDetail)
    app.route(
      '/',
      fleetRoutes({
        detail: options.fleetDetail,
        registry: options.registry,
        startedAt,
        ...(cluster ? { remote: () => cluster.remoteRecords() } : {}),
      }),
    );
  app.route('/', proxyRoutes(options.table, relay));
  serveDocument(app, {
    version: options.version ?? '0.0.0',
    tokenRequired: Boolean(options.apiToken),
    publicPaths: options.apiToken ? publicPaths : [],
    console: options.consoleAssets !== undefined,
  });
  return app;
}
