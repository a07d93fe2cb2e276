/**
 * What a browser that opens the inspector late is sent first: the registration and latest snapshot
 * of every actor still alive, parents before children. Replaying the last N messages instead (as the
 * stock `createInspectorServer` does) would show a long-running tower as a few stray poll events.
 */
import type { StatelyInspectionEvent } from '@statelyai/inspect';

interface Entry {
  readonly parentId: string | undefined;
  readonly actor: string;
  snapshot: string | undefined;
  readonly children: Set<string>;
}

export interface LiveActors {
  /** Feeds one sanitized event and the message it was sent as. */
  record(event: StatelyInspectionEvent, message: string): void;
  /** The messages that rebuild the live actors, in the order to send them. */
  messages(): string[];
  readonly size: number;
}

/** Past `maxActors`, new actors are sent live but not remembered: a bound, not an eviction of old ones. */
export function createLiveActors(maxActors = 5_000): LiveActors {
  // Map order is registration order, and an actor is registered after its parent.
  const entries = new Map<string, Entry>();

  function forget(sessionId: string): void {
    const entry = entries.get(sessionId);
    if (!entry) return;
    entries.delete(sessionId);
    if (entry.parentId !== undefined) entries.get(entry.parentId)?.children.delete(sessionId);
    // A stopped parent takes its children with it, whether or not their last snapshot got through.
    for (const child of entry.children) forget(child);
  }

  return {
    record(event, message) {
      if (event.type === '@xstate.actor') {
        if (entries.size >= maxActors) return;
        entries.set(event.sessionId, {
          parentId: event.parentId,
          actor: message,
          snapshot: undefined,
          children: new Set(),
        });
        if (event.parentId !== undefined) entries.get(event.parentId)?.children.add(event.sessionId);
      } else if (event.type === '@xstate.snapshot') {
        const entry = entries.get(event.sessionId);
        if (!entry) return;
        if (event.snapshot.status === 'active') entry.snapshot = message;
        else forget(event.sessionId);
      }
    },
    messages() {
      const out: string[] = [];
      for (const { actor, snapshot } of entries.values()) {
        out.push(actor);
        if (snapshot !== undefined) out.push(snapshot);
      }
      return out;
    },
    get size() {
      return entries.size;
    },
  };
}
