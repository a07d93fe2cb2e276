/**
 * The measurements of the fleet scenario, one function each: waiting until all N minions are ready,
 * the tower's CPU and memory at steady state, paced latency probes, and the `GET /minions` fetch.
 */
import type { RunContext } from '../context.js';
import { int, median, quantile } from '../format.js';
import { boltCount, readiness } from '../peers/stormtower.js';
import { monotonicMs } from '../procs/clock.js';
import { throwIfInterrupted } from '../procs/interruptions.js';
import { cpuSeconds, rssBytes } from '../procs/proc-stats.js';
import { sleep } from '../procs/wait.js';
import type { Worker } from '../procs/worker.js';

export interface Readiness {
  /** Seconds from `since` until all were seen ready (or until giving up). */
  readonly seconds: number;
  readonly reached: boolean;
  readonly bolts: number;
  readonly ready: number;
}

/**
 * Polls the cheap `/health` until N bolts are up, then `/clients` (which carries each minion's
 * state) until all N are `ready`. The time is taken when the answer showing it arrived.
 */
export async function waitAllReady(
  ctx: RunContext,
  apiUrl: string,
  n: number,
  since: number,
  timeoutMs: number,
): Promise<Readiness> {
  let bolts = 0;
  let ready: number | undefined;
  let lastLog = monotonicMs();
  while (monotonicMs() - since < timeoutMs) {
    throwIfInterrupted();
    bolts = (await boltCount(apiUrl)) ?? bolts;
    if (bolts >= n) {
      const state = await readiness(apiUrl);
      ready = state?.ready ?? ready;
      if (ready !== undefined && ready >= n) {
        return { seconds: (monotonicMs() - since) / 1000, reached: true, bolts, ready };
      }
    }
    if (monotonicMs() - lastLog > 10_000) {
      ctx.log(
        `fleet: ${int(bolts)} of ${int(n)} bolts up${ready === undefined ? '' : `, ${int(ready)} ready`}`,
      );
      lastLog = monotonicMs();
    }
    await sleep(bolts >= n ? 500 : 250);
  }
  // Giving up: one last look at the states, so the result says how far the fleet got.
  const last = await readiness(apiUrl);
  return {
    seconds: timeoutMs / 1000,
    reached: false,
    bolts: last?.bolts ?? bolts,
    ready: last?.ready ?? ready ?? 0,
  };
}

export interface Steady {
  /** CPU of the process over the window, in % of one core. */
  readonly cpuPercent: number;
  readonly rssMean: number;
  readonly rssMax: number;
}

/** CPU (utime + stime) and RSS (sampled each second) of `pid` over `seconds`. */
export async function steadyState(pid: number, seconds: number): Promise<Steady> {
  const cpuBefore = cpuSeconds(pid) ?? 0;
  const began = monotonicMs();
  const rss: number[] = [];
  while (monotonicMs() - began < seconds * 1000) {
    rss.push(rssBytes(pid) ?? 0);
    await sleep(Math.min(1000, seconds * 1000 - (monotonicMs() - began)));
  }
  rss.push(rssBytes(pid) ?? 0);
  const elapsed = (monotonicMs() - began) / 1000;
  return {
    cpuPercent: (((cpuSeconds(pid) ?? cpuBefore) - cpuBefore) / elapsed) * 100,
    rssMean: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssMax: Math.max(...rss),
  };
}

export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly count: number;
  /** Answers other than 2xx, by status (0: network error). */
  readonly failures: number;
}

/** Paced requests (`rate` a second for `seconds`) from the probe process, cycling over `urls`. */
export async function probeLatency(
  probe: Worker,
  method: 'HEAD' | 'GET',
  urls: readonly string[],
  seconds: number,
  rate = 200,
): Promise<Latency> {
  probe.send({ type: 'probe', method, urls, seconds, rate });
  const { samples, statuses } = await probe.next<{
    type: 'latency';
    samples: number[];
    statuses: Record<string, number>;
  }>('latency', (seconds + 60) * 1000);
  const failures = Object.entries(statuses)
    .filter(([status]) => !status.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), count: samples.length, failures };
}

/** `GET /minions`, `times` times: the median time to the last byte, and the size. */
export async function fetchList(
  probe: Worker,
  url: string,
  times: number,
): Promise<{ ms: number; bytes: number }> {
  probe.send({ type: 'fetch', url, times });
  const { results } = await probe.next<{
    type: 'fetched';
    results: { status: number; bytes: number; ms: number }[];
  }>('fetched', 120_000);
  return { ms: median(results.map((r) => r.ms)), bytes: Math.max(...results.map((r) => r.bytes)) };
}
