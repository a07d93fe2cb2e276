/**
 * The `stormtower` executable as an operator runs it: real processes (`node dist/src/cli/main.js`),
 * real files in a temporary directory, real sockets between a tower, agents and a simulator.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, type CliProcess, runCli, startCli, towerArgs } from '../helpers/cli.js';
import { closeAll, eventually, service, tempDir } from '../helpers/harness.js';
import { writePki } from '../helpers/pki.js';

beforeAll(assertBuilt);
afterEach(closeAll);

let dir = '';
beforeEach(async () => {
  dir = await tempDir('stormtower-cli-');
});

const TOWER_FILES = ['ca.crt', 'ca.key', 'tower.crt', 'tower.key'];
/** What a new data dir holds: the tower files and the CA's record of what it issued. */
const DATA_DIR_FILES = ['ca.crt', 'ca.key', 'issued.json', 'tower.crt', 'tower.key'];

const mode = async (path: string) => (await stat(path)).mode & 0o777;

/** Lines of a command's output without trailing blanks. */
const lines = (text: string) => text.split('\n').filter((line) => line !== '');

/** No stack trace: errors an operator can fix are reported in one message. */
const NO_STACK = /\n\s+at /;

interface ClientRow {
  cname: string;
  ports: number[];
  state: string;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

const cnamesAt = async (api: string) =>
  (await getJson<ClientRow[]>(`${api}/clients`)).map(({ cname }) => cname);

/** `stormtower start` on loopback with OS-chosen ports, and the URLs it logged as ready. */
async function startTower(dataDir: string, extra: string[] = []) {
  const cli = startCli([
    ...towerArgs(dataDir),
    '--beacon-interval',
    '1',
    '--beacon-validity',
    '5',
    '--monitor-interval',
    '200',
    ...extra,
  ]);
  const ready = await cli.waitForLog((line) => line.msg === 'tower ready');
  const { api, bolt } = ready;
  if (typeof api !== 'string' || typeof bolt !== 'string')
    throw new Error(`odd ready line ${JSON.stringify(ready)}`);
  expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(bolt).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
  return { process: cli, api, bolt };
}

/** Issues a certificate for `cname` into `<dir>/agents` and starts `stormtower agent` with it. */
async function startAgent(dataDir: string, cname: string, bolt: string, allow: number): Promise<CliProcess> {
  const out = join(dir, 'agents');
  const issued = await runCli(['certs', 'issue', cname, '--data-dir', dataDir, '--out', out]);
  expect(issued, issued.stderr).toMatchObject({ code: 0 });
  return startCli([
    'agent',
    '--tower',
    bolt,
    '--cert',
    join(out, `${cname}.crt`),
    '--key',
    join(out, `${cname}.key`),
    '--ca',
    join(out, 'ca.crt'),
    '--allow',
    String(allow),
    '--beacon-interval',
    '1',
    '--beacon-validity',
    '5',
  ]);
}

describe('stormtower certs', () => {
  it('init creates the CA and tower certificate with private keys, and a second run keeps them', async () => {
    const data = join(dir, 'data');
    const first = await runCli(['certs', 'init', '--data-dir', data]);
    expect(first, first.stderr).toMatchObject({ code: 0 });
    expect(lines(first.stdout).sort()).toEqual(
      TOWER_FILES.map((file) => `created ${join(data, file)}`).sort(),
    );
    expect((await readdir(data)).sort()).toEqual(DATA_DIR_FILES);
    expect(await mode(data)).toBe(0o700);
    expect(await mode(join(data, 'ca.key'))).toBe(0o600);
    expect(await mode(join(data, 'tower.key'))).toBe(0o600);
    const ca = new X509Certificate(await readFile(join(data, 'ca.crt')));
    const towerCert = new X509Certificate(await readFile(join(data, 'tower.crt')));
    expect(ca.ca).toBe(true);
    expect(towerCert.checkIssued(ca)).toBe(true);
    expect(towerCert.verify(ca.publicKey)).toBe(true);
    expect(towerCert.subjectAltName).toContain('IP Address:127.0.0.1');

    const before = await Promise.all(TOWER_FILES.map((file) => readFile(join(data, file), 'utf8')));
    const second = await runCli(['certs', 'init', '--data-dir', data]);
    expect(second, second.stderr).toMatchObject({ code: 0 });
    expect(lines(second.stdout).sort()).toEqual(
      TOWER_FILES.map((file) => `kept    ${join(data, file)}`).sort(),
    );
    expect(await Promise.all(TOWER_FILES.map((file) => readFile(join(data, file), 'utf8')))).toEqual(before);
  });

  it('issue writes a client certificate for the cname, signed by the CA, and never overwrites it', async () => {
    const data = join(dir, 'data');
    const out = join(dir, 'out');
    await mkdir(data);
    await writePki(data);

    const issued = await runCli(['certs', 'issue', 'edge-01.example', '--data-dir', data, '--out', out]);
    expect(issued, issued.stderr).toMatchObject({ code: 0 });
    expect(lines(issued.stdout)).toEqual([
      `certificate ${join(out, 'edge-01.example.crt')}`,
      `key         ${join(out, 'edge-01.example.key')}`,
      `ca          ${join(out, 'ca.crt')}`,
    ]);
    expect((await readdir(out)).sort()).toEqual(['ca.crt', 'edge-01.example.crt', 'edge-01.example.key']);
    expect(await mode(join(out, 'edge-01.example.key'))).toBe(0o600);
    expect(await readFile(join(out, 'ca.crt'), 'utf8')).toBe(await readFile(join(data, 'ca.crt'), 'utf8'));
    const ca = new X509Certificate(await readFile(join(data, 'ca.crt')));
    const cert = new X509Certificate(await readFile(join(out, 'edge-01.example.crt')));
    expect(cert.subject).toContain('CN=edge-01.example');
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);

    const key = await readFile(join(out, 'edge-01.example.key'), 'utf8');
    const again = await runCli(['certs', 'issue', 'edge-01.example', '--data-dir', data, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(await readFile(join(out, 'edge-01.example.key'), 'utf8')).toBe(key);
  });

  it('issue refuses a bad cname with exit code 2 and a clear message, writing nothing', async () => {
    const data = join(dir, 'data');
    const out = join(dir, 'out');
    await mkdir(data);
    await writePki(data);
    const before = (await readdir(data)).sort();

    const refused = await runCli(['certs', 'issue', 'bad name/../x', '--data-dir', data, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      'stormtower: invalid cname "bad name/../x": use 1-128 characters of A-Z a-z 0-9 . _ : -\n',
    );
    expect(refused.stderr).not.toMatch(NO_STACK);
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readdir(data)).sort()).toEqual(before);
  });
});

describe('stormtower start', () => {
  it('refuses bad flag values with exit code 2, listing every problem, and creates nothing', async () => {
    const data = join(dir, 'data');
    const refused = await runCli([
      'start',
      '--data-dir',
      data,
      '--bolt-port',
      'abc',
      '--monitor-interval',
      '-5',
    ]);
    expect(refused.code).toBe(2);
    const problems = lines(refused.stderr);
    expect(problems[0]).toBe('stormtower: invalid configuration:');
    expect(problems.slice(1)).toEqual([
      expect.stringMatching(/^ {2}--bolt-port: .*, got "abc"$/),
      expect.stringMatching(/^ {2}--monitor-interval: .*greater than 0, got -5$/),
    ]);
    expect(refused.stderr).not.toMatch(NO_STACK);
    await expect(stat(data)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('serves on OS-chosen ports; agents connect and are polled; SIGTERM stops both with exit code 0', async () => {
    const status = { id: 'whatever', running: true, packages: [], os: { hostname: 'cli-host', uptime: 1 } };
    const statusPort = await service((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status));
    });
    const data = join(dir, 'data');
    const tower = await startTower(data, ['--status-port', String(statusPort)]);
    expect((await readdir(data)).sort()).toEqual(DATA_DIR_FILES);
    expect(await getJson<{ status: string }>(`${tower.api}/health`)).toMatchObject({ status: 'ok' });

    const agent = await startAgent(data, 'cli-agent', tower.bolt, statusPort);
    await agent.waitForLog((line) => line.msg === 'bolt connected');
    const row = await eventually(async () => {
      const rows = await getJson<ClientRow[]>(`${tower.api}/clients`);
      return rows.find((candidate) => candidate.cname === 'cli-agent' && candidate.state === 'ready');
    });
    expect(row.ports).toEqual([statusPort]);
    // Polled through the agent's bolt: its status document is served under its certificate's CN.
    expect(await getJson<unknown>(`${tower.api}/minions/cli-agent`)).toEqual({ ...status, id: 'cli-agent' });
    const proxied = await fetch(`${tower.api}/proxy/cli-agent@${statusPort}/status`);
    expect(await proxied.json()).toEqual(status);

    // An agent killed outright (no goodbye on the bolt) is dropped as soon as its socket closes.
    const doomed = await startAgent(data, 'doomed-agent', tower.bolt, statusPort);
    await eventually(async () => (await cnamesAt(tower.api)).includes('doomed-agent'));
    expect(await doomed.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await eventually(async () => !(await cnamesAt(tower.api)).includes('doomed-agent'));
    expect((await fetch(`${tower.api}/minions/doomed-agent`)).status).toBe(404);

    expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await eventually(async () => (await cnamesAt(tower.api)).length === 0);
    expect(await tower.process.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(tower.process.stderr).toBe('');
  });
});

describe('stormtower simulate', () => {
  it('connects --count simulated minions to a running tower, and stops on SIGTERM', async () => {
    const data = join(dir, 'data');
    const tower = await startTower(data);
    const simulate = startCli([
      'simulate',
      '--count',
      '3',
      '--tower',
      tower.bolt,
      '--data-dir',
      data,
      '--change-every',
      '0',
      '--beacon-interval',
      '1',
      '--beacon-validity',
      '5',
    ]);
    const done = await simulate.waitForLog((line) => line.msg === 'all simulated agents connected');
    expect(done.count).toBe(3);
    const cnames = ['sim-1', 'sim-2', 'sim-3'];
    await eventually(async () => JSON.stringify(await cnamesAt(tower.api)) === JSON.stringify(cnames));
    // Tower and simulator agree on the default status port: all three are polled and served.
    const minions = await eventually(async () => {
      const listed = await getJson<{ id: string }[]>(`${tower.api}/minions`);
      return listed.length === 3 ? listed : undefined;
    });
    expect(minions.map(({ id }) => id)).toEqual(cnames);

    expect(await simulate.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await eventually(async () => (await cnamesAt(tower.api)).length === 0);
    expect(await tower.process.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});

describe('stormtower demo', () => {
  it('runs a tower with simulated minions answering where it polls, and prints URLs that work', async () => {
    // A status port moved by the environment: the simulated minions must follow the tower's setting.
    const demo = startCli(
      [
        'demo',
        '--count',
        '2',
        '--data-dir',
        join(dir, 'data'),
        '--api-port',
        '0',
        '--bolt-port',
        '0',
        '--monitor-interval',
        '200',
        '--change-every',
        '0',
      ],
      { STORMTOWER_STATUS_PORT: '5001' },
    );
    await demo.waitForText(/Ctrl-C stops the demo\./);
    expect(demo.stdout).toContain('stormtower demo: 2 simulated minions connected to wss://127.0.0.1:');
    const urls = [...demo.stdout.matchAll(/curl -s (http:\/\/\S+)/g)].map((match) => match[1] ?? '');
    const minionUrl = urls.find((url) => url.endsWith('/minions/demo-1'));
    const proxyUrl = urls.find((url) => url.includes('/proxy/'));
    if (!minionUrl || !proxyUrl) throw new Error(`URLs missing from:\n${demo.stdout}`);
    expect(proxyUrl).toMatch(/\/proxy\/demo-1@5001\/status$/);
    const consoleUrl = /Open the fleet console: (http:\/\/\S+\/ui\/)$/m.exec(demo.stdout)?.[1];
    if (!consoleUrl) throw new Error(`console URL missing from:\n${demo.stdout}`);
    const page = await fetch(consoleUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');

    const served = await eventually(async () => {
      const res = await fetch(minionUrl);
      return res.status === 200 ? ((await res.json()) as { id: string }) : undefined;
    });
    expect(served.id).toBe('demo-1');
    const proxied = await fetch(proxyUrl);
    expect(proxied.status).toBe(200);
    expect(((await proxied.json()) as { id: string }).id).toBe('demo-1');
    expect(await demo.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
