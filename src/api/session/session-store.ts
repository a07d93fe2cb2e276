/**
 * Browser sessions kept in memory: an opaque random id (never the token) per signed-in browser.
 *
 * Bounded both ways: a session unused for `idleMs` is gone, and past `limit` sessions the one used
 * least recently is forgotten, so signing in over and over costs memory for `limit` ids at most.
 * Ids are kept as SHA-256 digests, so the table itself holds nothing a reader could replay.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface SessionStoreOptions {
  /** Sessions held at once; the least recently used goes first. */
  readonly limit: number;
  /** A session not used for this long (ms) is no longer accepted. */
  readonly idleMs: number;
  /** The clock; injectable for tests. */
  readonly now?: () => number;
}

/** 256 random bits, URL- and cookie-safe. */
const ID_BYTES = 32;

const digest = (id: string): string => createHash('sha256').update(id).digest('base64url');

export class SessionStore {
  // Map order is use order: a touched session is moved to the end, so the first is the stalest.
  readonly #lastUsed = new Map<string, number>();
  readonly #limit: number;
  readonly #idleMs: number;
  readonly #now: () => number;

  constructor(options: SessionStoreOptions) {
    this.#limit = options.limit;
    this.#idleMs = options.idleMs;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#lastUsed.size;
  }

  /** A new session; its id goes into the cookie and nowhere else. */
  create(): string {
    const id = randomBytes(ID_BYTES).toString('base64url');
    while (this.#lastUsed.size >= this.#limit) {
      const stalest = this.#lastUsed.keys().next().value;
      if (stalest === undefined) break;
      this.#lastUsed.delete(stalest);
    }
    this.#lastUsed.set(digest(id), this.#now());
    return id;
  }

  /** Whether `id` names a live session; using it restarts its idle time. */
  touch(id: string): boolean {
    const key = digest(id);
    const last = this.#lastUsed.get(key);
    if (last === undefined) return false;
    this.#lastUsed.delete(key);
    const now = this.#now();
    if (now - last >= this.#idleMs) return false;
    this.#lastUsed.set(key, now);
    return true;
  }

  /** Signs a session out; unknown ids are ignored. */
  delete(id: string): void {
    this.#lastUsed.delete(digest(id));
  }
}
