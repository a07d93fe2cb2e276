/**
 * The attack workers' side of the IPC channel: say `ready` once the attack is in full swing, and on
 * `stop` end it and answer `stopped` with its counters, then exit.
 */

export type Counters = Record<string, number | string | null>;

export function attackReady(counters: Counters): void {
  process.send?.({ type: 'ready', counters });
}

/** Runs `stop` when the orchestrator asks (or goes away), reports the counters and exits. */
export function onStop(stop: () => Promise<Counters> | Counters): void {
  let stopping = false;
  const finish = async (report: boolean) => {
    if (stopping) return;
    stopping = true;
    const counters = await stop();
    if (report) process.send?.({ type: 'stopped', counters }, () => process.exit(0));
    else process.exit(0);
  };
  process.on('message', (message: { type: string }) => {
    if (message.type === 'stop') void finish(true);
  });
  process.on('disconnect', () => void finish(false));
}

/** Reports a failure to the orchestrator, which rejects its wait with the message. */
export function attackFailed(error: unknown): void {
  process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
