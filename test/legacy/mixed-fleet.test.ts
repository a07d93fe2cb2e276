/**
 * A legacy stormbolt agent and a WebSocket agent side by side: one table, one `/clients`, one
 * `/minions`, and one global checksum over both.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { agent, announced, api, closeAll, eventually, service } from '../helpers/harness.js';
import { legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const FIXTURE_ID = '30a2a131-f812-4666-bb69-c443f7e3a901';

describe('legacy and WebSocket minions together', () => {
  it('lists both in /clients and /minions, under one global checksum', async () => {
    const fixture = await readFile(new URL('../fixtures/stormflash-status.json', import.meta.url), 'utf8');
    const stormflash = await service((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(fixture);
    });
    const legacy = await legacyTower({ statusPort: 5000 });
    await legacyAgent(legacy, FIXTURE_ID, [5000], { forward: { 5000: stormflash } });
    const wsStatus = { id: 'ws-minion', running: true, os: { uptime: 1 }, packages: [] };
    await agent(legacy.t.boltUrl, 'ws-minion', [5000], {
      respond: () => ({
        status: 200,
        headers: ['content-type', 'application/json'],
        body: JSON.stringify(wsStatus),
      }),
    });
    await Promise.all([legacyAnnounced(legacy, FIXTURE_ID), announced(legacy.t, 'ws-minion')]);

    const clients = (await (await api(legacy.t, '/clients')).json()) as {
      cname: string;
      transport: string;
    }[];
    expect(clients.map(({ cname, transport }) => [cname, transport])).toEqual([
      [FIXTURE_ID, 'legacy'],
      ['ws-minion', 'ws'],
    ]);
    const clientsHead = await api(legacy.t, '/clients', { method: 'HEAD' });
    expect(clientsHead.headers.get('content-md5')).toBe(md5(`${FIXTURE_ID}\nws-minion\n`));

    const minions = await eventually(async () => {
      const list = (await (await api(legacy.t, '/minions')).json()) as { id: string }[];
      return list.length === 2 ? list : undefined;
    });
    expect(minions.map(({ id }) => id).sort()).toEqual([FIXTURE_ID, 'ws-minion']);
    const checksums = new Map<string, string>();
    for (const id of [FIXTURE_ID, 'ws-minion']) {
      const head = await api(legacy.t, `/minions/${id}`, { method: 'HEAD' });
      checksums.set(id, head.headers.get('content-md5') ?? '');
    }
    expect(checksums.get(FIXTURE_ID)).toBe('07a6525c60d530a9870d89d9f1ad1091');
    const { os: _os, ...wsRest } = wsStatus;
    expect(checksums.get('ws-minion')).toBe(md5(JSON.stringify(wsRest)));
    const global = (await api(legacy.t, '/minions', { method: 'HEAD' })).headers.get('content-md5');
    expect(global).toBe(
      md5(
        [...checksums]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([id, sum]) => `${id}:${sum}\n`)
          .join(''),
      ),
    );
  });
});
