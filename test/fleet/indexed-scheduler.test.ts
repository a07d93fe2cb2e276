/**
 * The indexed scheduler keeps XState's delayed-event semantics (delays fire, cancel, and die with
 * their actor) while cancelling by source instead of scanning the whole system.
 */

import { describe, expect, it } from 'vitest';
import { assign, createActor, SimulatedClock, setup, stopChild } from 'xstate';
import { indexedScheduling } from '../../src/fleet/indexed-scheduler.js';

const ticker = setup({
  types: { context: {} as { ticks: number } },
  actions: { tick: assign({ ticks: ({ context }) => context.ticks + 1 }) },
}).createMachine({
  context: { ticks: 0 },
  initial: 'waiting',
  states: {
    waiting: {
      after: { 100: { target: 'waiting', reenter: true, actions: 'tick' } },
      on: { halt: 'halted' },
    },
    halted: {},
  },
});

const parent = setup({ actors: { ticker } }).createMachine({
  invoke: [
    { id: 'a', src: 'ticker' },
    { id: 'b', src: 'ticker' },
  ],
});

describe('indexedScheduling', () => {
  it('fires, re-arms, cancels on exit and on stop, and forgets what fired', () => {
    const simulated = new SimulatedClock();
    const scheduling = indexedScheduling(simulated);
    const actor = createActor(parent, { clock: scheduling.clock });
    scheduling.install(actor.system);
    actor.start();
    const a = actor.getSnapshot().children.a;
    const b = actor.getSnapshot().children.b;
    if (!a || !b) throw new Error('children missing');

    for (let i = 0; i < 3; i++) simulated.increment(100);
    expect(a.getSnapshot().context.ticks).toBe(3);
    expect(b.getSnapshot().context.ticks).toBe(3);
    // Each child has exactly its one pending delay: fired ones left the index.
    expect(scheduling.pending(a)).toBe(1);
    expect(scheduling.pending(b)).toBe(1);

    a.send({ type: 'halt' });
    expect(scheduling.pending(a)).toBe(0);
    for (let i = 0; i < 5; i++) simulated.increment(100);
    expect(a.getSnapshot().context.ticks).toBe(3);
    expect(b.getSnapshot().context.ticks).toBe(8);

    actor.stop();
    expect(scheduling.pending(b)).toBe(0);
    for (let i = 0; i < 5; i++) simulated.increment(100);
    expect(b.getSnapshot().context.ticks).toBe(8);
    expect(Object.keys(actor.system.getSnapshot()._scheduledEvents)).toHaveLength(0);
  });

  it('stopping one of many actors cancels only its own delays', () => {
    const simulated = new SimulatedClock();
    const scheduling = indexedScheduling(simulated);
    const many = setup({ actors: { ticker } }).createMachine({
      invoke: Array.from({ length: 200 }, (_, i) => ({ id: `t${i}`, src: 'ticker' as const })),
      initial: 'all',
      states: { all: { on: { drop: 'one-less' } }, 'one-less': { entry: stopChild('t0') } },
    });
    const actor = createActor(many, { clock: scheduling.clock });
    scheduling.install(actor.system);
    actor.start();
    expect(Object.keys(actor.system.getSnapshot()._scheduledEvents)).toHaveLength(200);
    actor.send({ type: 'drop' });
    expect(Object.keys(actor.system.getSnapshot()._scheduledEvents)).toHaveLength(199);
    simulated.increment(100);
    expect(actor.getSnapshot().children.t1?.getSnapshot().context.ticks).toBe(1);
    actor.stop();
  });
});
