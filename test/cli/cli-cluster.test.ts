/**
 * Two real tower processes in a cluster on a real nats-server, and a real agent process that knows
 * both: the tower holding it is SIGKILLed, the agent reconnects to the other, which takes the minion
 * over without it ever leaving the fleet's view.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, type CliProcess, runCli, startCli, towerArgs } from '../helpers/cli.js';
import { closeAll, eventually, service, tempDir } from '../helpers/harness.js';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.js';
import { openFeed } from '../helpers/sse-feed.js';

let nats: NatsServer;
beforeAll(async () => {
  assertBuilt();
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.close();
});
afterEach(closeAll);

let dir = '';
beforeEach(async () => {
  dir = await tempDir('stormtower-cluster-cli-');
});

async function startClusterTower(dataDir: string, towerId: string, statusPort: number) {
  const cli = startCli([
    ...towerArgs(dataDir),
    '--beacon-interval',
    '1',
    '--beacon-validity',
    '5',
    '--monitor-interval',
    '200',
    '--status-port',
    String(statusPort),
    '--cluster',
    nats.url,
    '--tower-id',
    towerId,
    '--cluster-host',
    '127.0.0.1',
    '--cluster-port',
    '0',
    '--cluster-presence-timeout',
    '5',
  ]);
  const ready = await cli.waitForLog((line) => line.msg === 'tower ready');
  const { api, bolt } = ready as { api: string; bolt: string };
  return { process: cli, api, bolt, towerId };
}

const holderOf = async (api: string, cname: string) => {
  const rows = (await (await fetch(`${api}/clients`)).json()) as { cname: string; tower?: string }[];
  return rows.find((row) => row.cname === cname);
};

describe('stormtower start --cluster', () => {
  it('hands the agents of a SIGKILLed tower to another, and the minion never leaves the fleet', async () => {
    const status = { running: true, packages: [], os: { hostname: 'cluster-host' } };
    const statusPort = await service((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status));
    });
    const data = join(dir, 'data');
    const a = await startClusterTower(data, 'tower-a', statusPort);
    const b = await startClusterTower(data, 'tower-b', statusPort);

    const out = join(dir, 'agents');
    const issued = await runCli(['certs', 'issue', 'roamer', '--data-dir', data, '--out', out]);
    expect(issued, issued.stderr).toMatchObject({ code: 0 });
    const agent: CliProcess = startCli([
      'agent',
      ...['--tower', a.bolt, '--tower', b.bolt],
      ...['--cert', join(out, 'roamer.crt'), '--key', join(out, 'roamer.key'), '--ca', join(out, 'ca.crt')],
      ...['--allow', String(statusPort), '--beacon-interval', '1', '--beacon-validity', '5'],
      ...['--max-backoff', '1'],
    ]);
    await agent.waitForLog((line) => line.msg === 'bolt connected');
    // Both towers serve its document; the one that holds it lists it as its own (no `tower` field).
    const seen = await eventually(async () => {
      for (const t of [a, b]) if ((await fetch(`${t.api}/minions/roamer`)).status !== 200) return undefined;
      const [atA, atB] = [await holderOf(a.api, 'roamer'), await holderOf(b.api, 'roamer')];
      return atA && atB ? { atA, atB } : undefined;
    });
    const [holder, survivor] = seen.atA.tower === undefined ? [a, b] : [b, a];
    expect((await holderOf(survivor.api, 'roamer'))?.tower).toBe(holder.towerId);
    const feed = await openFeed(`${survivor.api}/minions/events`);
    await feed.waitFor((event) => event.event === 'snapshot');

    expect(await holder.process.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await eventually(async () => {
      const row = await holderOf(survivor.api, 'roamer');
      return row !== undefined && row.tower === undefined;
    });
    const served = (await (await fetch(`${survivor.api}/minions/roamer`)).json()) as Record<string, unknown>;
    expect(served).toEqual({ ...status, id: 'roamer' });
    // Taken over, not removed and added again: the stream saw no removal.
    expect(feed.events.filter((event) => event.event === 'removed')).toEqual([]);
    expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await survivor.process.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
