/**
 * The cluster scenario's table rows: cold start against one tower, each tower's cost, change lag,
 * relaying through a tower that does not hold the minion, and recovery from a lost tower. A phase
 * that could not run leaves its rows with the reason.
 */
import { int, mbPerSec, mib, ms, quantile, ratio, seconds } from '../format.js';
import type { Row } from '../types.js';
import type { Latencies } from './change-feed.js';
import type { Agreement } from './cluster-converge.js';
import type { Lag } from './cluster-lag.js';
import type { ClusterRelay, Download, Measured, SmallGets } from './cluster-relay.js';
import type { Steady } from './fleet-steps.js';

const SCENARIO = 'Cluster';

/** A phase's result, or why there is none (`failed: ...` fails the report check). */
export type Phase<T> = T | { readonly skip: string };

const skipped = <T extends object>(phase: Phase<T>): phase is { readonly skip: string } => 'skip' in phase;

export interface SingleResult {
  readonly n: number;
  readonly cold: Agreement;
  /** CPU seconds the tower used from its start until the agreement. */
  readonly coldCpuS: number;
  readonly steady?: Steady;
}

export interface RecoveryResult {
  readonly victim: string;
  /** Bolts the victim held when it was killed. */
  readonly held: number;
  readonly agreement: Agreement;
  /** Minions a surviving tower announced `removed` before their agents got back. */
  readonly removed: number;
}

export interface ClusterResult {
  readonly towers: readonly string[];
  readonly perTower: number;
  readonly cold: Agreement;
  readonly coldCpuS: readonly number[];
  readonly steady: Phase<{ readonly towers: readonly Steady[]; readonly nats: Steady | undefined }>;
  readonly lag: Phase<Lag>;
  readonly relay: Phase<ClusterRelay>;
  readonly recovery: Phase<RecoveryResult>;
}

const row = (key: string, label: string, fill: Omit<Row, 'key' | 'scenario' | 'label'>): Row => ({
  key: `cluster.${key}`,
  scenario: SCENARIO,
  label,
  ...fill,
});

const skipRow = (key: string, label: string, reason: string): Row =>
  row(key, label, { result: reason.startsWith('failed') ? reason : `skipped: ${reason}` });

const agreementText = (a: Agreement, n: number, what: string, after: string): string =>
  a.reached
    ? `all ${int(n)} ${what} ${seconds(a.seconds)} after ${after}`
    : `not within ${seconds(a.seconds)} of ${after}: ${int(a.bolts)} of ${int(n)} bolts up, ${a.checksums} distinct checksums, ${int(a.listed)} listed${a.unadopted > 0 ? `, ${int(a.unadopted)} not adopted` : ''}`;

const steadyText = (label: string, s: Steady): string =>
  `${label} RSS ${mib(s.rssMean)}, CPU ${s.cpuPercent.toFixed(1)}%`;

/** Every row key this scenario reports, whatever happened (for the report check). */
export const CLUSTER_KEYS = [
  'cold-single',
  'cold',
  'towers',
  'lag-local',
  'lag-remote',
  'relay-get-local',
  'relay-get-remote',
  'relay-download-local',
  'relay-download-remote',
  'recovery',
].map((key) => `cluster.${key}`);

/** Every row with the same reason: nats-server missing, or the cluster never came up. */
export function allSkipped(reason: string): Row[] {
  return CLUSTER_KEYS.map((key) => skipRow(key.slice('cluster.'.length), 'the cluster', reason));
}

export function singleRow(single: SingleResult): Row {
  return row('cold-single', `1 tower, ${int(single.n)} minions: cold start (baseline)`, {
    result:
      agreementText(single.cold, single.n, 'listed', 'tower start') +
      `; ${single.coldCpuS.toFixed(1)} CPU-s to get there` +
      (single.steady ? `; then ${steadyText('', single.steady).trim()}` : ''),
    ratio: 'baseline',
    values: {
      seconds: single.cold.seconds,
      reached: single.cold.reached,
      coldCpuSeconds: single.coldCpuS,
      rssBytes: single.steady?.rssMean ?? null,
      cpuPercent: single.steady?.cpuPercent ?? null,
    },
  });
}

function lagRows(lag: Phase<Lag>, towers: number): Row[] {
  const localLabel = 'change -> SSE event at the holding tower (baseline)';
  const remoteLabel = `change -> SSE event at the ${towers - 1} other towers`;
  if (skipped(lag))
    return [skipRow('lag-local', localLabel, lag.skip), skipRow('lag-remote', remoteLabel, lag.skip)];
  const text = (l: Latencies) =>
    `p50 ${ms(quantile(l.samples, 0.5))}, p99 ${ms(quantile(l.samples, 0.99))}, max ${ms(Math.max(...l.samples))}; ` +
    `${int(l.paired)} of ${int(l.served)} changes paired` +
    (l.lost > 0 ? `, ${l.lost} subscribers dropped` : '');
  const values = (l: Latencies) => ({
    p50Ms: quantile(l.samples, 0.5),
    p99Ms: quantile(l.samples, 0.99),
    changes: l.paired,
    served: l.served,
  });
  return [
    row('lag-local', localLabel, { result: text(lag.local), ratio: 'baseline', values: values(lag.local) }),
    row('lag-remote', remoteLabel, {
      result: text(lag.remote),
      ratio: `p50 ${ratio(quantile(lag.remote.samples, 0.5) / quantile(lag.local.samples, 0.5))}, p99 ${ratio(quantile(lag.remote.samples, 0.99) / quantile(lag.local.samples, 0.99))} holder`,
      values: values(lag.remote),
    }),
  ];
}

const cpuText = (cpu: Readonly<Record<string, number>>): string =>
  Object.entries(cpu)
    .map(([role, micros]) => `${role} ${Number.isFinite(micros) ? Math.round(micros) : 'n/a'}`)
    .join(' + ');

function relayRows(relay: Phase<ClusterRelay>, holder: string, other: string): Row[] {
  const labels = {
    getLocal: `GET 1 KB, c50, through the holding tower ${holder} (baseline)`,
    getRemote: `GET 1 KB, c50, through ${other}, which does not hold the minion`,
    dlLocal: `download through the holding tower ${holder} (baseline)`,
    dlRemote: `download through ${other}, which does not hold the minion`,
  };
  if (skipped(relay))
    return [
      skipRow('relay-get-local', labels.getLocal, relay.skip),
      skipRow('relay-get-remote', labels.getRemote, relay.skip),
      skipRow('relay-download-local', labels.dlLocal, relay.skip),
      skipRow('relay-download-remote', labels.dlRemote, relay.skip),
    ];
  const get = (key: string, label: string, m: Measured<SmallGets>, base?: Measured<SmallGets>): Row =>
    skipped(m)
      ? skipRow(key, label, m.skip)
      : row(key, label, {
          result:
            `${int(m.requestsPerSec)} req/s, p50 ${ms(m.p50Ms)}, p99 ${ms(m.p99Ms)}` +
            (m.errors ? ` (${m.errors})` : '') +
            `; CPU per request: ${cpuText(m.cpuMicros)} µs`,
          ratio:
            base === undefined
              ? 'baseline'
              : skipped(base)
                ? undefined
                : `${ratio(m.requestsPerSec / base.requestsPerSec)} local`,
          values: {
            requestsPerSec: m.requestsPerSec,
            p50Ms: m.p50Ms,
            p99Ms: m.p99Ms,
            errors: m.errors ?? null,
          },
        });
  const download = (key: string, label: string, m: Measured<Download>, base?: Measured<Download>): Row =>
    skipped(m)
      ? skipRow(key, label, m.skip)
      : row(key, label, {
          result: `${mbPerSec(m.mbps)}, ${m.detail}`,
          ratio:
            base === undefined
              ? 'baseline'
              : skipped(base)
                ? undefined
                : `${ratio(m.mbps / base.mbps)} local`,
          values: { mbPerSec: m.mbps / 1e6, bytesChecked: m.ok },
        });
  return [
    get('relay-get-local', labels.getLocal, relay.local.get),
    get('relay-get-remote', labels.getRemote, relay.remote.get, relay.local.get),
    download('relay-download-local', labels.dlLocal, relay.local.download),
    download('relay-download-remote', labels.dlRemote, relay.remote.download, relay.local.download),
  ];
}

function recoveryRow(recovery: Phase<RecoveryResult>, n: number, cold: Agreement): Row {
  const label = 'SIGKILL one tower: its minions adopted by the others, one checksum again';
  if (skipped(recovery)) return skipRow('recovery', label, recovery.skip);
  const { agreement: a } = recovery;
  return row(
    'recovery',
    `SIGKILL ${recovery.victim} (holding ${int(recovery.held)}): adopted, one checksum again`,
    {
      result:
        agreementText(a, n, 'held by live towers with one checksum', 'the SIGKILL') +
        `; ${int(recovery.removed)} announced removed meanwhile`,
      ratio: a.reached && cold.reached ? `${ratio(a.seconds / cold.seconds)} cold start` : undefined,
      values: { seconds: a.seconds, reached: a.reached, held: recovery.held, removed: recovery.removed },
    },
  );
}

export function clusterRows(single: Phase<SingleResult>, result: ClusterResult): Row[] {
  const k = result.towers.length;
  const n = k * result.perTower;
  const sized = `${k} towers x ${int(result.perTower)}`;
  const baseline = skipped(single) ? undefined : single;
  const { cold } = result;
  const steady = result.steady;
  const meanRss = skipped(steady)
    ? Number.NaN
    : steady.towers.reduce((sum, s) => sum + s.rssMean, 0) / steady.towers.length;
  return [
    skipped(single)
      ? skipRow('cold-single', '1 tower: cold start (baseline)', single.skip)
      : singleRow(single),
    row('cold', `${sized}: cold start to one checksum`, {
      result:
        agreementText(cold, n, 'listed with one Content-MD5 at every tower', 'the towers started') +
        `; CPU-s to get there: ${result.coldCpuS.map((s, i) => `${result.towers[i]} ${s.toFixed(1)}`).join(', ')}`,
      ratio:
        cold.reached && baseline?.cold.reached
          ? `${ratio(cold.seconds / baseline.cold.seconds)} 1 tower`
          : undefined,
      values: { seconds: cold.seconds, reached: cold.reached, minions: n },
    }),
    skipped(steady)
      ? skipRow('towers', `${sized}: each tower, steady`, steady.skip)
      : row('towers', `${sized}: each tower, steady`, {
          result: [
            ...steady.towers.map((s, i) => steadyText(result.towers[i] ?? `tower ${i + 1}`, s)),
            ...(steady.nats ? [steadyText('nats-server', steady.nats)] : []),
          ].join('; '),
          ratio: baseline?.steady ? `RSS ${ratio(meanRss / baseline.steady.rssMean)} 1 tower` : undefined,
          values: Object.fromEntries([
            ...steady.towers.flatMap((s, i) => [
              [`rssBytes${i + 1}`, s.rssMean],
              [`cpuPercent${i + 1}`, s.cpuPercent],
            ]),
            ['natsRssBytes', steady.nats?.rssMean ?? null],
            ['natsCpuPercent', steady.nats?.cpuPercent ?? null],
          ]),
        }),
    ...lagRows(result.lag, k),
    ...relayRows(result.relay, result.towers[0] ?? 'tower 1', result.towers[1] ?? 'tower 2'),
    recoveryRow(result.recovery, n, cold),
  ];
}
