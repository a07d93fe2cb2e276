/**
 * A tower's drain, the first SIGTERM's work: stop taking new bolts, API connections and relays,
 * have `/ready` say `draining`, let the relays in flight finish (up to the drain timeout; the rest
 * are cut and counted), tell event-stream subscribers to reconnect and agents to redial after a
 * jittered delay, stop, and say what happened in one line.
 *
 * The order matters. Bolts stay up until the relays are done: a relay runs over its minion's bolt.
 * The event streams end at once: nothing they could learn here is worth holding them. The cluster is
 * left before agents are told to redial (the tower's close does both), so the towers they land on
 * can take their minions over.
 */
import type { RelayTracker } from './api/relay-tracker.js';
import type { TowerPhase } from './api/tower-phase.js';
import type { Logger } from './log/logger.js';

/** What a drain counts as it goes, fed by the API's hooks. */
export class DrainCounters {
  subscribersTold = 0;
  relaysRefused = 0;
}

export interface DrainParts {
  readonly log: Logger;
  readonly relays: RelayTracker;
  readonly counters: DrainCounters;
  /** How long relays in flight may run once the drain has begun (ms). */
  readonly timeoutMs: number;
  readonly setPhase: (phase: TowerPhase) => void;
  /** Stops the bolt and API listeners taking new connections; what they hold goes on. */
  stopAccepting(): void;
  /** Ends every event stream with its final `shutdown` event. */
  endEventStreams(): void;
  /** Bolts that will be told to redial (every bolt of the table; legacy ones are just closed). */
  boltCount(): number;
  /** The tower's close, telling the bolts to redial (with a spread) once the cluster is left. */
  close(): Promise<void>;
}

export interface DrainSummary {
  /** Relays in flight when the drain began that finished within the drain timeout. */
  readonly relaysFinished: number;
  readonly relaysCut: number;
  /** New relays answered 503 `draining` meanwhile. */
  readonly relaysRefused: number;
  readonly boltsToldToRedial: number;
  readonly subscribersToldToReconnect: number;
  readonly seconds: number;
}

export async function drainTower(parts: DrainParts): Promise<DrainSummary> {
  const { log, relays, counters, timeoutMs } = parts;
  const began = performance.now();
  parts.setPhase('draining');
  parts.stopAccepting();
  const inFlight = relays.size;
  log.info(
    { relays: inFlight, drainTimeout: timeoutMs / 1000 },
    'draining: no new bolts, API connections or relays; waiting for the relays in flight',
  );
  parts.endEventStreams();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    relays.whenIdle().then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  const relaysCut = timedOut ? relays.cutAll() : 0;
  if (relaysCut > 0)
    log.warn({ relaysCut, drainTimeout: timeoutMs / 1000 }, 'drain timeout: relays still in flight were cut');
  const boltsToldToRedial = parts.boltCount();
  await parts.close();
  return {
    relaysFinished: Math.max(0, inFlight - relaysCut),
    relaysCut,
    relaysRefused: counters.relaysRefused,
    boltsToldToRedial,
    subscribersToldToReconnect: counters.subscribersTold,
    seconds: Math.round((performance.now() - began) / 100) / 10,
  };
}

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

/** The summary as one sentence, e.g. `drained: 3 relays finished, 1 cut at the drain timeout, ...`. */
export function describeDrain(summary: DrainSummary): string {
  const parts = [
    `${plural(summary.relaysFinished, 'relay', 'relays')} finished`,
    `${summary.relaysCut} cut at the drain timeout`,
    ...(summary.relaysRefused > 0 ? [`${summary.relaysRefused} refused`] : []),
    `${plural(summary.boltsToldToRedial, 'bolt', 'bolts')} told to redial`,
    `${plural(summary.subscribersToldToReconnect, 'event subscriber', 'event subscribers')} told to reconnect`,
    `${summary.seconds.toFixed(1)} s`,
  ];
  return `drained: ${parts.join(', ')}`;
}
