/**
 * The console's picture of the fleet: the rows of `GET /fleet`, patched between two reads by the
 * change feed (a checksum change updates its row at once and makes it flash), the last changes,
 * and each minion's checksums seen in this session.
 *
 * Views are told of changes at most once per `NOTIFY_MS`: at 10,000 minions the feed can bring
 * hundreds of changes a second, and the table need not be sorted again for each one.
 */
import type { FleetBody, FleetMinion, FleetRemoval, FleetState } from '../api/console/fleet-contract.js';

/** How long a row flashes after its checksum changed. */
export const FLASH_MS = 2000;
/** Changes kept for the changes panel. */
export const CHANGES_KEPT = 100;
/** Checksums kept per minion for its page. */
export const HISTORY_KEPT = 50;
const NOTIFY_MS = 200;

export interface Row extends FleetMinion {
  /** Epoch ms (page clock) until which the row flashes. */
  readonly flashUntil: number;
}

export interface Change {
  readonly at: number;
  readonly type: 'added' | 'changed' | 'removed';
  readonly id: string;
  readonly old: string | null;
  readonly new: string | null;
}

export interface ChecksumSeen {
  readonly at: number;
  readonly checksum: string | null;
}

export class FleetStore {
  rows = new Map<string, Row>();
  removed: readonly FleetRemoval[] = [];
  global = '';
  /** The tower's start, on the page's clock. */
  startedAt = 0;
  changes: Change[] = [];
  /** Bumped on every change, so views can memoise on it. */
  version = 0;
  private readonly history = new Map<string, ChecksumSeen[]>();
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A fresh read of `GET /fleet`; flashes and history carry over. */
  load(body: FleetBody, now = Date.now()): void {
    const skew = now - body.at;
    const rows = new Map<string, Row>();
    for (const minion of body.minions) {
      const flashUntil = this.rows.get(minion.cname)?.flashUntil ?? 0;
      rows.set(minion.cname, { ...minion, flashUntil });
      this.remember(
        minion.cname,
        minion.checksum,
        minion.lastChangeAt === null ? now : minion.lastChangeAt + skew,
      );
    }
    // History is kept for minions the tower still lists (live or lately removed), not for every
    // cname the page ever saw: a long session over a churning fleet must not grow without end.
    const listed = new Set([...rows.keys(), ...body.removed.map((removal) => removal.cname)]);
    for (const cname of this.history.keys()) if (!listed.has(cname)) this.history.delete(cname);
    this.rows = rows;
    this.removed = body.removed;
    this.global = body.global;
    this.startedAt = body.startedAt + skew;
    this.changed();
  }

  /** One event of the change feed. */
  feedEvent(
    type: Change['type'],
    id: string,
    checksum: string | null,
    global: string,
    now = Date.now(),
  ): void {
    const row = this.rows.get(id);
    this.changes.unshift({ at: now, type, id, old: row?.checksum ?? null, new: checksum });
    if (this.changes.length > CHANGES_KEPT) this.changes.length = CHANGES_KEPT;
    this.global = global;
    if (type === 'removed') {
      if (row) this.rows.set(id, { ...row, state: 'removed' });
    } else if (row) {
      const state: FleetState = type === 'changed' && row.state !== 'connecting' ? 'ready' : row.state;
      this.rows.set(id, { ...row, state, checksum, lastChangeAt: now, flashUntil: now + FLASH_MS });
    } else {
      this.rows.set(id, newRow(id, checksum, now));
    }
    this.remember(id, checksum, now);
    this.changed();
  }

  /**
   * The snapshot that opens (or restarts, after a gap) the feed: the global checksum, and each
   * minion's checksum as of now. Nothing flashes: these are not changes seen, only catching up.
   */
  feedSnapshot(global: string, minions: readonly { readonly id: string; readonly checksum: string }[]): void {
    this.global = global;
    for (const { id, checksum } of minions) {
      const row = this.rows.get(id);
      if (row && row.checksum !== checksum) this.rows.set(id, { ...row, checksum });
    }
    this.changed();
  }

  historyOf(cname: string): readonly ChecksumSeen[] {
    return this.history.get(cname) ?? [];
  }

  private remember(cname: string, checksum: string | null, at: number): void {
    const seen = this.history.get(cname) ?? [];
    if (seen.at(-1)?.checksum === checksum) return;
    seen.push({ at, checksum });
    if (seen.length > HISTORY_KEPT) seen.splice(0, seen.length - HISTORY_KEPT);
    this.history.set(cname, seen);
  }

  private changed(): void {
    this.version += 1;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      for (const listener of this.listeners) listener();
    }, NOTIFY_MS);
  }
}

/** A minion the feed announced before the next `GET /fleet` described it. */
function newRow(cname: string, checksum: string | null, now: number): Row {
  return {
    cname,
    state: 'ready',
    transport: '',
    address: '',
    ports: [],
    connectedAt: now,
    lastPollAt: now,
    lastChangeAt: now,
    checksum,
    lastError: null,
    consecutiveFailures: 0,
    flashUntil: now + FLASH_MS,
  };
}
