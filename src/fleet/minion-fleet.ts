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
  const onClosed: Parameters<typeof table.on<'closed'>>[1] = (bolt, { reason }) =>
    tower.send({ type: 'bolt.closed', cname: bolt.cname, boltId: bolt.boltId, reason });
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
    stop() {
      table.off('connected', onConnected);
      table.off('capability', onCapability);
      table.off('closed', onClosed);
      tower.send({ type: 'tower.shutdown' });
      tower.stop();
    },
  };
}
