/**
 * Towers in a cluster, each its own `stormtower start --cluster ... --tower-id ...` process, started
 * at the same moment as an operator's deployment would start them, plus the simulators whose agents
 * know every tower (`stormtower simulate --tower a --tower b ...`).
 */
import type { RunContext } from '../context.js';
import { freePort } from '../procs/ports.js';
import type { Spawned } from '../procs/spawn.js';
import { startSimulator, startTower, type Tower } from './stormtower.js';

export interface ClusterTower extends Tower {
  readonly towerId: string;
}

export interface ClusterOptions {
  readonly dataDir: string;
  readonly natsUrl: string;
  readonly towers: number;
  /** Further `stormtower start` flags, the same for every tower. */
  readonly flags: readonly string[];
}

/** `cluster-1`, `cluster-2`...: the tower ids, also used as labels in the report. */
export const towerId = (i: number): string => `cluster-${i + 1}`;

/**
 * Starts every tower at once and resolves when all answer `/health`. Each relay listener is on its
 * own loopback port, advertised as 127.0.0.1 (a name the tower certificate carries).
 */
export async function startClusterTowers(ctx: RunContext, options: ClusterOptions): Promise<ClusterTower[]> {
  const ports = [];
  for (let i = 0; i < options.towers; i++)
    ports.push({ apiPort: await freePort(), boltPort: await freePort(), relayPort: await freePort() });
  const started = await Promise.allSettled(
    ports.map(async ({ apiPort, boltPort, relayPort }, i) => {
      const flags = [
        ...['--cluster', options.natsUrl, '--tower-id', towerId(i)],
        ...['--cluster-host', '127.0.0.1', '--cluster-port', String(relayPort)],
        ...['--cluster-advertise', `https://127.0.0.1:${relayPort}`],
        ...options.flags,
      ];
      const tower = await startTower(ctx, { dataDir: options.dataDir, apiPort, boltPort, flags });
      return { ...tower, towerId: towerId(i) };
    }),
  );
  const towers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    for (const tower of towers) await tower.proc.stop();
    throw failed.reason;
  }
  return towers;
}

export interface FleetPart {
  readonly prefix: string;
  readonly count: number;
}

/** One simulator process per part, each agent given every tower's bolt URL (a random one first). */
export function startSimulators(
  ctx: RunContext,
  options: {
    readonly dataDir: string;
    readonly boltUrls: readonly string[];
    readonly parts: readonly FleetPart[];
    readonly flags: readonly string[];
  },
): Spawned[] {
  const [first = '', ...others] = options.boltUrls;
  return options.parts.map((part) =>
    startSimulator(ctx, {
      count: part.count,
      boltUrl: first,
      dataDir: options.dataDir,
      prefix: part.prefix,
      flags: [...others.flatMap((url) => ['--tower', url]), ...options.flags],
    }),
  );
}
