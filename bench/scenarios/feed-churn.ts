/**
 * The change feed under churn (part of the change-feed scenario): a fleet of simulated minions
 * changing about 200 times a second, and 2,000 `/minions/events` subscribers connecting at once.
 * What is measured is whether the tower stays responsive: `/health` latency from a paced probe
 * while the subscribers connect (the ramp) and afterwards (steady state), each against the same
 * probe on the idle tower before the fleet came; and the tower's CPU and RSS with the subscribers.
 */
import { freshDir, type RunContext } from '../context.js';
import { int, mib, ms, quantile, ratio, seconds } from '../format.js';
import { certsInit, issueSimulatorIdentities, startSimulator, startTower } from '../peers/stormtower.js';
import { monotonicMs } from '../procs/clock.js';
import { freePort } from '../procs/ports.js';
import { rssBytes } from '../procs/proc-stats.js';
import { sleep } from '../procs/wait.js';
import { startWorker, type Worker } from '../procs/worker.js';
import type { Row } from '../types.js';
import { type Latency, probeLatency, type Steady, steadyState, waitAllReady } from './fleet-steps.js';
import type { ScenarioOutput } from './relay-small.js';

const SCENARIO = 'Change feed';
const PREFIX = 'churn';
const POOLS = 2;
/** The goal: `/health` p99 under this, during the ramp and in steady state. */
const GOAL_MS = 50;

interface Settings {
  readonly minions: number;
  readonly subscribers: number;
  readonly monitorMs: number;
  /** Mean seconds between package changes per simulated agent (`simulate --change-every`). */
  readonly changeEvery: number;
  readonly probeS: number;
  /** The ramp and the steady state together, from the moment the subscribers start connecting. */
  readonly loadedS: number;
  /** The longest the ramp is waited for; the rest of `loadedS` is the steady state. */
  readonly rampCapS: number;
}

// 1,000 minions polled every 5 s, each with a new document on almost every poll: ~200 changes/s.
const FULL: Settings = {
  minions: 1000,
  subscribers: 2000,
  monitorMs: 5000,
  changeEvery: 1,
  probeS: 5,
  loadedS: 30,
  rampCapS: 20,
};
const QUICK: Settings = {
  minions: 30,
  subscribers: 100,
  monitorMs: 1000,
  changeEvery: 0.5,
  probeS: 1,
  loadedS: 6,
  rampCapS: 4,
};

interface PoolReport {
  /** Subscribers that have had their snapshot. */
  readonly snapshots: number;
  /** Subscribers that failed before their snapshot (refused, reset), or lost after it. */
  readonly failed: number;
  readonly lost: number;
  readonly received: number;
  readonly dropped: number;
}

async function report(pools: readonly Worker[]): Promise<PoolReport> {
  const reports = await Promise.all(
    pools.map((pool) => {
      pool.send({ type: 'report' });
      return pool.next<{ type: 'events' } & PoolReport>('events', 30_000);
    }),
  );
  const sum = (key: keyof PoolReport) => reports.reduce((total, r) => total + r[key], 0);
  return {
    snapshots: sum('snapshots'),
    failed: sum('failed'),
    lost: sum('lost'),
    received: sum('received'),
    dropped: sum('dropped'),
  };
}

/** A probe's latency, with its slowest answer: a stall of seconds is one sample among hundreds. */
type Window = Latency & { readonly max: number };

/** Latency of the requests sent within [from, to) on the monotonic clock. */
function window(samples: readonly number[], sentAt: readonly number[], from: number, to: number): Window {
  const inside = samples.filter((_, i) => (sentAt[i] ?? 0) >= from && (sentAt[i] ?? 0) < to);
  return {
    p50: quantile(inside, 0.5),
    p99: quantile(inside, 0.99),
    max: inside.length > 0 ? Math.max(...inside) : Number.NaN,
    count: inside.length,
    failures: 0,
  };
}

interface Loaded {
  readonly rampS: number;
  /** Subscribers that had their snapshot when the ramp ended (all of them, unless it was cut off). */
  readonly connected: number;
  readonly ramp: Window;
  readonly steady: Window;
  readonly tower: Steady;
  /** Change events a second each subscriber received in steady state. */
  readonly changesPerS: number;
  readonly counts: PoolReport;
}

/** The ramp and the steady state: the probe runs throughout, the subscribers connect all at once. */
async function loaded(ctx: RunContext, s: Settings, apiUrl: string, probe: Worker, pid: number) {
  const per = s.subscribers / POOLS;
  const pools = Array.from({ length: POOLS }, (_, i) =>
    startWorker(ctx, 'sse-pool', [`${apiUrl}/minions/events`, per, 'none:', i * per, per, 'wait']),
  );
  try {
    await Promise.all(pools.map((pool) => pool.next('up', 30_000)));
    probe.send({ type: 'probe', method: 'GET', urls: [`${apiUrl}/health`], seconds: s.loadedS, rate: 200 });
    const began = monotonicMs();
    for (const pool of pools) pool.send({ type: 'go' });
    // Cut off at the cap: a tower that cannot take the storm still gets its steady state measured.
    await Promise.all(pools.map((pool) => pool.next('ready', s.rampCapS * 1000))).catch(() => {});
    const readyAt = monotonicMs();
    const before = await report(pools);
    const countedFrom = monotonicMs();
    const left = (began + s.loadedS * 1000 - monotonicMs()) / 1000;
    const tower = await steadyState(pid, Math.max(1, left - 0.5));
    const after = await report(pools);
    const countedS = (monotonicMs() - countedFrom) / 1000;
    const { samples, sentAt } = await probe.next<{ type: 'latency'; samples: number[]; sentAt: number[] }>(
      'latency',
      (s.loadedS + 60) * 1000,
    );
    return {
      rampS: (readyAt - began) / 1000,
      connected: before.snapshots,
      ramp: window(samples, sentAt, began, readyAt),
      steady: window(samples, sentAt, readyAt, Number.POSITIVE_INFINITY),
      tower,
      changesPerS: (after.received - before.received) / Math.max(1, before.snapshots) / countedS,
      counts: after,
    } satisfies Loaded;
  } finally {
    await Promise.all(pools.map((pool) => pool.stop()));
  }
}

export async function feedChurn(ctx: RunContext): Promise<ScenarioOutput> {
  const s = ctx.quick ? QUICK : FULL;
  const dataDir = await freshDir(ctx, 'tower-churn');
  await certsInit(ctx, dataDir);
  await issueSimulatorIdentities(ctx, { count: s.minions, dataDir, prefix: PREFIX });
  const tower = await startTower(ctx, {
    dataDir,
    apiPort: await freePort(),
    boltPort: await freePort(),
    flags: ['--monitor-interval', String(s.monitorMs)],
  });
  const probe = startWorker(ctx, 'latency-probe', []);
  try {
    ctx.log('change-feed: churn, /health on the idle tower');
    const idle = await probeLatency(probe, 'GET', [`${tower.apiUrl}/health`], s.probeS);
    const sim = startSimulator(ctx, {
      count: s.minions,
      boltUrl: tower.boltUrl,
      dataDir,
      prefix: PREFIX,
      flags: ['--change-every', String(s.changeEvery)],
    });
    try {
      const ready = await waitAllReady(ctx, tower.apiUrl, s.minions, monotonicMs(), 120_000);
      if (!ready.reached) throw new Error(`only ${ready.ready} of ${s.minions} minions ready`);
      // One monitor interval, so every minion has been polled with changes on and the rate is steady.
      await sleep(s.monitorMs);
      ctx.log(`change-feed: churn, ${int(s.minions)} minions changing, no subscribers`);
      const fleetOnly = await probeLatency(probe, 'GET', [`${tower.apiUrl}/health`], s.probeS);
      const rssBefore = rssBytes(tower.proc.pid) ?? 0;
      ctx.log(`change-feed: churn, ${int(s.subscribers)} subscribers at once`);
      const load = await loaded(ctx, s, tower.apiUrl, probe, tower.proc.pid);
      return churnOutput(s, { idle, fleetOnly, rssBefore, load });
    } finally {
      await sim.stop();
    }
  } finally {
    await probe.stop();
    await tower.proc.stop();
  }
}

interface Measured {
  readonly idle: Latency;
  readonly fleetOnly: Latency;
  readonly rssBefore: number;
  readonly load: Loaded;
}

function churnOutput(s: Settings, { idle, fleetOnly, rssBefore, load }: Measured): ScenarioOutput {
  const vsIdle = (l: Latency) => `p99 ${ratio(l.p99 / idle.p99)} idle`;
  const latency = (l: Latency | Window) =>
    `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}${'max' in l ? `, max ${ms(l.max)}` : ''} (${int(l.count)} requests)`;
  const { counts } = load;
  const whole =
    load.connected === s.subscribers && counts.failed === 0 && counts.lost === 0 && counts.dropped === 0;
  const missing = `${counts.failed} subscribers failed to connect, ${counts.lost} lost, ${counts.dropped} dropped`;
  const rows: Row[] = [
    {
      key: 'change-feed.churn-idle',
      scenario: SCENARIO,
      label: 'churn: GET /health, idle tower',
      result: latency(idle),
      ratio: 'baseline',
      values: { p50Ms: idle.p50, p99Ms: idle.p99 },
    },
    {
      key: 'change-feed.churn-fleet',
      scenario: SCENARIO,
      label: `churn: GET /health, ${int(s.minions)} minions changing, no subscribers`,
      result: latency(fleetOnly),
      ratio: vsIdle(fleetOnly),
      values: { p50Ms: fleetOnly.p50, p99Ms: fleetOnly.p99 },
    },
    {
      key: 'change-feed.churn-ramp',
      scenario: SCENARIO,
      label: `churn: GET /health while ${int(s.subscribers)} subscribers connect at once`,
      result: `${latency(load.ramp)}; ${load.connected === s.subscribers ? 'all' : `${int(load.connected)} of ${int(s.subscribers)}`} had their snapshot after ${seconds(load.rampS)}`,
      ratio: vsIdle(load.ramp),
      values: {
        p50Ms: load.ramp.p50,
        p99Ms: load.ramp.p99,
        maxMs: load.ramp.max,
        rampS: load.rampS,
        connected: load.connected,
      },
    },
    {
      key: 'change-feed.churn-steady',
      scenario: SCENARIO,
      label: `churn: GET /health with ${int(s.subscribers)} subscribers, steady`,
      result:
        `${latency(load.steady)}; ${load.changesPerS.toFixed(0)} changes/s reached each subscriber; ` +
        `tower CPU ${load.tower.cpuPercent.toFixed(0)}%, RSS ${mib(load.tower.rssMean)} (${mib(rssBefore)} before the subscribers)` +
        (whole ? '' : `; ${missing}`),
      ratio: vsIdle(load.steady),
      values: {
        p50Ms: load.steady.p50,
        p99Ms: load.steady.p99,
        maxMs: load.steady.max,
        changesPerS: load.changesPerS,
        cpuPercent: load.tower.cpuPercent,
        rssBytes: load.tower.rssMean,
        rssBeforeBytes: rssBefore,
        failed: counts.failed,
        lost: counts.lost,
        dropped: counts.dropped,
      },
    },
    {
      key: 'change-feed.churn-goal',
      scenario: SCENARIO,
      label: 'churn: /health stays responsive',
      result: `p99 ${ms(load.ramp.p99)} during the ramp, ${ms(load.steady.p99)} steady; ${whole ? 'every subscriber connected and none lost' : missing}`,
      goal: {
        text: `${int(s.subscribers)} subscribers, ~${int(s.minions / (s.monitorMs / 1000))} changes/s: p99 < ${GOAL_MS} ms`,
        met: whole && load.ramp.p99 < GOAL_MS && load.steady.p99 < GOAL_MS,
      },
    },
  ];
  return {
    rows,
    notes: [
      `Churn: a fresh tower with \`--monitor-interval ${s.monitorMs}\` and \`stormtower simulate --count ${s.minions} --change-every ${s.changeEvery}\` (a package installed or removed about every ${s.changeEvery} s per agent, so nearly every poll finds a new document: about ${int(s.minions / (s.monitorMs / 1000))} changes/s). The probe: GET /health, 200 paced requests/s on one keep-alive connection, ${s.probeS} s on the idle tower before the simulator starts (the baseline), ${s.probeS} s with the fleet changing, then for ${s.loadedS} s from the moment the subscribers start connecting.`,
      `Subscribers: ${s.subscribers} plain-socket HTTP/1.1 clients in ${POOLS} processes (started beforehand), all dialled at once; the ramp ends when every one has its snapshot (or after ${s.rampCapS} s), the steady state is the rest of the ${s.loadedS} s. Every message is parsed at every subscriber. Tower CPU and RSS over the steady state. The probe sends its next request only after the answer to the last, so a stall shows as one slow sample and fewer requests: look at max and the count as well as p99.`,
    ],
    raw: { settings: s, idle, fleetOnly, rssBefore, load },
  };
}
