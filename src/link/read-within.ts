/**
 * Reads a relayed body whole, but never more than a limit: what both status polls and legacy JSON
 * bodies need, so a hostile or broken peer costs at most `limit` bytes of memory.
 */

/**
 * The body's bytes, or `undefined` once it passes `limit` (the rest is cancelled). Rejects with
 * the stream's own error when it fails, and cancels the stream when `signal` aborts.
 */
export async function readWithin(
  body: AsyncIterable<Uint8Array> | Uint8Array | null,
  limit: number,
  signal: AbortSignal,
): Promise<Buffer | undefined> {
  if (body === null) return Buffer.alloc(0);
  if (body instanceof Uint8Array) {
    return body.length > limit ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
  const chunks = body[Symbol.asyncIterator]();
  const stop = () => void chunks.return?.().catch(() => {});
  signal.addEventListener('abort', stop, { once: true });
  const kept: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await chunks.next();
      if (signal.aborted) throw new Error('aborted while reading the body');
      if (done) return Buffer.concat(kept);
      size += value.length;
      if (size > limit) {
        stop();
        return undefined;
      }
      kept.push(value);
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
