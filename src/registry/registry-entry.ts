/**
 * Building a registry entry from a minion snapshot. Entries only keep the `MinionView` fields they
 * serve (never the actor's context, which holds live links), and re-encode the document only when the
 * minion holds a new one.
 */
import type { MinionState, MinionView, ServedDocument } from '../../machines/minion-snapshot.js';
import { type JsonAroundOs, joinAroundOs, sharesAllButOs, splitAroundOs } from './document-json.js';
import type { ActorSeq } from './registry-events.js';
import type { RegistryEntry } from './registry-types.js';

/** A registry entry and the actor that owns it, so a replaced bolt's late events can be told apart. */
export interface OwnedEntry extends RegistryEntry {
  readonly boltId: string;
  readonly seq: ActorSeq;
  /** `json` around its `os`, once a document shared it: undefined before, null if it cannot be split. */
  readonly split?: JsonAroundOs | null;
}

/** The view of a minion that holds a document: what an entry can be made of. */
export type ServingView = MinionView & { readonly document: ServedDocument; readonly checksum: string };

export const isServing = (view: MinionView): view is ServingView =>
  view.document !== null && view.checksum !== null;

/** `held` itself when nothing it serves would change, so a no-op snapshot makes no new view. */
export function toEntry(
  held: OwnedEntry | undefined,
  seq: ActorSeq,
  state: MinionState,
  view: ServingView,
): OwnedEntry {
  if (
    held !== undefined &&
    held.seq === seq &&
    held.document === view.document &&
    held.checksum === view.checksum &&
    held.state === state &&
    held.lastError === view.lastError &&
    held.consecutiveFailures === view.consecutiveFailures &&
    held.connectedAt === view.connectedAt &&
    held.lastPollAt === view.lastPollAt &&
    held.lastChangeAt === view.lastChangeAt
  ) {
    return held;
  }
  const { json, split } = encode(held, view.document);
  return {
    id: view.cname,
    boltId: view.boltId,
    seq,
    document: view.document,
    checksum: view.checksum,
    state,
    lastError: view.lastError,
    consecutiveFailures: view.consecutiveFailures,
    connectedAt: view.connectedAt,
    lastPollAt: view.lastPollAt,
    lastChangeAt: view.lastChangeAt,
    json,
    split,
  };
}

/**
 * The held text when the document is the same; the held text's head and tail around a new `os`
 * when only `os` moved (split on the first such poll); else the document encoded whole.
 */
function encode(
  held: OwnedEntry | undefined,
  document: ServedDocument,
): { json: string; split: JsonAroundOs | null | undefined } {
  if (held === undefined) return { json: JSON.stringify(document), split: undefined };
  if (held.document === document) return { json: held.json, split: held.split };
  if (!sharesAllButOs(held.document, document)) return { json: JSON.stringify(document), split: undefined };
  const split = held.split === undefined ? splitAroundOs(held.document, held.json) : held.split;
  const json = split === null ? undefined : joinAroundOs(split, document);
  return json === undefined ? { json: JSON.stringify(document), split: null } : { json, split };
}
