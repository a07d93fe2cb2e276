/**
 * Whether a process is quiet or spinning, read from /proc over a window: the CPU time it used, and
 * the time its main thread was runnable (on a CPU or queued for one). CPU time alone misses a spin
 * on a machine with more runnable tasks than cores, where the spinner only gets its share; its
 * runnable time still fills the window. Runnable time alone accuses a quiet process that wakes
 * often on a loaded machine, each wake-up queued for a CPU: a spinner is also one that never sleeps.
 */
import type { ChaosProcess } from './processes.js';

/** An idle process may use this share of one core over a quiet window; a spinning one uses all. */
export const IDLE_CPU_SHARE = 0.2;
/** An idle process's main thread may be runnable this share of a quiet window; a spinning one always is. */
export const IDLE_RUNNABLE_SHARE = 0.6;
/** A main thread that blocked at least this often a second was waking up, not spinning. */
export const WAKING_SLEEPS_PER_SECOND = 10;

/**
 * What a process did over a window: CPU seconds used, seconds its main thread was runnable, and
 * how many times that thread blocked.
 */
export interface Activity {
  readonly cpu: number;
  readonly runnable: number;
  readonly sleeps: number;
}

/** Each process's activity over the next `windowMs`, by role. */
export async function activityOver(
  processes: readonly ChaosProcess[],
  windowMs: number,
): Promise<Map<string, Activity>> {
  const read = () =>
    processes.map((proc) => ({ cpu: proc.cpu(), runnable: proc.runnable(), sleeps: proc.sleeps() }));
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = read();
  const activity = new Map<string, Activity>();
  processes.forEach((proc, i) => {
    const start = before[i];
    const end = after[i];
    if (start?.cpu === undefined || end?.cpu === undefined) return;
    activity.set(proc.role, {
      cpu: end.cpu - start.cpu,
      runnable: (end.runnable ?? 0) - (start.runnable ?? 0),
      sleeps: (end.sleeps ?? 0) - (start.sleeps ?? 0),
    });
  });
  return activity;
}

const ms = (seconds: number): string => `${Math.round(seconds * 1000)} ms`;

export function describeActivity(activity: Map<string, Activity>): string {
  return [...activity]
    .map(([role, a]) => `${role} ${ms(a.cpu)} CPU, ${ms(a.runnable)} runnable, ${a.sleeps} sleeps`)
    .join('; ');
}

/** The processes that were not quiet over `windowMs`, described; none when all were. */
export function busyOver(activity: Map<string, Activity>, windowMs: number): string[] {
  const window = windowMs / 1000;
  return [...activity]
    .filter(
      ([, a]) =>
        a.cpu > IDLE_CPU_SHARE * window ||
        (a.runnable > IDLE_RUNNABLE_SHARE * window && a.sleeps < WAKING_SLEEPS_PER_SECOND * window),
    )
    .map(
      ([role, a]) =>
        `${role}: ${ms(a.cpu)} CPU, runnable ${ms(a.runnable)} of ${windowMs} ms, slept ${a.sleeps} times`,
    );
}
