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
import type { ApiEnv } from './bindings.js';

/** The paths a page on a listed origin may call, as hono route patterns. */
export const CORS_PATHS = ['/minions', '/minions/*', '/clients', '/clients/*', '/session'] as const;

/** How long a browser may reuse a preflight answer. */
const PREFLIGHT_MAX_AGE_S = 600;

export function corsFor(origins: readonly string[]): MiddlewareHandler<ApiEnv> {
  const listed = new Set(origins);
  const allowed = cors({
    origin: (origin) => (listed.has(origin) ? origin : null),
    allowMethods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'Last-Event-ID'],
    exposeHeaders: ['ETag', 'Content-MD5', 'X-Stormtower-Checksum-Type', 'Content-Encoding'],
    credentials: true,
    maxAge: PREFLIGHT_MAX_AGE_S,
  });
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && listed.has(origin)) return allowed(c, next);
    await next();
    c.header('Vary', 'Origin', { append: true });
  };
}
