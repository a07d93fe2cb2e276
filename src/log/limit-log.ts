/**
 * Logs a limit being hit once per peer, never once per frame, connection or request: a hostile
 * peer that hits a limit a million times costs one line per window, with a count of what was held back.
 *
 * Memory is bounded too: at most `maxPeers` (peer, limit) pairs are remembered; past that the
 * oldest is forgotten, so a flood from many addresses costs at most one line per new address.
 */
import type { Logger } from './logger.js';

export interface LimitLogOptions {
  /** A peer that hit a limit is not logged again for that limit within this many milliseconds. */
  readonly windowMs?: number;
  /** (peer, limit) pairs remembered at once. */
  readonly maxPeers?: number;
}

interface Seen {
  until: number;
  suppressed: number;
}

export class LimitLog {
  private readonly seen = new Map<string, Seen>();
  private readonly windowMs: number;
  private readonly maxPeers: number;

  constructor(
    private readonly log: Logger,
    options: LimitLogOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxPeers = options.maxPeers ?? 4096;
  }

  /**
   * `peer` hit `limit` (a setting's name). Logs a warning the first time in a window, with `fields`
   * (name the peer in them: `cname` or `remote`); later hits in the window are only counted, and the
   * count goes out with the next line as `suppressed`. Returns whether a line was written.
   */
  hit(peer: string, limit: string, fields: Record<string, unknown>, message: string): boolean {
    return this.once(peer, limit, { ...fields, limit }, message);
  }

  /**
   * The same throttle for a line that is not about a setting (a refusal, a peer's bad input, news a
   * peer can repeat at will): the first line per (peer, `what`) in a window is written, the rest are
   * counted.
   */
  once(
    peer: string,
    what: string,
    fields: Record<string, unknown>,
    message: string,
    level: 'warn' | 'info' = 'warn',
  ): boolean {
    const key = `${what}\u0000${peer}`;
    const now = Date.now();
    const seen = this.seen.get(key);
    if (seen && now < seen.until) {
      seen.suppressed += 1;
      return false;
    }
    this.seen.delete(key);
    if (this.seen.size >= this.maxPeers) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    this.seen.set(key, { until: now + this.windowMs, suppressed: 0 });
    const suppressed = seen?.suppressed ?? 0;
    this.log[level]({ ...fields, ...(suppressed > 0 ? { suppressed } : {}) }, message);
    return true;
  }

  /** Pairs remembered now (for tests). */
  get size(): number {
    return this.seen.size;
  }
}
