/**
 * Test doubles for the machine tests: a `MinionLink` whose polls are promises the test settles, and
 * a way to let settled promises reach the actors before asserting.
 */
import type { AnyActorRef, SnapshotFrom } from 'xstate';
import type { MinionLink, StatusObject } from '../../machines/minion-link.js';

export interface PendingPoll {
  readonly signal: AbortSignal;
  resolve(status: StatusObject): void;
  reject(error: unknown): void;
}

export interface FakeLink extends MinionLink {
  /** Every `pollStatus` call, oldest first. */
  readonly polls: PendingPoll[];
  /** Reasons passed to `close`, in order. */
  readonly closes: string[];
  /** Polls neither settled nor aborted. */
  readonly inFlight: number;
  /** The most polls ever in flight at once. */
  readonly maxInFlight: number;
  /** The latest poll; fails the test if there is none. */
  lastPoll(): PendingPoll;
}

/** `shared` counts in-flight polls across several links (for the concurrency bound). */
export function fakeLink(cname: string, shared?: { inFlight: number; maxInFlight: number }): FakeLink {
  const polls: PendingPoll[] = [];
  const closes: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    cname,
    polls,
    closes,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    lastPoll() {
      const poll = polls.at(-1);
      if (!poll) throw new Error(`no poll was made on ${cname}`);
      return poll;
    },
    pollStatus(signal) {
      return new Promise<StatusObject>((resolve, reject) => {
        let settled = false;
        const settle = () => {
          if (settled) return false;
          settled = true;
          inFlight -= 1;
          if (shared) shared.inFlight -= 1;
          return true;
        };
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (shared) {
          shared.inFlight += 1;
          shared.maxInFlight = Math.max(shared.maxInFlight, shared.inFlight);
        }
        // Like a real link: an abort settles the poll at once.
        signal.addEventListener('abort', () => settle() && reject(signal.reason), { once: true });
        polls.push({
          signal,
          resolve: (status) => settle() && resolve(status),
          reject: (error) => settle() && reject(error),
        });
      });
    },
    close(reason) {
      closes.push(reason);
    },
  };
}

/** Lets every pending promise callback run (slot grants, poll results) without advancing any clock. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Records every snapshot value and fails loudly on an actor error instead of crashing the worker. */
export function recordValues<A extends AnyActorRef, T>(
  actor: A,
  pick: (snapshot: SnapshotFrom<A>) => T,
): { values: T[]; errors: unknown[] } {
  const values: T[] = [];
  const errors: unknown[] = [];
  actor.subscribe({
    next: (snapshot) => values.push(pick(snapshot as SnapshotFrom<A>)),
    error: (error) => errors.push(error),
  });
  return { values, errors };
}

/**
 * The states passed through, in order: consecutive repeats collapsed. A minion also emits snapshots
 * for its own poll bookkeeping (a poll due, started, settled) without changing state.
 */
export function statePath<T>(values: readonly T[]): T[] {
  return values.filter((value, i) => i === 0 || value !== values[i - 1]);
}
