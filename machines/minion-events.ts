/**
 * The events a minion actor understands, and what it leaves behind when it ends.
 *
 * Kept apart from the machine so the poll child (which produces the `poll.*` events) and the tower
 * (which forwards the `bolt.*` ones) can name them without importing each other.
 */
import type { MinionPollFailure, ServedDocument } from './minion-snapshot.js';
import type { PolledStatus } from './poll.actor.js';

/** The bolt announced the ports its agent offers; polling can start. */
export interface BoltCapabilityEvent {
  readonly type: 'bolt.capability';
  readonly ports: readonly number[];
}

/** The bolt is gone or must go: closed, expired, replaced, shutdown... The minion ends. */
export interface BoltClosedEvent {
  readonly type: 'bolt.closed';
  readonly reason: string;
}

/** A poll brought a good document, already given its served `id` and checksum. */
export interface StatusReceivedEvent {
  readonly type: 'status.received';
  readonly document: ServedDocument;
  readonly checksum: string;
  /** The `id` the agent claimed instead of its CN, if it did. */
  readonly foreignId: unknown | undefined;
  readonly at: number;
}

export interface StatusFailedEvent {
  readonly type: 'status.failed';
  readonly failure: MinionPollFailure;
}

/** What a poll records on its minion: a document or a failure. */
export type PollReport = StatusReceivedEvent | StatusFailedEvent;

/** From the poll child: the slot is granted and the request goes out now. */
export interface PollStartedEvent {
  readonly type: 'poll.started';
}

/** From the poll child: the request ended, with a document or with the error it failed with. */
export type PollSettledEvent =
  | { readonly type: 'poll.settled'; readonly polled: PolledStatus }
  | { readonly type: 'poll.settled'; readonly error: unknown };

/** The minion's own timers: the next poll is due; the poll in flight took too long. */
export interface PollTimerEvent {
  readonly type: 'poll.due' | 'poll.expired';
}

export type PollEvent = PollStartedEvent | PollSettledEvent | PollTimerEvent;

export type MinionEvent = BoltCapabilityEvent | BoltClosedEvent | PollReport | PollEvent;

/** The output of a minion that reached `removed`: enough for the tower to forget the right bolt. */
export interface MinionOutput {
  readonly cname: string;
  readonly boltId: string;
  readonly removedReason: string;
}
