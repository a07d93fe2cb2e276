/**
 * One interval timer for the keep-alives of every open stream, instead of one timer per
 * subscriber: a thousand subscribers cost one timer, and none at all while nobody listens.
 */
export interface Heartbeat {
  /** Called every interval; the member decides whether its stream needs a keep-alive. */
  beat(): void;
}

export class KeepAliveTicker {
  readonly #intervalMs: number;
  readonly #members = new Set<Heartbeat>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** Whether the timer is running (only while there are members). */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  add(member: Heartbeat): void {
    this.#members.add(member);
    this.#timer ??= setInterval(() => this.#beat(), this.#intervalMs);
  }

  delete(member: Heartbeat): void {
    this.#members.delete(member);
    if (this.#members.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #beat(): void {
    // A member may leave while we go round (its write can cut its client off); a Set allows that.
    for (const member of this.#members) member.beat();
  }
}
