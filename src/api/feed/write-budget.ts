/**
 * How much of the tower's time writing batches of changes to the event-stream subscribers may
 * take: at most `share` of it on average, and up to one second's worth of that share at once.
 *
 * A burst of changes (the polls of minions that connected together come due together) therefore
 * goes out batch after batch, as fast as the sockets take it, while a fleet that changes all the
 * time is served in batches spaced so that the fan-out never takes the whole event loop: at 200
 * changes a second and 2,000 subscribers each batch costs tens of milliseconds of socket writes.
 * A token bucket of milliseconds, refilled as time passes.
 */
export class WriteBudget {
  readonly #share: number;
  readonly #now: () => number;
  /** Milliseconds of writing that may start now; negative while earlier batches are paid off. */
  #credit: number;
  #at: number;

  /** `now` is a millisecond clock (performance.now unless a test supplies one). */
  constructor(share: number, now: () => number = () => performance.now()) {
    if (!(share > 0 && share <= 1)) throw new RangeError(`write share must be in (0, 1], got ${share}`);
    this.#share = share;
    this.#now = now;
    this.#credit = this.#cap;
    this.#at = now();
  }

  /** The clock the budget runs on, for timing what a batch took. */
  now(): number {
    return this.#now();
  }

  /** Milliseconds until the next batch may start: 0 when it may start now. */
  wait(): number {
    this.#refill();
    return this.#credit >= 0 ? 0 : -this.#credit / this.#share;
  }

  /** A batch took `ms` of the tower's time. */
  spend(ms: number): void {
    this.#refill();
    this.#credit -= ms;
  }

  get #cap(): number {
    return this.#share * 1000;
  }

  #refill(): void {
    const now = this.#now();
    this.#credit = Math.min(this.#cap, this.#credit + (now - this.#at) * this.#share);
    this.#at = now;
  }
}
