/**
 * What the registry's fold consumes: one stream of these per minion actor, merged. Plain data, so the
 * fold can be tested with marbles and no actors at all.
 */
import type { MinionState, MinionView } from '../../machines/minion-snapshot.js';
import type { RegistryEntry } from './registry-types.js';

/**
 * Tells actors apart in arrival order (the index of the actor on `minions$`). A cname's successor
 * bolt always arrives after the bolt it replaces, so a higher `seq` is the newer actor.
 */
export type ActorSeq = number;

/** The actor emitted a snapshot. */
export interface MinionUpdated {
  readonly type: 'updated';
  readonly seq: ActorSeq;
  readonly state: MinionState;
  readonly view: MinionView;
}

/** The actor is gone: it reached `removed`, was stopped, or failed. */
export interface MinionLeft {
  readonly type: 'left';
  readonly seq: ActorSeq;
  readonly id: string;
  readonly boltId: string;
}

/** The `seq` of entries that describe another tower's minion: no local actor has it. */
export const REMOTE_SEQ: ActorSeq = -1;

/** Another tower holds this minion (from the cluster's shared bucket), as it last published it. */
export interface RemoteHeld {
  readonly type: 'remote-held';
  readonly entry: RegistryEntry & { readonly boltId: string };
}

/** Another tower's minion is gone from the shared bucket. */
export interface RemoteGone {
  readonly type: 'remote-gone';
  readonly id: string;
}

export type RegistryEvent = MinionUpdated | MinionLeft | RemoteHeld | RemoteGone;
