/**
 * Minions removed lately, for the console's "removed in the last hour": a bounded log, oldest first,
 * so a fleet that churns cannot grow it without end. Past the limit the oldest removal is forgotten.
 */

/** How long a removal is remembered. */
export const REMOVAL_WINDOW_MS = 3600 * 1000;
/** Most removals remembered at once, whatever the window (a mass disconnect of a large fleet). */
export const REMOVAL_WINDOW_LIMIT = 10_000;

export interface RemovedMinion {
  readonly cname: string;
  readonly transport: string;
  readonly address: string;
  readonly connectedAt: number;
  /** Epoch ms. */
  readonly removedAt: number;
  readonly reason: string;
  /** The checksum of its last document, or null if it never sent one. */
  readonly checksum: string | null;
}

export class RemovalWindow {
  private readonly removals: RemovedMinion[] = [];

  constructor(
    private readonly windowMs = REMOVAL_WINDOW_MS,
    private readonly limit = REMOVAL_WINDOW_LIMIT,
  ) {}

  record(removal: RemovedMinion): void {
    this.removals.push(removal);
    if (this.removals.length > this.limit) this.removals.splice(0, this.removals.length - this.limit);
  }

  /** The removals within the window before `now`, oldest first; older ones are dropped for good. */
  recent(now: number): readonly RemovedMinion[] {
    const since = now - this.windowMs;
    let expired = 0;
    while (expired < this.removals.length && (this.removals[expired]?.removedAt ?? 0) < since) expired += 1;
    if (expired > 0) this.removals.splice(0, expired);
    return [...this.removals];
  }
}
