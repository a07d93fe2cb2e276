/**
 * How a command ends on a bad start: one clear message on stderr and exit code 2, no stack trace
 * for errors the user can fix (bad config, missing certificates).
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

/** Runs `stop` once on SIGINT/SIGTERM, then exits. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Collects a repeatable option (`--tower a --tower b`) or comma lists into one array. */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
];
