/**
 * What a minion actor's snapshot promises to its observers (the RxJS registry, /clients, the inspector).
 *
 * The registry folds these into its view; it never reaches into the machine's internals, so this
 * type is the whole contract between `machines/` and `src/registry/`.
 */
import type { PollErrorCode } from './minion-link.js';

/** The minion machine's top-level states, in lifecycle order. */
export type MinionState = 'connecting' | 'monitoring' | 'ready' | 'changed' | 'removed';

/** A status document as served: the agent's `/status` object with `id` forced to the certificate CN. */
export type ServedDocument = Readonly<Record<string, unknown>> & { readonly id: string };

export interface MinionPollFailure {
  readonly code: PollErrorCode;
  readonly message: string;
  /** Epoch milliseconds (from the actor system's clock). */
  readonly at: number;
}

/** The public part of a minion actor's context. Times are epoch milliseconds from the system clock. */
export interface MinionView {
  readonly cname: string;
  /** Distinguishes two bolts of the same cname: a replaced bolt's late events must not touch its successor. */
  readonly boltId: string;
  /** Ports from the bolt's capability; empty until it is announced. */
  readonly ports: readonly number[];
  /** The newest good document, or null before the first one. */
  readonly document: ServedDocument | null;
  /** MD5 hex of the document without its top-level `os` key; null before the first document. */
  readonly checksum: string | null;
  readonly lastError: MinionPollFailure | null;
  readonly consecutiveFailures: number;
  readonly connectedAt: number;
  readonly lastPollAt: number | null;
  readonly lastChangeAt: number | null;
  /** Why the minion was removed (bolt closed, expired, replaced, shutdown); null until then. */
  readonly removedReason: string | null;
}
