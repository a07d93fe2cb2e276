/**
 * Wires the transport to the machines: every bolt in the bolt table becomes events for the tower
 * supervisor actor, which spawns one minion actor per bolt. Exposes the spawned minion actors as
 * an observable for the registry, and a per-cname lookup for `/clients`.
 */
import { Observable } from 'rxjs';
import { type Actor, createActor, type InspectionEvent } from 'xstate';
import type { MinionPollFailure, MinionState } from '../../machines/minion-snapshot.js';
import { findMinion, liveMinions, type MinionRef, towerMachine } from '../../machines/tower.machine.js';
import type { BoltTable } from '../link/bolt-table.js';
import type { Logger } from '../log/logger.js';
import { boltLink, type PollObserver, type StatusPollOptions } from './bolt-link.js';
import { indexedScheduling } from './indexed-scheduler.js';
import { RemovalWindow, type RemovedMinion } from './removal-window.js';

/** One live minion as the console's table shows it: its actor's state and its bolt's transport. */
export interface MinionDetail {
  readonly cname: string;
  readonly state: MinionState;
  readonly transport: string;
  readonly address: string;
  readonly ports: readonly number[];
  readonly connectedAt: number;
  readonly lastPollAt: number | null;
  readonly lastChangeAt: number | null;
  readonly checksum: string | null;
  readonly lastError: MinionPollFailure | null;
  readonly consecutiveFailures: number;
}

export interface FleetDetail {
  readonly minions: readonly MinionDetail[];
  /** Minions removed within the last hour (bounded, see removal-window.ts), oldest first. */
  readonly removed: readonly RemovedMinion[];
}

export interface FleetSettings {
  readonly monitorInterval: number;
  readonly capabilityTimeoutMs: number;
  readonly pollConcurrency: number;
  readonly status: StatusPollOptions;
  readonly inspect?: (event: InspectionEvent) => void;
  /** Told every status poll's outcome and duration (the tower's metrics). */
  readonly onPoll?: PollObserver;
}

export interface MinionFleet {
  readonly tower: Actor<typeof towerMachine>;
  /** Each minion actor once, as it is spawned. */
  readonly minions$: Observable<MinionRef>;
  /** The live minion's state and last poll error for a bolt, if that bolt has one. */
  status(
    cname: string,
    boltId: string,
  ): { state: MinionState; lastError: MinionPollFailure | null } | undefined;
  /** Every live minion with its bolt's transport and address, and the recently removed ones. */
  detail(): FleetDetail;
  stop(): void;
}

export function startMinionFleet(table: BoltTable, settings: FleetSettings, log: Logger): MinionFleet {
  // One timer per minion poll; XState would scan every one of them each time an actor stops.
  const scheduling = indexedScheduling();
  const tower = createActor(towerMachine, {
    clock: scheduling.clock,
    input: {
      monitorInterval: settings.monitorInterval,
      capabilityTimeout: settings.capabilityTimeoutMs,
      pollTimeout: settings.status.timeoutMs,
      pollConcurrency: settings.pollConcurrency,
      warn: (message, details) => log.warn(details, message),
    },
    ...(settings.inspect ? { inspect: settings.inspect } : {}),
  });
  scheduling.install(tower.system);
  tower.subscribe({ error: (error) => log.error({ err: error }, 'tower supervisor failed') });
  tower.start();

  const onConnected: Parameters<typeof table.on<'connected'>>[1] = (bolt) =>
    tower.send({
      type: 'bolt.connected',
      cname: bolt.cname,
      boltId: bolt.boltId,
      link: boltLink(bolt, settings.status, settings.onPoll),
      connectedAt: bolt.connectedAt.getTime(),
    });
  const onCapability: Parameters<typeof table.on<'capability'>>[1] = (bolt) =>
    tower.send({ type: 'bolt.capability', cname: bolt.cname, boltId: bolt.boltId, ports: bolt.ports ?? [] });
  const removals = new RemovalWindow();
  const onClosed: Parameters<typeof table.on<'closed'>>[1] = (bolt, { reason }) => {
    const entry = findMinion(tower.getSnapshot().context, bolt.cname);
    if (entry?.boltId === bolt.boltId) {
      removals.record({
        cname: bolt.cname,
        transport: bolt.transport,
        address: bolt.address,
        connectedAt: bolt.connectedAt.getTime(),
        removedAt: Date.now(),
        reason,
        checksum: entry.ref.getSnapshot().context.checksum,
      });
    }
    tower.send({ type: 'bolt.closed', cname: bolt.cname, boltId: bolt.boltId, reason });
  };
  table.on('connected', onConnected);
  table.on('capability', onCapability);
  table.on('closed', onClosed);

  // The minions alive now, then each new one as the supervisor announces it: O(1) per bolt.
  const minions$ = new Observable<MinionRef>((subscriber) => {
    for (const [, { ref }] of liveMinions(tower.getSnapshot().context)) subscriber.next(ref);
    const spawned = tower.on('minion.spawned', ({ ref }) => subscriber.next(ref));
    return () => spawned.unsubscribe();
  });

  return {
    tower,
    minions$,
    status(cname, boltId) {
      const entry = findMinion(tower.getSnapshot().context, cname);
      if (!entry || entry.boltId !== boltId) return undefined;
      const snapshot = entry.ref.getSnapshot();
      return { state: snapshot.value, lastError: snapshot.context.lastError };
    },
    detail() {
      const minions: MinionDetail[] = [];
      for (const [cname, { ref, boltId }] of liveMinions(tower.getSnapshot().context)) {
        const { value, context } = ref.getSnapshot();
        const bolt = table.get(cname);
        const current = bolt?.boltId === boltId ? bolt : undefined;
        minions.push({
          cname,
          state: value,
          transport: current?.transport ?? 'ws',
          address: current?.address ?? '',
          ports: context.ports,
          connectedAt: context.connectedAt,
          lastPollAt: context.lastPollAt,
          lastChangeAt: context.lastChangeAt,
          checksum: context.checksum,
          lastError: context.lastError,
          consecutiveFailures: context.consecutiveFailures,
        });
      }
      return { minions, removed: removals.recent(Date.now()) };
    },
    stop() {
      table.off('connected', onConnected);
      table.off('capability', onCapability);
      table.off('closed', onClosed);
      tower.send({ type: 'tower.shutdown' });
      tower.stop();
    },
  };
}
