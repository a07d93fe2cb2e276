/**
 * How a command ends. On a bad start: one clear message on stderr and exit code 2, no stack trace
 * for errors the user can fix (bad config, missing certificates). On a signal: a clean stop, bounded
 * by a grace time.
 */
import { ConfigError } from '../config/load-config.js';

export function exitWithError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`stormtower: invalid configuration:\n  ${error.problems.join('\n  ')}\n`);
  } else {
    process.stderr.write(`stormtower: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(2);
}

export interface ShutdownOptions {
  /** Seconds a clean stop may take before the process exits anyway (default 5). */
  readonly graceSeconds?: number;
  /** Where the signals come from and how the process ends; tests pass their own. */
  readonly signals?: Pick<NodeJS.Process, 'on'>;
  readonly exit?: (code: number) => void;
  readonly report?: (message: string) => void;
}

/**
 * Runs `stop` once on SIGINT/SIGTERM, then exits: 0 when it finished, 1 when it failed, did not
 * finish within the grace time, or a second signal came. A stop that waits on a dead peer or a
 * stuck local service must never keep the process alive.
 */
export function onShutdown(stop: () => Promise<void>, options: ShutdownOptions = {}): void {
  const graceSeconds = options.graceSeconds ?? 5;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const report =
    options.report ?? ((message: string) => void process.stderr.write(`stormtower: ${message}\n`));
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      report(`${signal} again: exiting without waiting for the stop to finish`);
      exit(1);
      return;
    }
    stopping = true;
    // Not unref'd: this timer is what ends the process if nothing else does.
    const grace = setTimeout(() => {
      report(`the stop took longer than its grace of ${graceSeconds} s: exiting`);
      exit(1);
    }, graceSeconds * 1000);
    stop().then(
      () => {
        clearTimeout(grace);
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(grace);
        report(`the stop failed: ${error instanceof Error ? error.message : String(error)}`);
        exit(1);
      },
    );
  };
  const signals = options.signals ?? process;
  signals.on('SIGINT', handler);
  signals.on('SIGTERM', handler);
}

/** Collects a repeatable option (`--tower a --tower b`) or comma lists into one array. */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
];
