/**
 * One attack against its own fresh tower, measured from outside the tower: its RSS before (the
 * baseline), the peak during and just after, and once the attack has stopped and the tower has had
 * time to settle; `/health` p99 while idle (the probe floor) and during the attack; and whether the
 * tower is still up at the end.
 */
import type { RunContext } from '../context.js';
import { mib, ms, quantile, ratio } from '../format.js';
import type { Tower } from '../peers/stormtower.js';
import { rssBytes, sampleRss } from '../procs/proc-stats.js';
import { getJson, sleep } from '../procs/wait.js';
import { startWorker, type Worker } from '../procs/worker.js';
import type { Row } from '../types.js';
import { type Latency, probeLatency } from './fleet-steps.js';

export interface Timing {
  /** After the tower starts, before the idle probe. */
  readonly settleS: number;
  /** The idle probe, which also gives the RSS baseline. */
  readonly idleS: number;
  /** How long each attack lasts. */
  readonly attackS: number;
  /** After the attack stops, before the "after" reading. */
  readonly afterS: number;
}

export type Counters = Readonly<Record<string, number | string | null>>;

/** An attack in progress: `stop` ends it and gives back its own counters. */
export interface Running {
  stop(): Promise<Counters>;
}

export interface AttackResult {
  readonly baseline: number;
  readonly peak: number;
  readonly after: number;
  readonly idle: Latency;
  /** Undefined when the probe got no answer at all within its bound (a wedged tower). */
  readonly during: Latency | undefined;
  readonly up: boolean;
  readonly counters: Counters;
}

/** The probe's result, or undefined if the tower kept it waiting past its bound. */
async function probeHealth(probe: Worker, tower: Tower, seconds: number): Promise<Latency | undefined> {
  return probeLatency(probe, 'GET', [`${tower.apiUrl}/health`], seconds).catch(() => undefined);
}

export async function measureAttack(
  ctx: RunContext,
  tower: Tower,
  timing: Timing,
  launch: () => Promise<Running>,
): Promise<AttackResult> {
  const pid = tower.proc.pid;
  const probe = startWorker(ctx, 'latency-probe', []);
  try {
    await sleep(timing.settleS * 1000);
    const idleSampler = sampleRss([pid], 100);
    const idle = await probeLatency(probe, 'GET', [`${tower.apiUrl}/health`], timing.idleS);
    const baseline = quantile(
      idleSampler
        .stop()
        .get(pid)
        ?.map((s) => s.rss) ?? [],
      0.5,
    );

    const sampler = sampleRss([pid], 20);
    const running = await launch();
    const during = await probeHealth(probe, tower, timing.attackS);
    const counters = await running.stop();
    await sleep(timing.afterS * 1000);
    const samples = sampler.stop().get(pid) ?? [];
    const after = rssBytes(pid) ?? Number.NaN;
    const alive = tower.proc.child.exitCode === null && tower.proc.child.signalCode === null;
    const up = alive && (await getJson(`${tower.apiUrl}/health`, 5000)) !== undefined;
    return {
      baseline,
      peak: Math.max(baseline, ...samples.map((s) => s.rss)),
      after,
      idle,
      during,
      up,
      counters,
    };
  } finally {
    await probe.stop();
  }
}

/** How far the peak may rise above the baseline and still count as flat. */
const FLAT = 1.5;

/** The attack's row: RSS before, peak and after, /health p99 against the idle floor, up or down. */
export function attackRow(key: string, label: string, r: AttackResult, detail: string): Row {
  const p99 = r.during ? ms(r.during.p99) : 'no answer';
  const failed = r.during && r.during.failures > 0 ? `, ${r.during.failures} failed` : '';
  return {
    key: `attacks.${key}`,
    scenario: 'Attacks',
    label,
    result:
      `RSS ${mib(r.baseline)} -> peak ${mib(r.peak)} -> after ${mib(r.after)}; ` +
      `/health p99 ${p99}${failed} (idle ${ms(r.idle.p99)}); ${r.up ? 'up' : 'DOWN'}; ${detail}`,
    ratio: `peak ${ratio(r.peak / r.baseline)}, after ${ratio(r.after / r.baseline)} RSS`,
    goal: { text: `up, peak RSS < ${FLAT}x`, met: r.up && r.peak < FLAT * r.baseline },
    values: {
      baselineBytes: r.baseline,
      peakBytes: r.peak,
      afterBytes: r.after,
      idleP99Ms: r.idle.p99,
      p99Ms: r.during?.p99 ?? null,
      probeFailures: r.during?.failures ?? null,
      up: r.up,
      ...r.counters,
    },
  };
}
