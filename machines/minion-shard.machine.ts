/**
 * One shard of the tower's minions: a `minionMachine` child per live bolt whose cname hashes here,
 * registered in the actor system as `minion:<cname>`, fed the `bolt.*` events the tower routes to it.
 *
 * Why shards: XState keeps an actor's children in a plain object that it copies on every spawn and
 * every stop, so one supervisor of 10,000 minions spent most of a fleet's start copying that object
 * (quadratic in the fleet). Spread over the tower's 256 shards, a copy holds about forty at 10,000.
 *
 * A cname has at most one live minion. A second bolt for it replaces the first: the old minion gets
 * `bolt.closed` (reason `replaced`, it closes its own link) and is stopped before the new one is
 * spawned, so the system id is free again. Events name the bolt they are about (`boltId`), and any
 * event for a bolt that is no longer the cname's current one is dropped: a replaced bolt's late close
 * must not remove its successor. Minions that end are forgotten through their `xstate.done.actor.*`
 * event, whose output says which bolt ended; one that throws is forgotten and its bolt closed.
 */
import { type ActorRefFrom, assign, enqueueActions, sendParent, setup, stopChild } from 'xstate';
import { type MinionSettings, minionMachine } from './minion.machine.js';
import type { MinionOutput } from './minion-events.js';
import type { MinionLink } from './minion-link.js';

export type MinionRef = ActorRefFrom<typeof minionMachine>;

export interface MinionEntry {
  readonly boltId: string;
  readonly ref: MinionRef;
}

export interface ShardContext {
  /**
   * The live minion of each cname in this shard. Owned by the shard actor and updated in place, so
   * a connect or a disconnect costs O(1) (copying a record per event made a fleet's start quadratic).
   * Readers must treat it as read-only.
   */
  readonly minions: Map<string, MinionEntry>;
  /** The tower's, shared by every minion: a minion's input is then its identity alone. */
  readonly defaults: MinionSettings;
}

/** What the tower routes to a shard. */
export type BoltEvent =
  | {
      readonly type: 'bolt.connected';
      readonly cname: string;
      readonly boltId: string;
      readonly link: MinionLink;
      readonly connectedAt?: number;
    }
  | {
      readonly type: 'bolt.capability';
      readonly cname: string;
      readonly boltId: string;
      readonly ports: readonly number[];
    }
  | {
      readonly type: 'bolt.closed';
      readonly cname: string;
      readonly boltId: string;
      readonly reason: string;
    };

export type ShardEvent =
  | BoltEvent
  | { readonly type: 'tower.shutdown' }
  // Sent by the actor system when a spawned minion reaches `removed`; listed so it can be handled typed.
  | { readonly type: `xstate.done.actor.${string}`; readonly output: MinionOutput }
  // Sent by the actor system when a minion throws (a host-injected function failed, say).
  | { readonly type: `xstate.error.actor.${string}`; readonly error: unknown };

/** Sent to the tower for each minion spawned, so it can announce it to the registry. */
export type MinionSpawned = { readonly type: 'minion.spawned'; readonly ref: MinionRef };

const ERROR_EVENT_PREFIX = 'xstate.error.actor.';

/** An assigner that drops a cname from the (in-place) minion map. */
const forget =
  (cname: string) =>
  ({ context }: { context: ShardContext }): Map<string, MinionEntry> => {
    context.minions.delete(cname);
    return context.minions;
  };

/** The system id of a cname's live minion. */
export const minionSystemId = (cname: string): string => `minion:${cname}`;

/** Unique per bolt, so a replaced minion's done event can never be mistaken for its successor's. */
const minionActorId = (cname: string, boltId: string): string => `minion:${cname}:${boltId}`;

const isCurrent = (context: ShardContext, cname: string, boltId: string): boolean =>
  context.minions.get(cname)?.boltId === boltId;

export const minionShardMachine = setup({
  types: {} as { context: ShardContext; input: MinionSettings; events: ShardEvent },
  actors: { minion: minionMachine },
  actions: {
    // Must run before `spawnMinion` in the same transition: stopping frees the system id at once.
    replaceMinion: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'bolt.connected') return;
      const old = context.minions.get(event.cname);
      if (!old) return;
      enqueue.sendTo(old.ref, { type: 'bolt.closed', reason: 'replaced' });
      enqueue(stopChild(old.ref));
    }),
    spawnMinion: assign({
      minions: ({ context, event, spawn }) => {
        if (event.type !== 'bolt.connected') return context.minions;
        const { cname, boltId, link, connectedAt } = event;
        const ref = spawn('minion', {
          id: minionActorId(cname, boltId),
          systemId: minionSystemId(cname),
          input: { cname, boltId, link, connectedAt, settings: context.defaults },
        });
        context.minions.set(cname, { boltId, ref });
        return context.minions;
      },
    }),
    announceMinion: sendParent(({ context, event }): MinionSpawned => {
      const entry = event.type === 'bolt.connected' ? context.minions.get(event.cname) : undefined;
      if (!entry) throw new Error('announceMinion runs right after spawnMinion');
      return { type: 'minion.spawned', ref: entry.ref };
    }),
    forwardToMinion: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'bolt.capability' && event.type !== 'bolt.closed') return;
      const entry = context.minions.get(event.cname);
      if (!entry) return;
      enqueue.sendTo(
        entry.ref,
        event.type === 'bolt.capability'
          ? { type: 'bolt.capability', ports: event.ports }
          : { type: 'bolt.closed', reason: event.reason },
      );
    }),
    forgetMinion: enqueueActions(({ context, event, enqueue }) => {
      if (!('output' in event)) return;
      const { cname } = event.output;
      const entry = context.minions.get(cname);
      if (!entry) return;
      enqueue(stopChild(entry.ref));
      enqueue.assign({ minions: forget(cname) });
    }),
    // A minion that threw is dead but its bolt is not: close it, or it would linger until the peer
    // gives up, and forget the minion so the agent's reconnection is a fresh start.
    dropFailedMinion: enqueueActions(({ context, event, enqueue }) => {
      if (!event.type.startsWith(ERROR_EVENT_PREFIX) || !('error' in event)) return;
      const actorId = event.type.slice(ERROR_EVENT_PREFIX.length);
      const found = [...context.minions].find(([, entry]) => entry.ref.id === actorId);
      if (!found) return;
      const [cname, { boltId, ref }] = found;
      enqueue(() => {
        ref.getSnapshot().context.link.close('minion failed');
        try {
          context.defaults.warn('minion actor failed; its bolt is closed', {
            cname,
            boltId,
            error: event.error,
          });
        } catch {
          // The hook that failed in the minion may well be this one: it must not take the tower down too.
        }
      });
      enqueue(stopChild(ref));
      enqueue.assign({ minions: forget(cname) });
    }),
    closeAllMinions: enqueueActions(({ context, enqueue }) => {
      for (const { ref } of context.minions.values()) {
        enqueue.sendTo(ref, { type: 'bolt.closed', reason: 'shutdown' });
      }
      enqueue.assign({ minions: new Map() });
    }),
  },
  guards: {
    hasLiveMinion: ({ context, event }) =>
      event.type === 'bolt.connected' && context.minions.has(event.cname),
    isCurrentBolt: ({ context, event }) =>
      (event.type === 'bolt.capability' || event.type === 'bolt.closed') &&
      isCurrent(context, event.cname, event.boltId),
    isCurrentMinion: ({ context, event }) =>
      'output' in event && isCurrent(context, event.output.cname, event.output.boltId),
  },
}).createMachine({
  id: 'minionShard',
  context: ({ input }) => ({ minions: new Map(), defaults: input }),
  initial: 'running',
  states: {
    running: {
      on: {
        'bolt.connected': [
          { guard: 'hasLiveMinion', actions: ['replaceMinion', 'spawnMinion', 'announceMinion'] },
          { actions: ['spawnMinion', 'announceMinion'] },
        ],
        'bolt.capability': { guard: 'isCurrentBolt', actions: 'forwardToMinion' },
        'bolt.closed': { guard: 'isCurrentBolt', actions: 'forwardToMinion' },
        'xstate.done.actor.*': { guard: 'isCurrentMinion', actions: 'forgetMinion' },
        'xstate.error.actor.*': { actions: 'dropFailedMinion' },
        'tower.shutdown': { target: 'stopped', actions: 'closeAllMinions' },
      },
    },
    // Reaching it stops every child; each was told `shutdown` first and closed its bolt.
    stopped: { type: 'final' },
  },
});
