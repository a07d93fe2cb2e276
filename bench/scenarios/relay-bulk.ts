/**
 * Relay, bulk: a 100 MB download and a 100 MB upload through each contender, by a client process
 * that checks every byte. MB/s (10^6 bytes), the median of a few transfers, as a ratio to direct;
 * for stormtower also the tower's and the agent's RSS while the bytes flow, which must stay flat:
 * the bolt's per-stream credit bounds what either side buffers.
 */
import type { RunContext } from '../context.js';
import { growth, mb, mbPerSec, median, preciseRatio, ratio } from '../format.js';
import { type CpuRole, describeCpu, meterCpu } from '../procs/cpu-account.js';
import { type RssSample, sampleRss } from '../procs/proc-stats.js';
import { startWorker } from '../procs/worker.js';
import type { Row } from '../types.js';
import type { BulkTransfer } from '../workers/bulk-client.js';
import type { ContenderName, Contenders } from './contenders.js';
import { cpuGoalRow } from './cpu-goal.js';
import type { ScenarioOutput } from './relay-small.js';

const SCENARIO = 'Relay, bulk';

type Direction = 'download' | 'upload';

interface Measured {
  readonly mbps: number;
  readonly ok: boolean;
  readonly detail: string;
  /** Per watched role: largest RSS during the transfers minus the RSS just before. */
  readonly growth: Record<string, number>;
  /** Per watched role: how much higher RSS went in the second half of a transfer than in its first. */
  readonly lateRise: Record<string, number>;
  /** Per relaying role (and the upstream): CPU milliseconds per 100 MB moved. */
  readonly cpuMsPer100MB: Record<string, number>;
}

/**
 * "Flat" memory: no growth as the bytes keep flowing. A relay that buffered bodies would climb all
 * through a transfer (about half the payload in its second half); V8 sizing its heap up once shows
 * early and then stays. So the test is the second half's peak against the first half's, under 5% of
 * the payload, while the whole growth is reported beside it.
 */
const flatLimit = (bytes: number): number => bytes / 20;

function lateRise(samples: readonly RssSample[], transfers: readonly BulkTransfer[]): number {
  let worst = Number.NEGATIVE_INFINITY;
  for (const t of transfers) {
    const middle = (t.startedAt + t.endedAt) / 2;
    const peak = (from: number, to: number) =>
      Math.max(...samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.rss));
    const rise = peak(middle, t.endedAt) - peak(t.startedAt, middle);
    if (Number.isFinite(rise)) worst = Math.max(worst, rise);
  }
  return worst;
}

async function transfer(
  ctx: RunContext,
  direction: Direction,
  url: string,
  bytes: number,
  repeats: number,
  watch: readonly CpuRole[],
  relays: readonly CpuRole[],
): Promise<Measured> {
  const sampler = sampleRss(watch.map((w) => w.pid));
  const meter = meterCpu(relays);
  const client = startWorker(ctx, 'bulk-client', [direction, url, bytes, repeats], { oneShot: true });
  const timeoutMs = 60_000 + repeats * 120_000;
  const { transfers } = await client
    .next<{ type: 'result'; transfers: BulkTransfer[] }>('result', timeoutMs)
    .finally(() => void client.stop());
  const samples = sampler.stop();
  const moved = transfers.reduce((sum, t) => sum + t.bytes, 0);
  const cpu = meter.stop();
  const ok = transfers.every((t) => t.ok);
  const speeds = transfers.map((t) => t.bytes / t.seconds);
  const per = (measure: (mine: RssSample[]) => number) =>
    Object.fromEntries(watch.map(({ role, pid }) => [role, measure(samples.get(pid) ?? [])]));
  return {
    mbps: median(speeds),
    ok,
    detail: ok ? 'every byte checked' : `BYTES WRONG: ${transfers.find((t) => !t.ok)?.detail}`,
    growth: per((mine) => Math.max(...mine.map((s) => s.rss)) - (mine[0]?.rss ?? 0)),
    lateRise: per((mine) => lateRise(mine, transfers)),
    cpuMsPer100MB: Object.fromEntries([...cpu].map(([role, secs]) => [role, (secs * 1000 * 100e6) / moved])),
  };
}

export async function relayBulk(ctx: RunContext, contenders: Contenders): Promise<ScenarioOutput> {
  const bytes = ctx.quick ? 20e6 : 100e6;
  const repeats = ctx.quick ? 2 : 3;
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  for (const direction of ['download', 'upload'] as const) {
    const label = (name: string) => `${mb(bytes)} ${direction}: ${name}`;
    const results = new Map<ContenderName, Measured | string>();
    const costs: string[] = [];
    for (const contender of contenders.list) {
      const key = `relay-bulk.${direction}.${contender.name === 'ssh -R' ? 'ssh' : contender.name}`;
      if (typeof contender.base !== 'string') {
        results.set(contender.name, contender.base.skip);
        rows.push({
          key,
          scenario: SCENARIO,
          label: label(contender.name),
          result: `skipped: ${contender.base.skip}`,
        });
        continue;
      }
      ctx.log(`relay-bulk: ${direction} through ${contender.name}`);
      const url =
        direction === 'download' ? `${contender.base}/download?bytes=${bytes}` : `${contender.base}/upload`;
      const measured = await transfer(ctx, direction, url, bytes, repeats, contender.watch, [
        ...contender.relays,
        contenders.upstream,
      ]);
      costs.push(`${contender.name}: ${describeCpu(measured.cpuMsPer100MB, 'ms')}`);
      results.set(contender.name, measured);
      raw[key] = measured;
      const direct = results.get('direct');
      rows.push({
        key,
        scenario: SCENARIO,
        label: label(contender.name),
        result: `${mbPerSec(measured.mbps)}, ${measured.detail}`,
        ratio:
          contender.name === 'direct'
            ? 'baseline'
            : typeof direct === 'object'
              ? `${ratio(measured.mbps / direct.mbps)} direct`
              : undefined,
        values: { mbPerSec: measured.mbps / 1e6, bytesChecked: measured.ok },
      });
    }
    rows.push({
      key: `relay-bulk.${direction}.cpu`,
      scenario: SCENARIO,
      label: `${direction}: CPU per 100 MB`,
      result: costs.length > 0 ? costs.join('; ') : 'skipped: nothing was measured',
    });
    const ours = results.get('stormtower');
    const ssh = results.get('ssh -R');
    const speedGoal = { text: 'stormtower >= 1.0x ssh -R MB/s', met: undefined };
    rows.push(
      typeof ours === 'object' && typeof ssh === 'object'
        ? {
            key: `relay-bulk.${direction}.goal-ssh`,
            scenario: SCENARIO,
            label: `${direction}: stormtower vs ssh -R`,
            result: `${preciseRatio(ours.mbps / ssh.mbps)} (${mbPerSec(ours.mbps)} vs ${mbPerSec(ssh.mbps)})`,
            goal: { ...speedGoal, met: ours.ok && ours.mbps >= ssh.mbps },
            values: { ratio: ours.mbps / ssh.mbps },
          }
        : {
            key: `relay-bulk.${direction}.goal-ssh`,
            scenario: SCENARIO,
            label: `${direction}: stormtower vs ssh -R`,
            result: `skipped: ${typeof ours === 'string' ? ours : typeof ssh === 'string' ? ssh : 'not measured'}`,
            goal: speedGoal,
          },
    );
    rows.push(
      cpuGoalRow({
        key: `relay-bulk.${direction}.goal-cpu`,
        scenario: SCENARIO,
        label: `${direction}: stormtower CPU per 100 MB vs ssh -R`,
        limit: 1.0,
        unit: 'ms per 100 MB',
        ours: typeof ours === 'object' ? ours.cpuMsPer100MB : (ours ?? 'not measured'),
        ssh: typeof ssh === 'object' ? ssh.cpuMsPer100MB : (ssh ?? 'not measured'),
      }),
    );
    const memoryGoal = {
      text: `flat: RSS in a transfer's second half < ${mb(flatLimit(bytes))} over its first`,
      met: undefined,
    };
    if (typeof ours === 'object') {
      const late = Math.max(...Object.values(ours.lateRise));
      const list = (values: Record<string, number>) =>
        Object.entries(values)
          .map(([role, value]) => `${role} ${growth(value)}`)
          .join(', ');
      rows.push({
        key: `relay-bulk.${direction}.goal-memory`,
        scenario: SCENARIO,
        label: `${direction}: stormtower memory during the transfer`,
        result: `max growth ${list(ours.growth)}; second half over first: ${list(ours.lateRise)}`,
        goal: { ...memoryGoal, met: late < flatLimit(bytes) },
        values: { maxGrowthBytes: Math.max(...Object.values(ours.growth)), lateRiseBytes: late },
      });
    } else {
      rows.push({
        key: `relay-bulk.${direction}.goal-memory`,
        scenario: SCENARIO,
        label: `${direction}: stormtower memory during the transfer`,
        result: `skipped: ${typeof ours === 'string' ? ours : 'not measured'}`,
        goal: memoryGoal,
      });
    }
  }
  return {
    rows,
    notes: [
      `${mb(bytes)} per transfer (MB = 10^6 bytes), median of ${repeats}; the client is a separate Node process speaking HTTP/1.1 on a raw socket (Node's HTTP client would cap the direct path near 1 GB/s), one connection per transfer, checking every byte against the known payload by position (bench/workers/pattern.ts; cheaper than a hash, which runs at ~1 GB/s here); uploads are checked by the upstream, which answers with the count and the first mismatch.`,
      'CPU per 100 MB: user + system CPU time of each relaying process (with its children) and of the upstream during the transfers, per 100 MB moved; the client checking the bytes is not counted.',
      'Memory: RSS of the tower and agent processes sampled every 10 ms during the transfers. Growth = the largest sample minus the RSS just before; "flat" compares the peak in the second half of each transfer with the peak in its first half (a relay that buffers bodies climbs all the way through; a heap sized up once does not).',
    ],
    raw,
  };
}
