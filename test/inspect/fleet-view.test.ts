import type { StatelyInspectionEvent } from '@statelyai/inspect';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFleetView, type FleetView } from '../../src/inspect/fleet-view.js';
import { createSanitizedInspector } from '../../src/inspect/sanitized-inspector.js';
import { flush, startTower } from './fixtures.js';

const base = { _version: '0', createdAt: '0', id: '', rootId: 'x:0' };
const actor = (sessionId: string, parentId?: string, definition?: string): StatelyInspectionEvent => ({
  ...base,
  type: '@xstate.actor',
  name: sessionId,
  sessionId,
  parentId,
  definition,
  snapshot: { status: 'active' },
});
const snapshot = (sessionId: string, status: 'active' | 'done' | 'stopped', value: string) =>
  ({
    ...base,
    type: '@xstate.snapshot',
    sessionId,
    event: { type: 'x' },
    snapshot: { status, value, output: undefined, error: undefined },
  }) as StatelyInspectionEvent;
const sent = (sessionId: string, type: string, sourceId?: string): StatelyInspectionEvent => ({
  ...base,
  type: '@xstate.event',
  sessionId,
  sourceId,
  event: { type },
});

/** Feeds the view as the pipeline does, and keeps what would reach browsers, parsed. */
function feeder(view: FleetView) {
  const out: Record<string, unknown>[] = [];
  return {
    out,
    feed(event: StatelyInspectionEvent) {
      for (const shown of view.record(event, JSON.stringify(event)))
        out.push(JSON.parse(shown) as Record<string, unknown>);
    },
  };
}

const greetingOf = (view: FleetView) =>
  [...view.greeting()].map((m) => JSON.parse(m) as Record<string, unknown>);

describe('createFleetView', () => {
  it('shows the tower and its minions, folding shards into the tower and polls into their minion', () => {
    const view = createFleetView();
    const { out, feed } = feeder(view);
    feed(actor('tower'));
    feed(snapshot('tower', 'active', 'running'));
    feed(actor('shard', 'tower'));
    feed(sent('shard', 'bolt.connected', 'tower'));
    feed(actor('minion', 'shard'));
    feed(sent('tower', 'minion.spawned', 'shard'));
    feed(snapshot('minion', 'active', 'monitoring'));
    feed(actor('poll', 'minion'));
    feed(sent('minion', 'poll.settled', 'poll'));
    feed(snapshot('poll', 'stopped', 'x'));
    feed(snapshot('minion', 'active', 'ready'));

    expect(out.map((m) => [m.type, m.sessionId])).toEqual([
      ['@xstate.actor', 'tower'],
      ['@xstate.snapshot', 'tower'],
      ['@xstate.actor', 'minion'],
      ['@xstate.snapshot', 'tower'],
      ['@xstate.event', 'tower'],
      ['@xstate.snapshot', 'minion'],
      ['@xstate.event', 'minion'],
      ['@xstate.snapshot', 'minion'],
    ]);
    // The minion hangs off the tower; what its shard and poll sent is told as theirs.
    expect(out[2]?.parentId).toBe('tower');
    expect(out[4]?.sourceId).toBe('tower');
    expect(out[6]?.sourceId).toBe('minion');
    // The tower says how many minions it has, again as soon as that changes.
    const contextOf = (m: Record<string, unknown> | undefined) =>
      (m?.snapshot as { context?: unknown } | undefined)?.context;
    expect(contextOf(out[1])).toEqual({ minions: 0 });
    expect(contextOf(out[3])).toEqual({ minions: 1 });
    expect(view.size).toBe(2);
    expect(view.foldedSize).toBe(1);

    expect(greetingOf(view).map((m) => [m.type, m.sessionId, m.parentId])).toEqual([
      ['@xstate.actor', 'tower', undefined],
      ['@xstate.snapshot', 'tower', undefined],
      ['@xstate.actor', 'minion', 'tower'],
      ['@xstate.snapshot', 'minion', undefined],
    ]);
    expect(contextOf(greetingOf(view)[1])).toEqual({ minions: 1 });
    feed(snapshot('minion', 'done', 'removed'));
    expect(out.slice(-2).map((m) => [m.type, m.sessionId, contextOf(m)])).toEqual([
      ['@xstate.snapshot', 'minion', undefined],
      ['@xstate.snapshot', 'tower', { minions: 0 }],
    ]);
  });

  it('forgets a removed minion with the poll it had in flight, and everything when the tower stops', () => {
    const view = createFleetView();
    const { feed } = feeder(view);
    feed(actor('tower'));
    feed(actor('shard', 'tower'));
    for (const id of ['a', 'b']) {
      feed(actor(id, 'shard'));
      feed(actor(`poll-${id}`, id));
    }
    expect([view.size, view.foldedSize]).toEqual([3, 3]);
    feed(snapshot('a', 'done', 'removed'));
    expect([view.size, view.foldedSize]).toEqual([2, 2]);
    // Its poll's own stop comes later and changes nothing.
    feed(snapshot('poll-a', 'stopped', 'x'));
    expect([view.size, view.foldedSize]).toEqual([2, 2]);
    feed(snapshot('tower', 'stopped', 'stopped'));
    expect([view.size, view.foldedSize]).toEqual([0, 0]);
    expect([...view.greeting()]).toEqual([]);
  });

  it('keeps the first registration of a session id', () => {
    const view = createFleetView();
    view.record(actor('tower'), 'A tower');
    view.record(actor('shard', 'tower'), 'A shard');
    expect(view.record(actor('minion', 'shard'), 'A minion')).toHaveLength(1);
    expect(view.record(actor('minion', 'minion'), 'A again')).toEqual([]);
    expect(view.record(actor('tower'), 'A tower again')).toEqual([]);
    expect([view.size, view.foldedSize]).toEqual([2, 1]);
  });

  it('drops events about actors it never saw registered', () => {
    const view = createFleetView();
    expect(view.record(actor('orphan', 'nobody'), 'A')).toEqual([]);
    expect(view.record(snapshot('orphan', 'active', 'x'), 'S')).toEqual([]);
    expect(view.record(sent('orphan', 'x'), 'E')).toEqual([]);
    expect(view.size).toBe(0);
  });

  it('greets with the whole fleet at 10,000 minions, one definition shared by all', () => {
    const view = createFleetView();
    const definition = JSON.stringify({ id: 'minion', states: { ready: {} }, pad: 'x'.repeat(3000) });
    view.record(actor('tower'), 'A tower');
    view.record(actor('shard', 'tower'), 'A shard');
    for (let i = 0; i < 10_000; i += 1) {
      // A fresh copy each time, as the library serializes the definition per registration.
      view.record(actor(`m${i}`, 'shard', `${definition} `.trimEnd()), '');
      view.record(snapshot(`m${i}`, 'active', 'ready'), `S m${i}`);
    }
    let registrations = 0;
    let snapshots = 0;
    for (const message of view.greeting()) {
      if (message.startsWith('S ')) snapshots += 1;
      else registrations += 1;
    }
    expect(registrations).toBe(10_001);
    expect(snapshots).toBe(10_000);
    expect(view.size).toBe(10_001);
  });
});

interface Message {
  type: string;
  sessionId: string;
  parentId?: string;
  name?: string;
  sourceId?: string;
  event?: { type: string };
  snapshot?: { context?: unknown };
}

/** Lets the inspector library's deferred sends (a 0 ms timer each) happen: later timers run after. */
const deferred = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('the fleet view of a running tower', () => {
  it('stays the tower plus one actor per minion over many poll intervals', async () => {
    const view = createFleetView();
    const messages: Message[] = [];
    const pipeline = createSanitizedInspector((message, event) => {
      for (const shown of view.record(event, message)) messages.push(JSON.parse(shown) as Message);
    });
    const t = startTower(pipeline.inspect);
    for (let i = 0; i < 20; i += 1) await t.connect(`m${i}`, `b${i}`);
    await deferred();
    const registered = () =>
      new Set(messages.filter((m) => m.type === '@xstate.actor').map((m) => m.sessionId));
    expect(registered().size).toBe(21);

    for (let interval = 0; interval < 12; interval += 1) {
      t.clock.increment(15_000);
      await flush();
      await deferred();
      expect(registered().size).toBe(21);
      expect(view.size).toBe(21);
      // The 20 shards in use, and no poll left over between polls.
      expect(view.foldedSize).toBeLessThanOrEqual(20);
    }
    // Polls did happen all along: each minion got a poll outcome every interval, told as its own.
    const outcomes = messages.filter((m) => m.type === '@xstate.event' && m.event?.type === 'poll.settled');
    expect(outcomes.length).toBeGreaterThanOrEqual(20 * 12);
    expect(outcomes.every((m) => m.sourceId === m.sessionId)).toBe(true);

    const greeting = [...view.greeting()].map((m) => JSON.parse(m) as Message);
    const actors = greeting.filter((m) => m.type === '@xstate.actor');
    expect(actors).toHaveLength(21);
    expect(actors[0]?.name).toBe('tower');
    expect(new Set(actors.slice(1).map((m) => m.parentId))).toEqual(new Set([actors[0]?.sessionId]));
    expect(actors.slice(1).every((m) => m.name?.startsWith('minion:'))).toBe(true);

    const towerContext = () =>
      messages.findLast((m) => m.type === '@xstate.snapshot' && m.sessionId === actors[0]?.sessionId)
        ?.snapshot?.context;
    expect(towerContext()).toEqual({ minions: 20 });

    t.close('m0', 'b0');
    await flush();
    await deferred();
    expect(view.size).toBe(20);
    expect(towerContext()).toEqual({ minions: 19 });
    pipeline.stop();
    t.tower.stop();
  });
});

describe('createFleetView, fed any sequence of events', () => {
  // A small id space, so registrations, snapshots and events meet the same actors often.
  const id = fc.constantFrom('t', 'u', 's1', 's2', 'm1', 'm2', 'm3', 'p1', 'p2', 'q');
  const parent = fc.option(id, { nil: undefined });
  const status = fc.constantFrom('active', 'done', 'stopped') as fc.Arbitrary<'active' | 'done' | 'stopped'>;
  const anyEvent = fc.oneof(
    fc.tuple(id, parent).map(([sessionId, parentId]) => actor(sessionId, parentId)),
    fc.tuple(id, status).map(([sessionId, s]) => snapshot(sessionId, s, 'x')),
    fc.tuple(id, parent).map(([sessionId, sourceId]) => sent(sessionId, 'e', sourceId)),
  );

  it('never throws, shows only what it keeps, and folds nothing it shows', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 60 }), (events) => {
        const view = createFleetView();
        for (const event of events) {
          for (const shown of view.record(event, JSON.stringify(event)))
            expect(() => JSON.parse(shown)).not.toThrow();
        }
        const greeting = greetingOf(view);
        const registered = greeting.filter((m) => m.type === '@xstate.actor');
        expect(registered).toHaveLength(view.size);
        const shownIds = new Set(registered.map((m) => m.sessionId));
        // Every shown actor is a root or hangs directly off a shown root.
        for (const m of registered) {
          if (m.parentId === undefined) continue;
          expect(shownIds.has(m.parentId)).toBe(true);
          expect(registered.find((r) => r.sessionId === m.parentId)?.parentId).toBeUndefined();
        }
        // One place per session id: never both shown and folded.
        const distinct = new Set(events.filter((e) => e.type === '@xstate.actor').map((e) => e.sessionId));
        expect(view.size + view.foldedSize).toBeLessThanOrEqual(distinct.size);
      }),
      { numRuns: 500 },
    );
  });
});
