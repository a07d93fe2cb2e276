/**
 * One direction of a proxied TCP connection: bytes read from `from` are queued, each with the time
 * it may leave, and written to `to` in order. A delay holds each chunk back for a while; a stall
 * holds everything and soon stops reading, so the sender meets TCP back-pressure as on a stuck
 * network.
 */
import type { Socket } from 'node:net';

/** The clock the proxy schedules on: the real one, or a test's `SimulatedClock`. */
export interface ProxyClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export const realClock: ProxyClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** Past this many queued bytes the source is paused: a delay adds latency, not unbounded memory. */
const HIGH_WATER = 1024 * 1024;
/** A stalled leg still takes in this much, as a middlebox's buffer would, then stops reading. */
const STALL_WINDOW = 64 * 1024;

export class FaultLeg {
  delayMs = 0;
  /** Bytes written to `to` so far. */
  forwarded = 0;
  private queue: { chunk: Buffer; due: number }[] = [];
  private queued = 0;
  private stalled = false;
  private dropped = false;
  private sourceEnded = false;
  private waitingForDrain = false;
  private timer: unknown;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly clock: ProxyClock,
  ) {
    from.on('data', (chunk: Buffer) => {
      if (this.dropped) return;
      this.queue.push({ chunk, due: this.clock.now() + this.delayMs });
      this.queued += chunk.length;
      if (this.queued > (this.stalled ? STALL_WINDOW : HIGH_WATER)) from.pause();
      this.pump();
    });
    from.on('end', () => {
      this.sourceEnded = true;
      this.pump();
    });
  }

  /** Bytes read but not yet forwarded. */
  get held(): number {
    return this.queued;
  }

  stall(on: boolean): void {
    this.stalled = on;
    if (on && this.queued > STALL_WINDOW) this.from.pause();
    if (!on) this.pump();
  }

  /** Forgets what is queued and discards whatever still arrives (a cut connection). */
  drop(): void {
    this.dropped = true;
    this.queue = [];
    this.queued = 0;
    this.clock.clearTimeout(this.timer);
    this.from.resume();
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
  }

  private pump(): void {
    this.clock.clearTimeout(this.timer);
    if (this.stalled || this.dropped || this.waitingForDrain || this.to.destroyed) return;
    for (let head = this.queue[0]; head !== undefined; head = this.queue[0]) {
      const wait = head.due - this.clock.now();
      if (wait > 0) {
        this.timer = this.clock.setTimeout(() => this.pump(), wait);
        return;
      }
      this.queue.shift();
      this.queued -= head.chunk.length;
      this.forwarded += head.chunk.length;
      if (!this.to.write(head.chunk)) {
        this.waitingForDrain = true;
        this.to.once('drain', () => {
          this.waitingForDrain = false;
          this.pump();
        });
        return;
      }
    }
    // Half-close travels in order: the FIN goes once every byte before it has.
    if (this.sourceEnded) this.to.end();
    else if (this.queued <= HIGH_WATER) this.from.resume();
  }
}
