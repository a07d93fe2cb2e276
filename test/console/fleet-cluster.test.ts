/**
 * `GET /fleet` in a cluster over a real `nats-server -js`: each tower lists its own minions and the
 * ones other towers hold, those with the holding tower's id, so every tower's console shows the
 * whole fleet.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FleetBody } from '../../src/api/console/fleet-contract.js';
import type { RunningTower } from '../../src/tower.js';
import { agent, api, closeAll, eventually, tower } from '../helpers/harness.js';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.js';
import { answerJson, statusHosts } from '../helpers/status-hosts.js';

let nats: NatsServer;
beforeEach(async () => {
  nats = await startNatsServer();
});
afterEach(async () => {
  await closeAll();
  await nats?.close();
});

describe('GET /fleet in a cluster', () => {
  it("lists this tower's minions and, with their tower, the ones other towers hold", async () => {
    const hosts = await statusHosts(2);
    const [h1, h2] = hosts.hosts;
    if (!h1 || !h2) throw new Error('two hosts');
    h1.handler = answerJson({ instance: 'one' });
    h2.handler = answerJson({ instance: 'two' });
    const clustered = (towerId: string) =>
      tower({
        cluster: [nats.url],
        towerId,
        monitorInterval: 200,
        statusPort: hosts.port,
        clusterHost: '127.0.0.1',
        clusterPort: 0,
      });
    const a = await clustered('tower-a');
    const b = await clustered('tower-b');
    await agent(a.boltUrl, 'm1', [hosts.port], hosts.agentOptions(h1));
    await agent(b.boltUrl, 'm2', [hosts.port], hosts.agentOptions(h2));

    const readyOn = (t: RunningTower) =>
      eventually(async () => {
        const body = (await (await api(t, '/fleet')).json()) as FleetBody;
        return body.minions.length === 2 && body.minions.every((m) => m.state === 'ready') ? body : undefined;
      });
    const fromA = await readyOn(a);
    const byName = new Map(fromA.minions.map((m) => [m.cname, m]));
    expect(byName.get('m1')?.tower).toBeUndefined();
    expect(byName.get('m2')).toMatchObject({ tower: 'tower-b', transport: 'ws', ports: [hosts.port] });
    expect(byName.get('m2')?.checksum).toMatch(/^[0-9a-f]{32}$/);
    const fromB = await readyOn(b);
    expect(fromB.minions.find((m) => m.cname === 'm1')?.tower).toBe('tower-a');
  });
});
