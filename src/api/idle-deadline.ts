/**
 * A deadline that moves on with every byte: `onIdle` runs once when `touch()` has not been called
 * for `ms`. One timer per body, re-armed with `refresh()`, so a chunk costs no new timer.
 */
export class IdleDeadline {
  private timer: NodeJS.Timeout | undefined;
  private fired = false;

  constructor(ms: number, onIdle: () => void) {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fired = true;
      onIdle();
    }, ms);
    // A pending deadline is no reason to keep the process alive; the sockets it watches are.
    this.timer.unref();
  }

  /** The deadline passed (and `onIdle` ran). */
  get expired(): boolean {
    return this.fired;
  }

  /** A byte moved: the deadline starts again. */
  touch(): void {
    this.timer?.refresh();
  }

  /** The body is done; the deadline no longer applies. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** What a body fails with when its deadline passes. */
export class IdleError extends Error {
  override readonly name = 'IdleError';
  constructor(what: string, ms: number) {
    super(`no byte of the ${what} moved for ${ms} ms`);
  }
}
