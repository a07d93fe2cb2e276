/**
 * The tower's table of connected bolts, one per cname, whatever transport carries them, and the one
 * place that decides which bolt holds a cname.
 *
 * One cname, one agent. A second bolt for a held cname is a conflict when the holder is alive (heard
 * from within `liveWindowMs`): by default the newcomer is refused (closed with `conflict`) and the
 * holder keeps the cname, so two agents sharing a certificate never take turns; with
 * `onDuplicate: 'replace'` the newcomer takes the cname and the holder is closed as `replaced`. A
 * holder silent for longer is presumed gone (a crashed agent's half-open connection) and is replaced
 * either way, so a restarted agent is never locked out until expiry.
 *
 * What listeners can rely on, per cname: `closed` of a replaced bolt comes before `connected` of its
 * successor, and nothing is reported about a bolt after its `closed`, so a replaced bolt closing late
 * can never deregister its replacement (the old stormbolt did exactly that). A refused bolt was never
 * listed and is never reported.
 */
import { EventEmitter } from 'node:events';
import type { Bolt } from './bolt.js';
import type { BoltEnding, CloseReason } from './close-reason.js';

export type DuplicatePolicy = 'refuse' | 'replace';

export interface BoltTableOptions {
  /** What a second bolt for a cname held by a live bolt gets; `refuse` by default. */
  readonly onDuplicate?: DuplicatePolicy;
  /** A holder heard from within this many milliseconds is alive; 20 s (two default beacons) by default. */
  readonly liveWindowMs?: number;
}

/** A bolt arrived for a cname a live bolt holds; `outcome` says which of the two kept it. */
export interface BoltConflict {
  readonly holder: Bolt;
  readonly contender: Bolt;
  readonly outcome: 'refused' | 'replaced';
}

export interface BoltTableEvents {
  connected: [Bolt];
  capability: [Bolt];
  closed: [Bolt, BoltEnding];
  conflict: [BoltConflict];
}

export class BoltTable extends EventEmitter<BoltTableEvents> {
  private readonly bolts = new Map<string, Bolt>();
  // Bolts whose end is already settled: refused ones (never listed) and replaced ones (reported when replaced).
  private readonly settled = new WeakMap<Bolt, 'refused' | 'replaced'>();
  private readonly onDuplicate: DuplicatePolicy;
  private readonly liveWindowMs: number;

  constructor(options: BoltTableOptions = {}) {
    super();
    this.onDuplicate = options.onDuplicate ?? 'refuse';
    this.liveWindowMs = options.liveWindowMs ?? 20_000;
  }

  get size(): number {
    return this.bolts.size;
  }

  get(cname: string): Bolt | undefined {
    return this.bolts.get(cname);
  }

  /** All bolts, sorted by cname. */
  list(): Bolt[] {
    return [...this.bolts.values()].sort((a, b) => (a.cname < b.cname ? -1 : a.cname > b.cname ? 1 : 0));
  }

  /** Lists `bolt` under its cname; false when it was refused (and closed) because a live bolt holds it. */
  add(bolt: Bolt): boolean {
    const holder = this.bolts.get(bolt.cname);
    const contended = holder !== undefined && this.isAlive(holder);
    if (contended && this.onDuplicate === 'refuse') {
      holder.conflicts += 1;
      holder.lastConflictAddress = bolt.address;
      this.settled.set(bolt, 'refused');
      this.emit('conflict', { holder, contender: bolt, outcome: 'refused' });
      bolt.close('conflict', 'another live bolt holds this cname');
      return false;
    }
    if (holder) {
      if (contended) {
        // The count follows the cname from bolt to bolt, so agents taking turns show as a growing number.
        bolt.conflicts = holder.conflicts + 1;
        bolt.lastConflictAddress = holder.address;
        this.emit('conflict', { holder, contender: bolt, outcome: 'replaced' });
      }
      const detail = 'replaced by a newer bolt with the same cname';
      this.bolts.delete(holder.cname);
      this.settled.set(holder, 'replaced');
      this.emit('closed', holder, { reason: 'replaced', detail });
      holder.close('replaced', detail);
    }
    this.bolts.set(bolt.cname, bolt);
    this.emit('connected', bolt);
    return true;
  }

  announce(bolt: Bolt, ports: readonly number[]): void {
    bolt.ports = ports;
    if (this.bolts.get(bolt.cname) === bolt) this.emit('capability', bolt);
  }

  /**
   * `bolt`'s transport has closed. Reports it unless its end was settled already; false when the
   * table had refused it, so the transport has nothing to log.
   */
  removed(bolt: Bolt, reason: CloseReason, detail: string): boolean {
    const settled = this.settled.get(bolt);
    if (settled === 'refused') return false;
    if (settled === 'replaced') return true;
    if (this.bolts.get(bolt.cname) === bolt) this.bolts.delete(bolt.cname);
    this.emit('closed', bolt, { reason, detail });
    return true;
  }

  closeAll(reason: CloseReason, detail: string): void {
    for (const bolt of [...this.bolts.values()]) bolt.close(reason, detail);
  }

  private isAlive(holder: Bolt): boolean {
    return holder.isOpen && Date.now() - holder.lastHeardAt < this.liveWindowMs;
  }
}
