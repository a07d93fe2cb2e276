/**
 * Change lag across the cluster: flip agents held by the first tower serve a new status document on
 * every poll while armed (bench/workers/flip-agent.ts, as in the change-feed scenario); one SSE
 * subscriber per tower notes each `changed` event's arrival on the shared monotonic clock. The lag at
 * the holding tower is the baseline; at the others it adds the trip through NATS (the holder's
 * compare-and-set write, the others' bucket watch and fold).
 */
import type { RunContext } from '../context.js';
import type { ClusterTower } from '../peers/cluster.js';
import { monotonicMs } from '../procs/clock.js';
import { request, sleep, waitFor } from '../procs/wait.js';
import { startWorker, type Worker } from '../procs/worker.js';
import type { Served } from '../workers/flip-agent.js';
import type { Arrival } from '../workers/sse-pool.js';
import { type Latencies, pair } from './change-feed.js';

const PREFIX = 'flip';

export interface LagSettings {
  readonly flips: number;
  readonly rounds: number;
  /** The towers' monitor interval: a flip agent's document changes once per poll. */
  readonly intervalMs: number;
  readonly statusPort: number;
}

export interface Lag {
  /** At the tower holding the flip agents (the baseline). */
  readonly local: Latencies;
  /** At every other tower. */
  readonly remote: Latencies;
}

const flipIds = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${PREFIX}-${String(i + 1).padStart(2, '0')}`);

/** Whether `apiUrl` lists every flip agent (HEAD /minions/:id, stopping at the first missing one). */
async function listsAll(apiUrl: string, ids: readonly string[]): Promise<boolean> {
  for (const id of ids) {
    const res = await request(`${apiUrl}/minions/${id}`, 'HEAD', 10_000).catch(() => undefined);
    if (res?.status !== 200) return false;
  }
  return true;
}

export async function measureLag(
  ctx: RunContext,
  towers: readonly ClusterTower[],
  dataDir: string,
  settings: LagSettings,
): Promise<Lag> {
  const [holder] = towers;
  if (holder === undefined) throw new Error('no tower to hold the flip agents');
  const flips = startWorker(ctx, 'flip-agent', [
    holder.boltUrl,
    dataDir,
    settings.flips,
    PREFIX,
    settings.statusPort,
  ]);
  const pools: Worker[] = [];
  try {
    await flips.next('ready', 120_000);
    const ids = flipIds(settings.flips);
    for (const tower of towers)
      await waitFor(
        `the flip agents at ${tower.towerId}`,
        async () => ((await listsAll(tower.apiUrl, ids)) ? true : undefined),
        { timeoutMs: 60_000, everyMs: 250 },
      );
    // One subscriber per tower, each its own process; subscriber numbers are the tower indexes.
    towers.forEach((tower, i) => {
      pools.push(startWorker(ctx, 'sse-pool', [`${tower.apiUrl}/minions/events`, 1, PREFIX, i]));
    });
    await Promise.all(pools.map((pool) => pool.next('ready', 120_000)));
    ctx.log(`cluster: every tower lists the flip agents; changing them for ${settings.rounds} polls`);
    const armedAt = monotonicMs();
    flips.send({ type: 'arm' });
    await sleep(settings.rounds * settings.intervalMs + 200);
    flips.send({ type: 'disarm' });
    // The last documents served may still be on their way through NATS.
    await sleep(Math.min(2000, settings.intervalMs));
    flips.send({ type: 'report' });
    const { served } = await flips.next<{ type: 'served'; served: Served[] }>('served', 10_000);
    const reports = await Promise.all(
      pools.map((pool) => {
        pool.send({ type: 'report' });
        return pool.next<{ type: 'events'; arrivals: Arrival[]; lost: number }>('events', 30_000);
      }),
    );
    const armed = served.filter((s) => s.at >= armedAt);
    const arrivals = (from: number, to: number) =>
      reports.slice(from, to).flatMap((r) => r.arrivals.filter((arrival) => arrival.at >= armedAt));
    const lost = (from: number, to: number) => reports.slice(from, to).reduce((sum, r) => sum + r.lost, 0);
    return {
      local: pair(armed, arrivals(0, 1), 1, lost(0, 1)),
      remote: pair(armed, arrivals(1, towers.length), towers.length - 1, lost(1, towers.length)),
    };
  } finally {
    await Promise.all([...pools, flips].map((proc) => proc.stop()));
  }
}
