/**
 * Answers with a body encoded ahead of time (a cached JSON rendering, a metrics exposition) while
 * keeping the route's declared type, which the typed client reads.
 *
 * `c.json` would encode again; `c.body` sends the bytes as they are but is typed as an opaque body.
 * The caller vouches that the bytes are the declared `T` encoded, which is why this is the one place
 * that restates the type.
 */
import type { TypedResponse } from 'hono';
import type { StatusCode } from 'hono/utils/http-status';
import type { ApiContext } from '../bindings.js';

type Body = string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>;

export function preEncodedJson<T>(
  c: ApiContext,
  body: Body,
  headers: Record<string, string> = {},
): Response & TypedResponse<T, 200, 'json'> {
  const response = c.body(body, 200, { 'Content-Type': 'application/json', ...headers });
  return response as unknown as Response & TypedResponse<T, 200, 'json'>;
}

export function preEncodedText(
  c: ApiContext,
  body: string,
  contentType: string,
): Response & TypedResponse<string, 200, 'text'> {
  return c.body(body, 200, { 'Content-Type': contentType }) as unknown as Response &
    TypedResponse<string, 200, 'text'>;
}

/**
 * A bodiless answer (HEAD, a HEAD's 404) typed as the route declares it: there are no bytes to
 * disagree with the declared body.
 */
export function bodiless<S extends StatusCode, T = never>(
  c: ApiContext,
  status: S,
): Response & TypedResponse<T, S, 'json'> {
  return c.body(null, status) as unknown as Response & TypedResponse<T, S, 'json'>;
}

/**
 * The response a handler after this one set (the route called `next()` to fall through), typed as
 * the route's: the route adds nothing to it.
 */
export function answeredLater(c: ApiContext): Response & TypedResponse<never, 200, 'json'> {
  return c.res as Response & TypedResponse<never, 200, 'json'>;
}
