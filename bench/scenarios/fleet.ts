/**
 * Fleet: N simulated minions (`stormtower simulate`, its own process) against one tower, for N up
 * to 10,000 as far as the machine and the run's time budget allow. For each N: seconds from tower
 * start until all are ready; the tower's RSS and CPU at steady state (default 15 s monitor
 * interval, the simulator's default change rate); HEAD /minions and GET /minions/:id latency under
 * that load; GET /minions; and the reconnect storm after a tower restart. Baseline: an idle tower.
 */
import os from 'node:os';
import { freshDir, type RunContext } from '../context.js';
import { mib, ms, seconds } from '../format.js';
import {
  certsInit,
  issueSimulatorIdentities,
  startSimulator,
  startTower,
  type Tower,
} from '../peers/stormtower.js';
import { freePort } from '../procs/ports.js';
import { cpuSeconds, rssBytes } from '../procs/proc-stats.js';
import type { Spawned } from '../procs/spawn.js';
import { sleep } from '../procs/wait.js';
import { startWorker } from '../procs/worker.js';
import type { Row } from '../types.js';
import { fleetGoalRows, type Idle, type SizeResult, sizeRows } from './fleet-rows.js';
import { fetchList, probeLatency, type Readiness, steadyState, waitAllReady } from './fleet-steps.js';
import type { ScenarioOutput } from './relay-small.js';

interface Settings {
  readonly sizes: readonly number[];
  readonly settleS: number;
  readonly steadyS: number;
  readonly probeS: number;
  readonly listTimes: number;
  /** Longest wait for all N to be ready, cold or after the restart. */
  readonly readyCapS: number;
}

const FULL: Settings = {
  sizes: [1000, 2000, 5000, 10_000],
  settleS: 3,
  steadyS: 30,
  probeS: 8,
  listTimes: 3,
  // Twice the goal's 60 s: past that, the number says "not within the goal" just as well.
  readyCapS: 120,
};
const QUICK: Settings = { sizes: [20], settleS: 0.5, steadyS: 2, probeS: 1, listTimes: 2, readyCapS: 30 };

/** Why a larger N is not worth trying after `r`, if it is not. */
function whyNotFurther(r: SizeResult): string | undefined {
  if (r.skipped) return r.skipped;
  if (r.cold && !r.cold.reached)
    return `N=${r.n} did not get all ready within ${seconds(r.cold.seconds)} of a cold start`;
  if (r.restart && !r.restart.reached)
    return `N=${r.n} did not get all ready within ${seconds(r.restart.seconds)} of a restart`;
  return undefined;
}

/** Seconds an N costs besides waiting for readiness: settle, steady state, probes, stops and starts. */
const overheadS = (s: Settings): number => s.settleS + s.steadyS + 2 * s.probeS + 15;

/** Readiness and certificate issuing both grow about linearly with N: predict this N from the last. */
const predictS = (s: Settings, n: number, previous?: SizeResult): number =>
  overheadS(s) +
  (previous
    ? ((previous.cold?.seconds ?? 0) + (previous.restart?.seconds ?? 0) + (previous.issueS ?? 0)) *
      (n / previous.n)
    : 0);

/**
 * The baselines: an idle tower, and the same probe against a plain Node HTTP server (the relay
 * upstream), whose p99 is this machine's floor for paced requests at that moment.
 */
async function measureIdle(ctx: RunContext, dataDir: string, s: Settings): Promise<Idle> {
  const tower = await startTower(ctx, { dataDir, apiPort: await freePort(), boltPort: await freePort() });
  const probe = startWorker(ctx, 'latency-probe', []);
  const upstream = startWorker(ctx, 'upstream', [0]);
  try {
    const { port } = await upstream.next<{ type: 'ready'; port: number }>('ready', 10_000);
    await sleep(s.settleS * 1000);
    const steady = await steadyState(tower.proc.pid, Math.min(5, s.steadyS));
    const head = await probeLatency(probe, 'HEAD', [`${tower.apiUrl}/minions`], s.probeS);
    const floor = await probeLatency(probe, 'GET', [`http://127.0.0.1:${port}/1k`], s.probeS);
    return { steady, head, floor };
  } finally {
    await upstream.stop();
    await probe.stop();
    await tower.proc.stop();
  }
}

/** The longest wait for all N, cold and again after the restart, that leaves this N time to finish. */
const readyCapS = (ctx: RunContext, s: Settings): number =>
  Math.max(10, Math.min(s.readyCapS, ((ctx.deadline - Date.now()) / 1000 - overheadS(s)) / 2));

async function measureSize(ctx: RunContext, n: number, dataDir: string, s: Settings): Promise<SizeResult> {
  const ports = { apiPort: await freePort(), boltPort: await freePort() };
  const procs: Spawned[] = [];
  let tower: Tower | undefined;
  try {
    // Before the tower starts: its ready time must not include the simulator signing certificates.
    ctx.log(`fleet: N=${n}, issuing the simulator's certificates`);
    const issueS = await issueSimulatorIdentities(ctx, { count: n, dataDir, prefix: 'sim' });
    const capS = readyCapS(ctx, s);
    tower = await startTower(ctx, { dataDir, ...ports });
    const sim = startSimulator(ctx, { count: n, boltUrl: tower.boltUrl, dataDir, prefix: 'sim' });
    procs.push(sim);
    ctx.log(`fleet: N=${n}, cold start`);
    const cold = await waitAllReady(ctx, tower.apiUrl, n, tower.startedAt, capS * 1000);
    // Not all there: no steady state to measure, but the memory of the bolts that are says a lot.
    if (!cold.reached) return { n, issueS, cold, rssAtGiveUp: rssBytes(tower.proc.pid) };

    await sleep(s.settleS * 1000);
    ctx.log(`fleet: N=${n}, steady state for ${s.steadyS} s`);
    const simCpuBefore = cpuSeconds(sim.pid) ?? 0;
    const steady = await steadyState(tower.proc.pid, s.steadyS);
    const simCpuPercent = (((cpuSeconds(sim.pid) ?? simCpuBefore) - simCpuBefore) / s.steadyS) * 100;

    const probe = startWorker(ctx, 'latency-probe', []);
    procs.push(probe);
    const width = String(n).length;
    const ids = Array.from({ length: Math.min(n, 500) }, () => {
      const i = 1 + Math.floor(Math.random() * n);
      return `${tower?.apiUrl}/minions/sim-${String(i).padStart(width, '0')}`;
    });
    const head = await probeLatency(probe, 'HEAD', [`${tower.apiUrl}/minions`], s.probeS);
    const getId = await probeLatency(probe, 'GET', ids, s.probeS);
    const list = await fetchList(probe, `${tower.apiUrl}/minions`, s.listTimes);

    ctx.log(`fleet: N=${n}, restarting the tower`);
    const stopping = Date.now();
    const exit = await tower.proc.stop(5000);
    const stop = { seconds: (Date.now() - stopping) / 1000, killed: exit.signal === 'SIGKILL' };
    tower = await startTower(ctx, { dataDir, ...ports });
    const restart: Readiness = await waitAllReady(ctx, tower.apiUrl, n, tower.startedAt, capS * 1000);
    return { n, issueS, cold, steady, simCpuPercent, head, getId, list, stop, restart };
  } finally {
    for (const proc of procs.reverse()) await proc.stop(2000);
    await tower?.proc.stop(2000);
  }
}

export async function fleet(ctx: RunContext): Promise<ScenarioOutput> {
  const s = ctx.quick ? QUICK : FULL;
  const dataDir = await freshDir(ctx, 'tower-fleet');
  await certsInit(ctx, dataDir);
  ctx.log('fleet: idle tower baseline');
  const idle = await measureIdle(ctx, dataDir, s);
  const results: SizeResult[] = [];
  for (const n of s.sizes) {
    const remainingS = (ctx.deadline - Date.now()) / 1000;
    const previous = results.at(-1);
    const stuck = previous && whyNotFurther(previous);
    if (stuck) {
      results.push({ n, skipped: stuck });
      continue;
    }
    const predictedS = predictS(s, n, previous);
    if (previous !== undefined && predictedS > remainingS) {
      results.push({
        n,
        skipped: `would take ~${Math.round(predictedS)} s (from N=${previous.n}), ${Math.max(0, Math.round(remainingS))} s left of the run's 15-minute budget`,
      });
      continue;
    }
    results.push(await measureSize(ctx, n, dataDir, s));
  }
  const issued = results.filter((r) => r.issueS !== undefined);
  const rows: Row[] = [
    {
      key: 'fleet.idle',
      scenario: 'Fleet',
      label: 'idle tower (baseline)',
      result: `RSS ${mib(idle.steady.rssMean)}, CPU ${idle.steady.cpuPercent.toFixed(1)}%, HEAD /minions p50 ${ms(idle.head.p50)}, p99 ${ms(idle.head.p99)}`,
      ratio: 'baseline',
      values: {
        rssBytes: idle.steady.rssMean,
        cpuPercent: idle.steady.cpuPercent,
        headP50Ms: idle.head.p50,
        headP99Ms: idle.head.p99,
      },
    },
    {
      key: 'fleet.floor',
      scenario: 'Fleet',
      label: 'probe floor: a plain Node server',
      result: `GET 1 KB p50 ${ms(idle.floor.p50)}, p99 ${ms(idle.floor.p99)} (the same paced probe; no tower)`,
      values: { p50Ms: idle.floor.p50, p99Ms: idle.floor.p99 },
    },
    ...results.flatMap((r) => sizeRows(r, idle)),
    ...fleetGoalRows(results, idle.floor, ctx.quick),
  ];
  return {
    rows,
    notes: [
      `Sizes tried: ${s.sizes.join(', ')}; each N gets a fresh tower (defaults: 15 s monitor interval, beacon 10/45 s, poll concurrency 64) and a fresh \`stormtower simulate --count N\` process (defaults: a package change every ~30 s per agent, 64 handshakes in flight at once, first dials and reconnects alike).`,
      `"Ready": \`GET /clients\` shows all N in state ready, polled every 0.5 s once \`/health\` counts N bolts; time from spawning the tower process. The simulator runs on the same ${os.cpus().length} cores as the tower.`,
      `Certificates: before each N's tower starts, \`stormtower simulate --issue-only --count N\` issues the simulated agents' certificates into the simulator's cache (${issued.map((r) => `N=${r.n}: ${seconds(r.issueS ?? 0)}`).join(', ') || 'none'}; names are padded to the width of N, so N=10000 needs its own), so the ready times measure the tower and the connections, not certificate signing.`,
      `Steady state: ${s.steadyS} s after all are ready and ${s.settleS} s of settling; CPU = (utime + stime) / wall time, in % of one core; RSS sampled each second (mean shown; KB = 1000 bytes).`,
      `Latency: a separate probe process on one keep-alive connection (raw HTTP/1.1), 200 paced requests/s for ${s.probeS} s each (HEAD /minions; GET /minions/:id over 500 random ids). Paced requests wake sleeping processes, so on this VM even a plain Node server shows a p99 of a few ms: the "probe floor" row measures that in the same run.`,
      `Restart: SIGTERM to the tower (SIGKILL after 5 s), then the same command on the same ports and data dir; each simulated agent reconnects on its own after the bolt client's default backoff (first retry after 0.25-0.5 s, the ceiling doubling from 0.5 s up to a cap of 30 s, each delay half fixed and half random), and its dial then waits for one of the simulator's 64 handshake slots: one process handshaking with thousands at once would otherwise starve every handshake past its 10 s timeout.`,
    ],
    raw: { idle, results },
  };
}
