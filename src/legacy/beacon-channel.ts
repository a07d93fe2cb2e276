/**
 * The `beacon` channel: the tower opens it once the agent is ready, answers every beacon with
 * `"beacon:reply"`, and expires the connection after `validityMs` without one, or once what the
 * tower sends has waited that long untaken: an agent that beacons but never reads is not alive.
 *
 * The original counted validity down in fixed 5 s steps (so 45-50 s of silence); here one timer is
 * re-armed lazily to the newest deadline, so expiry lands at the validity window itself at any scale,
 * short windows in tests included.
 */
import type { LegacyStream } from './legacy-stream.js';
import type { MuxDemuxSession } from './mux-demux-session.js';

export const BEACON = 'beacon';
export const BEACON_REPLY = 'beacon:reply';

export interface BeaconWatch {
  /** No beacon for the validity window. */
  expire(silentMs: number): void;
  /** Since when output has waited for the agent with no progress; undefined while none waits. */
  outputStuckSince(): number | undefined;
  /** Output waited untaken for the validity window. */
  stalled(stuckMs: number): void;
}

export class BeaconChannel {
  private lastHeard = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stream: LegacyStream | undefined;

  constructor(
    private readonly validityMs: number,
    private readonly watch: BeaconWatch,
  ) {}

  /** Opens the beacon stream (duplex, half-open, never ended by us) and starts the validity window. */
  start(session: MuxDemuxSession): void {
    if (this.stream) return;
    this.lastHeard = Date.now();
    // Armed first: a connection that cannot even hold the beacon stream still expires.
    this.arm(this.validityMs);
    this.stream = session.open(BEACON, { writable: true, readable: true }, true);
    if (!this.stream) return;
    const stream = this.stream;
    // Any data frame is a beacon: the original never looked at the content, and late ones count.
    stream.listener = {
      data: () => {
        this.lastHeard = Date.now();
        stream.write(BEACON_REPLY);
      },
    };
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
