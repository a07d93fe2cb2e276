/**
 * What a fleet costs in actors: one per minion, holding no child between polls, and settings shared
 * by all. A tower holds 10,000 of these for hours, so a second long-lived actor per minion (as the
 * separate poller once was) or a copy of the settings per minion is a regression.
 */
import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { minionSystemId, SHARD_COUNT, shardOf } from '../../machines/tower.machine.js';
import { type FakeLink, fakeLink, flush } from './helpers.js';
import { goodStatus } from './minion-harness.js';
import { simulatedTower } from './simulated-tower.js';

function startFleet(cnames: readonly string[]) {
  const live = new Set<unknown>();
  const inspect = (event: InspectionEvent) => {
    if (event.type === '@xstate.actor') live.add(event.actorRef);
    if (event.type === '@xstate.snapshot' && event.snapshot.status !== 'active') live.delete(event.actorRef);
  };
  const { clock, tower } = simulatedTower({}, inspect);
  tower.subscribe({ error: () => {} });
  tower.start();
  const links = new Map<string, FakeLink>();
  for (const cname of cnames) {
    const link = fakeLink(cname);
    links.set(cname, link);
    tower.send({ type: 'bolt.connected', cname, boltId: `b-${cname}`, link, connectedAt: clock.now() });
    tower.send({ type: 'bolt.capability', cname, boltId: `b-${cname}`, ports: [5000] });
  }
  const minion = (cname: string) => tower.system.get(minionSystemId(cname));
  return { clock, tower, links, live, minion };
}

describe('actors per minion', () => {
  it('runs one actor per minion, with a child only while a poll is in flight', async () => {
    const cnames = ['m1', 'm2', 'm3'];
    const f = startFleet(cnames);
    f.clock.increment(0);
    await flush();
    // Polling: the tower, the shards holding the minions, three minions and one poll child each.
    const shards = new Set(cnames.map(shardOf)).size;
    expect(f.live.size).toBe(1 + shards + 3 + 3);
    for (const cname of cnames)
      expect(Object.keys(f.minion(cname)?.getSnapshot().children ?? {})).toEqual(['poll']);

    for (const [cname, link] of f.links) link.lastPoll().resolve(goodStatus({ id: cname }));
    await flush();
    // Between polls: the tower, its shards and one actor per minion, nothing else.
    expect(f.live.size).toBe(1 + shards + 3);
    for (const cname of cnames) {
      expect(f.minion(cname)?.getSnapshot().value).toBe('ready');
      expect(f.minion(cname)?.getSnapshot().children).toEqual({});
    }

    f.clock.increment(15_000);
    await flush();
    expect(f.live.size).toBe(1 + shards + 3 + 3);
  });

  it('shares one settings object across the fleet', () => {
    const f = startFleet(['m1', 'm2']);
    const settings = f.minion('m1')?.getSnapshot().context.settings;
    expect(settings).toBeDefined();
    expect(f.minion('m2')?.getSnapshot().context.settings).toBe(settings);
    expect(f.tower.getSnapshot().context.defaults).toBe(settings);
  });

  // XState copies an actor's whole children object on every spawn and stop: one supervisor of every
  // minion made a fleet's start quadratic. Each shard must hold a small, even share instead.
  it('spreads a fleet evenly over bounded shards, none holding more than twice its share', () => {
    const cnames = Array.from({ length: 4_000 }, (_, i) => `agent-${String(i).padStart(5, '0')}`);
    const f = startFleet(cnames);
    const shards = Object.values(f.tower.getSnapshot().children);
    expect(shards).toHaveLength(SHARD_COUNT);
    const sizes = shards.map((shard) => Object.keys(shard?.getSnapshot().children ?? {}).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(cnames.length);
    expect(Math.max(...sizes)).toBeLessThan((2 * cnames.length) / SHARD_COUNT);
    expect(f.minion('agent-01234')?.getSnapshot().value).toBe('monitoring');
  });
});
