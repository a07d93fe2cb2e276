/**
 * The fleet simulator against a real tower: thirty simulated agents, each a real bolt client with
 * its own certificate from the test CA, all reach `/minions` as distinct minions, and their package
 * changes move the global checksum and reach the change feed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet } from '../../src/sim/fleet-simulator.js';
import { type Document, globalChecksum, md5 } from '../helpers/checksums.js';
import { api, closeAll, eventually, onCloseAll, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';
import { change, changeData, openFeed } from '../helpers/sse-feed.js';

afterEach(closeAll);

const COUNT = 30;
const INTERVAL = 200;
const STATUS_PORT = 5000;

describe('simulated fleet', () => {
  it('brings every simulated agent into /minions, and their changes move the global checksum', async () => {
    const pki = await testPki();
    const t = await tower({ monitorInterval: INTERVAL, statusPort: STATUS_PORT });
    const feed = await openFeed(`${t.apiUrl}/minions/events`);
    const fleet = await startFleet({
      count: COUNT,
      towers: [t.boltUrl],
      authority: pki.authority,
      // Longer than a hostname prefix on purpose: the minions must still be told apart.
      prefix: 'edge-datacenter-east',
      changeEvery: 0.5,
      statusPort: STATUS_PORT,
      beaconInterval: 1,
      beaconValidity: 5,
    });
    onCloseAll(() => fleet.close());
    await fleet.allConnected;
    expect(fleet.clients.every((client) => client.connected)).toBe(true);

    const cnames = fleet.minions.map((minion) => minion.id);
    expect(cnames[0]).toBe('edge-datacenter-east-01');
    const listed = await eventually(async () => {
      const res = await api(t, '/minions');
      const documents = (await res.json()) as Document[];
      // Body and header come from one view: they must agree even while the fleet keeps changing.
      expect(res.headers.get('content-md5')).toBe(globalChecksum(documents));
      return documents.length === COUNT ? documents : undefined;
    });
    expect(listed.map((document) => document.id)).toEqual([...cnames].sort());
    const distinct = (values: unknown[]) => new Set(values).size;
    expect(distinct(listed.map((document) => (document.os as Document).hostname))).toBe(COUNT);
    expect(distinct(listed.map((document) => document.instance))).toBe(COUNT);

    // Packages come and go every half second or so on each agent: the global checksum moves.
    const before = (await api(t, '/minions', { method: 'HEAD' })).headers.get('content-md5');
    const { event } = await feed.waitFor(
      (candidate) => candidate.event === 'changed' && changeData(candidate).global !== before,
    );
    expect(cnames).toContain(changeData(event).id);
    await eventually(
      async () => (await api(t, '/minions', { method: 'HEAD' })).headers.get('content-md5') !== before,
    );

    // Closing the fleet takes every minion out again.
    const mark = feed.events.length;
    await fleet.close();
    for (const cname of cnames) await feed.waitFor(change('removed', cname), { from: mark });
    const after = await api(t, '/minions');
    expect(after.headers.get('content-md5')).toBe(md5(''));
    expect(await after.json()).toEqual([]);
  });
});
