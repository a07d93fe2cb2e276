/**
 * Building a registry entry from a minion snapshot. Entries only keep the `MinionView` fields they
 * serve (never the actor's context, which holds live links), and re-encode the document only when the
 * minion holds a new one.
 */
import type { MinionState, MinionView, ServedDocument } from '../../machines/minion-snapshot.js';
import type { ActorSeq } from './registry-events.js';
import type { RegistryEntry } from './registry-types.js';

/** A registry entry and the actor that owns it, so a replaced bolt's late events can be told apart. */
export interface OwnedEntry extends RegistryEntry {
  readonly boltId: string;
  readonly seq: ActorSeq;
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
    json: held?.document === view.document ? held.json : JSON.stringify(view.document),
  };
}
