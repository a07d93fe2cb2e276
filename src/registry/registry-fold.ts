/**
 * The registry as a pure fold over per-minion events: `(step, event) => step`, run by `scan`. Each
 * step carries the current immutable view and the change the event published, if any.
 *
 * One minion actor per cname at a time: the bolt table reports a replaced bolt closed before its
 * successor connects, and the tower stops a minion when its bolt closes, so an actor's events all come
 * before its successor's. The fold relies on that order and keeps no rule of its own about it.
 */
import { type OperatorFunction, scan } from 'rxjs';
import type { MinionState } from '../../machines/minion-snapshot.js';
import { withLazyGlobal } from './lazy-global.js';
import { isServing, toEntry } from './registry-entry.js';
import type { MinionLeft, MinionUpdated, RegistryEvent } from './registry-events.js';
import type { RegistryChange, RegistryChangeType } from './registry-types.js';
import { EMPTY_VIEW, type FleetView } from './registry-view.js';

export interface RegistryStep {
  readonly view: FleetView;
  /** What the event published: null when it was ignored or changed nothing worth announcing. */
  readonly change: RegistryChange | null;
}

export const INITIAL_STEP: RegistryStep = { view: EMPTY_VIEW, change: null };

/** The states in which a minion holds its first good document (or a newer one). */
const SERVING_STATES: ReadonlySet<MinionState> = new Set<MinionState>(['ready', 'changed']);

/** A change whose `global` is the new view's, hashed only if someone reads it: the fold never hashes. */
const changeTo = (
  view: FleetView,
  type: RegistryChangeType,
  id: string,
  checksum: string | null,
): RegistryChange => withLazyGlobal({ type, id, checksum }, () => view.global);

function leave(view: FleetView, { id }: Pick<MinionLeft, 'id'>): RegistryStep | null {
  const edit = view.entries.delete(id);
  if (edit === null) return null;
  const next = view.with({ entries: edit.map, rehashFrom: edit.from, idsChanged: true });
  return { view: next, change: changeTo(next, 'removed', id, null) };
}

function update(view: FleetView, { seq, state, view: minion }: MinionUpdated): RegistryStep | null {
  if (state === 'removed') return leave(view, { id: minion.cname });
  const held = view.entries.get(minion.cname);
  // Nothing to serve yet. A minion never drops a document it holds, so this never empties an entry.
  if (!isServing(minion)) return null;
  // Entering needs a first good document, i.e. `ready` or `changed`.
  if (held === undefined && !SERVING_STATES.has(state)) return null;
  const entry = toEntry(held, seq, state, minion);
  if (entry === held) return null;
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

export function foldEvent(step: RegistryStep, event: RegistryEvent): RegistryStep {
  const next = event.type === 'updated' ? update(step.view, event) : leave(step.view, event);
  return next ?? (step.change === null ? step : { view: step.view, change: null });
}

/** Per-minion events in, one step per event out (ignored events repeat the view with no change). */
export const foldRegistry = (): OperatorFunction<RegistryEvent, RegistryStep> =>
  scan(foldEvent, INITIAL_STEP);
