/**
 * `stormtower demo --towers N`: N towers in one process, joined in a cluster on a throwaway local
 * nats-server, and one simulated fleet whose agents know every tower. Shows what a cluster adds:
 * every tower serves the whole fleet with one checksum, and relays to minions other towers hold.
 */
import { type AddressInfo, createServer } from 'node:net';
import { combineLatest, filter, firstValueFrom } from 'rxjs';
import type { LoadedAuthority } from '../certs/authority.js';
import { findNatsServer, type LocalNats, startLocalNats } from '../cluster/local-nats.js';
import type { TowerConfig } from '../config/tower-config.js';
import type { Logger } from '../log/logger.js';
import { type SimulatedFleet, startFleet } from '../sim/fleet-simulator.js';
import { type RunningTower, startTower, type TowerCredentials } from '../tower.js';

/** Towers the demo runs at most: ports apiPort..apiPort+8 and boltPort..boltPort+8. */
export const MAX_DEMO_TOWERS = 9;

export interface ClusterDemoOptions {
  readonly towers: number;
  readonly count: number;
  readonly changeEvery: number;
  readonly config: TowerConfig;
  readonly credentials: TowerCredentials;
  readonly authority: LoadedAuthority;
  readonly log: Logger;
}

export interface ClusterDemo {
  readonly nats: LocalNats;
  readonly towers: readonly RunningTower[];
  readonly fleet: SimulatedFleet;
  /** Resolves once every tower lists every simulated minion. */
  readonly allListed: Promise<void>;
  close(): Promise<void>;
}

/**
 * A port for a tower's relay listener, asked of the OS: its advertised URL must name the real port,
 * which port 0 would not.
 */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Port `base + i` for tower `i`; 0 (any free port) stays 0. */
const nthPort = (base: number, i: number): number => (base === 0 ? 0 : base + i);

/**
 * Starts nats-server, the towers one by one, then the fleet. Whatever was started is stopped again
 * if a later step fails, so a port in use never leaves a nats-server or a tower behind.
 */
export async function startClusterDemo(options: ClusterDemoOptions): Promise<ClusterDemo> {
  if (findNatsServer() === undefined)
    throw new Error(
      `--towers ${options.towers} runs a local NATS server, but nats-server is not installed (apt-get install nats-server)`,
    );
  const { config } = options;
  const nats = await startLocalNats();
  const towers: RunningTower[] = [];
  let fleet: SimulatedFleet | undefined;
  const close = async () => {
    await fleet?.close();
    await Promise.all(towers.map((tower) => tower.close()));
    await nats.close();
  };
  try {
    for (let i = 0; i < options.towers; i++) {
      const clusterPort = await freeLoopbackPort();
      const settings: TowerConfig = {
        ...config,
        apiPort: nthPort(config.apiPort, i),
        boltPort: nthPort(config.boltPort, i),
        cluster: [nats.url],
        towerId: `demo-${i + 1}`,
        clusterHost: '127.0.0.1',
        clusterPort,
        // The tower certificate names 127.0.0.1, so peers verify it on this address.
        clusterAdvertise: `https://127.0.0.1:${clusterPort}`,
      };
      towers.push(await startTower(settings, options.credentials, options.log));
    }
    fleet = await startFleet({
      count: options.count,
      towers: towers.map((tower) => tower.boltUrl),
      authority: options.authority,
      prefix: 'demo',
      changeEvery: options.changeEvery,
      statusPort: config.statusPort,
    });
  } catch (error) {
    await close();
    throw error;
  }
  const allListed = firstValueFrom(
    combineLatest(towers.map((tower) => tower.registry.view$)).pipe(
      filter((views) => views.every((view) => view.ids.length === options.count)),
    ),
  ).then(() => undefined);
  return { nats, towers, fleet, allListed, close };
}

/** The tower holding `cname`'s bolt, by index, if any. */
const holderOf = (towers: readonly RunningTower[], cname: string): number =>
  towers.findIndex((tower) => tower.table.get(cname) !== undefined);

/** What the demo prints once the fleet is up: each tower, then curl lines to try. */
export function clusterDemoText(demo: ClusterDemo, statusPort: number): string {
  const { towers, fleet } = demo;
  const first = fleet.minions[0]?.id ?? 'demo-1';
  const holder = Math.max(0, holderOf(towers, first));
  const other = towers[(holder + 1) % towers.length] ?? towers[0];
  const api = (i: number) => towers[i]?.apiUrl ?? '';
  const width = Math.max(...towers.map((tower) => tower.apiUrl.length));
  return [
    `stormtower demo: ${towers.length} towers in a cluster on ${demo.nats.url}, ${fleet.minions.length} simulated minions spread over them`,
    '',
    ...towers.map(
      (tower, i) =>
        `  demo-${i + 1}  API ${tower.apiUrl.padEnd(width)}  bolt ${tower.boltUrl}  holds ${tower.table.size}`,
    ),
    '',
    ...(towers[0]?.consoleUrl
      ? [`Open the fleet console (any tower shows the whole fleet): ${towers[0].consoleUrl}`, '']
      : []),
    'Try, in another terminal:',
    ...towers.map(
      (tower) => `  curl -sI ${tower.apiUrl}/minions | grep -i content-md5   # the same on every tower`,
    ),
    `  curl -s ${api(0)}/clients | head -c 600; echo        # "tower": held by another tower`,
    `  curl -N ${api(towers.length - 1)}/minions/events     # changes from every tower`,
    `  curl -s ${other?.apiUrl}/proxy/${first}@${statusPort}/status | head -c 300; echo   # ${first} is held by demo-${holder + 1}`,
    '',
    'Ctrl-C stops the demo.',
    '',
  ].join('\n');
}
