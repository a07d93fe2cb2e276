/**
 * Publishes the minions this tower holds into the minions bucket, and holds each key by
 * compare-and-set on its revision: a write that finds the key moved on learns that another tower took
 * the minion over (its agent reconnected there), and this tower then lets its own stale bolt go.
 *
 * Writes are coalesced per cname: however often a minion changes while a write is in flight, the next
 * write carries its newest state. A write that fails while NATS is down stays pending, and `resync()`
 * marks every held minion once NATS is back.
 */
import type { KV } from '@nats-io/kv';
import type { Logger } from '../log/logger.js';
import { bucketKey } from './bucket-keys.js';
import {
  type CarriedDocument,
  carriedFrom,
  isListed,
  type LocalMinion,
  parseRecord,
  toRecord,
} from './minion-record.js';

export interface PublisherDeps {
  readonly towerId: string;
  /** The bolt this tower holds for `cname` now, with its registry entry once it has one. */
  local(cname: string): LocalMinion | undefined;
  /** The largest message NATS takes (its `max_payload`), once connected. */
  maxPayload(): number | undefined;
  /** A record was too large to publish: said once per minion, then not retried until it changes. */
  tooLarge(cname: string, bytes: number, limit: number): void;
  /** Another tower took `cname` over from the bolt `boltId` of this tower. */
  lost(cname: string, boltId: string, byTower: string): void;
  readonly log: Logger;
}

/** What this tower last wrote for a key it holds. */
interface Held {
  readonly revision: number;
  readonly epoch: number;
  readonly boltId: string;
  /** The document the key had when this tower took it over, served until its own first document. */
  readonly carried: CarriedDocument | undefined;
}

// Writes in flight at once: enough to publish a cold start of thousands of minions in seconds,
// few enough that one tower never floods its NATS server.
const WRITES_IN_FLIGHT = 32;
const ENCODER = new TextEncoder();
const PAYLOAD_HEADROOM = 1024;
// Before failed writes are tried again (NATS down or slow): one round per second at most.
const RETRY_MS = 1000;

/** A record over NATS's max_payload: writing it again would fail again. */
class RecordTooLarge extends Error {}

/** JetStream's "wrong last sequence": the compare-and-set lost. */
const lostRace = (error: unknown): boolean =>
  error instanceof Error && /wrong last sequence/i.test(error.message);

export class MinionPublisher {
  readonly #held = new Map<string, Held>();
  readonly #pending = new Set<string>();
  readonly #writing = new Set<string>();
  #kv: KV | undefined;
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(private readonly deps: PublisherDeps) {}

  /** The keys this tower holds now, with the revision it wrote last. */
  held(cname: string): Held | undefined {
    return this.#held.get(cname);
  }

  get pending(): number {
    return this.#pending.size + this.#writing.size;
  }

  /** Starts writing once the bucket is open; changes marked before are kept. */
  attach(kv: KV): void {
    this.#kv = kv;
    this.#pump();
  }

  /** `cname` came, changed or went here: its key is brought up to date soon. */
  mark(cname: string): void {
    if (this.#stopped) return;
    this.#pending.add(cname);
    this.#pump();
  }

  /** NATS is back: every key this tower holds or held is written again. */
  resync(cnames: Iterable<string>): void {
    for (const cname of cnames) this.#pending.add(cname);
    for (const cname of this.#held.keys()) this.#pending.add(cname);
    this.#pump();
  }

  /**
   * Another tower wrote `cname` at `revision`: if that is after this tower's own write, the key has
   * been taken over and the bolt held here is stale.
   */
  overtaken(cname: string, revision: number, byTower: string): void {
    const held = this.#held.get(cname);
    if (held === undefined || revision <= held.revision) return;
    this.#held.delete(cname);
    this.deps.lost(cname, held.boltId, byTower);
  }

  /** The key was deleted (a peer judged this tower dead while NATS was cut off): write it again. */
  forgotten(cname: string, revision: number): void {
    const held = this.#held.get(cname);
    if (held === undefined || revision <= held.revision) return;
    this.#held.delete(cname);
    if (this.deps.local(cname) !== undefined) this.mark(cname);
  }

  /** Resolves once nothing is pending or in flight (or at once when stopped). */
  settled(): Promise<void> {
    if (this.pending === 0 || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#pending.clear();
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  #pump(): void {
    const kv = this.#kv;
    if (kv === undefined || this.#stopped) return;
    for (const cname of this.#pending) {
      if (this.#writing.size >= WRITES_IN_FLIGHT) return;
      if (this.#writing.has(cname)) continue;
      this.#pending.delete(cname);
      this.#writing.add(cname);
      this.#sync(kv, cname).then(
        () => {
          this.#writing.delete(cname);
          if (this.pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
          else this.#pump();
        },
        (error: unknown) => {
          // NATS is down or slow: keep the key pending and try again in a while, not in a loop.
          this.#writing.delete(cname);
          if (this.#stopped) return;
          this.#pending.add(cname);
          this.deps.log.debug({ err: error, cname }, 'cluster write failed; kept pending');
          this.#retryLater();
        },
      );
    }
  }

  #retry: NodeJS.Timeout | undefined;

  #retryLater(): void {
    if (this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#pump();
    }, RETRY_MS);
  }

  async #sync(kv: KV, cname: string): Promise<void> {
    const key = bucketKey(cname);
    const local = this.deps.local(cname);
    const held = this.#held.get(cname);
    if (local === undefined) {
      if (held === undefined) return;
      // Only this tower's own write is deleted: a successor's is left alone.
      await kv.delete(key, { previousSeq: held.revision }).catch((error: unknown) => {
        if (!lostRace(error)) throw error;
      });
      this.#held.delete(cname);
    } else if (held !== undefined && held.boltId === local.boltId) {
      await this.#write(kv, key, local, held);
    } else {
      await this.#acquire(kv, key, local, held);
    }
  }

  async #write(kv: KV, key: string, local: LocalMinion, held: Held): Promise<void> {
    const value = this.#encode(local, held.epoch, held.carried);
    try {
      const revision = await kv.update(key, value, held.revision);
      this.#held.set(local.cname, { ...held, revision });
    } catch (error) {
      if (!lostRace(error)) throw error;
      // Someone wrote the key since: taken over, or deleted by a peer that thought this tower dead.
      await this.#acquire(kv, key, local, held);
    }
  }

  #encode(local: LocalMinion, epoch: number, carried: CarriedDocument | undefined): Uint8Array {
    const value = ENCODER.encode(JSON.stringify(toRecord(local, this.deps.towerId, epoch, carried)));
    // Headroom for the message's subject and headers, which count against the same limit.
    const limit = (this.deps.maxPayload() ?? Number.POSITIVE_INFINITY) - PAYLOAD_HEADROOM;
    if (value.byteLength > limit) {
      this.deps.tooLarge(local.cname, value.byteLength, limit);
      throw new RecordTooLarge(`${local.cname}: record of ${value.byteLength} bytes`);
    }
    return value;
  }

  /** Takes the key for this tower's bolt, whoever held it, with the next epoch. */
  async #acquire(kv: KV, key: string, local: LocalMinion, held: Held | undefined): Promise<void> {
    // Most keys a tower takes at a cold start are new: one `create` then, instead of a read first.
    if (held === undefined) {
      try {
        const revision = await kv.create(key, this.#encode(local, 1, undefined));
        this.#held.set(local.cname, { revision, epoch: 1, boltId: local.boltId, carried: undefined });
        return;
      } catch (error) {
        if (!lostRace(error)) throw error;
      }
    }
    const found = await kv.get(key);
    const live = found !== null && found.operation === 'PUT' ? found : null;
    const previous = live === null ? undefined : parseRecord(live.value);
    const record = previous?.ok ? previous.record : undefined;
    if (
      held !== undefined &&
      held.boltId === local.boltId &&
      record !== undefined &&
      record.owner !== this.deps.towerId
    ) {
      // Our bolt has not changed, and another tower's newer bolt holds the key: ours is the stale one.
      this.#held.delete(local.cname);
      this.deps.lost(local.cname, held.boltId, record.owner);
      return;
    }
    const epoch = (record?.epoch ?? held?.epoch ?? 0) + 1;
    // An agent that moved keeps its last document in the fleet until this tower polls its own: the
    // minion is taken over, not removed and added again.
    const carried = record && isListed(record) ? carriedFrom(record) : held?.carried;
    const value = this.#encode(local, epoch, carried);
    const revision = live === null ? await kv.create(key, value) : await kv.update(key, value, live.revision);
    this.#held.set(local.cname, { revision, epoch, boltId: local.boltId, carried });
  }
}
