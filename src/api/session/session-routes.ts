/**
 * `POST /session` signs a browser in: the body (`{"token": …}` as JSON or a form) is checked against
 * the API token in constant time, and the answer sets a cookie holding a new opaque session id.
 * `DELETE /session` signs out: the session is forgotten and the cookie cleared.
 *
 * The token travels in a request body only, never in a URL (URLs end up in logs and histories). A
 * wrong token answers 401 and is logged once per client address per window (`LimitLog`).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { LimitLog } from '../../log/limit-log.js';
import { type ApiContext, type ApiEnv, clientAddress } from '../bindings.js';
import { apiError } from '../errors.js';
import { clearedSessionCookie, sessionCookie, sessionIds } from './session-cookie.js';
import type { SessionStore } from './session-store.js';

export const SESSION_PATH = '/session';

/** Largest sign-in body read: a token and a little JSON or form framing. */
export const SESSION_BODY_LIMIT = 8 * 1024;

export interface SessionRouteOptions {
  readonly sessions: SessionStore;
  readonly checkToken: (presented: string) => boolean;
  readonly limitLog: LimitLog;
}

/** The cookie gets `Secure` when the API answering is itself served over TLS. */
const overTls = (c: ApiContext): boolean => new URL(c.req.url).protocol === 'https:';

export function sessionRoutes({ sessions, checkToken, limitLog }: SessionRouteOptions): Hono<ApiEnv> {
  return new Hono<ApiEnv>()
    .post(
      SESSION_PATH,
      bodyLimit({
        maxSize: SESSION_BODY_LIMIT,
        onError: () => {
          throw apiError(413, 'body-too-large', `a sign-in body is at most ${SESSION_BODY_LIMIT} bytes`);
        },
      }),
      async (c) => {
        const presented = await presentedToken(c);
        if (!checkToken(presented)) {
          const remote = clientAddress(c) ?? 'in-process';
          limitLog.once(remote, 'session-sign-in', { remote }, 'sign-in with a wrong API token refused');
          throw apiError(401, 'unauthorized', 'wrong token');
        }
        c.header('Set-Cookie', sessionCookie(sessions.create(), overTls(c)));
        c.header('Cache-Control', 'no-store');
        return c.body(null, 204);
      },
    )
    .delete(SESSION_PATH, (c) => {
      for (const id of sessionIds(c.req.header('cookie'))) sessions.delete(id);
      c.header('Set-Cookie', clearedSessionCookie(overTls(c)));
      return c.body(null, 204);
    });
}

/** The `token` field of a JSON or form body; a body of any other kind is a 415. */
async function presentedToken(c: ApiContext): Promise<string> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let token: unknown;
  if (type === 'application/json') {
    try {
      token = ((await c.req.json()) as { token?: unknown } | null)?.token;
    } catch {
      throw apiError(400, 'bad-body', 'expected a JSON body like {"token": "…"}');
    }
  } else if (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data') {
    token = (await c.req.parseBody()).token;
  } else {
    throw apiError(415, 'unsupported-body', 'send {"token": …} as application/json or a form');
  }
  if (typeof token !== 'string' || token === '') {
    throw apiError(400, 'bad-body', 'the body needs a non-empty "token" string');
  }
  return token;
}
