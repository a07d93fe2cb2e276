/**
 * When V8 starts marking the old generation towards a mark-compact, for the long-running roles.
 *
 * By default V8 starts marking as soon as the room left under the old generation's limit is smaller
 * than the young generation (which grows to 32 MiB under a relay's allocation rate). A relay keeps a
 * small old generation (about 24 MB live) and V8 puts its limit only about 30 MB above it, so right
 * after each mark-compact the room is already below the young generation and marking starts again:
 * 30 mark-compacts per 400 MB relayed, each freeing almost nothing, which doubled the agent's CPU per
 * byte in half the runs and none in the others (bench/PROFILES.md, issue 16, fifth round). With the
 * trigger in percent of that room, marking starts once the old generation has grown into half of
 * it, for small heaps and large alike.
 *
 * The tower and the agent also set how far the old generation may grow past what the last
 * mark-compact kept: the tower's `--heap-growth` (40%), so a large heap stays near its live size
 * (with V8's own factor 10,000 bolts' heap reached about twice its live size, which alone kept the
 * tower above 1 GiB), but never less than MIN_HEAP_ROOM_BYTES, so a small heap's room is not filled
 * by a relay's buffers in flight alone.
 */
import {
  constants,
  type NodeGCPerformanceDetail,
  type PerformanceEntry,
  PerformanceObserver,
} from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** Start marking (from a task) once this much of the room between the last GC and the limit is used. */
export const MARKING_SOFT_TRIGGER_PERCENT = 50;
/** Start marking at once past this much, so a fast-growing heap still marks before its limit. */
export const MARKING_HARD_TRIGGER_PERCENT = 90;

const SOFT = '--incremental-marking-soft-trigger';
const HARD = '--incremental-marking-hard-trigger';
const GROWTH = '--heap-growing-percent';

/** Whether node's own command line already set `flag`, with a value or without. */
const givenTo = (execArgv: readonly string[]) => (flag: string) =>
  execArgv.some((arg) => arg === flag || arg.startsWith(`${flag}=`));

/**
 * The V8 flags to set, leaving out any the operator already gave node on its command line
 * (`node --incremental-marking-soft-trigger=50 stormtower ...`), which win.
 */
export function gcScheduleFlags(execArgv: readonly string[]): string[] {
  const given = givenTo(execArgv);
  return [
    ...(given(SOFT) ? [] : [`${SOFT}=${MARKING_SOFT_TRIGGER_PERCENT}`]),
    ...(given(HARD) ? [] : [`${HARD}=${MARKING_HARD_TRIGGER_PERCENT}`]),
  ];
}

/**
 * Sets the schedule in this process. V8 reads both flags each time it decides whether to start
 * marking, so setting them after startup takes effect from the next decision.
 */
export function applyGcSchedule(execArgv: readonly string[] = process.execArgv): void {
  for (const flag of gcScheduleFlags(execArgv)) setFlagsFromString(flag);
}

/**
 * The least room V8 should leave between what a mark-compact kept and the next limit. A relay's
 * process keeps about 24 MB live while 30-35 MB of the bytes' buffers are in flight or dead and not
 * yet scavenged, and V8 counts those towards the marking triggers: with V8's own room (about 30 MB)
 * they alone started marking right after each mark-compact, 39-46 times per 200 MB in 2 of 6 runs of
 * the tower (bench/PROFILES.md, issue 16, fifth round).
 */
export const MIN_HEAP_ROOM_BYTES = 96 * 1024 * 1024;

/** The agent's heap growth past its live heap: its heap stays small, so the room above decides. */
export const AGENT_HEAP_GROWTH_PERCENT = 40;

/**
 * The heap growth (percent) V8 should use after a mark-compact that kept `liveBytes`: `percent`
 * for a large heap, more for a small one, so the room is never under MIN_HEAP_ROOM_BYTES.
 */
export function heapGrowthFor(percent: number, liveBytes: number): number {
  return Math.max(percent, Math.ceil((MIN_HEAP_ROOM_BYTES * 100) / Math.max(liveBytes, 1)));
}

/** A `gc` performance entry for a mark-compact (Node puts the kind in the entry's `detail`). */
function isMarkCompact(entry: PerformanceEntry): boolean {
  const { detail } = entry as PerformanceEntry & { detail?: NodeGCPerformanceDetail };
  return detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

/**
 * Keeps V8's heap growth at `heapGrowthFor(percent, live heap)`, read after each mark-compact. V8
 * reads the flag when a mark-compact sets the next limit and the observer runs just after one, so
 * each value takes effect from the following mark-compact: the live heap moves slowly enough for
 * that. Nothing when `percent` is 0 or node's own command line set the flag. Returns a stop function.
 */
export function governHeapGrowth(
  percent: number,
  execArgv: readonly string[] = process.execArgv,
): () => void {
  if (percent === 0 || givenTo(execArgv)(GROWTH)) return () => {};
  let current = 0;
  const observer = new PerformanceObserver((list) => {
    if (!list.getEntries().some(isMarkCompact)) return;
    const wanted = heapGrowthFor(percent, getHeapStatistics().used_heap_size);
    if (wanted === current) return;
    current = wanted;
    setFlagsFromString(`${GROWTH}=${wanted}`);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
