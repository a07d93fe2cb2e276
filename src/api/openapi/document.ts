/**
 * `GET /openapi.json`: the API described once, from the route definitions (`createRoute` in
 * `routes/`) and the hand-written descriptions (`hand-described-paths.ts`), as OpenAPI 3.1.
 *
 * The document is served without the API token: it describes the API, holds no secret, and a
 * client generator or an operator's tooling should not need the token to read it. It is built on
 * the first request (every route is mounted by then) and kept, so it costs one encoding per tower.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv } from '../bindings.js';
import { SESSION_COOKIE } from '../session/session-cookie.js';
import { describeHandWrittenRoutes, OPENAPI_PATH } from './hand-described-paths.js';

export { OPENAPI_PATH };

export interface DocumentOptions {
  /** The tower's version (its package.json's). */
  readonly version: string;
  /** Whether the API asks for the token (and so also offers `/session`). */
  readonly tokenRequired: boolean;
  /** Paths answered without the token (`--public-health`), marked so in the document. */
  readonly publicPaths: readonly string[];
  /** Whether the console's files are served at `/ui/`. */
  readonly console: boolean;
}

const DESCRIPTION = [
  'The north-bound API of a stormtower: the minion registry, its change feed, the connected bolts and the relay.',
  '',
  'Errors share one shape, `{"error": "<stable code>", "message": "<sentence>"}`. A request that fails a',
  "route's parameter checks is a 400 `bad-request` naming the field.",
  '',
  'With `--header-relay`, a request to any path carrying `stormbolt-target: <cname>:<port>` is relayed as',
  'under `/proxy` (the old stormbolt header relay), with the same error codes and the same `X-Request-Id`:',
  'the client’s own kept when it is 1-128 characters of `A-Z a-z 0-9 . _ ~ : @ + = / -`, a fresh UUID',
  'otherwise, sent to the minion and always returned on the answer.',
  '',
  '**Checksums.** On `/minions`, `/minions/{id}` and `/clients`, `Content-MD5` carries the registry',
  'checksum as 32 hex digits: NOT the base64 MD5 of the body that RFC 1864 defines, but the meaning older',
  'stormbolt pollers rely on. The same value is sent as `X-Stormtower-Checksum`; new clients should read that.',
].join('\n');

export function serveDocument(app: OpenAPIHono<ApiEnv>, options: DocumentOptions): void {
  const registry = app.openAPIRegistry;
  describeHandWrittenRoutes(registry, { sessions: options.tokenRequired, console: options.console });
  if (options.tokenRequired) {
    registry.registerComponent('securitySchemes', 'bearer', {
      type: 'http',
      scheme: 'bearer',
      description: 'The API token (`--api-token`)',
    });
    registry.registerComponent('securitySchemes', 'session', {
      type: 'apiKey',
      in: 'cookie',
      name: SESSION_COOKIE,
      description: 'A browser session from `POST /session`',
    });
  }
  let encoded: string | undefined;
  app.get(OPENAPI_PATH, (c) => {
    encoded ??= JSON.stringify(buildDocument(app, options));
    return c.body(encoded, 200, { 'Content-Type': 'application/json' });
  });
}

function buildDocument(app: OpenAPIHono<ApiEnv>, options: DocumentOptions): object {
  const document = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'stormtower', version: options.version, description: DESCRIPTION },
    ...(options.tokenRequired ? { security: [{ bearer: [] }, { session: [] }] } : {}),
  });
  for (const path of options.publicPaths) {
    for (const operation of Object.values(document.paths?.[path] ?? {})) {
      if (typeof operation === 'object' && operation !== null && 'responses' in operation)
        operation.security = [];
    }
  }
  return document;
}
