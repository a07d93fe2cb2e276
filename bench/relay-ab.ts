/**
 * Not a scenario: an interleaved A/B of the relay's CPU between two built trees, for changes to the
 * data path (bench/PROFILES.md, issue 16, fourth round). One upstream; per variant a tower and a real
 * `stormtower agent` started from that tree's `dist/`, 8 s of wrk (c50, 1 KB GET), two 100 MB
 * downloads and two 100 MB uploads by the bench's bulk client; tower and agent CPU from /proc, per
 * request and per 100 MB, and the tower's main thread apart from its V8 worker threads. Variants run
 * A B, B A, ... so the machine's drift falls on both.
 *
 *   npm run -s build && node dist/bench/relay-ab.js <rounds> <tree A> <tree B>
 */
import { readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtPaths, type RunContext, repositoryRoot } from './context.js';
import { findPeers, isAvailable } from './peers/find-peers.js';
import { startAgent, towerForOneAgent } from './peers/stormtower.js';
import { runWrk } from './peers/wrk.js';
import { cpuSeconds, threadCpuSeconds } from './procs/proc-stats.js';
import { request, waitFor } from './procs/wait.js';
import { startWorker } from './procs/worker.js';
import type { BulkTransfer } from './workers/bulk-client.js';

const MB100 = 100e6;

/** CPU ms of a process's main thread and of all its other threads, from /proc/<pid>/task. */
function threadMs(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    // A thread that ended between the listing and the read counts nothing.
    const ms = (threadCpuSeconds(pid, tid) ?? 0) * 1000;
    if (tid === String(pid)) main += ms;
    else others += ms;
  }
  return { main, others };
}

async function transfer(ctx: RunContext, direction: 'download' | 'upload', url: string): Promise<number> {
  const client = startWorker(ctx, 'bulk-client', [direction, url, MB100, 2], { oneShot: true });
  const { transfers } = await client
    .next<{ type: 'result'; transfers: BulkTransfer[] }>('result', 300_000)
    .finally(() => void client.stop());
  if (!transfers.every((t) => t.ok)) throw new Error(`${direction}: bytes wrong`);
  return transfers.reduce((sum, t) => sum + t.bytes, 0);
}

async function measure(ctx: RunContext, tree: string, wrk: string, upstreamPort: number): Promise<string> {
  const own: RunContext = { ...ctx, ...builtPaths(tree) };
  const { tower, files } = await towerForOneAgent(own, {
    dirName: 'ab',
    cname: 'ab',
    statusPort: upstreamPort,
  });
  const agent = startAgent(own, { boltUrl: tower.boltUrl, files, allow: [upstreamPort] });
  try {
    const base = `${tower.apiUrl}/proxy/ab@${upstreamPort}`;
    await waitFor(
      'the agent bolt',
      async () =>
        (await request(`${base}/1k`, 'GET', 5000).catch(() => undefined))?.status === 200 ? true : undefined,
      { timeoutMs: 20_000 },
    );
    const cpu = () => [cpuSeconds(tower.proc.pid) ?? 0, cpuSeconds(agent.pid) ?? 0] as const;
    const load = loadavg()[0] ?? 0;
    await runWrk({ wrk, url: `${base}/1k`, connections: 50, seconds: 2 });
    const [t0, a0] = cpu();
    const get = await runWrk({ wrk, url: `${base}/1k`, connections: 50, seconds: 8 });
    const [t1, a1] = cpu();
    const perRequest = (s: number) => Math.round((s * 1e6) / get.requests);
    const threads0 = threadMs(tower.proc.pid);
    const [t2, a2] = cpu();
    const down = await transfer(own, 'download', `${base}/download?bytes=${MB100}`);
    const [t3, a3] = cpu();
    const threads1 = threadMs(tower.proc.pid);
    const up = await transfer(own, 'upload', `${base}/upload`);
    const [t4, a4] = cpu();
    const per100 = (s: number, bytes: number) => Math.round((s * 1000 * MB100) / bytes);
    const perDown = (ms: number) => Math.round((ms * MB100) / down);
    return [
      `${tree}: load ${load.toFixed(2)}`,
      `GET ${perRequest(t1 - t0)} + ${perRequest(a1 - a0)} us`,
      `download ${per100(t3 - t2, down)} + ${per100(a3 - a2, down)} ms/100 MB (tower main ${perDown(threads1.main - threads0.main)}, other threads ${perDown(threads1.others - threads0.others)})`,
      `upload ${per100(t4 - t3, up)} + ${per100(a4 - a3, up)} ms/100 MB`,
    ].join(' | ');
  } finally {
    await agent.stop();
    await tower.proc.stop();
  }
}

async function main(): Promise<void> {
  const [roundsText, ...trees] = process.argv.slice(2);
  const rounds = Number(roundsText);
  if (!Number.isInteger(rounds) || rounds < 1 || trees.length === 0) {
    throw new Error('usage: relay-ab <rounds> <tree> [<tree> ...] (each tree built with npm run build)');
  }
  const root = repositoryRoot();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const peers = await findPeers(log);
  if (!isAvailable(peers.wrk)) throw new Error('wrk is not installed (Debian package wrk)');
  const ctx: RunContext = {
    quick: false,
    root,
    ...builtPaths(root),
    tmp: await mkdtemp(join(tmpdir(), 'relay-ab-')),
    peers,
    deadline: Date.now() + 3_600_000,
    log,
  };
  const upstream = startWorker(ctx, 'upstream', [0]);
  try {
    const { port } = await upstream.next<{ type: 'ready'; port: number }>('ready', 10_000);
    for (let round = 0; round < rounds; round++) {
      for (const tree of round % 2 === 0 ? trees : [...trees].reverse()) {
        process.stdout.write(`${await measure(ctx, tree, peers.wrk.path, port)}\n`);
      }
    }
  } finally {
    await upstream.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
