/**
 * What the tower does for its clients, counted through the observers the API and the fleet are
 * handed: relays by outcome with their time to the response head and body bytes, status polls by
 * outcome with their duration, and the `/minions/events` streams.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FeedObserver, RelayObserver } from '../api/api-observer.js';
import type { PollObserver } from '../fleet/bolt-link.js';

// From a loopback round trip to the relay timeout's default (20 s).
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];

export function relayMetrics(registry: Registry): RelayObserver {
  const relays = new Counter({
    name: 'stormtower_relays_total',
    help: "Relayed exchanges, by the agent's status class, or error when the relay failed",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'stormtower_relay_duration_seconds',
    help: 'Time from the start of a relay to the response head (or the relay error)',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'stormtower_relay_body_bytes_total',
    help: 'Relayed body bytes: request (client to agent) and response (agent to client)',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  return {
    relayed(outcome, seconds) {
      relays.inc({ outcome });
      duration.observe(seconds);
    },
    bytes(direction, count) {
      bytes.inc({ direction }, count);
    },
  };
}

/** Which way a relay crossed to a peer tower: handed to the tower holding the minion, or served for one. */
export type PeerRoute = 'to-peer' | 'from-peer';

export type PeerRelayObservers = Readonly<Record<PeerRoute, RelayObserver>>;

/**
 * Relays between the towers of a cluster, by route. A relay this tower hands to a peer is also one
 * of its `stormtower_relays_total`; one it serves for a peer is counted here only. No cname or
 * tower label: both grow with the cluster.
 */
export function peerRelayMetrics(registry: Registry): PeerRelayObservers {
  const relays = new Counter({
    name: 'stormtower_peer_relays_total',
    help: "Relays to or from a peer tower, by route and by the agent's status class, or error when the relay failed",
    labelNames: ['route', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'stormtower_peer_relay_duration_seconds',
    help: 'Time from the start of a relay to or from a peer tower to the response head (or the relay error)',
    labelNames: ['route'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'stormtower_peer_relay_body_bytes_total',
    help: 'Body bytes of relays to or from a peer tower: request (client to agent) and response (agent to client)',
    labelNames: ['route', 'direction'] as const,
    registers: [registry],
  });
  const observer = (route: PeerRoute): RelayObserver => ({
    relayed(outcome, seconds) {
      relays.inc({ route, outcome });
      duration.observe({ route }, seconds);
    },
    bytes(direction, count) {
      bytes.inc({ route, direction }, count);
    },
  });
  return { 'to-peer': observer('to-peer'), 'from-peer': observer('from-peer') };
}

export function pollMetrics(registry: Registry): PollObserver {
  const polls = new Counter({
    name: 'stormtower_polls_total',
    help: 'Status polls, by outcome: ok, or the poll error code',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'stormtower_poll_duration_seconds',
    help: 'Time a status poll took, head and body, whatever its outcome',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  return (outcome, seconds) => {
    polls.inc({ outcome });
    duration.observe(seconds);
  };
}

export function feedMetrics(registry: Registry): FeedObserver {
  const counts: (() => number)[] = [];
  new Gauge({
    name: 'stormtower_event_stream_subscribers',
    help: 'Open /minions/events streams',
    registers: [registry],
    collect() {
      this.set(counts.reduce((sum, count) => sum + count(), 0));
    },
  });
  const dropped = new Counter({
    name: 'stormtower_event_stream_dropped_total',
    help: 'Event-stream subscribers dropped for leaving more than feedBacklogLimit unread',
    registers: [registry],
  });
  return {
    subscribers(count) {
      counts.push(count);
    },
    dropped() {
      dropped.inc();
    },
  };
}
