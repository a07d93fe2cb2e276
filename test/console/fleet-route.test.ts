/**
 * `GET /fleet` and `GET /fleet/machine` on a real tower with real agents: each minion's state,
 * transport, address and checksum, the removals of the last hour, and the machine's graph read from
 * `minionMachine` itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { minionMachine } from '../../machines/minion.machine.js';
import type { FleetBody, MachineGraph } from '../../src/api/console/fleet-contract.js';
import { machineGraph } from '../../src/api/console/machine-graph.js';
import { RemovalWindow } from '../../src/fleet/removal-window.js';
import { agent, api, closeAll, eventually, service, tower } from '../helpers/harness.js';

afterEach(closeAll);

const fleet = async (t: Awaited<ReturnType<typeof tower>>): Promise<FleetBody> =>
  (await (await api(t, '/fleet')).json()) as FleetBody;

describe('GET /fleet', () => {
  it('lists each minion with its state, transport, address and checksum, then its removal', async () => {
    const status = await service((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: 'web-1', packages: { a: '1' } }));
    });
    const t = await tower({ statusPort: status, monitorInterval: 200 });
    const client = await agent(t.boltUrl, 'web-1', [status]);
    const ready = await eventually(async () => {
      const body = await fleet(t);
      const row = body.minions.find((m) => m.cname === 'web-1');
      return row?.state === 'ready' ? { body, row } : undefined;
    });
    expect(ready.row).toMatchObject({ transport: 'ws', ports: [status], lastError: null });
    expect(ready.row.address).toContain('127.0.0.1');
    expect(ready.row.checksum).toMatch(/^[0-9a-f]{32}$/);
    expect(ready.row.lastPollAt).toBeGreaterThanOrEqual(ready.row.connectedAt);
    expect(ready.body.global).toBe((await api(t, '/minions', { method: 'HEAD' })).headers.get('content-md5'));
    expect(ready.body.startedAt).toBeLessThanOrEqual(ready.body.at);

    await client.close();
    const gone = await eventually(async () => {
      const body = await fleet(t);
      return body.minions.length === 0 && body.removed.length === 1 ? body : undefined;
    });
    expect(gone.removed[0]).toMatchObject({ cname: 'web-1', transport: 'ws', checksum: ready.row.checksum });
  });
});

describe('GET /fleet/machine', () => {
  it('gives the minion machine states in order and its targeted transitions', async () => {
    const t = await tower();
    const graph = (await (await api(t, '/fleet/machine')).json()) as MachineGraph;
    expect(graph).toEqual(machineGraph(minionMachine));
    expect(graph.initial).toBe('connecting');
    expect(graph.states.map((s) => s.name)).toEqual([
      'connecting',
      'monitoring',
      'ready',
      'changed',
      'removed',
    ]);
    expect(graph.states.find((s) => s.name === 'removed')?.final).toBe(true);
    expect(graph.transitions).toEqual(
      expect.arrayContaining([
        { from: 'connecting', to: 'monitoring', event: 'bolt.capability' },
        { from: 'connecting', to: 'removed', event: 'after capabilityTimeout' },
        { from: 'monitoring', to: 'ready', event: 'status.received' },
        { from: 'ready', to: 'changed', event: 'status.received' },
        { from: 'changed', to: 'ready', event: 'after 0' },
        { from: '*', to: 'removed', event: 'bolt.closed' },
      ]),
    );
  });
});

describe('RemovalWindow', () => {
  const removal = (cname: string, removedAt: number) => ({
    cname,
    transport: 'ws',
    address: '127.0.0.1',
    connectedAt: 0,
    removedAt,
    reason: 'closed',
    checksum: null,
  });

  it('forgets removals older than its window', () => {
    const window = new RemovalWindow(1000, 10);
    window.record(removal('a', 100));
    window.record(removal('b', 900));
    expect(window.recent(1500).map((r) => r.cname)).toEqual(['b']);
    expect(window.recent(5000)).toEqual([]);
  });

  it('keeps at most its limit, dropping the oldest', () => {
    const window = new RemovalWindow(60_000, 3);
    for (let i = 0; i < 5; i += 1) window.record(removal(`m${i}`, i));
    expect(window.recent(10).map((r) => r.cname)).toEqual(['m2', 'm3', 'm4']);
  });
});
