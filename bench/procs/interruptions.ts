/**
 * Processes stopped from outside the suite. On a shared machine someone else's cleanup (or the OOM
 * killer) can end a tower mid-measurement; a long-lived process that exits without being asked is
 * recorded here, waits give up at once, and the scenario runner retries or flags the scenario.
 */

/** A long-lived process that exited without being asked to: the run was disturbed from outside. */
export interface Interruption {
  readonly command: string;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Thrown by waits once an interruption happened, so a scenario stops instead of timing out. */
export class InterruptedError extends Error {
  constructor(readonly interruptions: readonly Interruption[]) {
    super(`interrupted: ${interruptions.map(describeInterruption).join('; ')}`);
  }
}

export function describeInterruption(i: Interruption): string {
  // The stormtower commands exit 0 on SIGTERM/SIGINT: a clean exit nobody asked for came from outside.
  const how = i.signal ? `was killed by ${i.signal}` : `exited with code ${i.code}`;
  return `${i.command} (pid ${i.pid}) ${how} without being asked`;
}

const interruptions: Interruption[] = [];
const interruptListeners = new Set<() => void>();
let watchedFrom = 0;

/** Starts a new watch: later waits only care about interruptions from now on. */
export function watchFromNow(): void {
  watchedFrom = interruptions.length;
}

export function interruptedSinceWatch(): readonly Interruption[] {
  return interruptions.slice(watchedFrom);
}

export function throwIfInterrupted(): void {
  const list = interruptedSinceWatch();
  if (list.length > 0) throw new InterruptedError(list);
}

export function recordInterruption(interruption: Interruption): void {
  interruptions.push(interruption);
  for (const listener of [...interruptListeners]) listener();
}

/** Calls `listener` on every interruption until the returned function is called. */
export function onInterrupt(listener: () => void): () => void {
  interruptListeners.add(listener);
  return () => interruptListeners.delete(listener);
}
