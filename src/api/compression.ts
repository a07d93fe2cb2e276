/**
 * `Content-Encoding` for the large read documents (`/minions`, `/clients`): br or gzip, whichever the
 * client's `Accept-Encoding` prefers (br on a tie), for bodies of at least `minBytes`.
 *
 * Compression runs on libuv's thread pool (async zlib), so a 10,000-minion list does not stall the
 * event loop, and the last encoding of each path is kept by `ETag`: pollers that all fetch the same
 * fleet state cost one compression per change, not one per request. HEAD, 304 and small bodies go
 * out as they are.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './bindings.js';

/** Bodies shorter than this are sent as they are: framing would eat the saving. */
export const COMPRESS_MIN_BYTES = 1024;

// Quality 5 is brotli's knee for data made on the fly: most of the ratio at a fraction of 11's CPU.
const BROTLI_QUALITY = 5;

export type Encoding = 'br' | 'gzip';

/** How each encoding is made (on the thread pool); exported for the bench. */
export const encoders: Record<Encoding, (body: Buffer) => Promise<Buffer>> = {
  br: (body) =>
    promisify(brotliCompress)(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  gzip: (body) => promisify(gzip)(body),
};

/** The client's preferred encoding among ours, honouring `q` (and `q=0` as a refusal). */
export function chooseEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined;
  const q = new Map<string, number>();
  for (const item of header.split(',')) {
    const [name = '', ...params] = item.split(';').map((part) => part.trim().toLowerCase());
    const weight = params.find((param) => param.startsWith('q='));
    const value = weight === undefined ? 1 : Number(weight.slice(2));
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const wildcard = q.get('*') ?? 0;
  const br = q.get('br') ?? wildcard;
  const gz = q.get('gzip') ?? wildcard;
  if (br <= 0 && gz <= 0) return undefined;
  return br >= gz ? 'br' : 'gzip';
}

interface Cached {
  readonly tag: string;
  readonly bytes: Buffer;
}

export function compressBody(minBytes = COMPRESS_MIN_BYTES): MiddlewareHandler<ApiEnv> {
  // One entry per (path, encoding): the latest state only, so memory stays a few bodies.
  const cache = new Map<string, Cached>();
  return async (c, next) => {
    await next();
    c.header('Vary', 'Accept-Encoding', { append: true });
    const res = c.res;
    if (c.req.method !== 'GET' || res.status !== 200 || res.body === null) return;
    if (res.headers.has('Content-Encoding')) return;
    const encoding = chooseEncoding(c.req.header('accept-encoding'));
    if (encoding === undefined) return;
    const declared = Number(res.headers.get('Content-Length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared < minBytes) return;
    const tag = res.headers.get('ETag');
    const key = `${c.req.path}\u0000${encoding}`;
    const hit = tag === null ? undefined : cache.get(key);
    let bytes: Buffer;
    if (hit !== undefined && hit.tag === tag) {
      await res.body.cancel();
      bytes = hit.bytes;
    } else {
      const plain = Buffer.from(await res.arrayBuffer());
      if (plain.length < minBytes) {
        c.res = undefined;
        c.res = new Response(plain, res);
        return;
      }
      bytes = await encoders[encoding](plain);
      if (tag !== null) cache.set(key, { tag, bytes });
    }
    c.res = undefined;
    c.res = new Response(bytes, res);
    c.res.headers.set('Content-Encoding', encoding);
    c.res.headers.set('Content-Length', String(bytes.length));
  };
}
