/**
 * Keeps a running tower's revocation list current: watches the data dir for `revoked.crl` being
 * replaced (as `certs revoke` does, in one rename) and reloads on demand (SIGHUP). A list that does
 * not parse or is not signed by the CA is logged and ignored: the tower keeps the one it had.
 */
import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from '../log/logger.js';
import { REVOKED_FILE, type RevocationList, readRevocationList } from './revocation-list.js';

/** Changes closer together than this are read once: an editor or a copy may write the file in steps. */
export const REVOCATION_DEBOUNCE_MS = 100;

export interface RevocationWatchOptions {
  readonly dataDir: string;
  readonly caPem: string;
  /** The list in force, read at start; changes are told relative to it. */
  readonly initial: RevocationList;
  /** Called with each new verified list that differs from the one in force. */
  readonly onList: (list: RevocationList) => void;
  readonly debounceMs?: number;
}

export interface RevocationWatch {
  /** Reads the file now; true when a new list was taken, false when unchanged or unusable. */
  reload(): Promise<boolean>;
  close(): void;
}

export function watchRevocations(options: RevocationWatchOptions, log: Logger): RevocationWatch {
  let current = options.initial;
  let reading: Promise<boolean> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const readOnce = async (): Promise<boolean> => {
    let next: RevocationList;
    try {
      next = await readRevocationList(options.dataDir, options.caPem);
    } catch (error) {
      log.error(
        { err: error instanceof Error ? error.message : String(error) },
        'revocation list unusable: keeping the previous one',
      );
      return false;
    }
    if (next.pem === current.pem) return false;
    current = next;
    options.onList(next);
    return true;
  };
  // One read at a time; a change during a read is read again after it, so the last write always wins.
  const reload = async (): Promise<boolean> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      let changed = await readOnce();
      while (again) {
        again = false;
        changed = (await readOnce()) || changed;
      }
      return changed;
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  };

  // The directory, not the file: a rename puts a new file in place, which a watch on the old one misses.
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(options.dataDir, { persistent: false }, (_event, name) => {
      if (name !== null && name !== REVOKED_FILE) return;
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), options.debounceMs ?? REVOCATION_DEBOUNCE_MS);
    });
    watcher.on('error', (error) =>
      log.error({ err: error.message, dir: options.dataDir }, 'revocation watch failed: reload with SIGHUP'),
    );
  } catch (error) {
    log.error(
      { err: error instanceof Error ? error.message : String(error), dir: options.dataDir },
      'cannot watch the data dir for revocations: reload with SIGHUP',
    );
  }
  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
