/**
 * `--audit-log` through the built CLI, as logrotate uses it: relays' lines land in the file (mode
 * 0640) and not on stdout, the agent logs the same request ids, and after the file is moved away
 * and the tower sent SIGHUP the next lines go to a new file at the same path; the tower lives on.
 */
import { readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, type LogLine, runCli, startCli, towerArgs } from '../helpers/cli.js';
import { closeAll, eventually, service, tempDir } from '../helpers/harness.js';

beforeAll(assertBuilt);
afterEach(closeAll);

async function fileLines(path: string): Promise<LogLine[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
}

describe('stormtower start --audit-log', () => {
  it('writes relays to the file, and to a new one after a move and SIGHUP', async () => {
    const dir = await tempDir('stormtower-audit-');
    const data = join(dir, 'data');
    const auditLog = join(dir, 'audit.log');
    const port = await service((_req, res) => res.end('ok'));
    const tower = startCli([...towerArgs(data), '--audit-log', auditLog]);
    const ready = await tower.waitForLog((line) => line.msg === 'tower ready');
    const apiUrl = String(ready.api);
    const out = join(dir, 'agents');
    const issued = await runCli(['certs', 'issue', 'web-1', '--data-dir', data, '--out', out]);
    expect(issued, issued.stderr).toMatchObject({ code: 0 });
    const agent = startCli([
      'agent',
      '--tower',
      String(ready.bolt),
      '--cert',
      join(out, 'web-1.crt'),
      '--key',
      join(out, 'web-1.key'),
      '--ca',
      join(out, 'ca.crt'),
      '--allow',
      String(port),
    ]);
    const relay = (id: string) =>
      fetch(`${apiUrl}/proxy/web-1@${port}/page?secret=1`, { headers: { 'x-request-id': id } });
    // Until the agent has announced its ports the tower answers 404 or 503.
    await eventually(async () => (await relay('warm-up')).status === 200);

    expect((await relay('first')).headers.get('x-request-id')).toBe('first');
    const first = await eventually(async () =>
      (await fileLines(auditLog)).find((line) => line.requestId === 'first'),
    );
    expect(first).toMatchObject({ msg: 'relayed', cname: 'web-1', port, path: '/page', status: 200 });
    expect((await stat(auditLog)).mode & 0o777).toBe(0o640 & ~process.umask());
    await agent.waitForLog((line) => line.msg === 'relayed' && line.requestId === 'first');

    await rename(auditLog, `${auditLog}.1`);
    if (tower.pid === undefined) throw new Error('the tower has no pid');
    process.kill(tower.pid, 'SIGHUP');
    const reloaded = await tower.waitForLog((line) => line.msg === 'reloaded');
    expect(reloaded.reloaded).toEqual(['audit-log']);

    expect((await relay('second')).status).toBe(200);
    await eventually(async () => (await fileLines(auditLog)).find((line) => line.requestId === 'second'));
    expect((await fileLines(auditLog)).map((line) => line.requestId)).toEqual(['second']);
    const rotated = (await fileLines(`${auditLog}.1`)).map((line) => line.requestId);
    expect(rotated).toContain('first');
    expect(rotated).not.toContain('second');
    // The lines went to the file only, and the tower is still serving.
    expect(tower.logLines().filter((line) => line.msg === 'relayed')).toEqual([]);
    expect((await fetch(`${apiUrl}/health`)).status).toBe(200);
    expect(await tower.stop()).toEqual({ code: 0, signal: null });
  });

  it('refuses to start when the audit log cannot be opened', async () => {
    const dir = await tempDir('stormtower-audit-');
    const result = await runCli([
      'start',
      '--data-dir',
      join(dir, 'data'),
      '--api-port',
      '0',
      '--bolt-port',
      '0',
      '--audit-log',
      join(dir, 'no-such-dir', 'audit.log'),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cannot open the audit log/);
  });
});
