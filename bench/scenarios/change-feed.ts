/**
 * Change feed: how long a status change takes from the poll that saw it to its `changed` event at
 * every SSE subscriber. Flip agents (bench/workers/flip-agent.ts) serve a new document on each poll
 * while armed and note when; subscriber pools note each event's arrival; both on the shared
 * monotonic clock, so the monitor interval (the wait for the next poll) is not counted.
 * Baseline: the same measurement with a single subscriber, in the same run.
 *
 * Then the feed under churn (`feed-churn.ts`): 2,000 subscribers connecting at once to a tower
 * whose 1,000 minions change about 200 times a second, and whether `/health` stays responsive.
 */
import { freshDir, type RunContext } from '../context.js';
import { int, ms, quantile, ratio } from '../format.js';
import { certsInit, startTower } from '../peers/stormtower.js';
import { monotonicMs } from '../procs/clock.js';
import { freePort } from '../procs/ports.js';
import { getJson, sleep, waitFor } from '../procs/wait.js';
import { startWorker, type Worker } from '../procs/worker.js';
import type { Row } from '../types.js';
import type { Served } from '../workers/flip-agent.js';
import type { Arrival } from '../workers/sse-pool.js';
import { feedChurn } from './feed-churn.js';
import type { ScenarioOutput } from './relay-small.js';

const SCENARIO = 'Change feed';
const PREFIX = 'flip';
/** Client processes for the subscribers: one per core. */
const POOLS = 2;

export interface Latencies {
  readonly samples: number[];
  /** Per change, its slowest subscriber: when all of them had it. */
  readonly allReceived: number[];
  /** Changes served, and how many of them were paired with an event at every subscriber. */
  readonly served: number;
  readonly paired: number;
  /** Subscribers whose stream ended during the measurement. */
  readonly lost: number;
}

/**
 * Pairs each served generation with its event at each subscriber. Events for one minion arrive in
 * order, so the k-th `changed` for an id is the k-th new document served for it; an id whose counts
 * disagree at some subscriber (a poll lost on the way, an event missing) is left out, not guessed.
 */
export function pair(
  served: readonly Served[],
  arrivals: readonly Arrival[],
  subscribers: number,
  lost: number,
): Latencies {
  const samples: number[] = [];
  const allReceived: number[] = [];
  let paired = 0;
  for (const id of new Set(served.map((s) => s.id))) {
    const changes = served.filter((s) => s.id === id).sort((a, b) => a.generation - b.generation);
    const bySubscriber = new Map<number, Arrival[]>();
    for (const arrival of arrivals) {
      if (arrival.id !== id || arrival.type !== 'changed') continue;
      const list = bySubscriber.get(arrival.subscriber) ?? [];
      list.push(arrival);
      bySubscriber.set(arrival.subscriber, list);
    }
    const lists = [...bySubscriber.values()];
    if (lists.length !== subscribers || lists.some((list) => list.length !== changes.length)) continue;
    paired += changes.length;
    changes.forEach((change, k) => {
      let slowest = 0;
      for (const list of lists) {
        const latency = (list[k]?.at ?? Number.NaN) - change.at;
        samples.push(latency);
        slowest = Math.max(slowest, latency);
      }
      allReceived.push(slowest);
    });
  }
  return { samples, allReceived, served: served.length, paired, lost };
}

async function measure(
  ctx: RunContext,
  eventsUrl: string,
  flips: Worker,
  subscribers: number,
  rounds: number,
  intervalMs: number,
): Promise<Latencies> {
  // Subscribers spread over pool processes, so one client event loop does not queue a thousand reads.
  const processes = Math.min(POOLS, subscribers);
  const pools = Array.from({ length: processes }, (_, i) => {
    const first = Math.floor((i * subscribers) / processes);
    const count = Math.floor(((i + 1) * subscribers) / processes) - first;
    return startWorker(ctx, 'sse-pool', [eventsUrl, count, PREFIX, first]);
  });
  try {
    await Promise.all(pools.map((pool) => pool.next('ready', 60_000)));
    const armedAt = monotonicMs();
    flips.send({ type: 'arm' });
    await sleep(rounds * intervalMs + 200);
    flips.send({ type: 'disarm' });
    // The last documents served may still be on their way to the subscribers.
    await sleep(Math.min(2000, intervalMs));
    flips.send({ type: 'report' });
    const { served } = await flips.next<{ type: 'served'; served: Served[] }>('served', 10_000);
    const reports = await Promise.all(
      pools.map((pool) => {
        pool.send({ type: 'report' });
        return pool.next<{ type: 'events'; arrivals: Arrival[]; lost: number }>('events', 30_000);
      }),
    );
    // A subscriber's catch-up may carry changes from before the arming (the snapshot it is served is
    // shared, followed by the events since): only what happened while armed is paired.
    return pair(
      served.filter((s) => s.at >= armedAt),
      reports.flatMap((r) => r.arrivals).filter((arrival) => arrival.at >= armedAt),
      subscribers,
      reports.reduce((sum, r) => sum + r.lost, 0),
    );
  } finally {
    await Promise.all(pools.map((pool) => pool.stop()));
  }
}

const describe = (l: Latencies, subscribers: number): string =>
  `p50 ${ms(quantile(l.samples, 0.5))}, p99 ${ms(quantile(l.samples, 0.99))}, max ${ms(Math.max(...l.samples))}; ` +
  `${int(l.paired)} of ${int(l.served)} changes reached all ${int(subscribers)}` +
  (l.lost > 0 ? `, ${l.lost} subscribers dropped` : '');

export async function changeFeed(ctx: RunContext): Promise<ScenarioOutput> {
  const fanOut = await flipFanOut(ctx);
  const churn = await feedChurn(ctx);
  return {
    rows: [...fanOut.rows, ...churn.rows],
    notes: [...fanOut.notes, ...churn.notes],
    raw: { ...(fanOut.raw as object), churn: churn.raw },
  };
}

async function flipFanOut(ctx: RunContext): Promise<ScenarioOutput> {
  const subscribers = ctx.quick ? 100 : 1000;
  const agents = ctx.quick ? 3 : 10;
  // Quick mode shortens the poll period only so that a change comes round within a second.
  const intervalMs = ctx.quick ? 1000 : 15_000;
  const dataDir = await freshDir(ctx, 'tower-feed');
  await certsInit(ctx, dataDir);
  const tower = await startTower(ctx, {
    dataDir,
    apiPort: await freePort(),
    boltPort: await freePort(),
    flags: ctx.quick ? ['--monitor-interval', String(intervalMs)] : [],
  });
  const flips = startWorker(ctx, 'flip-agent', [tower.boltUrl, dataDir, agents, PREFIX, 5000]);
  try {
    await flips.next('ready', 60_000);
    await waitFor(
      'the flip agents in the registry',
      async () =>
        (await getJson<unknown[]>(`${tower.apiUrl}/minions`))?.length === agents ? true : undefined,
      { timeoutMs: 30_000 },
    );
    const eventsUrl = `${tower.apiUrl}/minions/events`;
    ctx.log(`change-feed: 1 subscriber, ${agents} agents changing on every poll`);
    const single = await measure(ctx, eventsUrl, flips, 1, 1, intervalMs);
    ctx.log(`change-feed: ${subscribers} subscribers`);
    const many = await measure(ctx, eventsUrl, flips, subscribers, 2, intervalMs);
    const p99 = quantile(many.samples, 0.99);
    const complete = many.paired === many.served && many.served > 0 && many.lost === 0;
    const rows: Row[] = [
      {
        key: 'change-feed.single',
        scenario: SCENARIO,
        label: 'poll -> changed event, 1 subscriber',
        result: describe(single, 1),
        ratio: 'baseline',
        values: {
          p50Ms: quantile(single.samples, 0.5),
          p99Ms: quantile(single.samples, 0.99),
          changes: single.paired,
        },
      },
      {
        key: 'change-feed.fanout',
        scenario: SCENARIO,
        label: `poll -> changed event, ${int(subscribers)} subscribers`,
        result: describe(many, subscribers),
        ratio: `p99 ${ratio(p99 / quantile(single.samples, 0.99))} 1 subscriber`,
        values: {
          p50Ms: quantile(many.samples, 0.5),
          p99Ms: p99,
          maxMs: Math.max(...many.samples),
          allReceivedP99Ms: quantile(many.allReceived, 0.99),
          changes: many.paired,
          served: many.served,
        },
      },
      {
        key: 'change-feed.goal',
        scenario: SCENARIO,
        label: `every subscriber gets every change`,
        result: `p99 ${ms(p99)} over ${int(many.samples.length)} deliveries; slowest subscriber per change p99 ${ms(quantile(many.allReceived, 0.99))}`,
        goal: { text: `${int(subscribers)} subscribers, p99 < 50 ms`, met: complete && p99 < 50 },
      },
    ];
    return {
      rows,
      notes: [
        `${agents} flip agents (each a real bolt) serve a new status document on every poll while armed; monitor interval ${intervalMs / 1000} s${ctx.quick ? ' (quick mode only)' : ' (the default)'}; 1 round with 1 subscriber, then 2 rounds with ${int(subscribers)}.`,
        'Latency = arrival of the `changed` event at a subscriber (taken before parsing) minus the moment the agent began answering the poll that carried the new document, both on CLOCK_MONOTONIC.',
        `Subscribers are HTTP/1.1 clients on plain sockets in ${POOLS} separate Node processes, opened in batches of 100; each un-chunks and parses every message (SSE fields, then the JSON data), the arrival time taken before parsing. Their own event-loop delay is included in the latency (an upper bound).`,
      ],
      raw: { single, many: { ...many, samples: undefined, allReceived: undefined } },
    };
  } finally {
    await flips.stop();
    await tower.proc.stop();
  }
}
