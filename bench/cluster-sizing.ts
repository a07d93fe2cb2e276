/**
 * What the cluster's minions bucket costs NATS and a tower, for the sizing in docs/cluster.md: a
 * throwaway nats-server (`startLocalNats`), `count` records shaped like real ones (the stormflash
 * status fixture, a distinct cname each, through `toRecord`) written as a tower writes them, then a
 * fresh tower's cold start read of the whole bucket.
 *
 *   npm run -s build && node dist/bench/cluster-sizing.js [count]     (default 50000)
 *
 * From a few hundred thousand records the reading tower's heap outgrows Node's default limit: run it
 * with `node --max-old-space-size=12288`. Results are printed as each is measured.
 *
 * Measured: puts/s with 32 in flight (the publisher's WRITES_IN_FLIGHT), the store on disk, the
 * nats-server's RSS and CPU, a bare watcher's read of every key, and a real `joinCluster` + registry
 * reading every key into its view (time and the heap it keeps), plus one `GET /minions` body and the
 * global checksum over that view.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { cpuUsage, memoryUsage } from 'node:process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EMPTY, filter, firstValueFrom } from 'rxjs';
import { documentChecksum } from '../machines/status-document.js';
import { bucketKey, MINIONS_BUCKET } from '../src/cluster/bucket-keys.js';
import { joinCluster } from '../src/cluster/cluster.js';
import { startLocalNats } from '../src/cluster/local-nats.js';
import { toRecord } from '../src/cluster/minion-record.js';
import { BoltTable } from '../src/link/bolt-table.js';
import { LimitLog } from '../src/log/limit-log.js';
import { silentLogger } from '../src/log/logger.js';
import { createRegistry } from '../src/registry/minion-registry.js';
import type { RegistryEntry } from '../src/registry/registry-types.js';
import { monotonicMs } from './procs/clock.js';
import { cpuSeconds, rssBytes } from './procs/proc-stats.js';

// As many writes in flight as one tower's publisher allows (src/cluster/minion-publisher.ts).
const IN_FLIGHT = 32;
// The records are spread over this many owner towers, as a 50-tower deployment would write them.
const OWNERS = 50;
// Long enough that the reading tower never judges the (absent) owners dead and reaps their keys.
const PRESENCE_TIMEOUT_MS = 3_600_000;
const REQUEST_TIMEOUT_MS = 60_000;

const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/stormflash-status.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/** A registry entry like a tower's for a minion holding the fixture document, under its own cname. */
function entryFor(cname: string, now: number, extra: object): RegistryEntry & { readonly boltId: string } {
  const document = { ...fixture, ...extra, id: cname };
  return {
    id: cname,
    boltId: randomUUID(),
    document,
    checksum: documentChecksum(document),
    state: 'ready',
    lastError: null,
    consecutiveFailures: 0,
    connectedAt: now,
    lastPollAt: now,
    lastChangeAt: now,
    json: JSON.stringify(document),
  };
}

function recordValue(cname: string, owner: string, epoch: number, extra: object = {}): string {
  const link = { ports: [5000], address: '10.1.2.3', transport: 'ws' };
  const entry = entryFor(cname, Date.now(), extra);
  const local = { cname, boltId: entry.boltId, connectedAt: entry.connectedAt, link, entry };
  return JSON.stringify(toRecord(local, owner, epoch));
}

/** Wall time, this process's CPU and the nats-server's CPU over one phase, in seconds. */
interface Span {
  readonly seconds: number;
  readonly cpu: number;
  readonly natsCpu: number;
}

/** Measures `work`: `natsPid` is read from /proc, this process from `process.cpuUsage`. */
async function span<T>(natsPid: number, work: () => Promise<T>): Promise<[T, Span]> {
  const started = monotonicMs();
  const cpu = cpuUsage();
  const natsCpu = cpuSeconds(natsPid) ?? 0;
  const result = await work();
  const used = cpuUsage(cpu);
  return [
    result,
    {
      seconds: (monotonicMs() - started) / 1000,
      cpu: (used.user + used.system) / 1e6,
      natsCpu: (cpuSeconds(natsPid) ?? 0) - natsCpu,
    },
  ];
}

/** Runs `work(i)` for i in [0, count) with `IN_FLIGHT` at a time. */
async function inFlight(count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

/** The nats-server this process started: its pid and its store folder (from its `-sd` argument). */
function natsChild(): { pid: number; store: string } {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      if (!new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(status)) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const store = argv[argv.indexOf('-sd') + 1];
      if (argv[0]?.endsWith('nats-server') && store !== undefined) return { pid: Number(name), store };
    } catch {
      // a process that ended while the folder was read
    }
  }
  throw new Error('the nats-server started by this process was not found in /proc');
}

/** Bytes allocated on disk under `dir` (st_blocks, so sparse or preallocated files count as stored). */
function diskUsage(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? diskUsage(path) : statSync(path).blocks * 512;
  }
  return total;
}

const gc = (): void => {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
};

/** A bare watcher (no parsing): how fast NATS hands every key of the bucket to a new client. */
async function bareRead(connection: NatsConnection, count: number): Promise<void> {
  const kv = await new Kvm(connection).open(MINIONS_BUCKET);
  const entries = await kv.watch();
  let seen = 0;
  for await (const _ of entries) if (++seen === count) break;
  entries.stop();
}

/** Writes one line of results at once, so a run that fails later still shows what it measured. */
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const perKey = (bytes: number, count: number): string => `${(bytes / count / 1024).toFixed(2)} KiB/key`;

const rate = (phase: Span, count: number, what: string): string =>
  `${phase.seconds.toFixed(1)} s = ${Math.round(count / phase.seconds)} ${what}/s; ` +
  `CPU: this process ${phase.cpu.toFixed(1)} s, nats-server ${phase.natsCpu.toFixed(1)} s`;

/**
 * A tower's cold start: `joinCluster` and a registry, until the view holds every record; then the
 * heap those records keep, one `GET /minions` body and the global checksum, and what one changed
 * minion costs the next reader of each.
 */
async function towerRead(
  url: string,
  count: number,
  natsPid: number,
  change: (cname: string) => Promise<unknown>,
): Promise<void> {
  gc();
  const before = memoryUsage();
  const log = silentLogger();
  const cluster = joinCluster(
    { servers: [url], towerId: 'sizing-reader', presenceTimeoutMs: PRESENCE_TIMEOUT_MS },
    log,
    new LimitLog(log),
  );
  const registry = createRegistry(EMPTY, cluster.remote$);
  try {
    const [, coldStart] = await span(natsPid, async () => {
      const endpoints = { relayUrl: 'https://127.0.0.1:1', apiUrl: '', boltUrl: '' };
      cluster.start({ registry, table: new BoltTable(), endpoints });
      await firstValueFrom(registry.view$.pipe(filter((view) => view.entries.size === count)));
    });
    say(
      `tower cold start (joinCluster + registry, every record parsed and folded): ${rate(coldStart, count, 'keys')}`,
    );
    gc();
    const after = memoryUsage();
    const kept = after.heapUsed + after.external - (before.heapUsed + before.external);
    say(
      `  tower memory kept for the records: heap+external ${mib(kept)} = ${perKey(kept, count)}; RSS +${mib(after.rss - before.rss)}`,
    );

    const view = registry.current();
    const [body, bodySpan] = await span(natsPid, async () => view.listBody());
    const [, checksumSpan] = await span(natsPid, async () => view.global);
    say(
      `  GET /minions body ${mib(body.byteLength)}, first assembly ${bodySpan.seconds.toFixed(2)} s ` +
        `(CPU ${bodySpan.cpu.toFixed(2)} s); global checksum ${(checksumSpan.seconds * 1000).toFixed(0)} ms`,
    );

    // One minion's document changes on its tower: what reading the new checksum and body costs here.
    const afterChange = async (label: string, cname: string): Promise<void> => {
      const changed = firstValueFrom(registry.changes$.pipe(filter((c) => c.id === cname)));
      // Together: if the write fails, its error is the one reported, not the watch's.
      await Promise.all([change(cname), changed]);
      const next = registry.current();
      const [, checksum] = await span(natsPid, async () => next.global);
      const [, listed] = await span(natsPid, async () => next.listBody());
      say(
        `  after one change, ${label} id: checksum ${(checksum.seconds * 1000).toFixed(1)} ms, ` +
          `body ${(listed.seconds * 1000).toFixed(1)} ms`,
      );
    };
    const ids = view.ids;
    // The first id in order is the worst case (the checksum is re-hashed from the changed chunk on).
    await afterChange('first', ids[0] ?? '');
    await afterChange('middle', ids[Math.floor(ids.length / 2)] ?? '');
  } finally {
    await cluster.close();
    registry.close();
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 50_000);
  if (!Number.isInteger(count) || count < 1) throw new Error('usage: cluster-sizing.js [count]');
  // The machine may be shared: a load above the core count means these figures had competition.
  say(
    `load average at start: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(', ')}`,
  );
  const nats = await startLocalNats();
  try {
    const { pid, store } = natsChild();
    const idleRss = rssBytes(pid) ?? 0;
    // JetStream requests wait this long for an answer (2 s by default): a tower's heap of several GiB
    // on a busy machine can pause this process for longer than that.
    const connection = await connect({ servers: nats.url, timeout: REQUEST_TIMEOUT_MS });
    const kv: KV = await new Kvm(connection).create(MINIONS_BUCKET, { history: 1 });
    const cnames = Array.from({ length: count }, () => randomUUID());
    const owner = (i: number): string => `tower-${i % OWNERS}`;
    const sample = recordValue(cnames[0] ?? '', owner(0), 1);
    say(
      `records: ${count}, one record ${sample.length} bytes of JSON (document ${JSON.stringify(fixture).length} bytes)`,
    );

    const revisions = new Array<number>(count);
    const [, create] = await span(pid, () =>
      inFlight(count, async (i) => {
        const cname = cnames[i] ?? '';
        revisions[i] = await kv.create(bucketKey(cname), recordValue(cname, owner(i), 1));
      }),
    );
    const written = await kv.status();
    say(`create every key, ${IN_FLIGHT} in flight: ${rate(create, count, 'puts')}`);
    say(
      `  bucket ${mib(written.size)} (${written.values} values); store on disk ${mib(diskUsage(store))} = ` +
        `${perKey(diskUsage(store), count)}; nats-server RSS ${mib(idleRss)} idle -> ${mib(rssBytes(pid) ?? 0)}`,
    );

    // A takeover of every key (compare-and-set on its revision): what a tower restart costs the bucket.
    const [, update] = await span(pid, () =>
      inFlight(count, async (i) => {
        const cname = cnames[i] ?? '';
        await kv.update(bucketKey(cname), recordValue(cname, owner(i + 1), 2), revisions[i] ?? 0);
      }),
    );
    const rewritten = await kv.status();
    say(`update (CAS) every key, ${IN_FLIGHT} in flight: ${rate(update, count, 'puts')}`);
    say(
      `  bucket ${mib(rewritten.size)} (${rewritten.values} values); store on disk ${mib(diskUsage(store))}; ` +
        `nats-server RSS ${mib(rssBytes(pid) ?? 0)}`,
    );

    const [, bare] = await span(pid, () => bareRead(connection, count));
    say(`bare watcher reads every key: ${rate(bare, count, 'keys')}`);
    try {
      await towerRead(nats.url, count, pid, (cname) =>
        kv.put(bucketKey(cname), recordValue(cname, owner(0), 3, { changed: monotonicMs() })),
      );
    } finally {
      say(`nats-server RSS at the end ${mib(rssBytes(pid) ?? 0)}`);
      await connection.close();
    }
  } finally {
    await nats.close();
  }
}

await main();
