/**
 * The immutable registry view handed to readers. A new one is made per change; unchanged parts (entry
 * chunks, checksum states, the ids list) are shared with the previous view, so making one costs
 * O(√n) pointer copies.
 *
 * The global checksum is worked out when first read, not per change: most views are never read, and
 * re-hashing the fleet's text per change was the registry's largest cost (bench/PROFILES.md). A view only remembers the last worked-out checksum and the first chunk changed since, so
 * a burst of changes is hashed once, from the earliest of them, by whoever reads first; and unread
 * views never hold on to each other.
 *
 * `ids` and `listBody()` are read off the id-ordered entry chunks only if asked for: the entries are
 * already kept in order by binary search, so neither ever sorts, and a burst of changes nobody reads in
 * between does not copy a 10,000-id array per change. `ids` is built once per set of ids (views whose
 * changes added or removed nothing share one list), `listBody()` once per view from chunk encodings
 * that views share.
 */
import { EntryChunks } from './entry-chunks.js';
import { EMPTY_GLOBAL, type GlobalChecksum, rehash } from './global-checksum.js';
import { listBody } from './list-body.js';
import type { OwnedEntry } from './registry-entry.js';
import type { ListBody, RegistryView } from './registry-types.js';

export interface ViewEdit {
  readonly entries: EntryChunks<OwnedEntry>;
  /**
   * The first chunk whose checksum lines the edit changed (`ChunkEdit.from`); omitted when no line
   * changed, so the global checksum and its hash states carry over.
   */
  readonly rehashFrom?: number;
  /** Whether an entry came or went; if not, the ids list carries over. */
  readonly idsChanged: boolean;
}

/** A checksum not worked out yet: an earlier view's, and the first chunk that may differ from it. */
interface StaleChecksum {
  readonly base: GlobalChecksum;
  readonly from: number;
}

export class FleetView implements RegistryView {
  /** Shared by consecutive views with the same ids: whichever lists them first fills it in for all. */
  readonly #ids: { list?: readonly string[] };
  #listBody: ListBody | undefined;
  #checksum: GlobalChecksum | StaleChecksum;

  constructor(
    readonly version: number,
    checksum: GlobalChecksum | StaleChecksum,
    readonly entries: EntryChunks<OwnedEntry>,
    ids: { list?: readonly string[] } = {},
  ) {
    this.#checksum = checksum;
    this.#ids = ids;
  }

  /** The global checksum and the hash states that let the next change skip the unchanged prefix. */
  get checksum(): GlobalChecksum {
    const held = this.#checksum;
    if ('digest' in held) return held;
    const worked = rehash(this.entries.chunks, held.base, held.from);
    this.#checksum = worked;
    return worked;
  }

  get global(): string {
    return this.checksum.digest;
  }

  get ids(): readonly string[] {
    if (this.#ids.list === undefined) {
      const ids: string[] = [];
      for (const chunk of this.entries.chunks) for (const entry of chunk) ids.push(entry.id);
      this.#ids.list = ids;
    }
    return this.#ids.list;
  }

  listBody(): ListBody {
    this.#listBody ??= listBody(this.entries.chunks);
    return this.#listBody;
  }

  /** The next version of this view. */
  with({ entries, rehashFrom, idsChanged }: ViewEdit): FleetView {
    const held = this.#checksum;
    let checksum: GlobalChecksum | StaleChecksum = held;
    if (rehashFrom !== undefined)
      checksum =
        'digest' in held
          ? { base: held, from: rehashFrom }
          : { base: held.base, from: Math.min(held.from, rehashFrom) };
    return new FleetView(this.version + 1, checksum, entries, idsChanged ? {} : this.#ids);
  }
}

export const EMPTY_VIEW: FleetView = new FleetView(0, EMPTY_GLOBAL, EntryChunks.empty(), { list: [] });
