/**
 * What the inspector shows of the tower: the tower and one actor per minion, nothing else.
 *
 * The actor system underneath has more: the tower's internal shards (a minion's cname hashes to one
 * of 256, see `tower.machine.ts`) and a short-lived `poll` child per minion per interval. Shown as
 * they are, 20 minions made 41 actors at once and one more per minion every interval, for ever,
 * and the shards said nothing an operator could use. So the view folds them away by where they sit:
 *
 * - an actor with no parent (the tower) is shown;
 * - its children (the shards) fold into it;
 * - their children (the minions) are shown, as children of the tower;
 * - anything below a minion (its polls) folds into that minion.
 *
 * A folded actor's registration, snapshots and received events are dropped; an event it sends is
 * shown as sent by the actor it folds into. So the actor list is the tower plus the live minions,
 * however long the tower runs.
 *
 * The tower's own snapshot says how many minions it has (`context: { minions }`), counted here: its
 * context holds only its shards. A minion added or removed sends the tower's snapshot again with the
 * new count, so the count is never one event behind.
 *
 * It also keeps what a browser that connects late is sent first (`greeting`): each shown actor's
 * registration and latest snapshot, the tower first. That covers the whole fleet: it holds one
 * entry per live minion, as the tower itself does, and its registrations share one copy of each
 * machine definition (at 10,000 minions the same definition 10,000 times would be most of it).
 */
import type { StatelyInspectionEvent } from '@statelyai/inspect';

type ActorEvent = StatelyInspectionEvent & { type: '@xstate.actor' };
type SnapshotEvent = StatelyInspectionEvent & { type: '@xstate.snapshot' };

interface ShownActor {
  /** The registration as sent (minions re-parented to the tower), definition shared. */
  readonly registration: ActorEvent;
  /** The latest active snapshot, as sent (a minion's). */
  snapshot: string | undefined;
  /** The latest active snapshot, to be sent again with a new minion count (the tower's). */
  towerSnapshot: SnapshotEvent | undefined;
  /** Session ids of the actors folded into this one. */
  readonly folded: Set<string>;
  /** Shown actors under this one: the tower's minions. */
  minions: number;
}

export interface FleetView {
  /**
   * Feeds one sanitized event and the message it came as; returns the messages to send browsers:
   * none when the event is about a folded actor, else that message (rewritten if need be), and then
   * the tower's snapshot when its minion count changed.
   */
  record(event: StatelyInspectionEvent, message: string): string[];
  /** The messages that rebuild the shown actors, tower first; read lazily, one actor at a time. */
  greeting(): Generator<string>;
  /** Shown actors: the tower and its live minions. */
  readonly size: number;
  /** Actors folded away and still alive (shards, polls in flight). */
  readonly foldedSize: number;
}

// Distinct machine definitions are a handful; the bound only guards against a machine built per actor.
const MAX_DEFINITIONS = 64;

export function createFleetView(): FleetView {
  // Map order is registration order, and an actor is registered after its parent.
  const shown = new Map<string, ShownActor>();
  /** Folded actor → the shown actor it folds into. */
  const folded = new Map<string, string>();
  const definitions = new Map<string, string>();

  function shared(definition: string | undefined): string | undefined {
    if (definition === undefined) return undefined;
    const known = definitions.get(definition);
    if (known !== undefined) return known;
    if (definitions.size < MAX_DEFINITIONS) definitions.set(definition, definition);
    return definition;
  }

  function isTower(sessionId: string): boolean {
    const actor = shown.get(sessionId);
    return actor !== undefined && actor.registration.parentId === undefined;
  }

  function fold(sessionId: string, into: string): void {
    folded.set(sessionId, into);
    shown.get(into)?.folded.add(sessionId);
  }

  function unfold(sessionId: string): void {
    const into = folded.get(sessionId);
    if (into === undefined) return;
    folded.delete(sessionId);
    shown.get(into)?.folded.delete(sessionId);
  }

  /** The tower's latest snapshot with its minion count, if it sent one yet. */
  function towerSnapshot(tower: ShownActor): string | undefined {
    const latest = tower.towerSnapshot;
    if (latest === undefined) return undefined;
    return JSON.stringify({
      ...latest,
      snapshot: { ...latest.snapshot, context: { minions: tower.minions } },
    });
  }

  /** After a minion came or went: the tower's snapshot again, with the new count. */
  function recounted(towerId: string | undefined): string[] {
    const tower = towerId === undefined ? undefined : shown.get(towerId);
    const message = tower && towerSnapshot(tower);
    return message === undefined ? [] : [message];
  }

  function forget(sessionId: string): void {
    const actor = shown.get(sessionId);
    if (!actor) return;
    shown.delete(sessionId);
    for (const child of actor.folded) folded.delete(child);
    const parent = actor.registration.parentId;
    if (parent !== undefined) {
      const tower = shown.get(parent);
      if (tower) tower.minions -= 1;
    }
    // A stopped tower takes its minions with it, whether or not their last snapshots got through.
    if (actor.registration.parentId === undefined) {
      for (const [id, other] of shown) if (other.registration.parentId === sessionId) forget(id);
    }
  }

  function show(event: ActorEvent, parentId: string | undefined): ActorEvent {
    const registration: ActorEvent = { ...event, parentId, definition: shared(event.definition) };
    shown.set(event.sessionId, {
      registration,
      snapshot: undefined,
      towerSnapshot: undefined,
      folded: new Set(),
      minions: 0,
    });
    if (parentId !== undefined) {
      const tower = shown.get(parentId);
      if (tower) tower.minions += 1;
    }
    return registration;
  }

  function register(event: ActorEvent, message: string): string[] {
    const { sessionId, parentId } = event;
    // XState registers a session once; a repeat (or an actor claiming itself as parent) is not news.
    if (shown.has(sessionId) || folded.has(sessionId)) return [];
    if (parentId === undefined) {
      show(event, undefined);
      return [message];
    }
    if (shown.has(parentId)) {
      // A child of the tower is a shard; a child of a minion is one of its polls.
      fold(sessionId, parentId);
      return [];
    }
    const into = folded.get(parentId);
    if (into === undefined) return [];
    // A child of a shard is a minion; anything below a poll still belongs to the minion.
    if (isTower(into)) return [JSON.stringify(show(event, into)), ...recounted(into)];
    fold(sessionId, into);
    return [];
  }

  function snapshot(event: SnapshotEvent, message: string): string[] {
    const actor = shown.get(event.sessionId);
    if (!actor) {
      if (event.snapshot.status !== 'active') unfold(event.sessionId);
      return [];
    }
    const isRoot = actor.registration.parentId === undefined;
    if (event.snapshot.status !== 'active') {
      forget(event.sessionId);
      return isRoot ? [message] : [message, ...recounted(actor.registration.parentId)];
    }
    if (!isRoot) {
      actor.snapshot = message;
      return [message];
    }
    actor.towerSnapshot = event;
    return recounted(event.sessionId);
  }

  return {
    record(event, message) {
      switch (event.type) {
        case '@xstate.actor':
          return register(event, message);
        case '@xstate.snapshot':
          return snapshot(event, message);
        case '@xstate.event': {
          if (!shown.has(event.sessionId)) return [];
          const source = event.sourceId === undefined ? undefined : folded.get(event.sourceId);
          return [source === undefined ? message : JSON.stringify({ ...event, sourceId: source })];
        }
        default:
          return [];
      }
    },
    *greeting() {
      // Live iteration: a minion registered meanwhile is included, one removed meanwhile is skipped.
      for (const actor of shown.values()) {
        yield JSON.stringify(actor.registration);
        const latest = actor.snapshot ?? towerSnapshot(actor);
        if (latest !== undefined) yield latest;
      }
    },
    get size() {
      return shown.size;
    },
    get foldedSize() {
      return folded.size;
    },
  };
}
