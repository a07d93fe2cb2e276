/**
 * The tower supervisor: routes the transport's `bolt.*` events to the shard that owns the cname,
 * which spawns and supervises one `minionMachine` per live bolt (see `minion-shard.machine.ts` for
 * the minion's lifecycle and why there are shards), and announces each new minion to its listeners.
 *
 * A cname always hashes to the same shard, so everything about one cname (a replacing bolt, a late
 * close) is decided in one place, in order. Shards are spawned on first use: a small fleet shows the
 * operator a tower with a few shards, not a wall of empty ones.
 */
import { type ActorRefFrom, assign, emit, enqueueActions, raise, setup } from 'xstate';
import { type MinionSettings, type MinionTimings, minionSettings, type Warn } from './minion.machine.js';
import {
  type BoltEvent,
  type MinionEntry,
  type MinionRef,
  type MinionSpawned,
  minionShardMachine,
} from './minion-shard.machine.js';
import { createPollSlots } from './poll-slots.js';

export { type MinionEntry, type MinionRef, minionSystemId } from './minion-shard.machine.js';

type ShardRef = ActorRefFrom<typeof minionShardMachine>;

/** About forty minions a shard at 10,000: spawning and stopping one copies that many entries, not all. */
export const SHARD_COUNT = 256;

export interface TowerInput extends MinionTimings {
  /** Polls in flight at once across all minions; default unlimited. */
  readonly pollConcurrency?: number;
  readonly jitter?: () => number;
  readonly warn?: Warn;
  readonly now?: () => number;
}

export interface TowerContext {
  /** Shard `k` owns the cnames that hash to `k`; undefined until its first cname arrives. */
  readonly shards: readonly (ShardRef | undefined)[];
  /** Resolved once and shared by every minion: a minion's input is then its identity alone. */
  readonly defaults: MinionSettings;
}

export type TowerEvent =
  | BoltEvent
  | MinionSpawned
  | { readonly type: 'tower.shutdown' }
  // Sent by the actor system if a shard throws; shards catch their minions' failures, so only a bug.
  | { readonly type: `xstate.error.actor.${string}`; readonly error: unknown };

/** Told to `tower.on(...)` listeners: a new minion actor exists (the registry folds it in). */
export type TowerEmitted = MinionSpawned;

/** FNV-1a: cheap, and spreads similar cnames (`agent-0001`, `agent-0002`) across shards. */
export function shardOf(cname: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < cname.length; i++) {
    hash ^= cname.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % SHARD_COUNT;
}

const shardActorId = (index: number): string => `shard:${index}`;

const ERROR_EVENT_PREFIX = 'xstate.error.actor.';

/** The live minion of a cname, if it has one. */
export function findMinion(context: TowerContext, cname: string): MinionEntry | undefined {
  return context.shards[shardOf(cname)]?.getSnapshot().context.minions.get(cname);
}

/** Every live minion, shard by shard. */
export function* liveMinions(context: TowerContext): Generator<[string, MinionEntry]> {
  for (const shard of context.shards) if (shard) yield* shard.getSnapshot().context.minions;
}

export const towerMachine = setup({
  types: {} as { context: TowerContext; input: TowerInput; events: TowerEvent; emitted: TowerEmitted },
  actors: { shard: minionShardMachine },
  actions: {
    spawnShard: assign({
      shards: ({ context, spawn }, params: { index: number }) =>
        context.shards.map((shard, k) =>
          k === params.index ? spawn('shard', { id: shardActorId(k), input: context.defaults }) : shard,
        ),
    }),
    // Handled again once the shard exists, by the transition that routes it.
    retry: raise((_, params: { event: BoltEvent }) => params.event),
    routeToShard: enqueueActions(({ context, enqueue }, params: { event: BoltEvent }) => {
      const shard = context.shards[shardOf(params.event.cname)];
      if (shard) enqueue.sendTo(shard, params.event);
    }),
    announceMinion: emit(
      (_, params: { ref: MinionRef }): TowerEmitted => ({
        type: 'minion.spawned',
        ref: params.ref,
      }),
    ),
    // Its minions went with it; their agents reconnect into a fresh shard.
    dropFailedShard: enqueueActions(({ context, enqueue }, params: { actorId: string; error: unknown }) => {
      const index = context.shards.findIndex((shard) => shard?.id === params.actorId);
      if (index < 0) return;
      enqueue(() => {
        try {
          context.defaults.warn('minion shard failed; its minions are dropped', {
            actorId: params.actorId,
            error: params.error,
          });
        } catch {
          // A failing logger must not take the tower down.
        }
      });
      enqueue.assign({ shards: context.shards.map((shard, k) => (k === index ? undefined : shard)) });
    }),
    shutdownShards: enqueueActions(({ context, enqueue }) => {
      for (const shard of context.shards) if (shard) enqueue.sendTo(shard, { type: 'tower.shutdown' });
    }),
  },
  guards: {
    hasShardFor: ({ context }, params: { cname: string }) =>
      context.shards[shardOf(params.cname)] !== undefined,
  },
}).createMachine({
  id: 'tower',
  context: ({ input }) => {
    const { pollConcurrency, ...options } = input;
    return {
      shards: Array.from({ length: SHARD_COUNT }, () => undefined),
      defaults: minionSettings({ ...options, pollSlots: createPollSlots(pollConcurrency) }),
    };
  },
  initial: 'running',
  states: {
    running: {
      on: {
        'bolt.connected': [
          {
            guard: { type: 'hasShardFor', params: ({ event }) => ({ cname: event.cname }) },
            actions: { type: 'routeToShard', params: ({ event }) => ({ event }) },
          },
          {
            actions: [
              { type: 'spawnShard', params: ({ event }) => ({ index: shardOf(event.cname) }) },
              { type: 'retry', params: ({ event }) => ({ event }) },
            ],
          },
        ],
        // A cname without a shard has no minion: there is nobody to tell.
        'bolt.capability': { actions: { type: 'routeToShard', params: ({ event }) => ({ event }) } },
        'bolt.closed': { actions: { type: 'routeToShard', params: ({ event }) => ({ event }) } },
        'minion.spawned': {
          actions: { type: 'announceMinion', params: ({ event }) => ({ ref: event.ref }) },
        },
        'xstate.error.actor.*': {
          actions: {
            type: 'dropFailedShard',
            params: ({ event }) => ({
              actorId: event.type.slice(ERROR_EVENT_PREFIX.length),
              error: event.error,
            }),
          },
        },
        'tower.shutdown': { target: 'stopped', actions: 'shutdownShards' },
      },
    },
    // Reaching it stops every shard; each was told `shutdown` first and had its minions close their bolts.
    stopped: { type: 'final' },
  },
});
