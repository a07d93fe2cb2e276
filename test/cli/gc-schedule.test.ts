import { describe, expect, it } from 'vitest';
import {
  gcScheduleFlags,
  heapGrowthFor,
  MARKING_HARD_TRIGGER_PERCENT,
  MARKING_SOFT_TRIGGER_PERCENT,
  MIN_HEAP_ROOM_BYTES,
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
  const MiB = 1024 * 1024;

  it("holds a large heap to the tower's --heap-growth", () => {
    expect(heapGrowthFor(40, 240 * MiB)).toBe(40);
    expect(heapGrowthFor(40, 400 * MiB)).toBe(40);
  });

  it("leaves a small heap at least MIN_HEAP_ROOM_BYTES of room, so a relay's buffers do not start marking", () => {
    expect(heapGrowthFor(40, 24 * MiB)).toBe(400);
    expect(heapGrowthFor(40, 200 * MiB)).toBe(48);
    for (const live of [1, 10 * MiB, 24 * MiB, 100 * MiB, 239 * MiB]) {
      expect((live * heapGrowthFor(40, live)) / 100).toBeGreaterThanOrEqual(MIN_HEAP_ROOM_BYTES);
    }
  });
});
