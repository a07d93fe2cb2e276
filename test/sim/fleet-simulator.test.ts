/**
 * A simulated fleet's progress through its handshake gate: with room for one handshake, the rest of
 * the fleet queues behind it from the start, and once all are up nothing is left in flight.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet } from '../../src/sim/fleet-simulator.js';
import { closeAll, eventually, onCloseAll, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';

afterEach(closeAll);

describe('startFleet', () => {
  it('dials one handshake at a time through a gate of one, and reports where it stands', async () => {
    const pki = await testPki();
    const running = await tower();
    const fleet = await startFleet({
      count: 3,
      towers: [running.boltUrl],
      authority: pki.authority,
      prefix: 'gated',
      changeEvery: 0,
      beaconInterval: 1,
      beaconValidity: 5,
      connectConcurrency: 1,
    });
    onCloseAll(() => fleet.close());
    expect(fleet.progress()).toEqual({ connected: 0, handshaking: 1, queued: 2 });

    await fleet.allConnected;
    expect(fleet.progress()).toEqual({ connected: 3, handshaking: 0, queued: 0 });
    await eventually(() => ['gated-1', 'gated-2', 'gated-3'].every((cname) => running.table.get(cname)));
  });
});
