/**
 * The tower's table of connected bolts, one per cname.
 *
 * A newer bolt with a cname already present replaces the older one, which is closed with a reason;
 * an entry is only ever removed by its own bolt's close, so a replaced bolt closing late can never
 * deregister its replacement (the old stormbolt did exactly that).
 */
import { EventEmitter } from 'node:events';
import { ErrorCode } from '../protocol/frames.js';
import type { Bolt } from './bolt.js';

export interface BoltTableEvents {
  connected: [Bolt];
  capability: [Bolt];
  closed: [Bolt, { code: number; reason: string }];
}

export class BoltTable extends EventEmitter<BoltTableEvents> {
  private readonly bolts = new Map<string, Bolt>();

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

  add(bolt: Bolt): void {
    const previous = this.bolts.get(bolt.cname);
    this.bolts.set(bolt.cname, bolt);
    previous?.close(ErrorCode.Replaced, 'replaced by a newer bolt with the same cname');
    this.emit('connected', bolt);
  }

  announce(bolt: Bolt, ports: readonly number[]): void {
    bolt.ports = ports;
    if (this.bolts.get(bolt.cname) === bolt) this.emit('capability', bolt);
  }

  removed(bolt: Bolt, code: number, reason: string): void {
    if (this.bolts.get(bolt.cname) === bolt) this.bolts.delete(bolt.cname);
    this.emit('closed', bolt, { code, reason });
  }

  closeAll(code: ErrorCode, reason: string): void {
    for (const bolt of [...this.bolts.values()]) bolt.close(code, reason);
  }
}
