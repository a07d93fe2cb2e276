/**
 * When V8 starts marking the old generation towards a mark-compact, for the long-running roles.
 *
 * By default V8 starts marking as soon as the room left under the old generation's limit is smaller
 * than the young generation (which grows to 32 MiB under a relay's allocation rate). A relay keeps a
 * small old generation (about 24 MB live) and V8 puts its limit only about 30 MB above it, so right
 * after each mark-compact the room is already below the young generation and marking starts again:
 * 30 mark-compacts per 400 MB relayed, each freeing almost nothing, which doubled the agent's CPU per
 * byte in half the runs and none in the others (bench/PROFILES.md, issue 16, fifth round). With the
 * trigger in percent of that room, marking starts once the old generation has grown into most of
 * it, for small heaps and large alike.
 */
import { setFlagsFromString } from 'node:v8';

/** Start marking (from a task) once this much of the room between the last GC and the limit is used. */
export const MARKING_SOFT_TRIGGER_PERCENT = 50;
/** Start marking at once past this much, so a fast-growing heap still marks before its limit. */
export const MARKING_HARD_TRIGGER_PERCENT = 90;

const SOFT = '--incremental-marking-soft-trigger';
const HARD = '--incremental-marking-hard-trigger';

/**
 * The V8 flags to set, leaving out any the operator already gave node on its command line
 * (`node --incremental-marking-soft-trigger=50 stormtower ...`), which win.
 */
export function gcScheduleFlags(execArgv: readonly string[]): string[] {
  const given = (flag: string) => execArgv.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
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
