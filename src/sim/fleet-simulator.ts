/**
 * Many simulated agents in one process: each with its own certificate from the tower's CA, each
 * connected through the real bolt client over real TLS and WebSocket, each answering `GET /status`
 * from memory. Connections are ramped with bounded concurrency so a thousand agents do not all
 * handshake in the same instant.
 */
import { type BoltClient, connectBolt } from '../bolt/agent/connect-bolt.js';
import type { LocalResponse } from '../bolt/agent/local-responder.js';
import type { LoadedAuthority } from '../certs/authority.js';
import { simulatedIdentities } from './identity-cache.js';
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
  /** Handshakes in flight at once while the fleet starts. */
  readonly connectConcurrency?: number;
  /** A file keeping the agents' certificates between runs (see identity-cache.ts). */
  readonly identityCache?: string;
}

export interface SimulatedFleet {
  readonly minions: readonly SimulatedMinion[];
  readonly clients: readonly BoltClient[];
  /** Resolves once every agent has connected at least once. */
  readonly allConnected: Promise<void>;
  close(): Promise<void>;
}

const json = (status: number, value: unknown): LocalResponse => ({
  status,
  headers: ['content-type', 'application/json; charset=utf-8'],
  body: JSON.stringify(value),
});

export async function startFleet(options: FleetOptions): Promise<SimulatedFleet> {
  const statusPort = options.statusPort ?? 5000;
  const width = String(options.count).length;
  const minions: SimulatedMinion[] = [];
  const clients: BoltClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  const connected: Promise<void>[] = [];
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const concurrency = options.connectConcurrency ?? 64;

  const cnames = Array.from(
    { length: options.count },
    (_, i) => `${options.prefix ?? 'sim'}-${String(i + 1).padStart(width, '0')}`,
  );
  // Every certificate first: dialling then runs at the tower's pace, not at the signer's.
  const identities = await simulatedIdentities(options.authority, cnames, options.identityCache);

  for (const [index, cname] of cnames.entries()) {
    const i = index + 1;
    const minion = new SimulatedMinion(cname);
    minions.push(minion);
    const identity = identities.get(cname);
    if (!identity) throw new Error(`no identity for ${cname}`);
    while (inFlight >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight++;
    const client = connectBolt({
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
    });
    clients.push(client);
    // A slot is freed by the first outcome of the first dial, so an unreachable tower cannot wedge the ramp.
    let slotHeld = true;
    const releaseSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      inFlight--;
      waiting.shift()?.();
    };
    client.once('retrying', releaseSlot);
    connected.push(
      new Promise<void>((resolve) => {
        client.once('connected', () => {
          releaseSlot();
          resolve();
        });
      }),
    );
    const everyMs = (options.changeEvery ?? 30) * 1000;
    if (everyMs > 0) {
      const schedule = () => {
        const timer = setTimeout(
          () => {
            minion.mutate();
            schedule();
          },
          everyMs / 2 + Math.random() * everyMs,
        );
        timer.unref();
        timers[i - 1] = timer;
      };
      schedule();
    }
  }

  return {
    minions,
    clients,
    allConnected: Promise.all(connected).then(() => undefined),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}
