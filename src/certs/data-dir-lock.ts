/**
 * One writer at a time for the CA's records: two `certs` commands run at once would each read
 * issued.json or revoked.crl, add their entry and write it back, and one entry would be lost. A lock
 * file, created exclusively, holds the writer's pid; one left by a process that died is taken over.
 * Callers in one process queue in memory first, so only one of them ever looks at a stale file (two
 * processes taking over the same stale file at the same instant remain possible, and harmless unless
 * they also write at that instant).
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = 'ca.lock';
/** How long a command waits for another to finish before giving up, saying which file blocks it. */
export const LOCK_WAIT_MS = 10_000;
const RETRY_MS = 50;

const queues = new Map<string, Promise<unknown>>();

export function withDataDirLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(dataDir) ?? Promise.resolve();
  const turn = previous.catch(() => undefined).then(() => lockFile(dataDir, work));
  queues.set(dataDir, turn);
  // The last caller out leaves no entry behind.
  void turn
    .finally(() => {
      if (queues.get(dataDir) === turn) queues.delete(dataDir);
    })
    .catch(() => undefined);
  return turn;
}

async function lockFile<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const path = join(dataDir, LOCK_FILE);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await heldByTheDead(path)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(
          `${path} is held by another stormtower certs command: try again, or remove it if none runs`,
        );
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  try {
    return await work();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

async function heldByTheDead(path: string): Promise<boolean> {
  const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
