/**
 * When a minion polls its status document: pure arithmetic over the minion's settings, kept apart
 * from the machine so the rules read in one place.
 *
 * The first poll waits a random share of min(interval, 1 s) so minions that connect together do not
 * poll together; then each poll starts `monitorInterval` after the previous one started, or right when
 * it ended if it took longer (never two in flight). After n failures in a row the next attempt waits
 * min(interval, retryBase * 2^(n-1)), shortened by up to half at random.
 */

export interface CadenceSettings {
  readonly monitorInterval: number;
  readonly retryBase: number;
  /** Uniform in [0, 1). */
  readonly jitter: () => number;
}

/** Cap of the first-poll spread: enough to scatter a reconnect storm, short enough to go unnoticed. */
const FIRST_POLL_SPREAD_MS = 1000;

export function firstPollDelay(settings: CadenceSettings): number {
  return Math.floor(settings.jitter() * Math.min(settings.monitorInterval, FIRST_POLL_SPREAD_MS));
}

/** After a success: one interval after the poll started, counted from `now`. */
export function nextPollDelay(settings: CadenceSettings, startedAt: number, now: number): number {
  return Math.max(0, startedAt + settings.monitorInterval - now);
}

/** After the `failures`-th failure in a row (1 for the first), counted from the failure. */
export function retryDelay(settings: CadenceSettings, failures: number): number {
  const full = Math.min(settings.monitorInterval, settings.retryBase * 2 ** (failures - 1));
  return full - Math.floor((settings.jitter() * full) / 2);
}
