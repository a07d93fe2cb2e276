/**
 * The fleet's global checksum: the MD5 hex digest of `<id>:<checksum>\n` over every entry in ascending
 * id order (the empty fleet hashes the empty string: `EMPTY_CHECKSUM`).
 *
 * MD5 cannot be patched in the middle, so a change has to re-hash everything after it. To spare the part
 * before it, the hash state at the end of every chunk of entries is kept (`Hash#copy`): a change in chunk
 * k resumes from the state after chunk k-1. Kept states are never updated or digested, only copied, so
 * a `GlobalChecksum` is as immutable as the views that carry it.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Chunk } from './entry-chunks.js';
import { EMPTY_CHECKSUM } from './registry-types.js';

export interface ChecksumLine {
  readonly id: string;
  readonly checksum: string;
}

export interface GlobalChecksum {
  readonly digest: string;
  /** `prefix[k]`: the hash state after the lines of chunks 0..k. */
  readonly prefix: readonly Hash[];
}

export const EMPTY_GLOBAL: GlobalChecksum = { digest: EMPTY_CHECKSUM, prefix: [] };

/**
 * Each chunk's lines, encoded once. Chunks are immutable and shared between views, so a change
 * re-hashes the chunks after it from these buffers instead of rebuilding and re-encoding their text;
 * and one `update` per chunk rather than per entry, since each call into the native hash has a cost.
 */
const encoded = new WeakMap<Chunk<ChecksumLine>, Buffer>();

function linesOf(chunk: Chunk<ChecksumLine>): Buffer {
  let bytes = encoded.get(chunk);
  if (bytes === undefined) {
    let text = '';
    for (const line of chunk) text += `${line.id}:${line.checksum}\n`;
    bytes = Buffer.from(text, 'utf8');
    encoded.set(chunk, bytes);
  }
  return bytes;
}

/**
 * The checksum of `chunks`, given the checksum of a previous fleet whose chunks before `from` were the
 * very same (see `ChunkEdit.from`).
 */
export function rehash(
  chunks: readonly Chunk<ChecksumLine>[],
  previous: GlobalChecksum,
  from: number,
): GlobalChecksum {
  if (chunks.length === 0) return EMPTY_GLOBAL;
  const start = Math.min(from, chunks.length, previous.prefix.length);
  const prefix = previous.prefix.slice(0, start);
  let state = prefix[start - 1];
  for (let k = start; k < chunks.length; k++) {
    const next = state === undefined ? createHash('md5') : state.copy();
    next.update(linesOf(chunks[k] as Chunk<ChecksumLine>));
    prefix.push(next);
    state = next;
  }
  // Digesting finalises a Hash, so digest a copy and keep the state resumable.
  return { digest: (state as Hash).copy().digest('hex'), prefix };
}
