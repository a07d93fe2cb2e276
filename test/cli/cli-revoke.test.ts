/**
 * The certificate life cycle through the built CLI: an agent enrols (its own key and request), the
 * operator signs, lists, revokes and renews; a running tower on the same data dir closes the revoked
 * agent's bolt by itself and keeps running through SIGHUP.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeCodeFor, ErrorCode } from '../../src/bolt/protocol/frames.js';
import { agentArgs, assertBuilt, runCli, startCli, towerArgs } from '../helpers/cli.js';
import { closeAll, tempDir } from '../helpers/harness.js';

beforeAll(assertBuilt);
afterEach(closeAll);

interface Row {
  cname: string;
  serial: string;
  kind: string;
  state: string;
}

async function list(dataDir: string, ...extra: string[]): Promise<Row[]> {
  const run = await runCli(['certs', 'list', '--json', '--data-dir', dataDir, ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Row[];
}

/** An enrolled and signed agent: its key never left `agentDir`. */
async function enrolled(dataDir: string, agentDir: string, cname: string) {
  const key = join(agentDir, `${cname}.key`);
  const enrol = await runCli(['agent', '--enroll', cname, '--key', key]);
  expect(enrol.code, enrol.stderr).toBe(0);
  expect(enrol.stdout).toContain('-----BEGIN CERTIFICATE REQUEST-----');
  expect(enrol.stdout).toContain(`stormtower certs sign ${cname}.csr`);
  const csr = join(agentDir, `${cname}.csr`);
  const sign = await runCli(['certs', 'sign', csr, '--data-dir', dataDir, '--out', agentDir]);
  expect(sign.code, sign.stderr).toBe(0);
  return { key, csr, cert: join(agentDir, `${cname}.crt`), ca: join(agentDir, 'ca.crt') };
}

describe('stormtower certs: enrol, list, revoke, renew', () => {
  it('takes an agent from enrolment to revocation and renewal', async () => {
    const dataDir = await tempDir('stormtower-cli-revoke-');
    const agentDir = await tempDir('stormtower-cli-agent-');
    expect((await runCli(['certs', 'init', '--data-dir', dataDir])).code).toBe(0);
    const files = await enrolled(dataDir, agentDir, 'edge-1');
    expect((await stat(files.key)).mode & 0o777).toBe(0o600);

    // A second enrolment would replace the only key: refused unless forced.
    const again = await runCli(['agent', '--enroll', 'edge-1', '--key', files.key]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/edge-1\.key already exists: refusing to replace a key \(--force/);

    const issued = await list(dataDir);
    expect(issued.map((row) => [row.cname, row.kind, row.state])).toEqual([
      ['stormtower', 'tower', 'issued'],
      ['edge-1', 'agent', 'issued'],
    ]);
    // 397 days is within 400: the same certificate reads as expiring then.
    expect((await list(dataDir, '--expiring-within', '400'))[1]?.state).toBe('expiring');

    const revoke = await runCli(['certs', 'revoke', 'edge-1', '--data-dir', dataDir]);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toContain(`revoked ${issued[1]?.serial} edge-1`);
    expect((await list(dataDir))[1]?.state).toBe('revoked');

    const table = await runCli(['certs', 'list', '--data-dir', dataDir]);
    expect(table.stdout.split('\n')[0]).toMatch(/^CNAME\s+SERIAL\s+KIND\s+EXPIRES\s+STATE$/);
    expect(table.stdout).toMatch(/edge-1\s+[0-9a-f]+\s+agent\s+\d{4}-\d\d-\d\d\s+revoked/);

    const unknown = await runCli(['certs', 'revoke', 'nobody', '--data-dir', dataDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no certificate was issued to "nobody"');

    // Renewal from the agent's own request: a new serial for the same cname and key.
    const renew = await runCli([
      'certs',
      'renew',
      'edge-1',
      '--csr',
      files.csr,
      '--data-dir',
      dataDir,
      '--out',
      agentDir,
    ]);
    expect(renew.code, renew.stderr).toBe(0);
    const after = await list(dataDir);
    expect(after.map((row) => [row.cname, row.state])).toEqual([
      ['stormtower', 'issued'],
      ['edge-1', 'revoked'],
      ['edge-1', 'issued'],
    ]);
    expect(renew.stdout).toContain(`serial ${after[2]?.serial}`);
    const stranger = await runCli(['certs', 'renew', 'edge-9', '--data-dir', dataDir]);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain('no agent certificate was issued to "edge-9"');

    // A short-lived certificate is `expiring` within the default 30 days.
    const short = await runCli(['certs', 'issue', 'edge-short', '--days', '10', '--data-dir', dataDir]);
    expect(short.code, short.stderr).toBe(0);
    expect((await list(dataDir)).find((row) => row.cname === 'edge-short')?.state).toBe('expiring');
  }, 120_000);

  it('has a running tower close a revoked agent and keep running through SIGHUP', async () => {
    const dataDir = await tempDir('stormtower-cli-revoke-');
    const agentDir = await tempDir('stormtower-cli-agent-');
    const tower = startCli([...towerArgs(dataDir)]);
    const ready = await tower.waitForLog((line) => line.msg === 'tower ready');
    const files = await enrolled(dataDir, agentDir, 'edge-2');
    const agent = startCli(agentArgs(String(ready.bolt), files, [5000], ['--max-backoff', '1']));
    await agent.waitForLog((line) => line.msg === 'bolt connected');

    expect((await runCli(['certs', 'revoke', 'edge-2', '--data-dir', dataDir])).code).toBe(0);
    const lost = await agent.waitForLog((line) => line.msg === 'bolt lost');
    expect(lost.code).toBe(closeCodeFor(ErrorCode.Revoked));
    expect(await agent.waitForLog((line) => String(line.msg).startsWith('the tower revoked'))).toMatchObject({
      level: 50,
      retryInMs: 1000,
    });
    expect(await tower.waitForLog((line) => line.msg === 'bolt revoked')).toMatchObject({ cname: 'edge-2' });
    // Redials are refused during TLS.
    await tower.waitForLog((line) => line.code === 'CERT_REVOKED');

    if (tower.pid === undefined) throw new Error('the tower has no pid');
    process.kill(tower.pid, 'SIGHUP');
    await tower.waitForLog((line) => line.signal === 'SIGHUP' && line.level === 30);
    const health = await fetch(`${String(ready.api)}/health`);
    expect(health.status).toBe(200);
    await agent.stop();
  }, 120_000);
});
