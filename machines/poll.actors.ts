/**
 * The two actors a poller invokes: one that holds a shared poll slot, one that fetches `/status`.
 *
 * Holding the slot is its own actor (rather than a step inside the fetch) so that the poll timeout
 * only counts the time spent on the link, not the time spent queueing behind other minions, and so
 * that leaving the state always gives the slot back: a callback actor's cleanup runs however it stops.
 */
import { type EventObject, fromCallback, fromPromise } from 'xstate';
import { type MinionLink, PollError, type StatusObject } from './minion-link.js';
import type { MinionPollFailure } from './minion-snapshot.js';
import type { PollSlots, ReleaseSlot } from './poll-slots.js';
import { documentChecksum, type ServedStatus, toServedDocument } from './status-document.js';

export interface SlotGranted {
  readonly type: 'slot.granted';
}

/** Waits for a slot, reports `slot.granted` to its parent, and holds the slot until it is stopped. */
export const pollSlotActor = fromCallback<EventObject, { readonly slots: PollSlots }>(
  ({ input, sendBack }) => {
    const controller = new AbortController();
    let release: ReleaseSlot | undefined;
    input.slots.acquire(controller.signal).then(
      (granted) => {
        // Stopped while the grant was on its way: give the slot straight back.
        if (controller.signal.aborted) return granted();
        release = granted;
        sendBack({ type: 'slot.granted' } satisfies SlotGranted);
      },
      () => {
        // Only an abort rejects, and an abort means nobody is waiting for this slot any more.
      },
    );
    return () => {
      controller.abort();
      release?.();
    };
  },
);

/** A poll's result, ready to serve. */
export interface PolledStatus extends ServedStatus {
  readonly checksum: string;
}

/**
 * One `GET /status`; the signal aborts when the poller leaves the polling state (timeout, removal).
 * The document is shaped and hashed here too, so that anything that throws on the way is one more
 * failed poll rather than a dead poller.
 */
export const pollStatusActor = fromPromise<
  PolledStatus,
  { readonly link: MinionLink; readonly cname: string }
>(async ({ input, signal }) => {
  const status: unknown = await input.link.pollStatus(signal);
  // The link promises an object; a transport that breaks that promise must not poison the registry.
  if (typeof status !== 'object' || status === null || Array.isArray(status)) {
    throw new PollError('not-object', 'the status document is not a JSON object');
  }
  const served = toServedDocument(status as StatusObject, input.cname);
  return { ...served, checksum: documentChecksum(served.document) };
});

/** Any rejection becomes a failure record; errors that are not `PollError`s mean the relay broke. */
export function toPollFailure(error: unknown, at: number): MinionPollFailure {
  if (error instanceof PollError) return { code: error.code, message: error.message, at };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'unreachable', message, at };
}
