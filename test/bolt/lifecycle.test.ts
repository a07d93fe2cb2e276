/**
 * How bolts come and go: a dead peer expires, an agent finds its tower again after a restart, a
 * newer bolt with the same cname replaces the older one when told to (see duplicate-cname.test.ts
 * for the default), and an agent walks its tower list.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeCodeFor, ErrorCode } from '../../src/bolt/protocol/frames.js';
import type { RunningTower } from '../../src/tower.js';
import {
  agent,
  announced,
  api,
  closeAll,
  collect,
  eventually,
  freePort,
  nextEvent,
  rawBolt,
  rawClosed,
  service,
  tower,
} from '../helpers/harness.js';

afterEach(closeAll);

interface Listed {
  cname: string;
  connectedAt: string;
}

const listed = async (t: RunningTower): Promise<Listed[]> =>
  (await (await api(t, '/clients')).json()) as Listed[];

describe('bolt lifecycle', () => {
  it('drops a peer that stops answering once the validity window has passed', async () => {
    const t = await tower({ beaconInterval: 0.2, beaconValidity: 1 });
    const live = await agent(t.boltUrl, 'live', [1234], { beaconInterval: 0.2, beaconValidity: 1 });
    const liveDrops = collect(live, 'disconnected');
    await announced(t, 'live');
    const closes: { cname: string; reason: string }[] = [];
    t.table.on('closed', (bolt, { reason }) => closes.push({ cname: bolt.cname, reason }));

    // Sends its Hello, then nothing: never a Pong, never a frame.
    const before = Date.now();
    const dead = await rawBolt(t, 'dead', [1234]);
    const deadClosed = rawClosed(dead);
    expect((await listed(t)).map(({ cname }) => cname)).toEqual(['dead', 'live']);

    await eventually(async () => !(await listed(t)).some(({ cname }) => cname === 'dead'));
    // Last heard no earlier than `before`, so a full validity window has passed since.
    expect(Date.now() - before).toBeGreaterThanOrEqual(1000);
    expect(closes).toEqual([{ cname: 'dead', reason: 'expired' }]);
    // The tower drops the socket without a handshake: the peer is presumed gone.
    expect((await deadClosed).code).toBe(1006);
    // A live agent answering the same heartbeat has outlasted the window untouched.
    expect((await listed(t)).map(({ cname }) => cname)).toEqual(['live']);
    expect(liveDrops).toEqual([]);
  });

  it('reconnects by itself after the tower restarts on the same port', async () => {
    const port = await service((_req, res) => res.end('back'));
    const first = await tower();
    const client = await agent(first.boltUrl, 'phoenix', [port]);
    await announced(first, 'phoenix');

    const dropped = nextEvent(client, 'disconnected');
    await first.close();
    expect((await dropped).code).toBe(closeCodeFor(ErrorCode.GoingAway));

    const reconnected = nextEvent(client, 'connected');
    const second = await tower({ boltPort: first.boltAddress.port });
    expect(second.boltUrl).toBe(first.boltUrl);
    await reconnected;
    await announced(second, 'phoenix');
    const res = await api(second, `/proxy/phoenix@${port}/`);
    expect(await res.text()).toBe('back');
  });

  it("replaces an older bolt with a newer one of the same cname, with onDuplicate 'replace'", async () => {
    const t = await tower({ onDuplicate: 'replace' });
    const older = await agent(t.boltUrl, 'twin', [1111]);
    const before = await announced(t, 'twin');

    // Stop the older agent as soon as it is replaced, or the two would take turns forever.
    const replaced = new Promise<number>((resolve) => {
      older.once('disconnected', ({ code }) => {
        void older.close();
        resolve(code);
      });
    });
    await agent(t.boltUrl, 'twin', [2222]);
    expect(await replaced).toBe(closeCodeFor(ErrorCode.Replaced));

    const after = await eventually(() => {
      const bolt = t.table.get('twin');
      return bolt !== before && bolt?.ports ? bolt : undefined;
    });
    expect(after.ports).toEqual([2222]);
    const clients = await listed(t);
    expect(clients).toHaveLength(1);
    expect(clients[0]).toMatchObject({ cname: 'twin', connectedAt: after.connectedAt.toISOString() });
    expect(after.connectedAt.getTime()).toBeGreaterThanOrEqual(before.connectedAt.getTime());
    expect(after.boltId).not.toBe(before.boltId);
  });

  it('moves on to another of its towers when the one it dialled is down', async () => {
    const t = await tower();
    const dead = `wss://127.0.0.1:${await freePort()}`;
    // The first draw picks the dead tower; after it fails, the only other one is the live tower.
    const client = await agent(dead, 'roamer', [1234], { towers: [dead, t.boltUrl], random: () => 0 });
    const retries = collect(client, 'retrying');
    const { url } = await nextEvent(client, 'connected');
    expect(url).toBe(`${t.boltUrl}/bolt`);
    expect(retries.map(({ url }) => url)).toEqual([`${dead}/bolt`]);
    await announced(t, 'roamer');
  });

  it('spreads the agents of a lost tower over all the others', async () => {
    const towers = [await tower(), await tower(), await tower()];
    const urls = towers.map((each) => each.boltUrl);
    const [lost, ...survivors] = towers;
    if (!lost) throw new Error('three towers');
    // All start on the first tower (the first draw is 0); each then draws its next one at random.
    const firstThenRandom = () => {
      let draws = 0;
      return () => (draws++ === 0 ? 0 : Math.random());
    };
    for (let i = 0; i < 24; i++)
      await agent(lost.boltUrl, `spread-${i}`, [1234], { towers: urls, random: firstThenRandom() });
    await eventually(() => lost.table.size === 24);
    const before = survivors.map((each) => each.table.size);
    await lost.close();
    await eventually(() => survivors.reduce((sum, each) => sum + each.table.size, 0) === 24);
    // Every survivor took some of the lost tower's agents (24 agents split 1 in 2^23 onto one side).
    const moved = survivors.map((each, i) => each.table.size - (before[i] ?? 0));
    expect(lost.table.size).toBe(0);
    for (const count of moved) expect(count).toBeGreaterThan(0);
  });
});
