/**
 * SIGHUP asks a running command to reload what it reads from disk; it must never end the process,
 * as Node's default action for SIGHUP would (a `systemctl reload` or a log rotator sends it).
 */
import type { Logger } from '../log/logger.js';

export interface ReloadOptions {
  /** Where the signal comes from; tests pass their own. */
  readonly signals?: Pick<NodeJS.Process, 'on'>;
}

/**
 * Runs `reload` on each SIGHUP, one at a time, and logs what it says it reloaded; a failed reload is
 * logged and the process goes on.
 */
export function onReload(
  reload: () => Promise<readonly string[]>,
  log: Logger,
  options: ReloadOptions = {},
): void {
  let running: Promise<void> | undefined;
  const handler = () => {
    if (running) {
      log.info({ signal: 'SIGHUP' }, 'a reload is already running: this SIGHUP is folded into it');
      return;
    }
    running = reload()
      .then(
        (reloaded) =>
          log.info(
            { signal: 'SIGHUP', reloaded },
            reloaded.length > 0 ? 'reloaded' : 'nothing to reload: the tower keeps running',
          ),
        (error: unknown) =>
          log.error(
            { signal: 'SIGHUP', err: error instanceof Error ? error.message : String(error) },
            'the reload failed: the tower keeps running with what it had',
          ),
      )
      .finally(() => {
        running = undefined;
      });
  };
  (options.signals ?? process).on('SIGHUP', handler);
}
