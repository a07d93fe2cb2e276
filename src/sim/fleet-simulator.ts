/**
 * Many simulated agents in one process: each with its own certificate from the tower's CA, each
 * connected through the real bolt client over real TLS and WebSocket, each answering `GET /status`
 * from memory. Handshakes pass a gate of bounded width (see handshake-gate.ts), the first dials and
 * every reconnect alike, so neither a fleet's start nor a tower restart makes the simulator
 * handshake with thousands at the same instant.
 */
import type { BoltClient } from '../bolt/agent/connect-bolt.js';
import type { LocalResponse } from '../bolt/agent/local-responder.js';
import type { LoadedAuthority } from '../certs/authority.js';
import { createHandshakeGate } from './handshake-gate.js';
import { simulatedIdentities } from './identity-cache.js';
import { simulatedCnames } from './simulated-cnames.js';
import { SimulatedConnection } from './simulated-connection.js';
import { SimulatedMinion } from './simulated-minion.js';

export interface FleetOptions {
  readonly count: number;
  readonly towers: readonly string[];
  readonly authority: LoadedAuthority;
  /** Prefix of the agents' cnames: `<prefix>-0001`... */
  readonly prefix?: string;
  /** Mean seconds between package changes on one agent (0: never). */
  readonly changeEvery?: number;
  readonly statusPort?: number;
  readonly beaconInterval?: number;
  readonly beaconValidity?: number;
  /** Handshakes in flight at once, first dials and reconnects alike. */
  readonly connectConcurrency?: number;
  /** A file keeping the agents' certificates between runs (see identity-cache.ts). */
  readonly identityCache?: string;
}

export interface FleetProgress {
  /** Agents whose bolt is up. */
  readonly connected: number;
  /** Handshakes in flight, and dials waiting for one of the gate's slots. */
  readonly handshaking: number;
  readonly queued: number;
}

export interface SimulatedFleet {
  readonly minions: readonly SimulatedMinion[];
  /** Each agent's current bolt client (a reconnect replaces it). */
  readonly clients: readonly BoltClient[];
  /** Resolves once every agent has connected at least once. */
  readonly allConnected: Promise<void>;
  progress(): FleetProgress;
  close(): Promise<void>;
}

const json = (status: number, value: unknown): LocalResponse => ({
  status,
  headers: ['content-type', 'application/json; charset=utf-8'],
  body: JSON.stringify(value),
});

/** Installs or removes a package every `everyMs` on average, for as long as the fleet runs. */
function scheduleChanges(minion: SimulatedMinion, everyMs: number, timers: Set<NodeJS.Timeout>): void {
  const timer = setTimeout(
    () => {
      timers.delete(timer);
      minion.mutate();
      scheduleChanges(minion, everyMs, timers);
    },
    everyMs / 2 + Math.random() * everyMs,
  );
  timer.unref();
  timers.add(timer);
}

export async function startFleet(options: FleetOptions): Promise<SimulatedFleet> {
  const statusPort = options.statusPort ?? 5000;
  const everyMs = (options.changeEvery ?? 30) * 1000;
  const gate = createHandshakeGate(options.connectConcurrency ?? 64);
  const timers = new Set<NodeJS.Timeout>();
  const cnames = simulatedCnames(options.prefix ?? 'sim', options.count);
  // Every certificate first: dialling then runs at the tower's pace, not at the signer's.
  const { identities } = await simulatedIdentities(options.authority, cnames, options.identityCache);

  const minions: SimulatedMinion[] = [];
  const connections: SimulatedConnection[] = [];
  for (const cname of cnames) {
    const identity = identities.get(cname);
    if (!identity) throw new Error(`no identity for ${cname}`);
    const minion = new SimulatedMinion(cname);
    const connection = new SimulatedConnection(
      {
        towers: options.towers,
        ca: options.authority.certPem,
        cert: identity.certPem,
        key: identity.keyPem,
        allow: [statusPort],
        agentName: 'stormtower-simulator',
        ...(options.beaconInterval ? { beaconInterval: options.beaconInterval } : {}),
        ...(options.beaconValidity ? { beaconValidity: options.beaconValidity } : {}),
        respond: (request) =>
          request.method === 'GET' && request.path.split('?')[0] === '/status'
            ? json(200, minion.status())
            : json(404, { error: 'not found' }),
      },
      gate,
    );
    minions.push(minion);
    connections.push(connection);
    connection.start();
    if (everyMs > 0) scheduleChanges(minion, everyMs, timers);
  }

  return {
    minions,
    get clients() {
      return connections.flatMap((connection) => (connection.current ? [connection.current] : []));
    },
    allConnected: Promise.all(connections.map((connection) => connection.firstConnected)).then(
      () => undefined,
    ),
    progress: () => ({
      connected: connections.filter((connection) => connection.current?.connected).length,
      handshaking: gate.inFlight,
      queued: gate.waiting,
    }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(connections.map((connection) => connection.close()));
    },
  };
}
