/**
 * The bolt's heartbeat: a Ping every interval, and expiry after a validity window of silence or of
 * output the peer does not take.
 *
 * Any message from the peer counts as hearing from it, not only a Pong, so a busy bolt never expires
 * for lack of pings: `heard()` only stamps the time, and the expiry check is re-armed lazily to the
 * newest deadline when the old one comes due. Hearing is not enough, though: a peer that sends but
 * never reads is as dead as a silent one, so output that has sat untaken (`outputStuckSince`) for
 * the validity window ends the bolt too.
 *
 * Every heartbeat of the process waits on one timer: they sit in one queue ordered by their next
 * deadline (a ping or an expiry check), and the timer is armed for the earliest. A tower holds one
 * heartbeat per bolt, and two Node timers (with their closures) for each of 10,000 bolts cost more
 * than a queue slot each; the deadlines, and so the behaviour, are the same to the millisecond.
 */
export interface HeartbeatOptions {
  intervalMs: number;
  validityMs: number;
  ping: (payload: Buffer) => void;
  /** Nothing heard for the validity window. */
  expire: () => void;
  /** Since when output has waited for the peer with no progress; undefined while none waits. */
  outputStuckSince?: () => number | undefined;
  /** Output waited untaken for the validity window (`stuckMs` of it). */
  stalled?: (stuckMs: number) => void;
}

export class Heartbeat {
  private lastHeard = Date.now();
  private nextPingAt: number;
  private checkExpiryAt: number;
  /** The earliest of the two deadlines above: this heartbeat's key in the queue. */
  due: number;
  /** Position in the queue's heap; -1 while out of it (beating, or stopped). */
  slot = -1;
  stopped = false;

  constructor(private readonly options: HeartbeatOptions) {
    this.nextPingAt = this.lastHeard + options.intervalMs;
    this.checkExpiryAt = this.lastHeard + options.validityMs;
    this.due = Math.min(this.nextPingAt, this.checkExpiryAt);
    heartbeats.add(this);
  }

  get lastHeardAt(): number {
    return this.lastHeard;
  }

  heard(): void {
    this.lastHeard = Date.now();
  }

  stop(): void {
    this.stopped = true;
    heartbeats.remove(this);
  }

  /** Called by the queue once `due` has come; returns whether the heartbeat goes on. */
  beat(now: number): boolean {
    if (now >= this.checkExpiryAt) {
      const silentFor = now - this.lastHeard;
      if (silentFor >= this.options.validityMs) {
        this.options.expire();
        return false;
      }
      const stuckSince = this.options.outputStuckSince?.() ?? now;
      if (now - stuckSince >= this.options.validityMs) {
        this.options.stalled?.(now - stuckSince);
        return false;
      }
      this.checkExpiryAt = Math.min(this.lastHeard, stuckSince) + this.options.validityMs;
    }
    if (now >= this.nextPingAt) {
      this.nextPingAt += this.options.intervalMs;
      const payload = Buffer.allocUnsafe(8);
      payload.writeDoubleBE(now, 0);
      this.options.ping(payload);
    }
    this.due = Math.min(this.nextPingAt, this.checkExpiryAt);
    return true;
  }
}

/** A binary min-heap of heartbeats by `due`, behind one timer armed for the earliest. */
class HeartbeatQueue {
  private readonly heap: Heartbeat[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  /** While due heartbeats beat, re-queueing them must not arm a timer each: `fire` arms once after. */
  private firing = false;
  // The `setTimeout` that armed the timer. Test runners swap the global clock functions; a timer
  // armed on another clock may never fire here, so it then counts as not armed.
  private armedWith: typeof setTimeout | undefined;

  get size(): number {
    return this.heap.length;
  }

  add(heartbeat: Heartbeat): void {
    heartbeat.slot = this.heap.length;
    this.heap.push(heartbeat);
    this.siftUp(heartbeat.slot);
    this.arm();
  }

  remove(heartbeat: Heartbeat): void {
    const at = heartbeat.slot;
    if (at < 0) return;
    heartbeat.slot = -1;
    const last = this.heap.pop() as Heartbeat;
    if (at < this.heap.length) {
      this.place(last, at);
      this.siftDown(at);
      this.siftUp(last.slot);
    }
    if (this.heap.length === 0) this.disarm();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    this.firing = true;
    // Each due heartbeat beats once per firing, then goes back in the queue: one whose next deadline
    // is already due (a zero interval) waits for the next timer rather than spinning here.
    const beating: Heartbeat[] = [];
    try {
      const now = Date.now();
      for (let first = this.heap[0]; first !== undefined && first.due <= now; first = this.heap[0]) {
        // Out of the queue while it beats: an expiry stops the session, which stops the heartbeat.
        this.remove(first);
        if (first.beat(now)) beating.push(first);
      }
    } finally {
      // Whatever a callback threw, every other bolt's heartbeat goes on.
      for (const heartbeat of beating) if (!heartbeat.stopped) this.add(heartbeat);
      this.firing = false;
      this.arm();
    }
  }

  private arm(): void {
    const first = this.heap[0];
    if (first === undefined || this.firing) return;
    if (this.timer !== undefined && this.armedWith === setTimeout && first.due >= this.armedFor) return;
    this.disarm();
    this.armedFor = first.due;
    this.armedWith = setTimeout;
    this.timer = setTimeout(() => this.fire(), Math.max(0, first.due - Date.now()));
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer !== undefined && this.armedWith === setTimeout) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private place(heartbeat: Heartbeat, at: number): void {
    this.heap[at] = heartbeat;
    heartbeat.slot = at;
  }

  private siftUp(from: number): void {
    let at = from;
    const moving = this.heap[at] as Heartbeat;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = this.heap[parentAt] as Heartbeat;
      if (parent.due <= moving.due) break;
      this.place(parent, at);
      at = parentAt;
    }
    this.place(moving, at);
  }

  private siftDown(from: number): void {
    let at = from;
    const moving = this.heap[at] as Heartbeat;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= this.heap.length) break;
      const right = left + 1;
      const leftBeat = this.heap[left] as Heartbeat;
      const rightBeat = this.heap[right];
      const child = rightBeat !== undefined && rightBeat.due < leftBeat.due ? right : left;
      const childBeat = this.heap[child] as Heartbeat;
      if (childBeat.due >= moving.due) break;
      this.place(childBeat, at);
      at = child;
    }
    this.place(moving, at);
  }
}

const heartbeats = new HeartbeatQueue();

/** Heartbeats running in this process (for tests and diagnostics). */
export function runningHeartbeats(): number {
  return heartbeats.size;
}
