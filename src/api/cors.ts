/**
 * CORS for the read API, for browser pages served from the origins listed with `--cors-origin`.
 *
 * A listed origin gets hono's `cors` answer: its own origin echoed, credentials allowed (so the
 * session cookie works), `Authorization` allowed, and the headers a poller compares exposed. Any
 * other origin, and a request without one, gets no CORS header at all (a preflight from it is not
 * answered as one), only `Vary: Origin` so a cache keeps the two kinds of answer apart.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { ApiContext, ApiEnv } from './bindings.js';

/** The paths a page on a listed origin may call, as hono route patterns. */
export const CORS_PATHS = ['/minions', '/minions/*', '/clients', '/clients/*', '/session'] as const;

/** Response headers a page's script may read: what a poller compares. */
const EXPOSED = [
  'ETag',
  'Content-MD5',
  'X-Stormtower-Checksum',
  'X-Stormtower-Checksum-Type',
  'Content-Encoding',
];

/** How long a browser may reuse a preflight answer. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * The event stream is written straight to the socket, past Hono's response: a header set on that
 * response would be lost (and touching it makes node-server write a second head), so for its GET
 * the middleware stands aside and the route adds `streamCorsHeaders` itself.
 */
export const STREAM_PATH = '/minions/events';

export function corsFor(origins: readonly string[]): MiddlewareHandler<ApiEnv> {
  const listed = new Set(origins);
  const allowed = cors({
    origin: (origin) => (listed.has(origin) ? origin : null),
    allowMethods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'Last-Event-ID'],
    exposeHeaders: EXPOSED,
    credentials: true,
    maxAge: PREFLIGHT_MAX_AGE_S,
  });
  return async (c, next) => {
    if (c.req.path === STREAM_PATH && c.req.method !== 'OPTIONS') return next();
    const origin = c.req.header('origin');
    if (origin !== undefined && listed.has(origin)) return allowed(c, next);
    await next();
    c.header('Vary', 'Origin', { append: true });
  };
}

/** What `corsFor` would add to a simple request from `origin`, for the event stream to write. */
export function streamCorsHeaders(origins: readonly string[]): (c: ApiContext) => Record<string, string> {
  const listed = new Set(origins);
  return (c): Record<string, string> => {
    const origin = c.req.header('origin');
    if (origin === undefined || !listed.has(origin)) return { Vary: 'Origin' };
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': EXPOSED.join(','),
      Vary: 'Origin',
    };
  };
}
