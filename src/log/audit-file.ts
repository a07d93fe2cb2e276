/**
 * The audit log's own file (`--audit-log`): JSON lines appended to it, created with mode 0640 (the
 * lines name clients and paths), and reopened on SIGHUP so that logrotate can move it away and the
 * next lines land in a new file at the same path.
 *
 * Writing never holds up a relay: lines are buffered and written as the disk takes them, up to
 * `AUDIT_BUFFER_LIMIT`; past it new lines are dropped rather than held in memory. A file that cannot
 * be written (a full disk, a removed directory) and dropped lines are each reported once on the
 * tower's log, not once per line; the reports are armed again when a reopen succeeds.
 */
import { open } from 'node:fs/promises';
import { pino } from 'pino';
import { createLogger, type Logger } from './logger.js';

/** Permissions of a new audit file: the tower's user reads and writes, its group reads. */
export const AUDIT_FILE_MODE = 0o640;

/** Bytes of lines held while the file does not take them (a slow or full disk); more are dropped. */
export const AUDIT_BUFFER_LIMIT = 8 * 1024 * 1024;

export interface AuditFile {
  /** The logger whose lines go to the file. */
  readonly log: Logger;
  /** Opens the path again (after logrotate moved the file); resolves once new lines go there. */
  reopen(): Promise<void>;
  /** Writes what is buffered, then closes the file; a file that failed is closed at once. */
  close(): Promise<void>;
}

type Destination = ReturnType<typeof pino.destination>;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Opens `path` for appending; rejects, with the reason, when it cannot be opened. */
export async function openAuditFile(
  path: string,
  report: Logger,
  bufferLimit = AUDIT_BUFFER_LIMIT,
): Promise<AuditFile> {
  // Tried here first: pino registers every destination for a flush at process exit, and one that
  // never opened throws from that hook ("sonic boom is not ready yet") as the refused start exits.
  await open(path, 'a', AUDIT_FILE_MODE).then(
    (handle) => handle.close(),
    (error: unknown) => {
      throw new Error(`cannot open the audit log ${path}: ${messageOf(error)}`);
    },
  );
  const destination = pino.destination({
    dest: path,
    append: true,
    sync: false,
    mode: AUDIT_FILE_MODE,
    maxLength: bufferLimit,
  });
  await opened(destination).catch((error: unknown) => {
    throw new Error(`cannot open the audit log ${path}: ${messageOf(error)}`);
  });
  let reported = false;
  destination.on('error', (error: unknown) => {
    if (reported) return;
    reported = true;
    report.error(
      { file: path, err: messageOf(error) },
      'cannot write the audit log: its lines are lost until it can be written (reported once)',
    );
  });
  let dropped = false;
  destination.on('drop', () => {
    if (dropped) return;
    dropped = true;
    report.warn(
      { file: path, limit: 'auditBufferLimit', bufferLimit },
      'the audit log does not keep up: lines past its buffer are dropped (reported once)',
    );
  });
  return {
    log: createLogger({ destination, format: 'json', name: 'stormtower-audit' }),
    async reopen() {
      const ready = opened(destination);
      destination.reopen();
      await ready;
      reported = false;
      dropped = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        destination.once('close', () => resolve());
        // What a failing file holds would never be flushed: ending it would wait forever.
        if (reported) destination.destroy();
        else destination.end();
      }),
  };
}

/** Resolves on the destination's next `ready`, rejects on an `error` before it. */
function opened(destination: Destination): Promise<void> {
  return new Promise((resolve, reject) => {
    const onReady = () => {
      destination.off('error', onError);
      resolve();
    };
    const onError = (error: unknown) => {
      destination.off('ready', onReady);
      reject(error);
    };
    destination.once('ready', onReady);
    destination.once('error', onError);
  });
}
