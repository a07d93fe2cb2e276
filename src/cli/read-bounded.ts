/**
 * Reading a file an operator names, or a pipe, without trusting its size.
 */
import { open } from 'node:fs/promises';

/** Reads a file (or a pipe) to its end, refusing one longer than `limit` bytes without reading it all. */
export async function readBounded(path: string, limit: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > limit)
        throw new Error(`${path} is over ${limit} bytes: not a certificate signing request`);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await file.close();
  }
}
