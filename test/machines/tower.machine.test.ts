import { describe, expect, it, vi } from 'vitest';
import { minionView } from '../../machines/minion.machine.js';
import {
  liveMinions,
  type MinionRef,
  minionSystemId,
  shardOf,
  type TowerInput,
} from '../../machines/tower.machine.js';
import { type FakeLink, fakeLink, flush, recordValues } from './helpers.js';
import { goodStatus, T0 } from './minion-harness.js';
import { simulatedTower } from './simulated-tower.js';

function startTower(overrides: Partial<TowerInput> = {}) {
  const { clock, tower } = simulatedTower(overrides);
  const seen = recordValues(tower, (snapshot) => snapshot.value);
  tower.start();
  return {
    clock,
    tower,
    seen,
    minions: () => new Map(liveMinions(tower.getSnapshot().context)),
    // The minion actors, whichever shards hold them.
    children: () =>
      Object.values(tower.getSnapshot().children).flatMap((shard) =>
        Object.keys(shard?.getSnapshot().children ?? {}),
      ),
    minion: (cname: string): MinionRef | undefined => tower.system.get(minionSystemId(cname)),
    connect(cname: string, boltId: string, link: FakeLink = fakeLink(cname)) {
      tower.send({ type: 'bolt.connected', cname, boltId, link, connectedAt: clock.now() });
      return link;
    },
    async advance(ms: number) {
      clock.increment(ms);
      await flush();
    },
  };
}

describe('towerMachine', () => {
  it('spawns one minion per bolt under minion:<cname> and forwards its capability', () => {
    const t = startTower();
    t.connect('alpha', 'b1');
    const ref = t.minion('alpha');
    expect(ref).toBeDefined();
    expect(t.minions().get('alpha')?.boltId).toBe('b1');
    expect(t.minions().get('alpha')?.ref).toBe(ref);
    expect(ref?.getSnapshot().value).toBe('connecting');
    expect(ref && minionView(ref.getSnapshot())).toMatchObject({
      cname: 'alpha',
      boltId: 'b1',
      connectedAt: T0,
    });

    t.tower.send({ type: 'bolt.capability', cname: 'alpha', boltId: 'b1', ports: [5000] });
    expect(ref?.getSnapshot().value).toBe('monitoring');
    expect(ref?.getSnapshot().context.ports).toEqual([5000]);
    expect(t.seen.errors).toEqual([]);
  });

  it('replaces a bolt: the table closes the old one first, then the successor takes the system id', async () => {
    const t = startTower();
    const oldLink = t.connect('alpha', 'b1');
    t.tower.send({ type: 'bolt.capability', cname: 'alpha', boltId: 'b1', ports: [5000] });
    await t.advance(0);
    const oldRef = t.minion('alpha');
    const oldPoll = oldLink.lastPoll();

    // The bolt table's contract: a replaced bolt's close comes before its successor's connect.
    t.tower.send({ type: 'bolt.closed', cname: 'alpha', boltId: 'b1', reason: 'replaced' });
    const newLink = t.connect('alpha', 'b2');
    const newRef = t.minion('alpha');
    expect(oldLink.closes).toEqual(['replaced']);
    expect(oldPoll.signal.aborted).toBe(true);
    expect(oldRef?.getSnapshot().context.removedReason).toBe('replaced');
    expect(newRef).toBeDefined();
    expect(newRef).not.toBe(oldRef);
    expect(newRef?.getSnapshot().value).toBe('connecting');
    expect(t.minions().get('alpha')?.boltId).toBe('b2');
    expect(t.children()).toEqual([newRef?.id]);
    expect(newLink.closes).toEqual([]);
    expect(t.seen.errors).toEqual([]);
  });

  it('ignores events for a cname it holds no minion for, such as the close of one that ended itself', async () => {
    const t = startTower();
    const oldLink = t.connect('alpha', 'b1');
    const beta = t.connect('beta', 'b2');
    t.tower.send({ type: 'bolt.capability', cname: 'beta', boltId: 'b2', ports: [5000] });
    // alpha never announces its capability: its minion ends and closes the bolt itself.
    await t.advance(5_000);
    expect(oldLink.closes).toEqual(['capability-timeout']);
    expect(t.minion('alpha')).toBeUndefined();

    // The table then reports that close; and nobody ever connected as `nobody`.
    t.tower.send({ type: 'bolt.closed', cname: 'alpha', boltId: 'b1', reason: 'closed' });
    t.tower.send({ type: 'bolt.capability', cname: 'nobody', boltId: 'b9', ports: [1] });
    t.tower.send({ type: 'bolt.closed', cname: 'nobody', boltId: 'b9', reason: 'closed' });
    t.connect('alpha', 'b3');

    expect(t.minion('alpha')?.getSnapshot().context.boltId).toBe('b3');
    expect(t.minion('beta')?.getSnapshot().value).toBe('monitoring');
    expect(beta.closes).toEqual([]);
    expect([...t.minions().keys()].sort()).toEqual(['alpha', 'beta']);
    expect(t.seen.errors).toEqual([]);
  });

  it('forgets a minion once it ends, and takes the cname again later', async () => {
    const t = startTower();
    const link = t.connect('alpha', 'b1');
    t.connect('beta', 'b2');
    t.tower.send({ type: 'bolt.closed', cname: 'alpha', boltId: 'b1', reason: 'expired' });

    expect(link.closes).toEqual(['expired']);
    expect(t.minion('alpha')).toBeUndefined();
    expect([...t.minions().keys()]).toEqual(['beta']);
    expect(t.children()).toHaveLength(1);

    // beta never announces its capability.
    await t.advance(5_000);
    expect(t.minions().size).toBe(0);
    expect(t.children()).toEqual([]);

    t.connect('alpha', 'b3');
    expect(t.minion('alpha')?.getSnapshot().context.boltId).toBe('b3');
  });

  it('shuts down: every minion is told shutdown and closes its bolt, then the tower ends', async () => {
    const t = startTower();
    const links = ['alpha', 'beta', 'gamma'].map((cname, i) => t.connect(cname, `b${i}`));
    t.tower.send({ type: 'bolt.capability', cname: 'alpha', boltId: 'b0', ports: [5000] });
    await t.advance(0);
    links[0]?.lastPoll().resolve(goodStatus({ id: 'alpha' }));
    await flush();
    const refs = ['alpha', 'beta', 'gamma'].map((cname) => t.minion(cname));
    expect(refs[0]?.getSnapshot().value).toBe('ready');

    t.tower.send({ type: 'tower.shutdown' });
    expect(links.map((l) => l.closes)).toEqual([['shutdown'], ['shutdown'], ['shutdown']]);
    expect(refs.map((r) => r?.getSnapshot().context.removedReason)).toEqual([
      'shutdown',
      'shutdown',
      'shutdown',
    ]);
    expect(t.tower.getSnapshot().status).toBe('done');
    expect(t.minion('alpha')).toBeUndefined();
    expect(t.seen.values.at(-1)).toBe('stopped');
  });

  it('bounds polls in flight across minions to pollConcurrency', async () => {
    const t = startTower({ pollConcurrency: 2 });
    const shared = { inFlight: 0, maxInFlight: 0 };
    const cnames = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const links = cnames.map((cname) => t.connect(cname, `bolt-${cname}`, fakeLink(cname, shared)));
    for (const cname of cnames)
      t.tower.send({ type: 'bolt.capability', cname, boltId: `bolt-${cname}`, ports: [] });
    await t.advance(0);
    expect(shared.inFlight).toBe(2);

    const answered = new Set<FakeLink>();
    while (answered.size < links.length) {
      const link = links.find((l) => l.inFlight > 0 && !answered.has(l));
      if (!link) throw new Error('no poll in flight while minions still wait');
      link.lastPoll().resolve(goodStatus({ id: link.cname }));
      answered.add(link);
      await flush();
      expect(shared.inFlight).toBeLessThanOrEqual(2);
    }
    expect(shared.maxInFlight).toBe(2);
    expect(cnames.map((cname) => t.minion(cname)?.getSnapshot().value)).toEqual(Array(5).fill('ready'));
  });

  it('does not count time queued for a slot against the poll timeout', async () => {
    const t = startTower({ pollConcurrency: 1, pollTimeout: 3_000 });
    const first = t.connect('m1', 'b1');
    const second = t.connect('m2', 'b2');
    t.tower.send({ type: 'bolt.capability', cname: 'm1', boltId: 'b1', ports: [] });
    t.tower.send({ type: 'bolt.capability', cname: 'm2', boltId: 'b2', ports: [] });
    await t.advance(0);
    expect([first.polls.length, second.polls.length]).toEqual([1, 0]);

    await t.advance(2_500);
    first.lastPoll().resolve(goodStatus({ id: 'm1' }));
    await flush();
    expect(second.polls).toHaveLength(1);
    await t.advance(2_999);
    expect(second.lastPoll().signal.aborted).toBe(false);
    await t.advance(1);
    expect(second.lastPoll().signal.aborted).toBe(true);
    expect(t.minion('m2')?.getSnapshot().context.lastError?.code).toBe('timeout');
  });

  it('drops a minion that throws, closing its bolt, and keeps serving the others', async () => {
    const warn = vi.fn((message: string) => {
      if (message.includes('foreign')) throw new Error('logger broke');
    });
    const t = startTower({ warn });
    const link = t.connect('alpha', 'b1');
    t.connect('beta', 'b2');
    t.tower.send({ type: 'bolt.capability', cname: 'alpha', boltId: 'b1', ports: [] });
    await t.advance(0);
    link.lastPoll().resolve(goodStatus({ id: 'impostor' }));
    await flush();

    expect(link.closes).toEqual(['minion failed']);
    expect(t.minion('alpha')).toBeUndefined();
    expect([...t.minions().keys()]).toEqual(['beta']);
    expect(warn).toHaveBeenLastCalledWith(
      expect.stringContaining('failed'),
      expect.objectContaining({ cname: 'alpha' }),
    );
    expect(t.tower.getSnapshot().status).toBe('active');
    expect(t.seen.errors).toEqual([]);
  });

  it('drops a shard that fails, warns, and gives its cnames a fresh shard; other shards go on', async () => {
    const warn = vi.fn((message: string) => {
      if (message.includes('foreign')) throw new Error('logger broke');
    });
    const t = startTower({ warn });
    expect(shardOf('alpha')).not.toBe(shardOf('beta'));
    // A link whose close throws: the shard, closing it after its minion failed, fails in turn.
    const broken = {
      ...fakeLink('alpha'),
      close: () => {
        throw new Error('close broke');
      },
    };
    t.connect('alpha', 'b1', broken);
    const beta = t.connect('beta', 'b2');
    t.tower.send({ type: 'bolt.capability', cname: 'alpha', boltId: 'b1', ports: [] });
    await t.advance(0);
    broken.lastPoll().resolve(goodStatus({ id: 'impostor' }));
    await flush();

    expect(warn).toHaveBeenLastCalledWith(expect.stringContaining('shard failed'), expect.anything());
    expect(t.tower.getSnapshot().status).toBe('active');
    expect(t.seen.errors).toEqual([]);
    expect([...t.minions().keys()]).toEqual(['beta']);
    expect(beta.closes).toEqual([]);

    t.connect('alpha', 'b3');
    expect(t.minion('alpha')?.getSnapshot().context.boltId).toBe('b3');
    expect([...t.minions().keys()].sort()).toEqual(['alpha', 'beta']);
  });
});
