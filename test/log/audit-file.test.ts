/**
 * The audit file: lines appended as JSON, mode 0640, reopened at the same path after a rotation,
 * and a file that cannot be written reported once, however many lines are lost.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_FILE_MODE, openAuditFile } from '../../src/log/audit-file.js';
import { captureLog } from '../helpers/log-capture.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-file-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const linesOf = async (path: string): Promise<Record<string, unknown>[]> =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the audit file', () => {
  it('appends JSON lines to a file created with mode 0640', async () => {
    const path = join(dir, 'audit.log');
    await writeFile(path, '{"earlier":true}\n', { mode: AUDIT_FILE_MODE });
    const file = await openAuditFile(path, captureLog().log);
    file.log.info({ requestId: 'a' }, 'relayed');
    await file.close();
    const lines = await linesOf(path);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ requestId: 'a', msg: 'relayed', name: 'stormtower-audit' });

    const fresh = join(dir, 'fresh.log');
    const second = await openAuditFile(fresh, captureLog().log);
    await second.close();
    expect((await stat(fresh)).mode & 0o777).toBe(AUDIT_FILE_MODE & ~process.umask());
  });

  it('writes to a new file at the same path after the old one was moved and it was reopened', async () => {
    const path = join(dir, 'audit.log');
    const file = await openAuditFile(path, captureLog().log);
    file.log.info({ n: 1 }, 'relayed');
    await rename(path, `${path}.1`);
    file.log.info({ n: 2 }, 'relayed');
    await file.reopen();
    file.log.info({ n: 3 }, 'relayed');
    await file.close();
    const rotated = (await linesOf(`${path}.1`)).map((line) => line.n);
    const current = (await linesOf(path)).map((line) => line.n);
    // Line 2 was written before the reopen finished: in either file, never lost or doubled.
    expect([...rotated, ...current].sort()).toEqual([1, 2, 3]);
    expect(rotated[0]).toBe(1);
    expect(current.at(-1)).toBe(3);
  });

  it('refuses to start with a file it cannot open, saying which', async () => {
    const path = join(dir, 'missing', 'audit.log');
    await expect(openAuditFile(path, captureLog().log)).rejects.toThrow(`cannot open the audit log ${path}`);
    expect(existsSync(path)).toBe(false);
  });

  it('reports a file it cannot write once, not once per line', async () => {
    if (!existsSync('/dev/full')) return;
    const report = captureLog();
    const file = await openAuditFile('/dev/full', report.log);
    const errors = () => report.lines.filter((line) => line.file === '/dev/full');
    file.log.info({ n: 0 }, 'relayed');
    await vi.waitFor(() => expect(errors()).toHaveLength(1));
    // Each of these lines is another failed write: none of them is reported again.
    for (let i = 1; i <= 20; i += 1) {
      file.log.info({ n: i }, 'relayed');
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(errors()).toHaveLength(1);
    expect(errors()[0]?.msg).toMatch(/cannot write the audit log/);
    await file.close();
  });

  it('holds at most its buffer limit of lines it cannot write, and reports the drops once', async () => {
    if (!existsSync('/dev/full')) return;
    const report = captureLog();
    const file = await openAuditFile('/dev/full', report.log, 4096);
    const drops = () => report.lines.filter((line) => line.limit === 'auditBufferLimit');
    file.log.info({ n: 0 }, 'relayed');
    await vi.waitFor(() => expect(report.lines.length).toBeGreaterThan(0));
    for (let i = 1; i <= 200; i += 1) file.log.info({ n: i, pad: 'x'.repeat(100) }, 'relayed');
    expect(drops()).toHaveLength(1);
    expect(drops()[0]).toMatchObject({ file: '/dev/full', bufferLimit: 4096 });
    await file.close();
  });
});
