/**
 * One status poll, as a short-lived child of its minion: it waits for a shared poll slot, tells the
 * minion when the request goes out (`poll.started`, so the poll timeout counts only time on the link,
 * not time queued behind other minions), fetches `/status`, and reports `poll.settled`.
 *
 * Stopping it (poll timeout, bolt closed) aborts the request and gives the slot back: a callback
 * actor's cleanup runs however it stops. It lives for one poll only, so an idle minion holds no child.
 */
import { type EventObject, fromCallback } from 'xstate';
import { isPlainObject } from '../src/json/plain-object.js';
import type { PollSettledEvent, PollStartedEvent } from './minion-events.js';
import { type MinionLink, PollError, type StatusObject } from './minion-link.js';
import type { MinionPollFailure, ServedDocument } from './minion-snapshot.js';
import type { PollSlots, ReleaseSlot } from './poll-slots.js';
import { shareUnchanged } from './shared-document.js';
import { documentChecksum, type ServedStatus, toServedDocument } from './status-document.js';

export interface PollInput {
  readonly link: MinionLink;
  readonly cname: string;
  readonly slots: PollSlots;
  /** The document the minion holds and its checksum, if any: an unchanged answer shares its values. */
  readonly held: ServedDocument | null;
  readonly heldChecksum: string | null;
}

/** A poll's result, ready to serve. */
export interface PolledStatus extends ServedStatus {
  readonly checksum: string;
}

/**
 * One `GET /status`, shaped and hashed here too, so that anything that throws on the way is one
 * more failed poll rather than a failed minion.
 */
async function fetchStatus(input: PollInput, signal: AbortSignal): Promise<PolledStatus> {
  const status: unknown = await input.link.pollStatus(signal);
  // The link promises an object; a transport that breaks that promise must not poison the registry.
  if (!isPlainObject(status)) {
    throw new PollError('not-object', 'the status document is not a JSON object');
  }
  const served = toServedDocument(status as StatusObject, input.cname);
  const checksum = documentChecksum(served.document);
  if (input.held === null || checksum !== input.heldChecksum) return { ...served, checksum };
  return { document: shareUnchanged(served.document, input.held), foreignId: served.foreignId, checksum };
}

export const pollActor = fromCallback<EventObject, PollInput>(({ input, sendBack }) => {
  const controller = new AbortController();
  let release: ReleaseSlot | undefined;
  // Settled or stopped: nothing more reaches the minion, and a late answer belongs to no poll.
  let finished = false;
  const report = (event: PollStartedEvent) => {
    if (!finished) sendBack(event);
  };
  // Marked before it is sent: the minion stops this actor while handling it, and the cleanup below
  // must already know the request is over.
  const settle = (event: PollSettledEvent) => {
    if (finished) return;
    finished = true;
    sendBack(event);
  };
  input.slots.acquire(controller.signal).then(
    (granted) => {
      // Stopped while the grant was on its way: give the slot straight back.
      if (finished) return granted();
      release = granted;
      report({ type: 'poll.started' });
      return fetchStatus(input, controller.signal).then(
        (polled) => settle({ type: 'poll.settled', polled }),
        (error: unknown) => settle({ type: 'poll.settled', error }),
      );
    },
    () => {
      // Only an abort rejects, and an abort means nobody is waiting for this slot any more.
    },
  );
  return () => {
    // Only a poll still waiting or on its way needs aborting: aborting a settled one would build a
    // DOMException (with its stack) and an abort event per poll for nothing.
    if (!finished) controller.abort();
    finished = true;
    release?.();
  };
});

/** Any rejection becomes a failure record; errors that are not `PollError`s mean the relay broke. */
export function toPollFailure(error: unknown, at: number): MinionPollFailure {
  if (error instanceof PollError) return { code: error.code, message: error.message, at };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'unreachable', message, at };
}
