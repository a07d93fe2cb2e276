/**
 * `stormtower simulate --issue-only`: issues the simulated agents' certificates into the identity
 * cache and exits without a tower; a later `simulate` with the same count and prefix dials with
 * them as they are, issuing nothing. Runs the built executable (`npm run build` first).
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, startCli } from '../helpers/cli.js';
import { closeAll, eventually, tempDir, tower } from '../helpers/harness.js';
import { writePki } from '../helpers/pki.js';

beforeAll(assertBuilt);
afterEach(closeAll);

let dir = '';
beforeEach(async () => {
  dir = await tempDir('stormtower-issue-');
});

interface CacheFile {
  identities: Record<string, { certPem: string; keyPem: string }>;
}

describe('stormtower simulate --issue-only', () => {
  it('fills the identity cache without a tower, and a later simulate dials with it unchanged', async () => {
    const pki = await writePki(dir);
    const cache = join(dir, 'simulated-sim.json');
    const issue = ['simulate', '--issue-only', '--count', '3', '--data-dir', dir, '--log-level', 'warn'];

    const first = await runCli(issue);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(
      /^.+: certificates for sim-1 to sim-3, 3 issued now, 0 already there \(\d+\.\d s\)\n$/,
    );
    expect(first.stdout.startsWith(`${cache}: `)).toBe(true);
    expect((await stat(cache)).mode & 0o777).toBe(0o600);
    const issued = await readFile(cache, 'utf8');
    const { identities } = JSON.parse(issued) as CacheFile;
    expect(Object.keys(identities).sort()).toEqual(['sim-1', 'sim-2', 'sim-3']);
    const ca = new X509Certificate(await readFile(pki.ca, 'utf8'));
    for (const [cname, identity] of Object.entries(identities)) {
      const cert = new X509Certificate(identity.certPem);
      expect(cert.subject).toBe(`CN=${cname}`);
      expect(cert.checkIssued(ca)).toBe(true);
    }

    const again = await runCli(issue);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 issued now, 3 already there');

    const running = await tower();
    const simulate = startCli(['simulate', '--count', '3', '--tower', running.boltUrl, '--data-dir', dir]);
    await simulate.waitForLog((line) => line.msg === 'all simulated agents connected');
    await eventually(() => ['sim-1', 'sim-2', 'sim-3'].every((cname) => running.table.get(cname)));
    expect(await readFile(cache, 'utf8')).toBe(issued);
    expect(await simulate.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('refuses a bad count with one line and exit code 2', async () => {
    await writePki(dir);
    const refused = await runCli(['simulate', '--issue-only', '--count', '0', '--data-dir', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'stormtower: invalid configuration:\n  --count: expected a whole number of agents greater than 0, got 0\n',
    );
  });
});
