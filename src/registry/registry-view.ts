/**
 * The immutable registry view handed to readers. A new one is made per change; unchanged parts (entry
 * chunks, checksum states, the ids list) are shared with the previous view, so making one costs
 * O(√n) pointer copies plus whatever the change itself forces (a re-hash).
 *
 * `ids` and `listJson()` are read off the id-ordered entry chunks only if asked for: the entries are
 * already kept in order by binary search, so neither ever sorts, and a burst of changes nobody reads in
 * between does not copy a 10,000-id array per change. `ids` is built once per set of ids (views whose
 * changes added or removed nothing share one list), `listJson()` once per view.
 */
import { EntryChunks } from './entry-chunks.js';
import { EMPTY_GLOBAL, type GlobalChecksum } from './global-checksum.js';
import type { OwnedEntry } from './registry-entry.js';
import type { RegistryView } from './registry-types.js';

export interface ViewEdit {
  readonly entries: EntryChunks<OwnedEntry>;
  /** Omitted when no checksum changed: the global checksum and its hash states carry over. */
  readonly checksum?: GlobalChecksum;
  /** Whether an entry came or went; if not, the ids list carries over. */
  readonly idsChanged: boolean;
}

export class FleetView implements RegistryView {
  readonly global: string;
  /** Shared by consecutive views with the same ids: whichever lists them first fills it in for all. */
  readonly #ids: { list?: readonly string[] };
  #listJson: string | undefined;

  constructor(
    readonly version: number,
    /** The global checksum and the hash states that let the next change skip the unchanged prefix. */
    readonly checksum: GlobalChecksum,
    readonly entries: EntryChunks<OwnedEntry>,
    ids: { list?: readonly string[] } = {},
  ) {
    this.global = checksum.digest;
    this.#ids = ids;
  }

  get ids(): readonly string[] {
    if (this.#ids.list === undefined) {
      const ids: string[] = [];
      for (const chunk of this.entries.chunks) for (const entry of chunk) ids.push(entry.id);
      this.#ids.list = ids;
    }
    return this.#ids.list;
  }

  listJson(): string {
    if (this.#listJson === undefined) {
      const jsons: string[] = [];
      for (const chunk of this.entries.chunks) for (const entry of chunk) jsons.push(entry.json);
      this.#listJson = `[${jsons.join(',')}]`;
    }
    return this.#listJson;
  }

  /** The next version of this view. */
  with({ entries, checksum, idsChanged }: ViewEdit): FleetView {
    return new FleetView(this.version + 1, checksum ?? this.checksum, entries, idsChanged ? {} : this.#ids);
  }
}

export const EMPTY_VIEW: FleetView = new FleetView(0, EMPTY_GLOBAL, EntryChunks.empty(), { list: [] });
