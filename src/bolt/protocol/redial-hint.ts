/**
 * The tower's "go away and come back later" to its agents: a drain closes every bolt with 4014
 * `GoingAway` and this reason text, which names how long the agents should spread their redials
 * over. Each agent picks a random delay within it, so a fleet leaving a draining tower does not land
 * on the remaining towers (or the restarted one) in the same instant.
 *
 * The spread rides in the close reason rather than a new code: a 4014 without it (an older tower, or
 * a plain stop) keeps meaning "redial with the usual backoff".
 */

/** The longest spread an agent honours, whatever a tower asks: ten minutes. */
export const MAX_REDIAL_SPREAD_MS = 600_000;

const HINT = /redial within (\d{1,9}) ms/;

/** The close reason a draining tower sends with `GoingAway`. */
export function redialReason(spreadMs: number): string {
  return `tower draining: redial within ${Math.round(spreadMs)} ms`;
}

/** The spread a close reason asks for, or undefined when it carries no redial hint. */
export function parseRedialHint(reason: string): number | undefined {
  const match = HINT.exec(reason);
  if (!match) return undefined;
  return Math.min(Number(match[1]), MAX_REDIAL_SPREAD_MS);
}

/**
 * The delay before redialling after a drain: uniform over [floorMs, spreadMs] (the floor keeps a
 * tower asking for 0 from causing a hot loop).
 */
export function redialDelay(spreadMs: number, floorMs: number, random: () => number = Math.random): number {
  const span = Math.max(0, spreadMs - floorMs);
  return Math.round(floorMs + random() * span);
}
