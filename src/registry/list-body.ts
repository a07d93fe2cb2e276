/**
 * The `GET /minions` body: a JSON array of every served document, in id order, as UTF-8 bytes.
 *
 * Assembled from the entry chunks, each encoded once and shared by every view that holds the same
 * chunk (chunks are immutable): after a change only the chunk it touched is encoded again, so a GET
 * never encodes the whole fleet.
 */
import type { Chunk } from './entry-chunks.js';
import type { OwnedEntry } from './registry-entry.js';
import type { ListBody } from './registry-types.js';

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

const encoded = new WeakMap<Chunk<OwnedEntry>, Buffer>();

function chunkBytes(chunk: Chunk<OwnedEntry>): Buffer {
  let bytes = encoded.get(chunk);
  if (bytes === undefined) {
    bytes = Buffer.from(chunk.map((entry) => entry.json).join(','), 'utf8');
    encoded.set(chunk, bytes);
  }
  return bytes;
}

/**
 * The body as pieces to write one after the other, never joined: copying tens of megabytes into one
 * fresh buffer would cost more than encoding the changed chunk.
 */
export function listBody(chunks: readonly Chunk<OwnedEntry>[]): ListBody {
  const parts: Buffer[] = [OPEN];
  let byteLength = OPEN.length + CLOSE.length;
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (parts.length > 1) {
      parts.push(COMMA);
      byteLength += COMMA.length;
    }
    const bytes = chunkBytes(chunk);
    parts.push(bytes);
    byteLength += bytes.length;
  }
  parts.push(CLOSE);
  return { parts, byteLength };
}
