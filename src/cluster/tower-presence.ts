/**
 * Which towers are alive: each tower rewrites its own key in the towers bucket every third of the
 * presence timeout, and every tower notes when it last received each peer's key, on its own clock.
 * A peer unheard for the presence timeout is dead. While this tower is cut off from NATS it hears
 * nobody, so nobody is judged dead until a full timeout after NATS is back.
 */
import type { KvWatchEntry } from '@nats-io/kv';
import { nameOfKey } from './bucket-keys.js';
import { parseTowerRecord, type TowerRecord } from './tower-record.js';

interface Heard {
  readonly record: TowerRecord | undefined;
  readonly at: number;
}

export class TowerPresence {
  readonly #heard = new Map<string, Heard>();
  /** Before this time nobody is judged dead: just started, or just back from a NATS outage. */
  #graceUntil: number;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#graceUntil = now() + timeoutMs;
  }

  /** A put or delete in the towers bucket. */
  receive(entry: KvWatchEntry): void {
    const towerId = nameOfKey(entry.key);
    if (towerId === undefined) return;
    if (entry.operation !== 'PUT') {
      // A tower that stopped cleanly deleted its key: dead from now, without waiting.
      this.#heard.set(towerId, { record: undefined, at: Number.NEGATIVE_INFINITY });
      return;
    }
    this.#heard.set(towerId, { record: parseTowerRecord(entry.value), at: this.now() });
  }

  /** NATS is back: give every peer a full timeout to be heard again. */
  reconnected(): void {
    this.#graceUntil = this.now() + this.timeoutMs;
  }

  /** The record of a tower heard within the timeout. */
  live(towerId: string): TowerRecord | undefined {
    const heard = this.#heard.get(towerId);
    return heard !== undefined && this.now() - heard.at <= this.timeoutMs ? heard.record : undefined;
  }

  /** The last record heard from `towerId`, however long ago (while cut off from NATS, it is all there is). */
  lastKnown(towerId: string): TowerRecord | undefined {
    return this.#heard.get(towerId)?.record;
  }

  /** Whether `towerId` may be treated as dead: unheard for the timeout, and not within a grace period. */
  isDead(towerId: string): boolean {
    if (this.now() < this.#graceUntil) return false;
    const heard = this.#heard.get(towerId);
    return heard === undefined || this.now() - heard.at > this.timeoutMs;
  }

  /** Live towers' records, for `/health` and the console. */
  towers(): TowerRecord[] {
    const out: TowerRecord[] = [];
    for (const [towerId, heard] of this.#heard) {
      const record = this.live(towerId);
      if (record !== undefined && heard.record !== undefined) out.push(record);
    }
    return out;
  }
}
