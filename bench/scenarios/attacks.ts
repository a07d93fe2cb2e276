/**
 * Attacks: the tower's RSS and `/health` latency under each hostile or broken peer of issue 10, one
 * fresh tower per attack (bolt and legacy listeners on; in quick mode one tower while it stays up),
 * each attack time-bounded:
 *
 * - silent: 500 TCP connections to the bolt port and 500 to the legacy port, sending nothing;
 * - ping-flood: a bolt (real client certificate) sending Pings as fast as it can, never reading;
 * - hello-flood: 20 MiB of tiny legal Hellos on one bolt;
 * - flap: two real agents with one cname, each replacing the other;
 * - content-length: an agent lying about its responses' length while clients pipeline requests;
 * - slow-upgrade: bolts writing their upgrade request one byte at a time.
 */
import { freshDir, type RunContext } from '../context.js';
import { int, mib } from '../format.js';
import {
  type AgentFiles,
  certsInit,
  issueAgent,
  startAgent,
  startTower,
  type Tower,
} from '../peers/stormtower.js';
import { freePort } from '../procs/ports.js';
import { startWorker } from '../procs/worker.js';
import type { Row } from '../types.js';
import {
  type AttackResult,
  attackRow,
  type Counters,
  measureAttack,
  type Running,
  type Timing,
} from './attack-measure.js';
import type { ScenarioOutput } from './relay-small.js';

const CNAME = 'bench-attacker';

interface Settings extends Timing {
  readonly silentPerPort: number;
  readonly helloBytes: number;
  readonly slowConnections: number;
  readonly slowMsPerByte: number;
  readonly liarClients: number;
  readonly liarPipeline: number;
}

const FULL: Settings = {
  settleS: 2,
  idleS: 3,
  attackS: 10,
  afterS: 5,
  silentPerPort: 500,
  helloBytes: 20 * 2 ** 20,
  slowConnections: 200,
  slowMsPerByte: 100,
  liarClients: 4,
  liarPipeline: 16,
};
// The same attacks, shorter: each a few seconds, so the quick run inside `npm test` stays short.
const QUICK: Settings = { ...FULL, settleS: 0.3, idleS: 1, attackS: 2, afterS: 1, slowConnections: 50 };

interface Env {
  readonly ctx: RunContext;
  readonly s: Settings;
  readonly tower: Tower;
  readonly legacyPort: number;
  readonly files: AgentFiles;
}

const identityArgs = (files: AgentFiles) => [files.cert, files.key, files.ca];
const boltPort = (tower: Tower) => Number(new URL(tower.boltUrl).port);

/** An attack worker: started, in full swing once it says `ready`; `stop` collects its counters. */
async function attackWorker(env: Env, name: string, args: readonly (string | number)[]): Promise<Running> {
  const proc = startWorker(env.ctx, name, args);
  await proc.next('ready', 60_000);
  return {
    async stop() {
      proc.send({ type: 'stop' });
      const { counters } = await proc
        .next<{ type: 'stopped'; counters: Counters }>('stopped', 10_000)
        .catch(() => ({ counters: {} }));
      await proc.stop();
      return counters;
    },
  };
}

interface Attack {
  readonly key: string;
  readonly label: (s: Settings) => string;
  readonly launch: (env: Env) => Promise<Running>;
  readonly detail: (counters: Counters) => string;
}

const n = (value: unknown): string => (typeof value === 'number' ? int(value) : String(value));

const ATTACKS: readonly Attack[] = [
  {
    key: 'silent',
    label: (s) =>
      `${s.silentPerPort} silent TCP connections to the bolt port and ${s.silentPerPort} to the legacy port`,
    launch: (env) =>
      attackWorker(env, 'silent-sockets', [`${boltPort(env.tower)},${env.legacyPort}`, env.s.silentPerPort]),
    detail: (c) => `${n(c.opened)} opened, ${n(c.failed)} refused, ${n(c.closedByTower)} closed by the tower`,
  },
  {
    key: 'ping-flood',
    label: () => 'a bolt sending Pings as fast as it can, never reading',
    launch: (env) =>
      attackWorker(env, 'hostile-bolt', ['ping-flood', boltPort(env.tower), ...identityArgs(env.files)]),
    detail: (c) =>
      `${mib(Number(c.bytesSent ?? 0))} of Pings sent; ` +
      (c.closedByTowerAfterMs === null
        ? 'bolt still open'
        : `bolt closed after ${n(c.closedByTowerAfterMs)} ms`),
  },
  {
    key: 'hello-flood',
    label: (s) => `${mib(s.helloBytes)} of tiny legal Hellos on one bolt`,
    launch: (env) =>
      attackWorker(env, 'hostile-bolt', [
        'hello-flood',
        boltPort(env.tower),
        ...identityArgs(env.files),
        env.s.helloBytes,
      ]),
    detail: (c) =>
      `${mib(Number(c.bytesSent ?? 0))} of Hellos sent; ` +
      (c.closedByTowerAfterMs === null
        ? 'bolt still open'
        : `bolt closed after ${n(c.closedByTowerAfterMs)} ms`),
  },
  {
    key: 'flap',
    label: () => 'two agents with one cname (flap)',
    launch: async (env) => {
      const flags = ['--max-backoff', '1'];
      const agents = [0, 1].map(() =>
        startAgent(env.ctx, { boltUrl: env.tower.boltUrl, files: env.files, allow: [5000], flags }),
      );
      return {
        async stop() {
          for (const agent of agents) await agent.stop();
          return {};
        },
      };
    },
    detail: () => 'real agents (`stormtower agent`, --max-backoff 1)',
  },
  {
    key: 'content-length',
    label: (s) =>
      `an agent lying in content-length while ${s.liarClients} clients pipeline ${s.liarPipeline} requests`,
    launch: (env) =>
      attackWorker(env, 'lying-agent', [
        boltPort(env.tower),
        ...identityArgs(env.files),
        new URL(env.tower.apiUrl).port,
        CNAME,
        8080,
        env.s.liarClients,
        env.s.liarPipeline,
      ]),
    detail: (c) =>
      `${n(c.requestsSent)} requests on ${n(c.connections)} connections, ${n(c.relays)} relays answered with a lie`,
  },
  {
    key: 'slow-upgrade',
    label: (s) =>
      `${s.slowConnections} bolts writing their upgrade request a byte every ${s.slowMsPerByte} ms`,
    launch: (env) =>
      attackWorker(env, 'hostile-bolt', [
        'slow-upgrade',
        boltPort(env.tower),
        ...identityArgs(env.files),
        env.s.slowConnections,
        env.s.slowMsPerByte,
      ]),
    detail: (c) =>
      `${n(c.connections)} connected, ${n(c.closedByTower)} closed by the tower, ${n(c.answered)} answered`,
  },
];

export async function attacks(ctx: RunContext): Promise<ScenarioOutput> {
  const s = ctx.quick ? QUICK : FULL;
  const dataDir = await freshDir(ctx, 'tower-attacks');
  await certsInit(ctx, dataDir);
  const files = await issueAgent(ctx, dataDir, CNAME);
  const rows: Row[] = [];
  const raw: Record<string, AttackResult> = {};
  const fresh = async () => {
    const legacyPort = await freePort();
    const tower = await startTower(ctx, {
      dataDir,
      apiPort: await freePort(),
      boltPort: await freePort(),
      flags: ['--legacy-port', String(legacyPort)],
      mayExit: true,
    });
    return { tower, legacyPort };
  };
  let current: Awaited<ReturnType<typeof fresh>> | undefined;
  try {
    for (const attack of ATTACKS) {
      ctx.log(`attacks: ${attack.key}`);
      // A full run gives each attack a fresh tower; a quick one keeps the tower while it is up.
      if (current && (!ctx.quick || current.tower.proc.child.exitCode !== null)) {
        await current.tower.proc.stop();
        current = undefined;
      }
      current ??= await fresh();
      const env: Env = { ctx, s, files, ...current };
      const result = await measureAttack(ctx, current.tower, s, () => attack.launch(env));
      raw[attack.key] = result;
      rows.push(attackRow(attack.key, attack.label(s), result, attack.detail(result.counters)));
    }
  } finally {
    await current?.tower.proc.stop();
  }
  return {
    rows,
    notes: [
      `Each attack runs for ${s.attackS} s against ${ctx.quick ? 'the same tower while it stays up (quick mode)' : 'its own fresh tower'}: \`stormtower start\` with \`--legacy-port\`, defaults otherwise. ` +
        `RSS (VmRSS from /proc) before is the median over a ${s.idleS} s idle probe; the peak is sampled every 20 ms from the attack's start until ${s.afterS} s after it stopped; "after" is read then.`,
      `/health p99 is a paced probe (200 requests a second on one keep-alive connection) during the attack, beside the same probe on the idle tower just before. "up": the process is alive and /health answers after the attack. The goal marks an attack whose peak stayed under 1.5x the baseline with the tower up ("flat").`,
      "Attackers: silent sockets are plain TCP; the Ping and Hello floods and the slow upgrades speak TLS with a real agent certificate, the WebSocket written by hand (a Ping flooder pauses its socket and never reads); the content-length liar is the project's own bolt stack with a lying responder (one in two responses declares 100,000 bytes and sends 10, the other declares 10 and sends 10,000); the flap is two `stormtower agent` processes with one certificate.",
    ],
    raw,
  };
}
