/**
 * Cluster: 3 towers on one NATS JetStream (the demo's local nats-server), each its own
 * `stormtower start --cluster` process with 5,000 simulated minions, the agents knowing every tower.
 * Cold start until every tower serves all 15,000 with one checksum, against one plain tower with
 * 5,000 (the baseline, same run); each tower's RSS and CPU; the lag of a change from the holding
 * tower to the others' SSE; `/proxy` through a tower that does not hold the minion, against the
 * holder's own; and recovery after one tower is SIGKILLed.
 */
import os from 'node:os';
import { freshDir, type RunContext } from '../context.js';
import { int } from '../format.js';
import { type ClusterTower, type FleetPart, startClusterTowers, startSimulators } from '../peers/cluster.js';
import { natsMissing, startNats } from '../peers/nats.js';
import { certsInit, issueSimulatorIdentities, startTower } from '../peers/stormtower.js';
import { monotonicMs } from '../procs/clock.js';
import { freePort } from '../procs/ports.js';
import { cpuSeconds } from '../procs/proc-stats.js';
import type { Spawned } from '../procs/spawn.js';
import { sleep } from '../procs/wait.js';
import { startWorker } from '../procs/worker.js';
import { waitForAgreement } from './cluster-converge.js';
import { measureLag } from './cluster-lag.js';
import { recover } from './cluster-recovery.js';
import { measureRelay, type RelaySettings } from './cluster-relay.js';
import {
  allSkipped,
  type ClusterResult,
  clusterRows,
  type Phase,
  type RecoveryResult,
  type SingleResult,
} from './cluster-rows.js';
import { steadyState } from './fleet-steps.js';
import type { ScenarioOutput } from './relay-small.js';

const TOWERS = 3;

interface Settings {
  readonly perTower: number;
  /** Simulator processes the cluster's fleet is split over. */
  readonly simulators: number;
  /** Certificates issued before the towers start, so cold starts time the towers, not signing. */
  readonly preIssue: boolean;
  readonly settleS: number;
  readonly steadyS: number;
  /** Longest wait for agreement after a cold start, before the recovery, and after the SIGKILL. */
  readonly coldCapS: number;
  readonly recoveryCapS: number;
  /** Flip agents, and rounds of the monitor interval they change in. */
  readonly flips: number;
  readonly rounds: number;
  /** The towers' monitor interval (the default in a full run). */
  readonly intervalMs: number;
  readonly relay: RelaySettings;
}

const FULL: Settings = {
  perTower: 5000,
  simulators: TOWERS,
  preIssue: true,
  settleS: 3,
  steadyS: 10,
  coldCapS: 420,
  recoveryCapS: 240,
  flips: 200,
  rounds: 2,
  intervalMs: 15_000,
  relay: { getSeconds: 10, warmupSeconds: 2, bytes: 100e6, repeats: 3 },
};
// Fewer processes to start (each Node start costs about a second of a busy machine's CPU): one
// simulator, and the few certificates signed by the simulators as they start.
const QUICK: Settings = {
  perTower: 100,
  simulators: 1,
  preIssue: false,
  settleS: 0.5,
  steadyS: 1,
  coldCapS: 30,
  recoveryCapS: 30,
  flips: 10,
  rounds: 1,
  intervalMs: 1000,
  relay: { getSeconds: 1, warmupSeconds: 0, bytes: 10e6, repeats: 1 },
};

/**
 * Seconds a full run needs at `perTower` on a 2-core machine: the fixed phases, and what grows with N
 * (certificates, two cold starts, the recovery; 3 x 5,000 is CPU-bound here, see PROFILES.md).
 */
const predictS = (perTower: number): number => 150 + perTower * 0.09;

/** The full size, or the largest that fits what is left of the run's budget. */
function sized(ctx: RunContext): Settings {
  if (ctx.quick) return QUICK;
  const leftS = (ctx.deadline - Date.now()) / 1000;
  const perTower = [5000, 2000, 1000, 500].find((n) => predictS(n) <= leftS) ?? 500;
  return { ...FULL, perTower };
}

const failed = (error: unknown): { skip: string } => ({
  skip: `failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`,
});

/** One plain tower (no cluster) with one simulator's share: the cold-start and cost baseline. */
async function measureSingle(
  ctx: RunContext,
  dataDir: string,
  part: FleetPart,
  flags: { tower: readonly string[]; sim: readonly string[] },
  s: Settings,
): Promise<SingleResult> {
  const tower = await startTower(ctx, {
    dataDir,
    apiPort: await freePort(),
    boltPort: await freePort(),
    flags: flags.tower,
  });
  const sims = startSimulators(ctx, { dataDir, boltUrls: [tower.boltUrl], parts: [part], flags: flags.sim });
  try {
    ctx.log(`cluster: 1 tower, ${int(part.count)} minions (baseline)`);
    const cold = await waitForAgreement(ctx, {
      apiUrls: [tower.apiUrl],
      expected: part.count,
      since: tower.startedAt,
      timeoutMs: s.coldCapS * 1000,
      label: '1 tower',
    });
    const coldCpuS = cpuSeconds(tower.proc.pid) ?? Number.NaN;
    if (!cold.reached) return { n: part.count, cold, coldCpuS };
    await sleep(s.settleS * 1000);
    return { n: part.count, cold, coldCpuS, steady: await steadyState(tower.proc.pid, s.steadyS) };
  } finally {
    await Promise.all(sims.map((sim) => sim.stop(2000)));
    await tower.proc.stop(2000);
  }
}

async function measureCluster(
  ctx: RunContext,
  dataDir: string,
  parts: readonly FleetPart[],
  flags: { tower: readonly string[]; sim: readonly string[] },
  upstream: { role: string; pid: number; port: number },
  s: Settings,
): Promise<ClusterResult> {
  const nats = await startNats();
  const procs: Spawned[] = [];
  let towers: ClusterTower[] = [];
  try {
    towers = await startClusterTowers(ctx, {
      dataDir,
      natsUrl: nats.url,
      towers: TOWERS,
      flags: flags.tower,
    });
    const since = Math.min(...towers.map((tower) => tower.startedAt));
    const apiUrls = towers.map((tower) => tower.apiUrl);
    const boltUrls = towers.map((tower) => tower.boltUrl);
    procs.push(...startSimulators(ctx, { dataDir, boltUrls, parts, flags: flags.sim }));
    const expected = parts.reduce((sum, part) => sum + part.count, 0);
    ctx.log(`cluster: ${TOWERS} towers, ${int(expected)} minions, cold start`);
    const cold = await waitForAgreement(ctx, {
      apiUrls,
      expected,
      since,
      timeoutMs: s.coldCapS * 1000,
      label: 'cold start',
    });
    const coldCpuS = towers.map((tower) => cpuSeconds(tower.proc.pid) ?? Number.NaN);
    const base = { towers: towers.map((tower) => tower.towerId), perTower: s.perTower, cold, coldCpuS };
    if (!cold.reached) {
      const skip = { skip: 'the cold start did not reach one checksum' };
      return { ...base, steady: skip, lag: skip, relay: skip, recovery: skip };
    }

    await sleep(s.settleS * 1000);
    ctx.log(`cluster: steady state for ${s.steadyS} s`);
    const steady = await Promise.all([
      Promise.all(towers.map((tower) => steadyState(tower.proc.pid, s.steadyS))),
      nats.pid === undefined ? undefined : steadyState(nats.pid, s.steadyS),
    ]).then(([each, natsSteady]) => ({ towers: each, nats: natsSteady }), failed);

    ctx.log(`cluster: change lag, ${s.flips} flip agents at ${towers[0]?.towerId}`);
    const lag = await measureLag(ctx, towers, dataDir, {
      flips: s.flips,
      rounds: s.rounds,
      intervalMs: s.intervalMs,
      statusPort: upstream.port,
    }).catch(failed);
    const relay = await measureRelay(ctx, towers, dataDir, upstream, s.relay).catch(failed);

    // The flip and relay agents are gone: the fleet settles back to the simulated minions first.
    const settled = await waitForAgreement(ctx, {
      apiUrls,
      expected,
      since: monotonicMs(),
      timeoutMs: s.coldCapS * 1000,
      label: 'before the recovery',
    });
    const recovery: Phase<RecoveryResult> = settled.reached
      ? await recover(ctx, towers, expected, s.recoveryCapS).catch(failed)
      : { skip: 'the towers did not agree again before it' };
    return { ...base, steady, lag, relay, recovery };
  } finally {
    await Promise.all(procs.map((proc) => proc.stop(2000)));
    await Promise.all(towers.map((tower) => tower.proc.stop(2000)));
    await nats.close();
  }
}

export async function cluster(ctx: RunContext): Promise<ScenarioOutput> {
  const missing = natsMissing();
  if (missing) return { rows: allSkipped(missing), notes: [], raw: { skipped: missing } };
  const s = sized(ctx);
  const dataDir = await freshDir(ctx, 'tower-cluster');
  await certsInit(ctx, dataDir);
  const n = TOWERS * s.perTower;
  // Split over the simulators; the baseline reuses the first part's certificates when it has its size.
  const parts: FleetPart[] = Array.from({ length: s.simulators }, (_, i) => ({
    prefix: `c${i + 1}`,
    count: Math.floor(((i + 1) * n) / s.simulators) - Math.floor((i * n) / s.simulators),
  }));
  const baselinePart: FleetPart = { prefix: 'c1', count: s.perTower };
  if (s.preIssue) {
    ctx.log(`cluster: issuing ${int(n)} simulated agents' certificates`);
    await Promise.all(
      parts.map((part) => issueSimulatorIdentities(ctx, { count: part.count, dataDir, prefix: part.prefix })),
    );
  }
  // The upstream answers the towers' status polls for the relay agent, and the relayed requests.
  const upstreamWorker = startWorker(ctx, 'upstream', [0]);
  try {
    const { port } = await upstreamWorker.next<{ type: 'ready'; port: number }>('ready', 10_000);
    const upstream = { role: 'upstream', pid: upstreamWorker.pid, port };
    const flags = {
      tower: [
        '--status-port',
        String(port),
        ...(ctx.quick ? ['--monitor-interval', String(s.intervalMs)] : []),
      ],
      // No package changes: one checksum is a state the fleet stays in, not a moment to catch.
      sim: ['--status-port', String(port), '--change-every', '0'],
    };
    const single = await measureSingle(ctx, dataDir, baselinePart, flags, s).catch(failed);
    const result = await measureCluster(ctx, dataDir, parts, flags, upstream, s);
    return {
      rows: clusterRows(single, result),
      notes: notes(s, ctx.quick),
      raw: { settings: s, single, result: stripSamples(result) },
    };
  } finally {
    await upstreamWorker.stop();
  }
}

/** The raw JSON keeps the latency summaries, not every sample. */
function stripSamples(result: ClusterResult): unknown {
  const { lag } = result;
  if ('skip' in lag) return result;
  const brief = (l: typeof lag.local) => ({ ...l, samples: undefined, allReceived: undefined });
  return { ...result, lag: { local: brief(lag.local), remote: brief(lag.remote) } };
}

function notes(s: Settings, quick: boolean): string[] {
  const n = TOWERS * s.perTower;
  return [
    `${TOWERS} towers, each \`stormtower start --cluster nats://... --tower-id cluster-<i>\` (its own process, defaults otherwise${quick ? `, monitor interval ${s.intervalMs / 1000} s in quick mode` : ''}), on one \`nats-server -js\` started as the demo does (src/cluster/local-nats.ts); ${TOWERS} \`stormtower simulate --count ${int(s.perTower)}\` processes whose agents are each given all ${TOWERS} towers and dial a random one first, so each tower holds about ${int(s.perTower)}. Simulated agents change no packages here (\`--change-every 0\`): one checksum is then a state to reach, not a moment to catch. Everything shares the machine's ${os.cpus().length} cores.`,
    `Cold start: from spawning the towers (all at once) until every tower's \`/health\` bolts add up to ${int(n)}, every tower answers \`HEAD /minions\` with the same Content-MD5, and \`GET /minions\` lists all ${int(n)}; polled every 0.5 s from outside. Baseline: one plain tower (no --cluster) and one of the simulators, the same way, in the same run. CPU-s: the tower process's user + system time until then. Steady: ${s.steadyS} s after ${s.settleS} s of settling, RSS sampled each second (mean), CPU in % of one core.`,
    `Change lag: ${s.flips} flip agents (bench/workers/flip-agent.ts) held by the first tower serve a new document on each poll for ${s.rounds} monitor intervals; one SSE subscriber per tower (its own process) notes each \`changed\` event on CLOCK_MONOTONIC, as in the change-feed scenario. At the other towers the path adds the holder's compare-and-set write to the minions bucket and their watch of it.`,
    `Relay: one \`stormtower agent\` held by the first tower, in front of the bench upstream; wrk -t1 -c50 -d${s.relay.getSeconds}s for 1 KB GETs and ${s.relay.repeats} checked download(s) of ${s.relay.bytes / 1e6} MB (median), through the holder's \`/proxy\` and then through the second tower's, which relays to the holder over tower-to-tower mutual TLS. CPU per request: every process on the path, from /proc, over the measured wrk run.`,
    `Recovery: the last tower is SIGKILLed; its agents see their connections drop and each dials one of the others (the bolt client's backoff, then the simulator's 64 handshake slots). Done when the survivors' bolts add up to ${int(n)}, both list all ${int(n)} in \`/clients\` as held by a live tower and ready, and both answer the same Content-MD5 with all listed. "Removed meanwhile": \`removed\` events at a survivor's SSE (a minion whose agent was not back within the presence timeout, 15 s by default, is removed and added again).`,
  ];
}
