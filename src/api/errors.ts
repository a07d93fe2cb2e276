/**
 * The API's one error shape, `{ "error": code, "message": text }`, thrown as `HTTPException` anywhere
 * and rendered by the single `onError` handler.
 */
import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../log/logger.js';

export function apiError(status: ContentfulStatusCode, error: string, message: string): HTTPException {
  return new HTTPException(status, {
    res: new Response(JSON.stringify({ error, message }), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    }),
  });
}

export function errorHandler(log: Logger): ErrorHandler {
  return (error, c) => {
    if (error instanceof HTTPException) {
      if (error.res) return error.res;
      return c.json({ error: 'http-error', message: error.message }, error.status);
    }
    log.error({ err: error, path: c.req.path }, 'unhandled API error');
    return c.json({ error: 'internal', message: 'internal error' }, 500);
  };
}
