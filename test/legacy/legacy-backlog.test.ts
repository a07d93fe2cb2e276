/**
 * A legacy agent that stops reading meets the WebSocket bolt's rules: what the tower queues for it
 * is bounded by the output backlog limit, and output it leaves untaken for the validity window
 * expires it though it keeps beaconing. Both close with Backlog (4016), logged once per agent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LegacyBolt } from '../../src/legacy/legacy-bolt.js';
import type { Bolt } from '../../src/link/bolt.js';
import type { BoltEnding } from '../../src/link/close-reason.js';
import { closeAll, eventually } from '../helpers/harness.js';
import type { LegacyAgent } from './legacy-agent.js';
import { framesOf, type LegacyTower, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

const MIB = 1024 * 1024;

afterEach(closeAll);

/** A ready agent that has stopped reading, its bolt, and a block of beacons, each one answered. */
async function deafAgent(legacy: LegacyTower, cname: string) {
  const agent = await legacyAgent(legacy, cname, [5000], { beaconIntervalMs: 60_000 });
  const bolt = await legacyAnnounced(legacy, cname);
  if (!(bolt instanceof LegacyBolt)) throw new Error(`${cname} is not a legacy bolt`);
  const [beaconOpened] = await eventually(
    () => framesOf(agent, 'new', 'beacon').length > 0 && framesOf(agent, 'new', 'beacon'),
  );
  const beacon = `${JSON.stringify([beaconOpened?.[0], 'data', 'Beacon'])}\n`;
  agent.deafen();
  return { agent, bolt, beacon, beacons: beacon.repeat(Math.floor(MIB / beacon.length)) };
}

/** Sends `block` again and again, each once the last one left, until `stop()` or `budget` bytes. */
async function flood(agent: LegacyAgent, block: string, stop: () => boolean, budget: number): Promise<void> {
  for (let sent = 0; !stop() && sent < budget; sent += block.length) {
    if (!(await agent.sendRawAndWait(block))) return;
  }
}

/** The close code and reason the tower reports for `bolt`, or 'timed out' after a generous `ms`. */
function closedWith(legacy: LegacyTower, bolt: Bolt, ms: number) {
  return new Promise<BoltEnding | 'timed out'>((resolve) => {
    legacy.t.table.on('closed', (closed, how) => {
      if (closed === bolt) resolve(how);
    });
    setTimeout(resolve, ms, 'timed out');
  });
}

describe('a legacy agent that stops reading', () => {
  it('is closed with 4016 once its beacon replies pass the limit, which bounds what the tower holds', async () => {
    const limit = 2 * MIB;
    const legacy = await legacyTower({}, { limits: { maxWriteBacklogBytes: limit } });
    for (let round = 0; round < 2; round++) {
      const { bolt, agent, beacons } = await deafAgent(legacy, 'deaf-legacy');
      const closed = closedWith(legacy, bolt, 20_000);
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, bolt.outputBacklog);
      }, 1);
      await flood(agent, beacons, () => !bolt.isOpen, 32 * MIB);
      clearInterval(sampler);
      // The check follows each write: one reply line may sit past the limit when it trips.
      expect(peak).toBeLessThanOrEqual(limit + 1024);
      expect(await closed).toMatchObject({ reason: 'backlog' });
      await agent.close();
    }
    const warned = legacy.logs.filter((line) => line.limit === 'outputBacklogLimit');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ cname: 'deaf-legacy', level: 40 });
  });

  it('is expired with 4016 when its output sits untaken for the validity window, though it keeps beaconing', async () => {
    const legacy = await legacyTower({ beaconValidity: 2 }, { limits: { maxWriteBacklogBytes: 256 * MIB } });
    const { bolt, agent, beacon, beacons } = await deafAgent(legacy, 'beaconing');
    const closed = closedWith(legacy, bolt, 15_000);
    // Until the kernel's buffers are full and the tower holds replies back, or, on a slow machine,
    // until the stall has already ended the connection.
    await flood(agent, beacons, () => !bolt.isOpen || bolt.outputBacklog > 4 * MIB, 128 * MIB);
    expect(!bolt.isOpen || bolt.outputBacklog > 4 * MIB).toBe(true);
    // Beacons now and then: by the old rule the agent lived as long as it beaconed.
    const chatter = setInterval(() => agent.sendRaw(beacon), 100);
    try {
      expect(await closed).toEqual({
        reason: 'backlog',
        detail: expect.stringContaining('took none of its output'),
      });
    } finally {
      clearInterval(chatter);
    }
  });
});
