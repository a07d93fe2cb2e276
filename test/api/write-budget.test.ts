/**
 * The change feed's write budget on a clock the test moves: bursts start at once up to a second's
 * worth of the share, and over time writing takes no more than the share.
 */
import { describe, expect, it } from 'vitest';
import { WriteBudget } from '../../src/api/feed/write-budget.js';

function budget(share: number) {
  const clock = { ms: 0 };
  return { clock, budget: new WriteBudget(share, () => clock.ms) };
}

describe('WriteBudget', () => {
  it("lets a burst start at once, up to a second's worth of the share", () => {
    const { clock, budget: b } = budget(0.25);
    for (let i = 0; i < 5; i++) {
      expect(b.wait()).toBe(0);
      clock.ms += 50; // a batch that took 50 ms...
      b.spend(50); // ...refilled 12.5 ms meanwhile
    }
    // 250 - 5 * 50 + 4 * 12.5 = 50 left (the first batch's refill was lost to the cap)
    expect(b.wait()).toBe(0);
    b.spend(100); // 50 over, paid off at a quarter of the time that passes
    expect(b.wait()).toBe(200);
  });

  it('keeps writing to the share of the time, however long the fleet keeps changing', () => {
    const { clock, budget: b } = budget(0.25);
    let writing = 0;
    while (clock.ms < 60_000) {
      clock.ms += b.wait();
      clock.ms += 40; // every batch takes 40 ms
      b.spend(40);
      writing += 40;
    }
    expect(writing).toBeLessThanOrEqual(0.25 * clock.ms + 250 + 40);
    expect(writing).toBeGreaterThan(0.24 * clock.ms);
  });

  it('refills while idle, never above the cap', () => {
    const { clock, budget: b } = budget(0.5);
    b.spend(900);
    expect(b.wait()).toBe(800);
    clock.ms += 3_600_000;
    b.spend(500);
    expect(b.wait()).toBe(0);
    b.spend(1);
    expect(b.wait()).toBe(2);
  });

  it.each([0, -0.5, 1.5, Number.NaN])('rejects a share of %s', (share) => {
    expect(() => new WriteBudget(share)).toThrow(RangeError);
  });
});
