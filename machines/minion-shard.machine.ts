/**
 * One shard of the tower's minions: a `minionMachine` child per live bolt whose cname hashes here,
 * registered in the actor system as `minion:<cname>`, fed the `bolt.*` events the tower routes to it.
 *
 * Why shards: XState keeps an actor's children in a plain object that it copies on every spawn and
 * every stop, so one supervisor of every minion made a fleet's start quadratic. Spread over the
 * tower's 256 shards, a copy holds about forty at 10,000, and so does the shard's own map.
 *
 * The bolt table decides which bolt is a cname's current one: it delivers a replaced bolt's
 * `bolt.closed` before its successor's `bolt.connected`, and nothing about a bolt after its
 * `bolt.closed`. So `bolt.connected` spawns, and `bolt.closed` tells the minion and forgets it at
 * once, freeing the system id for the successor. A minion that ends on its own is forgotten through
 * its `xstate.done.actor.*` event, unless a successor holds the cname by then; one that throws is
 * forgotten and its bolt closed.
 */
import { type ActorRefFrom, assign, enqueueActions, raise, setup } from 'xstate';
import { type MinionSettings, minionMachine } from './minion.machine.js';
import type { MinionOutput } from './minion-events.js';
import type { MinionLink } from './minion-link.js';

export type MinionRef = ActorRefFrom<typeof minionMachine>;

export interface MinionEntry {
  readonly boltId: string;
  readonly ref: MinionRef;
}

export interface ShardContext {
  /** The live minion of each cname in this shard; replaced, never changed (about forty entries). */
  readonly minions: ReadonlyMap<string, MinionEntry>;
  /** The tower's, shared by every minion: a minion's input is then its identity alone. */
  readonly defaults: MinionSettings;
}

type BoltConnected = {
  readonly type: 'bolt.connected';
  readonly cname: string;
  readonly boltId: string;
  readonly link: MinionLink;
  readonly connectedAt?: number;
};

/** What the tower routes to a shard. */
export type BoltEvent =
  | BoltConnected
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
  // Raised by the shard once a spawned minion is in its map, so announcing it reads the map as it is.
  | { readonly type: 'minion.admitted'; readonly cname: string }
  // Sent by the actor system when a spawned minion reaches `removed`; listed so it can be handled typed.
  | { readonly type: `xstate.done.actor.${string}`; readonly output: MinionOutput }
  // Sent by the actor system when a minion throws (a host-injected function failed, say).
  | { readonly type: `xstate.error.actor.${string}`; readonly error: unknown };

/** Sent to the tower for each minion spawned, so it can announce it to the registry. */
export type MinionSpawned = { readonly type: 'minion.spawned'; readonly ref: MinionRef };

/** The system id of a cname's live minion. */
export const minionSystemId = (cname: string): string => `minion:${cname}`;

/** Unique per bolt, so a replaced minion's done event can never be mistaken for its successor's. */
const minionActorId = (cname: string, boltId: string): string => `minion:${cname}:${boltId}`;

const ERROR_EVENT_PREFIX = 'xstate.error.actor.';

function withMinion(minions: ReadonlyMap<string, MinionEntry>, cname: string, entry: MinionEntry) {
  return new Map(minions).set(cname, entry);
}

function withoutMinion(minions: ReadonlyMap<string, MinionEntry>, cname: string) {
  const copy = new Map(minions);
  copy.delete(cname);
  return copy;
}

export const minionShardMachine = setup({
  types: {} as { context: ShardContext; input: MinionSettings; events: ShardEvent },
  actors: { minion: minionMachine },
  actions: {
    spawnMinion: assign(
      ({ context, spawn }, { cname, boltId, link, connectedAt }: Omit<BoltConnected, 'type'>) => {
        const ref = spawn('minion', {
          id: minionActorId(cname, boltId),
          systemId: minionSystemId(cname),
          input: { cname, boltId, link, connectedAt, settings: context.defaults },
        });
        return { minions: withMinion(context.minions, cname, { boltId, ref }) };
      },
    ),
    noteAdmitted: raise((_, params: { cname: string }) => ({ type: 'minion.admitted' as const, ...params })),
    announceMinion: enqueueActions(({ context, enqueue }, params: { cname: string }) => {
      const entry = context.minions.get(params.cname);
      if (entry) enqueue.sendParent({ type: 'minion.spawned', ref: entry.ref } satisfies MinionSpawned);
    }),
    forwardCapability: enqueueActions(
      ({ context, enqueue }, params: { cname: string; ports: readonly number[] }) => {
        const entry = context.minions.get(params.cname);
        if (entry) enqueue.sendTo(entry.ref, { type: 'bolt.capability', ports: params.ports });
      },
    ),
    // Told, stopped and forgotten in one step: the successor's `bolt.connected` may be next in line.
    removeMinion: enqueueActions(({ context, enqueue }, params: { cname: string; reason: string }) => {
      const entry = context.minions.get(params.cname);
      if (!entry) return;
      enqueue.sendTo(entry.ref, { type: 'bolt.closed', reason: params.reason });
      enqueue.stopChild(entry.ref);
      enqueue.assign({ minions: withoutMinion(context.minions, params.cname) });
    }),
    forgetMinion: enqueueActions(({ context, enqueue }, params: { cname: string }) => {
      const entry = context.minions.get(params.cname);
      if (!entry) return;
      enqueue.stopChild(entry.ref);
      enqueue.assign({ minions: withoutMinion(context.minions, params.cname) });
    }),
    // A minion that threw is dead but its bolt is not: close it, or it would linger until the peer
    // gives up, and forget the minion so the agent's reconnection is a fresh start.
    dropFailedMinion: enqueueActions(({ context, enqueue }, params: { actorId: string; error: unknown }) => {
      const found = [...context.minions].find(([, entry]) => entry.ref.id === params.actorId);
      if (!found) return;
      const [cname, { boltId, ref }] = found;
      enqueue(() => {
        ref.getSnapshot().context.link.close('minion failed');
        try {
          context.defaults.warn('minion actor failed; its bolt is closed', {
            cname,
            boltId,
            error: params.error,
          });
        } catch {
          // The hook that failed in the minion may well be this one: it must not take the tower down too.
        }
      });
      enqueue.stopChild(ref);
      enqueue.assign({ minions: withoutMinion(context.minions, cname) });
    }),
    closeAllMinions: enqueueActions(({ context, enqueue }) => {
      for (const { ref } of context.minions.values()) {
        enqueue.sendTo(ref, { type: 'bolt.closed', reason: 'shutdown' });
      }
      enqueue.assign({ minions: new Map() });
    }),
  },
  guards: {
    // A replaced minion's done event can arrive after its successor took the cname.
    holdsCname: ({ context }, params: { cname: string; boltId: string }) =>
      context.minions.get(params.cname)?.boltId === params.boltId,
  },
}).createMachine({
  id: 'minionShard',
  context: ({ input }) => ({ minions: new Map(), defaults: input }),
  initial: 'running',
  states: {
    running: {
      on: {
        'bolt.connected': {
          actions: [
            {
              type: 'spawnMinion',
              params: ({ event: { cname, boltId, link, connectedAt } }) => ({
                cname,
                boltId,
                link,
                connectedAt,
              }),
            },
            { type: 'noteAdmitted', params: ({ event }) => ({ cname: event.cname }) },
          ],
        },
        'minion.admitted': {
          actions: { type: 'announceMinion', params: ({ event }) => ({ cname: event.cname }) },
        },
        'bolt.capability': {
          actions: {
            type: 'forwardCapability',
            params: ({ event }) => ({ cname: event.cname, ports: event.ports }),
          },
        },
        'bolt.closed': {
          actions: {
            type: 'removeMinion',
            params: ({ event }) => ({ cname: event.cname, reason: event.reason }),
          },
        },
        'xstate.done.actor.*': {
          guard: {
            type: 'holdsCname',
            params: ({ event }) => ({ cname: event.output.cname, boltId: event.output.boltId }),
          },
          actions: { type: 'forgetMinion', params: ({ event }) => ({ cname: event.output.cname }) },
        },
        'xstate.error.actor.*': {
          actions: {
            type: 'dropFailedMinion',
            params: ({ event }) => ({
              actorId: event.type.slice(ERROR_EVENT_PREFIX.length),
              error: event.error,
            }),
          },
        },
        'tower.shutdown': { target: 'stopped', actions: 'closeAllMinions' },
      },
    },
    // Reaching it stops every child; each was told `shutdown` first and closed its bolt.
    stopped: { type: 'final' },
  },
});
