/**
 * Reads a relayed body whole, but never more than a limit: what both status polls and legacy JSON
 * bodies need, so a hostile or broken peer costs at most `limit` bytes of memory.
 */

/**
 * The body's bytes, or `undefined` once it passes `limit` (the rest is cancelled). Rejects with
 * the stream's own error when it fails, and cancels the stream when `signal` aborts.
 */
export async function readWithin(
  body: ReadableStream<Uint8Array> | Uint8Array | null,
  limit: number,
  signal: AbortSignal,
): Promise<Buffer | undefined> {
  if (body === null) return Buffer.alloc(0);
  if (body instanceof Uint8Array) {
    return body.length > limit ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
  const reader = body.getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) throw new Error('aborted while reading the body');
      if (done) return Buffer.concat(chunks);
      size += value.length;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        return undefined;
      }
      chunks.push(value);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
