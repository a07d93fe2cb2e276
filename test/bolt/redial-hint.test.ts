/**
 * The redial hint a draining tower puts in its 4014 close reason, read back by agents: the spread
 * survives the round trip, is capped, and the delay drawn from it stays within [floor, spread].
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeReasonText } from '../../src/bolt/mux/bolt-session.js';
import {
  MAX_REDIAL_SPREAD_MS,
  parseRedialHint,
  redialDelay,
  redialReason,
} from '../../src/bolt/protocol/redial-hint.js';

describe('redial hint', () => {
  it('round-trips the spread through the close reason, within the 123-byte limit', () => {
    const reason = redialReason(10_000);
    expect(closeReasonText(reason)).toBe(reason);
    expect(parseRedialHint(reason)).toBe(10_000);
  });

  it('means nothing in a reason without it, and caps a huge spread', () => {
    expect(parseRedialHint('tower shutting down')).toBeUndefined();
    expect(parseRedialHint('agent shutting down')).toBeUndefined();
    expect(parseRedialHint(redialReason(999_999_999))).toBe(MAX_REDIAL_SPREAD_MS);
  });

  it('draws a delay within [floor, spread], and the floor when the spread is below it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_REDIAL_SPREAD_MS }),
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (spread, floor, r) => {
          const delay = redialDelay(spread, floor, () => r);
          expect(delay).toBeGreaterThanOrEqual(floor);
          expect(delay).toBeLessThanOrEqual(Math.max(floor, spread));
        },
      ),
    );
    expect(redialDelay(0, 500, () => 0.9)).toBe(500);
  });
});
