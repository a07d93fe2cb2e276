/**
 * One cname, one agent: a second agent with the same certificate is refused while the first is alive
 * and beaconing (4015), backs off to its longest delay, and shows in `/clients`; the two never flap.
 * A silent, half-open bolt does not lock a restarted agent out, and `onDuplicate: 'replace'` keeps
 * newest-wins.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeCodeFor, ErrorCode } from '../../src/bolt/protocol/frames.js';
import {
  agent,
  announced,
  api,
  closeAll,
  collect,
  eventually,
  rawBolt,
  rawClosed,
  service,
  tower,
} from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { testPki } from '../helpers/pki.js';
import { change, openFeed } from '../helpers/sse-feed.js';

afterEach(closeAll);

const BEACON = { beaconInterval: 0.5, beaconValidity: 5 };
const CONFLICT = closeCodeFor(ErrorCode.Conflict);

interface ClientRow {
  cname: string;
  ports: number[];
  conflicts: number;
  lastConflictAddress: string | null;
}

const clientRow = async (t: Awaited<ReturnType<typeof tower>>, cname: string) =>
  (await (await api(t, `/clients/${cname}`)).json()) as ClientRow;

describe('two agents with one cname', () => {
  it('refuses the second while the first beacons: no flapping, it backs off, /clients and the log say so', async () => {
    const { log, lines } = captureLog();
    const status = await service((_req, res) => res.end('{"role":"twin"}'));
    const firstOnly = await service((_req, res) => res.end('first'));
    const secondOnly = await service((_req, res) => res.end('second'));
    const t = await tower({ ...BEACON, statusPort: status, monitorInterval: 200 }, log);
    const identity = await (await testPki()).client('twin');

    const first = await agent(t.boltUrl, 'twin', [status, firstOnly], { identity, ...BEACON });
    const held = await announced(t, 'twin');
    const feed = await openFeed(`${t.apiUrl}/minions/events`);
    const { index: addedAt } = await feed.waitFor(
      (event) =>
        change('added', 'twin')(event) || (event.event === 'snapshot' && event.data.includes('twin')),
    );
    const firstDrops = collect(first, 'disconnected');
    const accepted: string[] = [];
    t.table.on('connected', (bolt) => accepted.push(bolt.boltId));

    const second = await agent(t.boltUrl, 'twin', [status, secondOnly], {
      identity,
      ...BEACON,
      maxBackoff: 0.5,
    });
    const secondDrops = collect(second, 'disconnected');
    const retries = collect(second, 'retrying');
    const conflicts = collect(second, 'conflict');

    // Four refusals, each followed by the second agent's longest wait: a few beacon intervals.
    await eventually(() => secondDrops.length >= 4, 20_000);
    expect(secondDrops.slice(0, 4).map(({ code }) => code)).toEqual([CONFLICT, CONFLICT, CONFLICT, CONFLICT]);
    expect(retries.slice(0, 4).map(({ retryInMs }) => retryInMs)).toEqual([500, 500, 500, 500]);
    expect(conflicts.length).toBeGreaterThanOrEqual(4);

    // The first never noticed: same bolt, no drop, and the tower accepted no other.
    expect(firstDrops).toEqual([]);
    expect(accepted).toEqual([]);
    expect(t.table.get('twin')).toBe(held);
    expect(
      feed.events
        .slice(addedAt + 1)
        .filter((event) => event.data.includes('"twin"') && event.event !== 'changed'),
    ).toEqual([]);

    // Relays go to the first agent, and only the first agent's ports are offered.
    expect(await (await api(t, `/proxy/twin@${firstOnly}/`)).text()).toBe('first');
    expect((await api(t, `/proxy/twin@${secondOnly}/`)).status).toBe(403);

    const row = await clientRow(t, 'twin');
    expect(row.conflicts).toBeGreaterThanOrEqual(4);
    expect(row.lastConflictAddress).toBe('127.0.0.1');
    const listed = (await (await api(t, '/clients')).json()) as ClientRow[];
    expect(listed.find(({ cname }) => cname === 'twin')?.conflicts).toBeGreaterThanOrEqual(4);

    // Logged as a conflict naming both addresses, once, however often the second redials.
    const conflictLines = lines.filter((line) => line.cname === 'twin' && line.limit === 'onDuplicate');
    expect(conflictLines).toHaveLength(1);
    expect(conflictLines[0]).toMatchObject({
      level: 40,
      outcome: 'refused',
      holder: '127.0.0.1',
      contender: '127.0.0.1',
    });
  });

  it('lets the second agent in once the first stops', async () => {
    const t = await tower(BEACON);
    const identity = await (await testPki()).client('relay-twin');
    const first = await agent(t.boltUrl, 'relay-twin', [1111], { identity, ...BEACON });
    await announced(t, 'relay-twin');
    const second = await agent(t.boltUrl, 'relay-twin', [2222], { identity, ...BEACON, maxBackoff: 0.5 });
    const refused = collect(second, 'conflict');
    await eventually(() => refused.length >= 1);

    await first.close();
    const taken = await eventually(() => {
      const bolt = t.table.get('relay-twin');
      return bolt?.ports?.[0] === 2222 ? bolt : undefined;
    });
    expect(taken.isOpen).toBe(true);
    // A new holder starts with a clean record.
    expect(await clientRow(t, 'relay-twin')).toMatchObject({ conflicts: 0, lastConflictAddress: null });
  });

  it('lets a restarted agent replace its old bolt once that has been silent for two beacon intervals', async () => {
    const settings = { beaconInterval: 0.2, beaconValidity: 30 };
    const t = await tower(settings);
    const identity = await (await testPki()).client('phoenix');
    // The crashed agent's connection: half-open, it sent its Hello and then nothing at all.
    const stale = await rawBolt(t, 'phoenix', [1111]);
    const staleClosed = rawClosed(stale);
    // Silent for two beacon intervals by the tower's own record, the one its rule reads; timed from
    // here instead, a busy machine could hear the Hello late and the rule would not yet hold.
    await eventually(() => {
      const held = t.table.get('phoenix');
      return held !== undefined && Date.now() - held.lastHeardAt > 2 * 200;
    });

    const restarted = await agent(t.boltUrl, 'phoenix', [2222], { identity, ...settings });
    const refused = collect(restarted, 'conflict');
    // Replaced long before the 30 s validity would have expired it.
    expect((await staleClosed).code).toBe(closeCodeFor(ErrorCode.Replaced));
    await eventually(() => t.table.get('phoenix')?.ports?.[0] === 2222);
    expect(refused).toEqual([]);
    // A presumed-dead bolt taken over is not a conflict between two agents.
    expect(await clientRow(t, 'phoenix')).toMatchObject({ conflicts: 0, lastConflictAddress: null });
  });

  it("with onDuplicate 'replace', the newest bolt wins as before, and /clients counts it", async () => {
    const t = await tower({ ...BEACON, onDuplicate: 'replace' });
    const identity = await (await testPki()).client('fresh');
    const older = await agent(t.boltUrl, 'fresh', [1111], { identity, ...BEACON });
    const before = await announced(t, 'fresh');
    // Stop the older agent once replaced, or the two would take turns for ever, as asked.
    const replaced = new Promise<number>((resolve) => {
      older.once('disconnected', ({ code }) => {
        void older.close();
        resolve(code);
      });
    });
    await agent(t.boltUrl, 'fresh', [2222], { identity, ...BEACON });
    expect(await replaced).toBe(closeCodeFor(ErrorCode.Replaced));
    const after = await eventually(() => {
      const bolt = t.table.get('fresh');
      return bolt !== before && bolt?.ports ? bolt : undefined;
    });
    expect(after.ports).toEqual([2222]);
    expect(await clientRow(t, 'fresh')).toMatchObject({ conflicts: 1, lastConflictAddress: '127.0.0.1' });
  });
});
