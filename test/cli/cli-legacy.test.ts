/**
 * The "done when" for deployed agents: a tower started with the real executable plus
 * `--legacy-port` (and `--header-relay`) takes a stormbolt 0.4.3 agent built on the real mux-demux
 * package, lists it, polls it, relays to it and expires it, like a WebSocket minion.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, startCli, towerArgs } from '../helpers/cli.js';
import { closeAll, eventually, onCloseAll, service, tempDir } from '../helpers/harness.js';
import { testPki, writePki } from '../helpers/pki.js';
import { LegacyAgent } from '../legacy/legacy-agent.js';

beforeAll(assertBuilt);
afterEach(closeAll);

let dir = '';
beforeEach(async () => {
  dir = await tempDir('stormtower-cli-legacy-');
});

const FIXTURE_ID = '30a2a131-f812-4666-bb69-c443f7e3a901';

describe('stormtower start --legacy-port', () => {
  it('serves a deployed stormbolt agent: listed, polled, relayed to, header-relayed and expired', async () => {
    const fixture = await readFile(new URL('../fixtures/stormflash-status.json', import.meta.url), 'utf8');
    const stormflash = await service((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(fixture);
    });
    await writePki(dir);
    const tower = startCli([
      ...towerArgs(dir),
      '--legacy-port',
      '0',
      '--header-relay',
      '--beacon-interval',
      '0.2',
      '--beacon-validity',
      '1',
      '--monitor-interval',
      '200',
    ]);
    const ready = await tower.waitForLog((line) => line.msg === 'tower ready');
    const api = String(ready.api);
    const legacyPort = Number(String(ready.legacy).split(':').pop());
    expect(legacyPort).toBeGreaterThan(0);

    const pki = await testPki();
    const identity = await pki.client(FIXTURE_ID);
    const agent = new LegacyAgent({
      port: legacyPort,
      ca: pki.ca,
      cert: identity.cert,
      key: identity.key,
      allowedPorts: [5000],
      forward: { 5000: stormflash },
      beaconIntervalMs: 200,
    });
    onCloseAll(() => agent.close());
    await agent.start();

    // Listed with its transport, and polled: the stormflash checksum in HEAD /minions/:id.
    const row = await eventually(async () => {
      const rows = (await (await fetch(`${api}/clients`)).json()) as {
        cname: string;
        transport: string;
        state: string;
      }[];
      return rows.find((r) => r.cname === FIXTURE_ID && r.state === 'ready');
    });
    expect(row.transport).toBe('legacy');
    const head = await fetch(`${api}/minions/${FIXTURE_ID}`, { method: 'HEAD' });
    expect(head.headers.get('content-md5')).toBe('07a6525c60d530a9870d89d9f1ad1091');

    // Relayed through /proxy and through the stormbolt-target header.
    const proxied = await fetch(`${api}/proxy/${FIXTURE_ID}@5000/status`);
    expect(
      createHash('md5')
        .update(await proxied.text())
        .digest('hex'),
    ).toBe(createHash('md5').update(fixture).digest('hex'));
    const viaHeader = await fetch(`${api}/status`, { headers: { 'stormbolt-target': `${FIXTURE_ID}:5000` } });
    expect(viaHeader.status).toBe(200);
    expect(JSON.parse(await viaHeader.text())).toEqual(JSON.parse(fixture));

    // Frozen beacons: expired within the validity window and removed from /minions.
    agent.silence();
    await eventually(async () => {
      const list = (await (await fetch(`${api}/minions`)).json()) as unknown[];
      return list.length === 0;
    });
  });
});
