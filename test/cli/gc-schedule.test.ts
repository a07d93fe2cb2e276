import { describe, expect, it } from 'vitest';
import {
  gcScheduleFlags,
  HEAP_GROWTH_FROM_BYTES,
  heapGrowthFor,
  MARKING_HARD_TRIGGER_PERCENT,
  MARKING_SOFT_TRIGGER_PERCENT,
} from '../../src/cli/gc-schedule.js';

describe('gcScheduleFlags', () => {
  it('sets both marking triggers when node was given neither', () => {
    expect(gcScheduleFlags(['--enable-source-maps'])).toEqual([
      `--incremental-marking-soft-trigger=${MARKING_SOFT_TRIGGER_PERCENT}`,
      `--incremental-marking-hard-trigger=${MARKING_HARD_TRIGGER_PERCENT}`,
    ]);
  });

  it("leaves a trigger the operator gave node on its command line to the operator's value", () => {
    expect(gcScheduleFlags(['--incremental-marking-soft-trigger=50'])).toEqual([
      `--incremental-marking-hard-trigger=${MARKING_HARD_TRIGGER_PERCENT}`,
    ]);
    expect(
      gcScheduleFlags(['--incremental-marking-hard-trigger=80', '--incremental-marking-soft-trigger']),
    ).toEqual([]);
  });

  it('does not mistake a longer flag for one of its own', () => {
    expect(gcScheduleFlags(['--incremental-marking-soft-trigger-x=1'])).toHaveLength(2);
  });
});

describe('heapGrowthFor', () => {
  it("applies the tower's --heap-growth to a large fleet's heap", () => {
    expect(heapGrowthFor(40, HEAP_GROWTH_FROM_BYTES)).toBe(40);
    expect(heapGrowthFor(40, 400 * 1024 * 1024)).toBe(40);
  });

  it("leaves a relay's small heap to V8's own factor (0)", () => {
    expect(heapGrowthFor(40, HEAP_GROWTH_FROM_BYTES - 1)).toBe(0);
    expect(heapGrowthFor(40, 24 * 1024 * 1024)).toBe(0);
  });
});
