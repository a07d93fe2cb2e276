/**
 * Inspection events kept in memory, for tests and for looking at a machine without a browser.
 * It holds XState's raw events (live actor refs, unsanitized snapshots): never send them anywhere.
 */
import type { InspectionEvent, Snapshot } from 'xstate';

export interface InspectionLog {
  /** The observer for `createActor(machine, { inspect })`. */
  readonly inspect: (event: InspectionEvent) => void;
  /** Oldest first; past the limit the oldest are dropped. */
  readonly events: readonly InspectionEvent[];
  /** Snapshots of the actors whose id or system id is `actorId`, oldest first. */
  snapshotsOf(actorId: string): Snapshot<unknown>[];
  clear(): void;
}

/** Whether the event is about the actor with this id or system id (`minion:<cname>`). */
export function isAboutActor(event: InspectionEvent, actorId: string): boolean {
  const ref = event.actorRef;
  return ('id' in ref && ref.id === actorId) || ('systemId' in ref && ref.systemId === actorId);
}

export function createInspectionLog(limit = 10_000): InspectionLog {
  const events: InspectionEvent[] = [];
  return {
    inspect(event) {
      events.push(event);
      if (events.length > limit) events.shift();
    },
    events,
    snapshotsOf(actorId) {
      return events.flatMap((event) =>
        event.type === '@xstate.snapshot' && isAboutActor(event, actorId) ? [event.snapshot] : [],
      );
    },
    clear() {
      events.length = 0;
    },
  };
}
