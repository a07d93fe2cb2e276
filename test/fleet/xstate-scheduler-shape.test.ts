/**
 * `indexedScheduling` replaces the methods of XState's system scheduler, a shape XState does not
 * promise to keep. These checks fail, saying what to look at, as soon as an XState upgrade moves it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, SimulatedClock, setup, stopChild } from 'xstate';
import { indexedScheduling, type SchedulerClock } from '../../src/fleet/indexed-scheduler.js';

const CHECK =
  "src/fleet/indexed-scheduler.ts patches XState's system scheduler, and this XState changed it. " +
  'Read createSystem (xstate src/system.ts) and Actor._stopProcedure (src/createActor.ts): the ' +
  'scheduler must still be { schedule, cancel, cancelAll }, called through system.scheduler, with ' +
  'schedule calling clock.setTimeout once, synchronously. Adapt the patch, or drop it if cancelAll ' +
  'no longer scans every delayed event of the system (then bench/scheduler-cost.ts shows it).';

const readJson = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as Record<string, unknown>;

const waiter = setup({}).createMachine({
  initial: 'waiting',
  states: { waiting: { after: { 100: 'done' } }, done: {} },
});

const parent = setup({ actors: { waiter } }).createMachine({
  invoke: { id: 'w', src: 'waiter' },
  on: { drop: { actions: stopChild('w') } },
});

/** A clock that counts the timers XState sets and clears through it. */
function countingClock(simulated: SimulatedClock) {
  const counts = { set: 0, cleared: 0 };
  const clock: SchedulerClock = {
    setTimeout: (fn, timeout) => {
      counts.set += 1;
      return simulated.setTimeout(fn, timeout);
    },
    clearTimeout: (handle) => {
      counts.cleared += 1;
      simulated.clearTimeout(handle as number);
    },
  };
  return { clock, counts };
}

function started() {
  const simulated = new SimulatedClock();
  const { clock, counts } = countingClock(simulated);
  const scheduling = indexedScheduling(clock);
  const actor = createActor(parent, { clock: scheduling.clock });
  scheduling.install(actor.system);
  return { simulated, counts, scheduling, actor };
}

describe('the XState scheduler shape indexedScheduling relies on', () => {
  it('is pinned: package.json names the exact XState version installed', () => {
    const wanted = (readJson('../../package.json').dependencies as Record<string, string>).xstate;
    const installed = readJson('../../node_modules/xstate/package.json').version;
    expect(wanted, `xstate must be pinned exactly in package.json. ${CHECK}`).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed, `installed xstate differs from package.json. ${CHECK}`).toBe(wanted);
  });

  it('has exactly schedule, cancel and cancelAll', () => {
    const { actor } = started();
    expect(Object.keys(actor.system.scheduler).sort(), CHECK).toEqual(['cancel', 'cancelAll', 'schedule']);
  });

  it('schedules through system.scheduler and one clock timer, and learns when it fires', () => {
    const { simulated, counts, scheduling, actor } = started();
    actor.start();
    const child = actor.getSnapshot().children.w as AnyActorRef | undefined;
    if (!child) throw new Error('child missing');
    expect(scheduling.pending(child), `schedule was not called through system.scheduler. ${CHECK}`).toBe(1);
    expect(counts.set, `schedule did not set exactly one clock timer. ${CHECK}`).toBe(1);
    simulated.increment(100);
    expect(child.getSnapshot().value, CHECK).toBe('done');
    expect(scheduling.pending(child), `a fired timer did not leave the index. ${CHECK}`).toBe(0);
    actor.stop();
  });

  it('cancels a stopping actor through system.scheduler.cancelAll', () => {
    const { simulated, counts, scheduling, actor } = started();
    const patched = actor.system.scheduler.cancelAll;
    const stopped: AnyActorRef[] = [];
    actor.system.scheduler.cancelAll = (source: AnyActorRef) => {
      stopped.push(source);
      patched(source);
    };
    actor.start();
    const child = actor.getSnapshot().children.w as AnyActorRef | undefined;
    if (!child) throw new Error('child missing');

    actor.send({ type: 'drop' });
    expect(stopped, `Actor stop no longer calls system.scheduler.cancelAll. ${CHECK}`).toContain(child);
    expect(scheduling.pending(child), CHECK).toBe(0);
    expect(counts.cleared, `cancelAll did not clear the stopped actor's timer. ${CHECK}`).toBe(1);
    simulated.increment(100);
    expect(child.getSnapshot().value, CHECK).toBe('waiting');
    actor.stop();
  });
});
