/**
 * A legacy connection's liveness: expired after `validityMs` without hearing from the agent on its
 * liveness channel, or once what the tower sends has waited that long untaken (an agent that answers
 * but never reads is not alive). Shared by the `beacon` channel and the older `heartbeat` one.
 *
 * The original counted validity down in fixed 5 s steps (so 45-50 s of silence); here one timer is
 * re-armed lazily to the newest deadline, so expiry lands at the validity window itself at any scale,
 * short windows in tests included.
 */
export interface BeaconWatch {
  /** Nothing heard for the validity window. */
  expire(silentMs: number): void;
  /** Since when output has waited for the agent with no progress; undefined while none waits. */
  outputStuckSince(): number | undefined;
  /** Output waited untaken for the validity window. */
  stalled(stuckMs: number): void;
}

export class ValidityWindow {
  private lastHeard = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly validityMs: number,
    private readonly watch: BeaconWatch,
  ) {}

  /** Starts the window (idempotent). */
  start(): void {
    if (this.timer) return;
    this.lastHeard = Date.now();
    this.arm(this.validityMs);
  }

  /** The agent showed it is alive. */
  heard(): void {
    this.lastHeard = Date.now();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => {
      const now = Date.now();
      const silentMs = now - this.lastHeard;
      if (silentMs >= this.validityMs) return this.watch.expire(silentMs);
      const stuckMs = now - (this.watch.outputStuckSince() ?? now);
      if (stuckMs >= this.validityMs) return this.watch.stalled(stuckMs);
      this.arm(this.validityMs - Math.max(silentMs, stuckMs));
    }, delayMs);
  }
}
