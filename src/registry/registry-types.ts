/**
 * The registry's public shapes: what the API and the change feed read. Everything here is
 * immutable; a new view is made on each change, so a reader never sees half an update.
 */
import type { MinionPollFailure, MinionState, ServedDocument } from '../../machines/minion-snapshot.js';

/** MD5 hex of the empty string: the global checksum of an empty fleet. */
export const EMPTY_CHECKSUM = 'd41d8cd98f00b204e9800998ecf8427e';

export interface RegistryEntry {
  readonly id: string;
  readonly document: ServedDocument;
  /** MD5 hex of the document without its top-level `os` key. */
  readonly checksum: string;
  readonly state: MinionState;
  readonly lastError: MinionPollFailure | null;
  readonly consecutiveFailures: number;
  readonly connectedAt: number;
  readonly lastPollAt: number | null;
  readonly lastChangeAt: number | null;
  /** `JSON.stringify(document)`, made once per document so GET never re-encodes. */
  readonly json: string;
}

export interface RegistryView {
  /** Increases by one with every change to the view. */
  readonly version: number;
  /** MD5 hex over `<id>:<checksum>\n` for every entry in ascending id order. */
  readonly global: string;
  /** Entry ids in ascending order (plain string comparison, as `Array.prototype.sort` does). */
  readonly ids: readonly string[];
  readonly entries: ReadonlyMap<string, RegistryEntry>;
  /**
   * The `GET /minions` body: a JSON array of documents in id order, as UTF-8, assembled at most once
   * per view, encoding only chunks of entries that changed since the previous views.
   */
  listBody(): ListBody;
}

/** UTF-8 bytes in pieces, to be written in order; `byteLength` is their sum. */
export interface ListBody {
  readonly parts: readonly Uint8Array[];
  readonly byteLength: number;
}

export type RegistryChangeType = 'added' | 'changed' | 'removed';

export interface RegistryChange {
  readonly type: RegistryChangeType;
  readonly id: string;
  /** The entry's checksum after the change; null on `removed`. */
  readonly checksum: string | null;
  /** The global checksum after the change. */
  readonly global: string;
}
