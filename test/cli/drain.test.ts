/**
 * SIGTERM drains the tower, as an operator sees it through the built CLI: a relay in flight finishes
 * with its whole body, `/ready` says `draining` meanwhile, new connections are refused, the agent
 * and the event-stream subscriber are told to come back later, and the process exits 0 with one
 * summary line. A relay that outlives `--drain-timeout` is cut and counted.
 */
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, type CliProcess, type LogLine, runCli, startCli, towerArgs } from '../helpers/cli.js';
import { closeAll, service, tempDir } from '../helpers/harness.js';
import { openFeed } from '../helpers/sse-feed.js';

beforeAll(assertBuilt);
afterEach(closeAll);

let dir = '';
beforeEach(async () => {
  dir = await tempDir('stormtower-drain-');
});

const BODY = 'x'.repeat(256 * 1024);

async function startTower(extra: string[] = []) {
  const data = join(dir, 'data');
  const cli = startCli([...towerArgs(data), '--beacon-interval', '1', '--beacon-validity', '5', ...extra]);
  const ready = await cli.waitForLog((line) => line.msg === 'tower ready');
  return { cli, data, api: String(ready.api), bolt: String(ready.bolt) };
}

async function startAgent(data: string, bolt: string, allow: number): Promise<CliProcess> {
  const out = join(dir, 'agents');
  const issued = await runCli(['certs', 'issue', 'web-1', '--data-dir', data, '--out', out]);
  expect(issued, issued.stderr).toMatchObject({ code: 0 });
  return startCli([
    'agent',
    '--tower',
    bolt,
    '--cert',
    join(out, 'web-1.crt'),
    '--key',
    join(out, 'web-1.key'),
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

/** A local service that tells when a request has reached it, and answers it `answer` (or never). */
async function slowService(answer: (res: http.ServerResponse) => void) {
  let arrived: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const port = await service((_req, res) => {
    arrived();
    answer(res);
  });
  return { port, reached };
}

/** One GET over `agent` (a kept-alive connection), read to the end. */
function get(url: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** How a fresh TCP connection to `port` ends: `connected`, or the error code. */
function dial(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const summaryOf = (cli: CliProcess): LogLine | undefined =>
  cli.logLines().find((line) => line.msg?.startsWith('drained:'));

describe('stormtower start: SIGTERM drains', () => {
  it('lets a 5 s relay started before SIGTERM finish, says draining, refuses new connections, exits 0', async () => {
    // The service answers 5 s after the request reaches it: the relay is in flight all through the drain.
    const slow = await slowService((res) => {
      setTimeout(() => res.end(BODY), 5000);
    });
    const { cli, data, api, bolt } = await startTower(['--redial-spread', '2']);
    const agentCli = await startAgent(data, bolt, slow.port);
    await cli.waitForLog((line) => line.msg === 'bolt capability' && line.cname === 'web-1');

    const feed = await openFeed(`${api}/minions/events`);
    await feed.waitFor((event) => event.event === 'snapshot');
    const relay = fetch(`${api}/proxy/web-1@${slow.port}/big`).then(async (res) => ({
      status: res.status,
      body: await res.text(),
    }));
    await slow.reached;

    // A connection opened before the drain, kept alive: it may still ask `/ready`.
    const kept = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(`${api}/health`, kept)).status).toBe(200);
    process.kill(cli.pid ?? 0, 'SIGTERM');
    const draining = await cli.waitForLog((line) => line.msg?.startsWith('draining:') === true);
    expect(draining).toMatchObject({ relays: 1, drainTimeout: 30 });

    const ready = await get(`${api}/ready`, kept);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'draining' });
    kept.destroy();
    expect(await dial(Number(new URL(api).port))).toBe('ECONNREFUSED');
    expect(await dial(Number(new URL(bolt).port))).toBe('ECONNREFUSED');

    const shutdown = await feed.waitFor((event) => event.event === 'shutdown');
    expect(JSON.parse(shutdown.event.data)).toMatchObject({ reason: 'shutdown' });

    const answered = await relay;
    expect(answered.status).toBe(200);
    expect(answered.body).toBe(BODY);

    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(summaryOf(cli)).toMatchObject({
      relaysFinished: 1,
      relaysCut: 0,
      boltsToldToRedial: 1,
      subscribersToldToReconnect: 1,
      msg: expect.stringMatching(
        /^drained: 1 relay finished, 0 cut at the drain timeout, 1 bolt told to redial, 1 event subscriber told to reconnect, \d+\.\d s$/,
      ),
    });
    const redial = await agentCli.waitForLog(
      (line) => line.msg?.startsWith('the tower is draining') === true,
    );
    expect(redial).toMatchObject({ spreadMs: 2000 });
    expect(redial.retryInMs).toBeGreaterThanOrEqual(500);
    expect(redial.retryInMs).toBeLessThanOrEqual(2000);
  }, 60_000);

  it('cuts a relay that outlives --drain-timeout, counts it, and still exits 0', async () => {
    // Never answers: only the drain timeout ends this relay.
    const stuck = await slowService(() => {});
    const { cli, data, bolt, api } = await startTower(['--drain-timeout', '1']);
    await startAgent(data, bolt, stuck.port);
    await cli.waitForLog((line) => line.msg === 'bolt capability' && line.cname === 'web-1');

    const relay = fetch(`${api}/proxy/web-1@${stuck.port}/`).then(
      async (res) => `answered ${res.status}`,
      (error: Error) => `failed: ${error.message}`,
    );
    await stuck.reached;
    process.kill(cli.pid ?? 0, 'SIGTERM');

    expect(await relay).toMatch(/^failed/);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.logLines().find((line) => line.msg?.startsWith('drain timeout'))).toMatchObject({
      relaysCut: 1,
      drainTimeout: 1,
    });
    expect(summaryOf(cli)).toMatchObject({ relaysFinished: 0, relaysCut: 1, boltsToldToRedial: 1 });
  }, 60_000);
});
