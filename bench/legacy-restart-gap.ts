/**
 * How long the legacy port is closed while the tower restarts: a stormbolt 0.4.3 agent that dials
 * into that gap is refused and never dials again, so the gap is what an operator's restart costs.
 *
 *   npm run build && node dist/bench/legacy-restart-gap.js [--restarts 5]
 *
 * Runs the real CLI (`stormtower start --legacy-port`) in a fresh data dir, then restarts it the way
 * a supervisor does: SIGTERM, and the next process spawned the moment the old one exits. A probe
 * dials the legacy port every millisecond or so throughout; the gap is from the first refused dial
 * to the first accepted one. Also reported: the old process's exit after SIGTERM, and the new
 * process's start to its legacy port accepting.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function startTower(dataDir: string, legacyPort: number): ChildProcess {
  const args = ['start', '--data-dir', dataDir, '--bolt-host', '127.0.0.1', '--bolt-port', '0'];
  args.push('--api-port', '0', '--legacy-port', String(legacyPort), '--log-level', 'warn');
  return spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** One dial: true when the port accepted (the TCP handshake completed). */
const dial = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function untilAccepting(port: number): Promise<number> {
  while (!(await dial(port))) await new Promise((resolve) => setTimeout(resolve, 1));
  return performance.now();
}

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { restarts: { type: 'string', default: '5' } } });
  const restarts = Number(values.restarts);
  const dataDir = await mkdtemp(join(tmpdir(), 'legacy-gap-'));
  const port = await freePort();
  let tower = startTower(dataDir, port);
  // The first start creates the CA and both tower certificates: not part of any restart.
  await untilAccepting(port);
  const rows: { gapMs: number; exitMs: number; listenMs: number }[] = [];
  try {
    for (let i = 0; i < restarts; i++) {
      let refusedAt: number | undefined;
      let probing = true;
      const probe = (async () => {
        while (probing) {
          const accepted = await dial(port);
          if (!accepted && refusedAt === undefined) refusedAt = performance.now();
          if (accepted && refusedAt !== undefined) return performance.now();
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        return undefined;
      })();
      const old = tower;
      const exited = new Promise<number>((resolve) => old.once('exit', () => resolve(performance.now())));
      const termAt = performance.now();
      old.kill('SIGTERM');
      const exitAt = await exited;
      tower = startTower(dataDir, port);
      const acceptedAt = await probe;
      probing = false;
      if (acceptedAt === undefined || refusedAt === undefined) throw new Error('the probe saw no gap');
      rows.push({ gapMs: acceptedAt - refusedAt, exitMs: exitAt - termAt, listenMs: acceptedAt - exitAt });
    }
  } finally {
    tower.kill('SIGTERM');
    await new Promise((resolve) => tower.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
  const fmt = (ms: number) => `${ms.toFixed(0).padStart(5)} ms`;
  console.log('restart  legacy port closed  SIGTERM->exit  exit->accepting');
  rows.forEach((row, i) => {
    console.log(
      `${String(i + 1).padStart(7)}  ${fmt(row.gapMs)}            ${fmt(row.exitMs)}       ${fmt(row.listenMs)}`,
    );
  });
  const gaps = rows.map((row) => row.gapMs).sort((a, b) => a - b);
  console.log(`gap: median ${fmt(gaps[Math.floor(gaps.length / 2)] ?? 0)}, worst ${fmt(gaps.at(-1) ?? 0)}`);
}

await run();
