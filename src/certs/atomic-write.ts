/**
 * Files the tower re-reads while running (the revocation list, the issued index) are replaced in one
 * rename, so a reader sees the old file or the new one, never half of either.
 */
import { randomBytes } from 'node:crypto';
import { chmod, rename, unlink, writeFile } from 'node:fs/promises';

export async function writeAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data, { mode, flag: 'wx' });
    // The umask may have narrowed `mode`.
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
