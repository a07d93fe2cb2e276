/**
 * Bearer-token guard for the whole API, when a token is configured.
 *
 * The comparison runs over SHA-256 digests with `timingSafeEqual`, so neither the token's content
 * nor its length leaks through response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './bindings.js';
import { apiError } from './errors.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function bearerAuth(token: string): MiddlewareHandler<ApiEnv> {
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!timingSafeEqual(digest(presented), expected)) {
      throw apiError(401, 'unauthorized', 'this tower needs "Authorization: Bearer <token>"');
    }
    await next();
  };
}
