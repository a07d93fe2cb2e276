/**
 * The inspection pipeline without the network: XState inspection events in, sanitized
 * `@statelyai/inspect` messages (JSON strings) out. `startTowerInspector` sends them to browsers;
 * tests read them directly.
 */
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import { sanitizingOptions } from './sanitize.js';

export type InspectionSink = (message: string, event: StatelyInspectionEvent) => void;

export interface SanitizedInspector {
  /** The observer for `createActor(machine, { inspect })`. */
  readonly inspect: (event: InspectionEvent) => void;
  /** Messages lost because they could not be serialized or the sink threw. */
  readonly dropped: number;
  /** Later events, including ones already queued, are ignored. */
  stop(): void;
}

export function createSanitizedInspector(sink: InspectionSink): SanitizedInspector {
  let stopped = false;
  let dropped = 0;
  const inspector = createInspector(
    {
      // The library calls this from a timer of its own: a throw here would be an uncaught exception
      // and take the tower down for the sake of a diagnostic view.
      send(event) {
        if (stopped) return;
        try {
          sink(JSON.stringify(event), event);
        } catch {
          dropped += 1;
        }
      },
    },
    sanitizingOptions,
  );
  return {
    inspect(event) {
      if (!stopped) inspector.inspect.next?.(event);
    },
    get dropped() {
      return dropped;
    },
    stop() {
      stopped = true;
    },
  };
}
