/**
 * A persistent map from id to entry, in id order: the fleet cut into chunks of at most `MAX_CHUNK`
 * entries. Every registry view needs its own immutable entries, and copying a 10,000-entry `Map` per
 * poll would cost milliseconds and megabytes of garbage; here a change copies one chunk and the chunk
 * list (a few hundred pointers) and shares everything else with the previous map.
 *
 * Edits report the first chunk they touched so the global checksum can re-hash from there on.
 */
import { lowerBound } from './lower-bound.js';

/**
 * Also the global checksum's re-hash granularity: smaller chunks re-hash less around a change, larger
 * ones keep fewer hash states to copy after it (the size is chosen in bench/PROFILES.md).
 */
export const MAX_CHUNK = 128;
/** A chunk this small after a removal is merged into a neighbour, so removals cannot fragment the list. */
const MIN_CHUNK = MAX_CHUNK / 8;

export interface Keyed {
  readonly id: string;
}

export type Chunk<V> = readonly V[];

export interface ChunkEdit<V extends Keyed> {
  readonly map: EntryChunks<V>;
  /** Chunks before this index are the very same as before the edit; any at or after it may differ. */
  readonly from: number;
}

const idOf = (value: Keyed): string => value.id;
const firstIdOf = (chunk: Chunk<Keyed>): string => (chunk[0] as Keyed).id;

export class EntryChunks<V extends Keyed> implements ReadonlyMap<string, V> {
  static empty<V extends Keyed>(): EntryChunks<V> {
    return new EntryChunks<V>([], 0);
  }

  private constructor(
    readonly chunks: readonly Chunk<V>[],
    readonly size: number,
  ) {}

  get(id: string): V | undefined {
    const chunk = this.chunks[this.chunkFor(id)];
    if (chunk === undefined) return undefined;
    const found = chunk[lowerBound(chunk, id, idOf)];
    return found?.id === id ? found : undefined;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds `value`, or replaces the entry with its id. */
  set(value: V): ChunkEdit<V> {
    const k = this.chunkFor(value.id);
    const chunk = this.chunks[k];
    if (chunk === undefined) return { map: new EntryChunks([[value]], 1), from: 0 };
    const at = lowerBound(chunk, value.id, idOf);
    const next = chunk.slice();
    if (chunk[at]?.id === value.id) {
      next[at] = value;
      return { map: this.splice(k, 1, [next], this.size), from: k };
    }
    next.splice(at, 0, value);
    const parts =
      next.length > MAX_CHUNK ? [next.slice(0, next.length >> 1), next.slice(next.length >> 1)] : [next];
    return { map: this.splice(k, 1, parts, this.size + 1), from: k };
  }

  /** Removes the entry with this id; null when there is none. */
  delete(id: string): ChunkEdit<V> | null {
    const k = this.chunkFor(id);
    const chunk = this.chunks[k];
    const at = chunk === undefined ? 0 : lowerBound(chunk, id, idOf);
    if (chunk === undefined || chunk[at]?.id !== id) return null;
    const next = chunk.slice();
    next.splice(at, 1);
    const size = this.size - 1;
    if (next.length === 0) return { map: this.splice(k, 1, [], size), from: k };
    if (next.length < MIN_CHUNK) {
      const after = this.chunks[k + 1];
      if (after !== undefined && next.length + after.length <= MAX_CHUNK) {
        return { map: this.splice(k, 2, [next.concat(after)], size), from: k };
      }
      const before = this.chunks[k - 1];
      if (before !== undefined && next.length + before.length <= MAX_CHUNK) {
        return { map: this.splice(k - 1, 2, [before.concat(next)], size), from: k - 1 };
      }
    }
    return { map: this.splice(k, 1, [next], size), from: k };
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const value of this.values()) callback.call(thisArg, value, value.id, this);
  }

  *values(): MapIterator<V> {
    for (const chunk of this.chunks) yield* chunk;
  }

  *keys(): MapIterator<string> {
    for (const value of this.values()) yield value.id;
  }

  *entries(): MapIterator<[string, V]> {
    for (const value of this.values()) yield [value.id, value];
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  /** The chunk that holds `id`, or that it would be inserted into: the last one starting at or before it. */
  private chunkFor(id: string): number {
    const after = lowerBound(this.chunks, id, firstIdOf);
    if (this.chunks[after] !== undefined && firstIdOf(this.chunks[after]) === id) return after;
    return Math.max(0, after - 1);
  }

  private splice(start: number, remove: number, insert: readonly Chunk<V>[], size: number): EntryChunks<V> {
    const chunks = this.chunks.slice();
    chunks.splice(start, remove, ...insert);
    return new EntryChunks(chunks, size);
  }
}
