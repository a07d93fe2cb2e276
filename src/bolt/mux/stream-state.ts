/**
 * The life of one stream as a single state, with every transition in one table (docs/protocol.md
 * section 4): each direction ends on its own with END_STREAM, and a reset ends both at once.
 *
 * The peer's direction starts with its head, so a stream this side opened waits for that head
 * before any body may come; a stream the peer opened starts with the head already in.
 */

export type StreamState =
  /** This side sent its head; the peer's head has not come yet. */
  | 'awaiting-head'
  /** As `awaiting-head`, and this side has ended its direction (a request without a body). */
  | 'half-closed-local-awaiting-head'
  /** Both heads exchanged, both directions still sending. */
  | 'open'
  /** This side has ended its direction; the peer's is still open. */
  | 'half-closed-local'
  /** The peer has ended its direction; this side's is still open. */
  | 'half-closed-remote'
  /** Both directions ended: finished. */
  | 'closed'
  /** Reset by either side, or the bolt went away: finished. */
  | 'reset';

export type StreamEvent = 'end-local' | 'head-remote' | 'end-remote' | 'reset';

const transitions: Readonly<Record<StreamState, Partial<Record<StreamEvent, StreamState>>>> = {
  'awaiting-head': {
    'end-local': 'half-closed-local-awaiting-head',
    'head-remote': 'open',
    reset: 'reset',
  },
  'half-closed-local-awaiting-head': { 'head-remote': 'half-closed-local', reset: 'reset' },
  open: { 'end-local': 'half-closed-local', 'end-remote': 'half-closed-remote', reset: 'reset' },
  'half-closed-local': { 'end-remote': 'closed', reset: 'reset' },
  'half-closed-remote': { 'end-local': 'closed', reset: 'reset' },
  closed: {},
  reset: {},
};

/** The state `event` leads to from `state`, or undefined when the event is not allowed there. */
export const nextStreamState = (state: StreamState, event: StreamEvent): StreamState | undefined =>
  transitions[state][event];

/** Finished streams (closed or reset) take no more frames and send none. */
export const isFinished = (state: StreamState): boolean => state === 'closed' || state === 'reset';

/** This side has ended its direction (or the stream is reset): nothing more may be sent. */
export const localEnded = (state: StreamState): boolean =>
  state === 'half-closed-local' || state === 'half-closed-local-awaiting-head' || isFinished(state);

/** The peer has ended its direction (or the stream is reset): nothing more may arrive. */
export const remoteEnded = (state: StreamState): boolean =>
  state === 'half-closed-remote' || isFinished(state);

/** The peer's head has not arrived yet: body bytes would break the grammar. */
export const awaitingHead = (state: StreamState): boolean =>
  state === 'awaiting-head' || state === 'half-closed-local-awaiting-head';
