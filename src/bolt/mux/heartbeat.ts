/**
 * The bolt's heartbeat: a Ping every interval, and expiry after a validity window of silence.
 *
 * Any message from the peer counts as life, not only a Pong, so a busy bolt never expires for lack
 * of pings. The expiry check is one timer re-armed lazily to the newest deadline, not one per message.
 */
export interface HeartbeatOptions {
  intervalMs: number;
  validityMs: number;
  ping: (payload: Buffer) => void;
  expire: () => void;
}

export class Heartbeat {
  private lastHeard = Date.now();
  private readonly pinger: NodeJS.Timeout;
  private expiry: NodeJS.Timeout;

  constructor(private readonly options: HeartbeatOptions) {
    this.pinger = setInterval(() => this.sendPing(), options.intervalMs);
    this.pinger.unref();
    this.expiry = this.armExpiry(options.validityMs);
  }

  heard(): void {
    this.lastHeard = Date.now();
  }

  stop(): void {
    clearInterval(this.pinger);
    clearTimeout(this.expiry);
  }

  private sendPing(): void {
    const payload = Buffer.allocUnsafe(8);
    payload.writeDoubleBE(Date.now(), 0);
    this.options.ping(payload);
  }

  private armExpiry(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const silentFor = Date.now() - this.lastHeard;
      if (silentFor >= this.options.validityMs) this.options.expire();
      else this.expiry = this.armExpiry(this.options.validityMs - silentFor);
    }, delayMs);
    timer.unref();
    return timer;
  }
}
