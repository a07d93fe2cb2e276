/**
 * The registry as a fold over per-minion events: `(step, event) => step`, run by `scan`. Each step
 * carries the current immutable view and the change the event published, if any.
 *
 * One minion actor per cname at a time: the bolt table reports a replaced bolt closed before its
 * successor connects, and the tower stops a minion when its bolt closes, so an actor's events all come
 * before its successor's. The fold relies on that order and keeps no rule of its own about it.
 *
 * In a cluster, other towers' minions arrive as `remote-held` / `remote-gone`. A minion this tower
 * holds always wins over another tower's record of it (the record is stale, or about to be taken over);
 * the record is kept aside and shown again if the local minion leaves first.
 */
import { type OperatorFunction, scan } from 'rxjs';
import type { MinionState } from '../../machines/minion-snapshot.js';
import { withLazyGlobal } from './lazy-global.js';
import type { OwnedEntry } from './registry-entry.js';
import { isServing, toEntry } from './registry-entry.js';
import {
  type MinionLeft,
  type MinionUpdated,
  REMOTE_SEQ,
  type RegistryEvent,
  type RemoteGone,
  type RemoteHeld,
} from './registry-events.js';
import type { RegistryChange, RegistryChangeType } from './registry-types.js';
import { EMPTY_VIEW, type FleetView } from './registry-view.js';

export interface RegistryStep {
  readonly view: FleetView;
  /** What the event published: null when it was ignored or changed nothing worth announcing. */
  readonly change: RegistryChange | null;
  /**
   * Set when a minion this tower holds came, changed checksum or went (whatever the view shows
   * instead): what a cluster publishes to the other towers.
   */
  readonly own?: OwnChange;
}

/** A minion this tower holds, as the other towers should now see it: null once it is gone. */
export interface OwnChange {
  readonly id: string;
  readonly entry: OwnedEntry | null;
}

export const INITIAL_STEP: RegistryStep = { view: EMPTY_VIEW, change: null };

/**
 * Other towers' records, by id, including those hidden behind a local minion. Owned by one fold
 * (`foldRegistry` makes one per registry) and changed in place: copying a fleet-sized map per remote
 * event would cost O(n) each.
 */
export type RemoteRecords = Map<string, OwnedEntry>;

const isRemote = (entry: OwnedEntry | undefined): boolean => entry?.seq === REMOTE_SEQ;

/** The states in which a minion holds its first good document (or a newer one). */
const SERVING_STATES: ReadonlySet<MinionState> = new Set<MinionState>(['ready', 'changed']);

/** A change whose `global` is the new view's, hashed only if someone reads it: the fold never hashes. */
const changeTo = (
  view: FleetView,
  type: RegistryChangeType,
  id: string,
  checksum: string | null,
): RegistryChange => withLazyGlobal({ type, id, checksum }, () => view.global);

function remove(view: FleetView, id: string): RegistryStep | null {
  const edit = view.entries.delete(id);
  if (edit === null) return null;
  const next = view.with({ entries: edit.map, rehashFrom: edit.from, idsChanged: true });
  return { view: next, change: changeTo(next, 'removed', id, null) };
}

/** Shows `entry` in place of `held` (absent or not): a change only if the checksum moved. */
function show(view: FleetView, held: OwnedEntry | undefined, entry: OwnedEntry): RegistryStep {
  const edit = view.entries.set(entry);
  if (held !== undefined && held.checksum === entry.checksum) {
    // Only `os` or bookkeeping moved: serve the newest document, but publish nothing and keep the
    // global checksum (and its hash states: no line of the checksum text changed).
    return { view: view.with({ entries: edit.map, idsChanged: false }), change: null };
  }
  const next = view.with({ entries: edit.map, rehashFrom: edit.from, idsChanged: held === undefined });
  return {
    view: next,
    change: changeTo(next, held === undefined ? 'added' : 'changed', entry.id, entry.checksum),
  };
}

/** A local minion left: another tower's record of it, if any, shows again. */
function leave(view: FleetView, { id }: Pick<MinionLeft, 'id'>, remote: RemoteRecords): RegistryStep | null {
  const held = view.entries.get(id);
  if (held === undefined || isRemote(held)) return null;
  const record = remote.get(id);
  const step = record === undefined ? remove(view, id) : show(view, held, record);
  return step === null ? null : { ...step, own: { id, entry: null } };
}

function update(
  view: FleetView,
  { seq, state, view: minion }: MinionUpdated,
  remote: RemoteRecords,
): RegistryStep | null {
  if (state === 'removed') return leave(view, { id: minion.cname }, remote);
  const shown = view.entries.get(minion.cname);
  const held = isRemote(shown) ? undefined : shown;
  // Nothing to serve yet. A minion never drops a document it holds, so this never empties an entry.
  if (!isServing(minion)) return null;
  // Entering needs a first good document, i.e. `ready` or `changed`.
  if (held === undefined && !SERVING_STATES.has(state)) return null;
  const entry = toEntry(held, seq, state, minion);
  if (entry === held) return null;
  const step = show(view, shown, entry);
  return held !== undefined && held.checksum === entry.checksum
    ? step
    : { ...step, own: { id: entry.id, entry } };
}

function remoteHeld(view: FleetView, { entry }: RemoteHeld, remote: RemoteRecords): RegistryStep | null {
  const record: OwnedEntry = { ...entry, seq: REMOTE_SEQ };
  remote.set(record.id, record);
  const shown = view.entries.get(record.id);
  if (shown !== undefined && !isRemote(shown)) return null;
  return show(view, shown, record);
}

function remoteGone(view: FleetView, { id }: RemoteGone, remote: RemoteRecords): RegistryStep | null {
  remote.delete(id);
  return isRemote(view.entries.get(id)) ? remove(view, id) : null;
}

function apply(view: FleetView, event: RegistryEvent, remote: RemoteRecords): RegistryStep | null {
  switch (event.type) {
    case 'updated':
      return update(view, event, remote);
    case 'left':
      return leave(view, event, remote);
    case 'remote-held':
      return remoteHeld(view, event, remote);
    case 'remote-gone':
      return remoteGone(view, event, remote);
  }
}

export function foldEvent(
  step: RegistryStep,
  event: RegistryEvent,
  remote: RemoteRecords = new Map(),
): RegistryStep {
  const next = apply(step.view, event, remote);
  return next ?? (step.change === null && step.own === undefined ? step : { view: step.view, change: null });
}

/** Per-minion events in, one step per event out (ignored events repeat the view with no change). */
export const foldRegistry = (): OperatorFunction<RegistryEvent, RegistryStep> => {
  const remote: RemoteRecords = new Map();
  return scan((step: RegistryStep, event: RegistryEvent) => foldEvent(step, event, remote), INITIAL_STEP);
};
