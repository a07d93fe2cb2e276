/**
 * What the tower-to-tower relay costs: a minion's bolt held by tower B, asked through tower A
 * (`A /proxy -> B's peer listener -> bolt -> agent -> upstream`) against asked through B itself
 * (`B /proxy -> bolt -> agent -> upstream`). Reports the p50 and p99 of small GETs made one after
 * another on one keep-alive connection, and the MB/s of a 100 MB download, each way.
 *
 *   npm run build && node dist/bench/cross-relay-probe.js [--requests 1000] [--bytes 104857600] [--repeats 3]
 *
 * With PROBE_PROFILE_DIR set, both towers write CPU profiles under it (tower-a/, tower-b/).
 *
 * Each party is its own process (this script forked with a role, and the suite's upstream worker),
 * on loopback with ports the OS hands out; the measuring client is this process, speaking raw
 * HTTP/1.1 (workers/raw-http.ts) so the client's own cost stays out of the figures. Every byte of
 * each download is checked against the suite's pattern.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { listenForPeers } from '../src/api/peer/peer-listener.js';
import { connectBolt } from '../src/bolt/agent/connect-bolt.js';
import {
  createAuthority,
  issueClientCertificate,
  issueServerCertificate,
  loadAuthority,
} from '../src/certs/authority.js';
import { towerConfigSchema } from '../src/config/tower-config.js';
import { DEFAULT_PRE_AUTH_LIMITS } from '../src/link/pre-auth-guard.js';
import { silentLogger } from '../src/log/logger.js';
import { createPeerClient } from '../src/peer/peer-client.js';
import { startTower, type TowerSettings } from '../src/tower.js';
import { monotonicMs } from './procs/clock.js';
import { PayloadCheck } from './workers/pattern.js';
import { RawHttpClient } from './workers/raw-http.js';

const CNAME = 'probe-minion';

interface Pki {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly agentCert: string;
  readonly agentKey: string;
}

type RoleMessage =
  | { type: 'tower-b'; pki: Pki }
  | { type: 'agent'; pki: Pki; boltUrl: string; port: number }
  | { type: 'tower-a'; pki: Pki; peerUrl: string };

const settings = (): TowerSettings => ({
  ...towerConfigSchema.parse({}),
  boltHost: '127.0.0.1',
  boltPort: 0,
  apiHost: '127.0.0.1',
  apiPort: 0,
  apiToken: undefined,
  // Status polls are not what is measured here.
  monitorInterval: 3_600_000,
});

/** A forked party: runs the role it is sent and reports what others need to reach it. */
async function serveRole(message: RoleMessage): Promise<Record<string, unknown>> {
  const log = silentLogger();
  if (message.type === 'tower-b') {
    const tower = await startTower(settings(), message.pki, log);
    const peers = await listenForPeers(
      {
        host: '127.0.0.1',
        port: 0,
        ...message.pki,
        relayTimeoutMs: 20_000,
        relayIdleTimeoutMs: 60_000,
        preAuth: DEFAULT_PRE_AUTH_LIMITS,
      },
      tower.table,
      log,
    );
    const announced = new Promise<void>((resolve) => tower.table.on('capability', () => resolve()));
    process.on('message', (asked: { type: string }) => {
      if (asked.type === 'wait-announced') void announced.then(() => process.send?.({ type: 'announced' }));
    });
    return { apiUrl: tower.apiUrl, boltUrl: tower.boltUrl, peerUrl: peers.url };
  }
  if (message.type === 'agent') {
    const { pki } = message;
    connectBolt({
      towers: [message.boltUrl],
      ca: pki.ca,
      cert: pki.agentCert,
      key: pki.agentKey,
      allow: [message.port],
    });
    return {};
  }
  const client = createPeerClient(message.pki);
  const { peerUrl } = message;
  const tower = await startTower(
    { ...settings(), remoteRelay: (cname) => (cname === CNAME ? client.target(cname, peerUrl) : undefined) },
    message.pki,
    log,
  );
  return { apiUrl: tower.apiUrl };
}

function start(
  role: RoleMessage['type'] | 'upstream',
  message?: RoleMessage,
): Promise<[ChildProcess, Record<string, unknown>]> {
  const upstream = role === 'upstream';
  const script = fileURLToPath(
    new URL(upstream ? './workers/upstream.js' : import.meta.url, import.meta.url),
  );
  const profile = process.env.PROBE_PROFILE_DIR;
  const child = fork(script, upstream ? [] : ['--role'], {
    stdio: 'inherit',
    execArgv: profile && role.startsWith('tower') ? ['--cpu-prof', `--cpu-prof-dir=${profile}/${role}`] : [],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', (reply: Record<string, unknown>) => resolve([child, reply]));
    child.once('exit', (code) => reject(new Error(`${role} exited (${code}) before it was ready`)));
    if (message) child.send(message);
  });
}

const children: ChildProcess[] = [];

/** Sends `{ type }` to `child` and resolves with its next message of that type. */
function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const look = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', look);
      resolve(message as T);
    };
    child.on('message', look);
    child.send({ type });
  });
}

/** CPU milliseconds (user + system) each of `parties` spends in `work`. */
async function cpuOf<T>(
  parties: Record<string, ChildProcess>,
  work: () => Promise<T>,
): Promise<[T, Record<string, number>]> {
  type Cpu = { user: number; system: number };
  const entries = Object.entries(parties);
  const before = await Promise.all(entries.map(([, child]) => ask<Cpu>(child, 'cpu')));
  const result = await work();
  const after = await Promise.all(entries.map(([, child]) => ask<Cpu>(child, 'cpu')));
  const spent: Record<string, number> = {};
  entries.forEach(([name], i) => {
    const was = before[i];
    const now = after[i];
    if (was && now) spent[name] = (now.user + now.system - was.user - was.system) / 1000;
  });
  return [result, spent];
}

const cpuText = (spent: Record<string, number>, per: number, unit: string): string =>
  Object.entries(spent)
    .map(([name, ms]) => `${name} ${((ms * 1000) / per).toFixed(0)} ${unit}`)
    .join(', ');

async function makePki(): Promise<Pki> {
  const authority = await createAuthority({ commonName: 'probe CA' });
  const loaded = await loadAuthority(authority.certPem, authority.keyPem);
  const tower = await issueServerCertificate(loaded, { names: ['localhost', '127.0.0.1'] });
  const agent = await issueClientCertificate(loaded, CNAME);
  return {
    ca: authority.certPem,
    cert: tower.certPem,
    key: tower.keyPem,
    agentCert: agent.certPem,
    agentKey: agent.keyPem,
  };
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

async function smallGets(url: URL, requests: number): Promise<{ p50: number; p99: number }> {
  const client = new RawHttpClient(url);
  const path = `${url.pathname}${url.search}`;
  try {
    for (let i = 0; i < Math.min(200, requests); i++) await client.request({ method: 'GET', path });
    const times: number[] = [];
    for (let i = 0; i < requests; i++) {
      const began = monotonicMs();
      const { status } = await client.request({ method: 'GET', path });
      if (status !== 200) throw new Error(`${url}: answered ${status}`);
      times.push(monotonicMs() - began);
    }
    times.sort((a, b) => a - b);
    return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
  } finally {
    client.close();
  }
}

async function download(url: URL, bytes: number): Promise<number> {
  const check = new PayloadCheck();
  const client = new RawHttpClient(url);
  const began = monotonicMs();
  const { status } = await client
    .request({ method: 'GET', path: `${url.pathname}${url.search}`, onBody: (chunk) => check.update(chunk) })
    .finally(() => client.close());
  const seconds = (monotonicMs() - began) / 1000;
  if (status !== 200 || !check.ok(bytes))
    throw new Error(`${url}: ${status}, ${check.bytes} bytes, not the payload`);
  return bytes / 1e6 / seconds;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '1000' },
      bytes: { type: 'string', default: String(100 * 1024 * 1024) },
      repeats: { type: 'string', default: '3' },
    },
  });
  const requests = Number(values.requests);
  const bytes = Number(values.bytes);
  const repeats = Number(values.repeats);
  const pki = await makePki();
  const [, upstream] = await start('upstream');
  const port = Number(upstream.port);
  const [towerB, b] = await start('tower-b', { type: 'tower-b', pki });
  const announced = ask(towerB, 'announced');
  towerB.send({ type: 'wait-announced' });
  const [agent] = await start('agent', { type: 'agent', pki, boltUrl: String(b.boltUrl), port });
  await announced;
  const [towerA, a] = await start('tower-a', { type: 'tower-a', pki, peerUrl: String(b.peerUrl) });

  const ways: { way: string; api: string; parties: Record<string, ChildProcess> }[] = [
    { way: 'direct', api: String(b.apiUrl), parties: { B: towerB, agent } },
    { way: 'through A', api: String(a.apiUrl), parties: { A: towerA, B: towerB, agent } },
  ];
  const rows: string[] = [];
  for (const { way, api, parties } of ways) {
    const [small, smallCpu] = await cpuOf(parties, () =>
      smallGets(new URL(`${api}/proxy/${CNAME}@${port}/1k`), requests),
    );
    const rates: number[] = [];
    const [, bulkCpu] = await cpuOf(parties, async () => {
      for (let i = 0; i < repeats; i++) {
        rates.push(await download(new URL(`${api}/proxy/${CNAME}@${port}/download?bytes=${bytes}`), bytes));
      }
    });
    rates.sort((x, y) => x - y);
    rows.push(
      `${way}: 1 KB GET p50 ${small.p50.toFixed(3)} ms, p99 ${small.p99.toFixed(3)} ms ` +
        `(CPU per request incl. warm-up: ${cpuText(smallCpu, requests + Math.min(200, requests), 'µs')})`,
      `${way}: ${(bytes / 1e6).toFixed(0)} MB download median ${quantile(rates, 0.5).toFixed(0)} MB/s ` +
        `(of ${rates.map((r) => r.toFixed(0)).join(', ')}; CPU per MB: ${cpuText(bulkCpu, (repeats * bytes) / 1e6, 'µs')})`,
    );
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

if (process.argv.includes('--role')) {
  process.on('message', (asked: { type: string }) => {
    if (asked.type === 'cpu') process.send?.({ type: 'cpu', ...process.cpuUsage() });
  });
  process.once('message', (message: RoleMessage) => {
    serveRole(message).then(
      (reply) => process.send?.({ type: 'ready', ...reply }),
      (error: unknown) => {
        process.stderr.write(`${message.type}: ${error instanceof Error ? error.stack : String(error)}\n`);
        process.exit(1);
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
} else {
  main()
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    })
    .finally(() => {
      // Disconnected, each party exits by itself, writing its CPU profile when asked for one.
      for (const child of children) if (child.connected) child.disconnect();
    });
}
