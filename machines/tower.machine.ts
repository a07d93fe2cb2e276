/**
 * The tower supervisor: routes the transport's `bolt.*` events to the shard that owns the cname,
 * which spawns and supervises one `minionMachine` per live bolt (see `minion-shard.machine.ts` for
 * the minion's lifecycle and why there are shards), and announces each new minion to its listeners.
 *
 * A cname always hashes to the same shard, so everything about one cname (a replacing bolt, a late
 * close) is decided in one place, in order. Shards are spawned on first use: a small fleet shows the
 * operator a tower with a few shards, not a wall of empty ones.
 */
import { type ActorRefFrom, assign, emit, enqueueActions, setup } from 'xstate';
import { type MinionSettings, type MinionTimings, minionSettings, type Warn } from './minion.machine.js';
import {
  type BoltEvent,
  type MinionEntry,
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
    // Must run before `routeToShard` in the same transition.
    spawnShard: assign({
      shards: ({ context, event, spawn }) => {
        if (event.type !== 'bolt.connected') return context.shards;
        const index = shardOf(event.cname);
        if (context.shards[index]) return context.shards;
        const shards = [...context.shards];
        shards[index] = spawn('shard', { id: shardActorId(index), input: context.defaults });
        return shards;
      },
    }),
    routeToShard: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'bolt.connected' && event.type !== 'bolt.capability' && event.type !== 'bolt.closed')
        return;
      const shard = context.shards[shardOf(event.cname)];
      if (shard) enqueue.sendTo(shard, event);
    }),
    announceMinion: emit(({ event }) => {
      if (event.type !== 'minion.spawned') throw new Error('announceMinion handles minion.spawned');
      return event;
    }),
    // Its minions went with it; their agents reconnect into a fresh shard.
    dropFailedShard: enqueueActions(({ context, event, enqueue }) => {
      if (!('error' in event)) return;
      const actorId = event.type.slice('xstate.error.actor.'.length);
      const index = context.shards.findIndex((shard) => shard?.id === actorId);
      if (index < 0) return;
      enqueue(() => {
        try {
          context.defaults.warn('minion shard failed; its minions are dropped', {
            actorId,
            error: event.error,
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
        'bolt.connected': { actions: ['spawnShard', 'routeToShard'] },
        'bolt.capability': { actions: 'routeToShard' },
        'bolt.closed': { actions: 'routeToShard' },
        'minion.spawned': { actions: 'announceMinion' },
        'xstate.error.actor.*': { actions: 'dropFailedShard' },
        'tower.shutdown': { target: 'stopped', actions: 'shutdownShards' },
      },
    },
    // Reaching it stops every shard; each was told `shutdown` first and had its minions close their bolts.
    stopped: { type: 'final' },
  },
});
