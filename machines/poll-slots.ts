/**
 * A counting semaphore shared by every minion's poller, so that a thousand minions never hold a
 * thousand relayed HTTP requests open at once.
 *
 * Waiters are served first come, first served. A waiter whose signal aborts leaves the queue (its
 * minion went away or stopped polling) and never gets a slot it could leak.
 */

/** Gives the slot back. Calling it more than once is harmless. */
export type ReleaseSlot = () => void;

export interface PollSlots {
  /** Resolves once a slot is free; rejects with the signal's reason if it aborts first. */
  acquire(signal: AbortSignal): Promise<ReleaseSlot>;
  /** Slots held right now (for metrics and tests). */
  readonly inUse: number;
  /** Callers waiting for a slot. */
  readonly waiting: number;
}

interface Waiter {
  grant: () => void;
}

/** `limit` is the number of polls allowed in flight; `Infinity` never makes anyone wait. */
export function createPollSlots(limit: number = Number.POSITIVE_INFINITY): PollSlots {
  if (!(limit >= 1)) {
    throw new RangeError(`poll slot limit must be at least 1, got ${limit}`);
  }
  let inUse = 0;
  const queue: Waiter[] = [];

  const releaser = (): ReleaseSlot => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inUse -= 1;
      // Hand the freed slot straight to the oldest waiter: it cannot be stolen by a newcomer.
      const next = queue.shift();
      if (next) next.grant();
    };
  };

  return {
    get inUse() {
      return inUse;
    },
    get waiting() {
      return queue.length;
    },
    acquire(signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (inUse < limit) {
        inUse += 1;
        return Promise.resolve(releaser());
      }
      return new Promise<ReleaseSlot>((resolve, reject) => {
        const onAbort = () => {
          const index = queue.indexOf(waiter);
          if (index !== -1) queue.splice(index, 1);
          reject(signal.reason);
        };
        const waiter: Waiter = {
          grant: () => {
            signal.removeEventListener('abort', onAbort);
            inUse += 1;
            resolve(releaser());
          },
        };
        queue.push(waiter);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
