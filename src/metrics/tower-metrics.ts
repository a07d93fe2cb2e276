/**
 * The tower's Prometheus metrics, in a registry of its own (tests run several towers in one
 * process; the global registry would mix them). Counters are fed by the bolt table's events, the
 * registry's change stream and the observers handed to the API and the fleet; gauges are read
 * when scraped. The process's default metrics (event-loop delay, GC, memory) are appended.
 */
import { Registry } from 'prom-client';
import type { ApiObserver } from '../api/api-observer.js';
import type { PollObserver } from '../fleet/bolt-link.js';
import type { BoltTable } from '../link/bolt-table.js';
import type { MinionRegistry } from '../registry/minion-registry.js';
import { watchBolts } from './bolt-metrics.js';
import { processMetrics } from './process-metrics.js';
import { watchRegistry } from './registry-metrics.js';
import {
  feedMetrics,
  type PeerRelayObservers,
  peerRelayMetrics,
  pollMetrics,
  relayMetrics,
} from './traffic-metrics.js';

export interface TowerMetrics {
  readonly registry: Registry;
  /** For `createApp`: relays, event streams, and `GET /metrics`. */
  readonly api: Required<ApiObserver>;
  /** For the fleet: every status poll. */
  readonly onPoll: PollObserver;
  /** For the cluster's relays: those handed to a peer tower, and those served for one. */
  readonly peers: PeerRelayObservers;
  /** Follows the bolt table and the minion registry until `close`. */
  watch(table: BoltTable, minions: MinionRegistry): void;
  close(): void;
}

export function createTowerMetrics(): TowerMetrics {
  const registry = new Registry();
  const process = processMetrics();
  const stops: (() => void)[] = [];
  return {
    registry,
    api: {
      relay: relayMetrics(registry),
      feed: feedMetrics(registry),
      // Two expositions one after the other are one exposition: no family is in both.
      scrape: async () => ({
        contentType: registry.contentType,
        body: (await registry.metrics()) + (await process.metrics()),
      }),
    },
    onPoll: pollMetrics(registry),
    peers: peerRelayMetrics(registry),
    watch(table, minions) {
      stops.push(watchBolts(table, registry), watchRegistry(minions, registry));
    },
    close() {
      for (const stop of stops.splice(0)) stop();
      registry.clear();
    },
  };
}
