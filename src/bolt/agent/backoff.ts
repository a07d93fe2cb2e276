/**
 * Reconnect delays: exponential, capped, with full jitter so a fleet that lost its tower at the
 * same instant does not come back at the same instant.
 */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  readonly random?: () => number;
}

/** The delay before reconnect attempt `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
  const random = options.random ?? Math.random;
  // Half fixed, half random: never zero (no hot loop), never more than the ceiling.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
