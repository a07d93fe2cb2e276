/**
 * Several towers as one, over a real `nats-server -js`: real towers and agents on loopback, each
 * agent in front of its own status service. Every tower serves the whole fleet with one global
 * checksum; a change on one tower reaches another's event stream; an agent that moves is taken over;
 * a tower that goes away has its minions adopted or removed; a NATS outage degrades and then heals.
 */
import { randomBytes } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MINIONS_BUCKET } from '../../src/cluster/bucket-keys.js';
import type { RunningTower, TowerSettings } from '../../src/tower.js';
import { type Document, globalChecksum, served } from '../helpers/checksums.js';
import { agent, api, closeAll, eventually, onCloseAll, sha256, tower } from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.js';
import { change, openFeed } from '../helpers/sse-feed.js';
import { answerJson, type StatusHosts, statusHosts } from '../helpers/status-hosts.js';

// A fresh server per test: a stopped tower leaves its keys for the next tower to take over, and the
// next test must not see them.
let nats: NatsServer;
beforeEach(async () => {
  nats = await startNatsServer();
});
afterEach(async () => {
  await closeAll();
  await nats?.close();
});

const INTERVAL = 200;
const doc = (name: string, version = 1): Document => ({ instance: `instance-of-${name}`, version });

function clustered(
  hosts: StatusHosts,
  towerId: string,
  settings: Partial<TowerSettings> = {},
  log?: Parameters<typeof tower>[1],
) {
  return tower(
    {
      cluster: [nats.url],
      towerId,
      monitorInterval: INTERVAL,
      statusPort: hosts.port,
      clusterPresenceTimeout: 1.5,
      clusterHost: '127.0.0.1',
      clusterPort: 0,
      ...settings,
    },
    log,
  );
}

const md5Of = async (t: RunningTower, path: string) =>
  (await api(t, path, { method: 'HEAD' })).headers.get('content-md5');

async function listed(t: RunningTower): Promise<Document[]> {
  return (await (await api(t, '/minions')).json()) as Document[];
}

/** Resolves once every tower serves exactly `expected` with its global checksum. */
async function agreeOn(
  towers: readonly RunningTower[],
  expected: readonly Document[],
  timeoutMs?: number,
): Promise<string> {
  const global = globalChecksum(expected);
  await eventually(async () => {
    for (const t of towers) if ((await md5Of(t, '/minions')) !== global) return false;
    return true;
  }, timeoutMs);
  return global;
}

describe('a cluster of towers on NATS JetStream', () => {
  it('serves the whole fleet from every tower, and a change on one reaches the stream of another', async () => {
    const hosts = await statusHosts(3);
    const [h1, h2, h3] = hosts.hosts;
    if (!h1 || !h2 || !h3) throw new Error('three hosts');
    const a = await clustered(hosts, 'tower-a');
    const b = await clustered(hosts, 'tower-b');
    const c = await clustered(hosts, 'tower-c');
    const feedA = await openFeed(`${a.apiUrl}/minions/events`);
    h1.handler = answerJson(doc('m1'));
    h2.handler = answerJson(doc('m2'));
    h3.handler = answerJson(doc('m3'));
    await agent(a.boltUrl, 'm1', [hosts.port], hosts.agentOptions(h1));
    await agent(b.boltUrl, 'm2', [hosts.port], hosts.agentOptions(h2));
    await agent(c.boltUrl, 'm3', [hosts.port], hosts.agentOptions(h3));

    const expected = [served(doc('m1'), 'm1'), served(doc('m2'), 'm2'), served(doc('m3'), 'm3')];
    await agreeOn([a, b, c], expected);
    for (const t of [a, b, c]) expect(await listed(t)).toEqual(expected);

    // A change on tower c's minion is an event on tower a's stream, with c's new checksum.
    h3.handler = answerJson(doc('m3', 2));
    const { event } = await feedA.waitFor(change('changed', 'm3'));
    const next = [expected[0], expected[1], served(doc('m3', 2), 'm3')] as Document[];
    expect(JSON.parse(event.data).global).toBe(globalChecksum(next));
    await agreeOn([a, b, c], next);

    // Any tower relays to any minion: tower a reaches m3 through tower c, m1 itself.
    for (const [via, cname, expectedDoc] of [
      [a, 'm3', doc('m3', 2)],
      [a, 'm1', doc('m1')],
      [b, 'm1', doc('m1')],
    ] as const) {
      const res = await api(via, `/proxy/${cname}@${hosts.port}/status`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(expectedDoc);
    }
    const nobody = await api(b, `/proxy/m9@${hosts.port}/status`);
    expect(nobody.status).toBe(404);
    const refused = await api(b, `/proxy/m3@${hosts.port + 1}/status`);
    expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([
      403,
      'port-not-allowed',
    ]);

    // /clients on any tower lists every bolt, naming the tower that holds another's.
    const clients = (await (await api(b, '/clients')).json()) as { cname: string; tower?: string }[];
    expect(clients.map((row) => [row.cname, row.tower])).toEqual([
      ['m1', 'tower-a'],
      ['m2', undefined],
      ['m3', 'tower-c'],
    ]);
    const health = (await (await api(a, '/health')).json()) as {
      status: string;
      cluster: { towers: number };
    };
    expect(health.status).toBe('ok');
    expect(health.cluster.towers).toBeGreaterThanOrEqual(3);
  });

  it('hands a minion to the tower its agent reconnected to, and the old tower lets its bolt go', async () => {
    const hosts = await statusHosts(1);
    const [h1] = hosts.hosts;
    if (!h1) throw new Error('one host');
    const a = await clustered(hosts, 'tower-a');
    const b = await clustered(hosts, 'tower-b');
    h1.handler = answerJson(doc('m1'));
    // The first agent stays away once closed: only the second one holds the cname afterwards.
    const first = await agent(a.boltUrl, 'm1', [hosts.port], { ...hosts.agentOptions(h1), minBackoff: 600 });
    await agreeOn([a, b], [served(doc('m1'), 'm1')]);
    const closedAtA = new Promise<{ code: number; reason: string }>((resolve) =>
      first.once('disconnected', resolve),
    );

    h1.handler = answerJson(doc('m1', 2));
    await agent(b.boltUrl, 'm1', [hosts.port], hosts.agentOptions(h1));
    const closed = await closedAtA;
    expect(closed.reason).toMatch(/reconnected to tower tower-b/);
    await agreeOn([a, b], [served(doc('m1', 2), 'm1')]);
    const rows = (await (await api(a, '/clients')).json()) as { cname: string; tower?: string }[];
    expect(rows).toEqual([expect.objectContaining({ cname: 'm1', tower: 'tower-b' })]);
  });

  it('adopts the agents of a tower that went away, and removes its minions that did not come back', async () => {
    const hosts = await statusHosts(2);
    const [h1, h2] = hosts.hosts;
    if (!h1 || !h2) throw new Error('two hosts');
    const a = await clustered(hosts, 'tower-a');
    const b = await clustered(hosts, 'tower-b');
    h1.handler = answerJson(doc('m1'));
    h2.handler = answerJson(doc('m2'));
    // m1 knows both towers and fails over; m2 knows only tower b.
    await agent(b.boltUrl, 'm1', [hosts.port], { ...hosts.agentOptions(h1), towers: [b.boltUrl, a.boltUrl] });
    await agent(b.boltUrl, 'm2', [hosts.port], hosts.agentOptions(h2));
    await agreeOn([a, b], [served(doc('m1'), 'm1'), served(doc('m2'), 'm2')]);

    // Tower b stops without a word to the cluster: m1 comes back through tower a, m2 cannot.
    await b.close();
    await agreeOn([a], [served(doc('m1'), 'm1')]);
    expect(a.table.get('m1')).toBeDefined();
  });

  it('keeps serving its own bolts while NATS is down, says so, and heals when NATS is back', async () => {
    const hosts = await statusHosts(2);
    const [h1, h2] = hosts.hosts;
    if (!h1 || !h2) throw new Error('two hosts');
    const a = await clustered(hosts, 'tower-a');
    const b = await clustered(hosts, 'tower-b');
    h1.handler = answerJson(doc('m1'));
    h2.handler = answerJson(doc('m2'));
    await agent(a.boltUrl, 'm1', [hosts.port], hosts.agentOptions(h1));
    await agent(b.boltUrl, 'm2', [hosts.port], hosts.agentOptions(h2));
    await agreeOn([a, b], [served(doc('m1'), 'm1'), served(doc('m2'), 'm2')]);

    await nats.stop();
    await eventually(async () => (await api(a, '/ready')).status === 503);
    const health = (await (await api(a, '/health')).json()) as { status: string };
    expect(health.status).toBe('degraded');
    // Relays still flow both ways between the towers, which need no NATS for them.
    for (const [via, cname] of [
      [a, 'm2'],
      [b, 'm1'],
    ] as const) {
      expect((await api(via, `/proxy/${cname}@${hosts.port}/status`)).status).toBe(200);
    }
    // Its own minion still changes here, seen at once on this tower.
    h1.handler = answerJson(doc('m1', 2));
    await eventually(async () => (await listed(a)).some((d) => d.id === 'm1' && d.version === 2));

    await nats.restart();
    await eventually(async () => (await api(a, '/ready')).status === 200, 20_000);
    const expected = [served(doc('m1', 2), 'm1'), served(doc('m2'), 'm2')];
    await agreeOn([a, b], expected, 20_000);
    for (const t of [a, b]) expect(await listed(t)).toEqual(expected);
  });

  it('ignores what no tower would write into the bucket, logging it once, and disturbs nothing', async () => {
    const hosts = await statusHosts(1);
    const [h1] = hosts.hosts;
    if (!h1) throw new Error('one host');
    const captured = captureLog();
    const a = await clustered(hosts, 'tower-a', {}, captured.log);
    h1.handler = answerJson(doc('m1'));
    await agent(a.boltUrl, 'm1', [hosts.port], hosts.agentOptions(h1));
    await agreeOn([a], [served(doc('m1'), 'm1')]);

    const intruder = await connect({ servers: nats.url });
    onCloseAll(() => intruder.close());
    const kv = await new Kvm(intruder).open(MINIONS_BUCKET);
    for (let i = 0; i < 5; i++) await kv.put('evil', `{"v":1,"cname":"evil","attempt":${i}}`);
    await kv.put('not=ZZ', 'x');
    await kv.put('m2', JSON.stringify({ v: 1, cname: 'someone-else' }));
    await eventually(() =>
      captured.lines.some((line) => line.msg === 'ignored a malformed minion record' && line.cname === 'm2'),
    );
    const lines = captured.lines.filter((line) => String(line.msg).startsWith('ignored a'));
    expect(lines.map((line) => [line.msg, line.cname ?? line.key])).toEqual([
      ['ignored a malformed minion record', 'evil'],
      ['ignored a minions-bucket key no tower writes', 'not=ZZ'],
      ['ignored a malformed minion record', 'm2'],
    ]);
    expect(await listed(a)).toEqual([served(doc('m1'), 'm1')]);
  });

  it('keeps a document too large for NATS on its own tower, says so once, and publishes the rest', async () => {
    const hosts = await statusHosts(2);
    const [h1, h2] = hosts.hosts;
    if (!h1 || !h2) throw new Error('two hosts');
    const captured = captureLog();
    const a = await clustered(hosts, 'tower-a', { statusBodyLimit: 4 * 1024 * 1024 }, captured.log);
    const b = await clustered(hosts, 'tower-b');
    // Over the server's default max_payload of 1 MiB.
    const big = { ...doc('big'), blob: 'x'.repeat(1_200_000) };
    h1.handler = answerJson(big);
    h2.handler = answerJson(doc('m2'));
    await agent(a.boltUrl, 'big', [hosts.port], hosts.agentOptions(h1));
    await agent(a.boltUrl, 'm2', [hosts.port], hosts.agentOptions(h2));
    await agreeOn([a], [served(big, 'big'), served(doc('m2'), 'm2')]);
    await agreeOn([b], [served(doc('m2'), 'm2')]);
    await eventually(() => captured.lines.some((line) => line.limit === 'max_payload'));
    const said = captured.lines.filter((line) => line.limit === 'max_payload');
    expect(said).toEqual([expect.objectContaining({ cname: 'big', limit: 'max_payload' })]);
  });

  it('relays from any tower to a bolt whose minion has no document yet, without listing it', async () => {
    const hosts = await statusHosts(1);
    const [h1] = hosts.hosts;
    if (!h1) throw new Error('one host');
    const a = await clustered(hosts, 'tower-a');
    const b = await clustered(hosts, 'tower-b');
    // No status document, ever: the minion stays unlisted, but its other paths answer.
    h1.handler = (req, res) => {
      if (req.url === '/status') res.writeHead(404).end();
      else if (req.url === '/echo')
        req.pipe(res.writeHead(200, { 'content-type': 'application/octet-stream' }));
      else res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${req.url}`);
    };
    await agent(a.boltUrl, 'quiet', [hosts.port], hosts.agentOptions(h1));
    const res = await eventually(async () => {
      const answer = await api(b, `/proxy/quiet@${hosts.port}/app`);
      return answer.status === 200 ? answer : undefined;
    });
    expect(await res.text()).toBe('hello from /app');
    // 1 MiB up and the same 1 MiB back down, through the tower that does not hold the bolt.
    const body = randomBytes(1024 * 1024);
    const echoed = await api(b, `/proxy/quiet@${hosts.port}/echo`, { method: 'POST', body });
    expect(echoed.status).toBe(200);
    expect(sha256(new Uint8Array(await echoed.arrayBuffer()))).toBe(sha256(body));
    const rows = (await (await api(b, '/clients')).json()) as {
      cname: string;
      tower?: string;
      ports: number[];
    }[];
    expect(rows).toEqual([
      expect.objectContaining({ cname: 'quiet', tower: 'tower-a', ports: [hosts.port] }),
    ]);
    expect(await listed(b)).toEqual([]);
    expect(await listed(a)).toEqual([]);
  });
});
