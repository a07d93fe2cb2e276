/**
 * The API's guard when a token is configured: a request passes with `Authorization: Bearer <token>`,
 * or with the session cookie a browser got from `POST /session` (EventSource cannot send a header).
 *
 * The token comparison runs over SHA-256 digests with `timingSafeEqual`, so neither the token's
 * content nor its length leaks through response timing.
 *
 * A cookie rides along on any request the browser makes, so a state-changing request (anything but
 * GET, HEAD and OPTIONS) that relies on the cookie must also carry an `Origin` the tower trusts: its
 * own, or one listed with `--cors-origin`. `SameSite=Strict` already keeps other sites' pages from
 * sending the cookie; the Origin check also covers same-site pages on other origins.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { ApiContext, ApiEnv } from './bindings.js';
import { apiError } from './errors.js';
import { sessionIds } from './session/session-cookie.js';
import type { SessionStore } from './session/session-store.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** A constant-time check of a presented token against the configured one. */
export function tokenCheck(token: string): (presented: string) => boolean {
  const expected = digest(token);
  return (presented) => timingSafeEqual(digest(presented), expected);
}

export interface GuardOptions {
  /** Where browsers sign in and out: passed unguarded (the route checks the token itself). */
  readonly sessionPath?: string;
  readonly sessions?: SessionStore;
  /** Whether a cookie-borne state-changing request's Origin is one the tower trusts. */
  readonly trustedOrigin?: (origin: string, c: ApiContext) => boolean;
  /** Paths answered without the token to GET and HEAD (`--public-health`: `/health` and `/ready`). */
  readonly publicPaths?: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function bearerAuth(token: string, options: GuardOptions = {}): MiddlewareHandler<ApiEnv> {
  const matches = tokenCheck(token);
  const { sessions, sessionPath, trustedOrigin } = options;
  const publicPaths = new Set(options.publicPaths ?? []);
  return async (c, next) => {
    if (sessionPath !== undefined && c.req.path === sessionPath) return next();
    // Probes (load balancers, orchestrators) rarely can send a token; these answers hold no secret.
    if (publicPaths.has(c.req.path) && (c.req.method === 'GET' || c.req.method === 'HEAD')) return next();
    const header = c.req.header('authorization') ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (matches(presented)) return next();
    if (header === '' && sessions && sessionIds(c.req.header('cookie')).some((id) => sessions.touch(id))) {
      if (!SAFE_METHODS.has(c.req.method)) {
        const origin = c.req.header('origin');
        if (origin === undefined || !trustedOrigin?.(origin, c)) {
          throw apiError(
            403,
            'untrusted-origin',
            'a state-changing request signed in by cookie needs an Origin this tower trusts',
          );
        }
      }
      return next();
    }
    throw apiError(
      401,
      'unauthorized',
      sessions
        ? 'this tower needs "Authorization: Bearer <token>" or a session from POST /session'
        : 'this tower needs "Authorization: Bearer <token>"',
    );
  };
}
