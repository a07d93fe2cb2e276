/**
 * The contract between the machines and whatever transport carries a bolt.
 *
 * The machines hold no sockets: a minion actor only needs to poll its status document and to close
 * its bolt. Any transport (the WebSocket bolt, the legacy stormbolt TLS link, a test double) implements
 * `MinionLink`, so the machines can be tested with a `SimulatedClock` alone.
 */

/** Why a status poll failed. Stable strings: they reach `/clients`, the inspector and the logs. */
export type PollErrorCode =
  | 'timeout' // no complete answer within the poll timeout
  | 'http-status' // the agent's service answered with a non-2xx status
  | 'too-large' // the body passed the status body limit
  | 'invalid-json' // the body is not JSON
  | 'not-object' // the body is JSON, but not a JSON object (an array, a string, null...)
  | 'unreachable'; // the relay itself failed: port not offered, service refused, bolt lost

export class PollError extends Error {
  override readonly name = 'PollError';
  constructor(
    readonly code: PollErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A status document as received: a parsed JSON object, not yet given its served `id`. */
export type StatusObject = Record<string, unknown>;

export interface MinionLink {
  /** Identity of the bolt: its client certificate's CN, already validated as a cname. */
  readonly cname: string;
  /**
   * Fetch and parse the minion's status document through its bolt.
   * Resolves with a JSON object; rejects with a `PollError` for every failure listed above.
   * Must settle promptly once `signal` aborts.
   */
  pollStatus(signal: AbortSignal): Promise<StatusObject>;
  /** Close the bolt (idempotent). The transport then reports `bolt.closed` for it. */
  close(reason: string): void;
}
