/**
 * Deployed stormbolt agents meet the same rule as WebSocket ones: a second agent with a live agent's
 * cname is refused (closed: they cannot read a code) and logged as a conflict, whichever transport
 * holds the cname.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeCodeFor, ErrorCode } from '../../src/bolt/protocol/frames.js';
import { agent, api, closeAll, collect, eventually } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';
import { legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

describe('legacy agents with one cname', () => {
  it('closes the second while the first beacons, and logs the conflict naming both addresses', async () => {
    const legacy = await legacyTower({ beaconInterval: 0.5 });
    const first = await legacyAgent(legacy, 'twin', [1111]);
    const held = await legacyAnnounced(legacy, 'twin');
    const second = await legacyAgent(legacy, 'twin', [2222]);
    await second.closed();

    expect(legacy.t.table.get('twin')).toBe(held);
    expect(held.ports).toEqual([1111]);
    const replies = first.beaconReplies;
    await eventually(() => first.beaconReplies > replies + 1);
    expect(first.connected).toBe(true);
    expect(await (await api(legacy.t, '/clients/twin')).json()).toMatchObject({
      transport: 'legacy',
      conflicts: 1,
      lastConflictAddress: '127.0.0.1',
    });
    expect(legacy.logs.filter((line) => line.limit === 'onDuplicate')).toEqual([
      expect.objectContaining({
        cname: 'twin',
        outcome: 'refused',
        holder: '127.0.0.1',
        contender: '127.0.0.1',
      }),
    ]);
    // The refused connection was never listed, so it is neither announced nor reported closed.
    expect(legacy.logs.filter((line) => line.msg === 'legacy bolt connected')).toHaveLength(1);
    expect(legacy.logs.filter((line) => line.msg === 'legacy bolt closed')).toEqual([]);
  });

  it('refuses a WebSocket agent whose cname a live legacy agent holds, with 4015', async () => {
    const legacy = await legacyTower({ beaconInterval: 0.5 });
    await legacyAgent(legacy, 'mixed', [1111]);
    const held = await legacyAnnounced(legacy, 'mixed');
    const identity = await (await testPki()).client('mixed');
    const modern = await agent(legacy.t.boltUrl, 'mixed', [2222], { identity });
    const drops = collect(modern, 'disconnected');
    await eventually(() => drops.length > 0);
    expect(drops[0]?.code).toBe(closeCodeFor(ErrorCode.Conflict));
    expect(legacy.t.table.get('mixed')).toBe(held);
  });
});
