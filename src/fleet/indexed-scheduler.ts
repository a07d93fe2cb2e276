/**
 * Makes an XState actor system's delayed-event scheduler cancel in O(own events), not O(all events).
 *
 * XState 5's `cancelAll(actor)` scans every delayed event of the whole system, and every actor runs
 * it when it stops: with a poll child stopping per status poll, a fleet's polling and its shutdown
 * were quadratic (bench/PROFILES.md). Indexing scheduled events by their source makes them linear.
 *
 * It replaces the methods of `system.scheduler`, which XState does not document: xstate is pinned
 * exactly, and test/fleet/xstate-scheduler-shape.test.ts says what to check when that shape moves.
 * The clock wrapper given to `createActor` learns when an event fires, so fired events leave the index.
 */
import type { AnyActorRef, EventObject } from 'xstate';

type ActorSystemOf = AnyActorRef['system'];
type Scheduler = ActorSystemOf['scheduler'];

/** The shape of XState's `clock` option (`setTimeout`/`clearTimeout`, as `SimulatedClock` has). */
export interface SchedulerClock {
  // biome-ignore lint/suspicious/noExplicitAny: the signature XState's Clock declares
  setTimeout(fn: (...args: any[]) => void, timeout: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: SchedulerClock = {
  setTimeout: (fn, timeout) => setTimeout(fn, timeout),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface IndexedScheduling {
  /** Pass as `createActor(machine, { clock })`. */
  readonly clock: SchedulerClock;
  /** Call once with `actor.system`, before `actor.start()`. */
  install(system: ActorSystemOf): void;
  /** Scheduled events still pending, per source actor (for tests and diagnostics). */
  pending(source: AnyActorRef): number;
}

export function indexedScheduling(base: SchedulerClock = realClock): IndexedScheduling {
  const bySource = new Map<AnyActorRef, Set<string>>();
  // Set while XState's own `schedule` runs, so the clock knows which event a timer belongs to.
  let scheduling: { source: AnyActorRef; id: string } | undefined;

  const forget = (source: AnyActorRef, id: string): void => {
    const ids = bySource.get(source);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) bySource.delete(source);
  };

  const clock: SchedulerClock = {
    setTimeout(fn, timeout) {
      const event = scheduling;
      scheduling = undefined;
      return base.setTimeout((...args: unknown[]) => {
        if (event) forget(event.source, event.id);
        fn(...args);
      }, timeout);
    },
    clearTimeout: (handle) => base.clearTimeout(handle),
  };

  return {
    clock,
    pending: (source) => bySource.get(source)?.size ?? 0,
    install(system) {
      const scheduler: Scheduler = system.scheduler;
      const schedule = scheduler.schedule.bind(scheduler);
      const cancel = scheduler.cancel.bind(scheduler);
      scheduler.schedule = (
        source: AnyActorRef,
        target: AnyActorRef,
        event: EventObject,
        delay: number,
        id: string | undefined,
      ) => {
        // XState's own default for an anonymous delayed event.
        const eventId = id ?? Math.random().toString(36).slice(2);
        const ids = bySource.get(source) ?? new Set<string>();
        bySource.set(source, ids);
        ids.add(eventId);
        scheduling = { source, id: eventId };
        try {
          schedule(source, target, event, delay, eventId);
        } finally {
          scheduling = undefined;
        }
      };
      scheduler.cancel = (source: AnyActorRef, id: string) => {
        forget(source, id);
        cancel(source, id);
      };
      scheduler.cancelAll = (source: AnyActorRef) => {
        const ids = bySource.get(source);
        if (!ids) return;
        bySource.delete(source);
        for (const id of ids) cancel(source, id);
      };
    },
  };
}
