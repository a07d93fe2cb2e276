/**
 * Simulated agents' certificates are issued once and reused from the cache file, never from
 * another CA's cache.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthority, loadAuthority } from '../../src/certs/authority.js';
import { simulatedIdentities } from '../../src/sim/identity-cache.js';
import { testPki } from '../helpers/pki.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('simulatedIdentities', () => {
  it('issues once, reuses from the cache file, and ignores a cache made by another CA', async () => {
    dir = await mkdtemp(join(tmpdir(), 'stormtower-sim-'));
    const cache = join(dir, 'simulated-sim.json');
    const { authority } = await testPki();
    const { identities: first, issued } = await simulatedIdentities(authority, ['sim-1', 'sim-2'], cache);
    expect(issued).toBe(2);
    expect((await stat(cache)).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(first.get('sim-1')?.certPem ?? '');
    expect(cert.subject).toContain('CN=sim-1');
    expect(cert.checkIssued(new X509Certificate(authority.certPem))).toBe(true);

    const { identities: again, issued: issuedAgain } = await simulatedIdentities(
      authority,
      ['sim-1', 'sim-2', 'sim-3'],
      cache,
    );
    expect(issuedAgain).toBe(1);
    expect(again.get('sim-1')).toEqual(first.get('sim-1'));
    expect(again.get('sim-2')).toEqual(first.get('sim-2'));
    expect(again.get('sim-3')?.certPem).toContain('BEGIN CERTIFICATE');

    const other = await createAuthority();
    const otherCa = await loadAuthority(other.certPem, other.keyPem);
    const { identities: fromOther } = await simulatedIdentities(otherCa, ['sim-1'], cache);
    expect(fromOther.get('sim-1')?.certPem).not.toBe(first.get('sim-1')?.certPem);
    expect(
      new X509Certificate(fromOther.get('sim-1')?.certPem ?? '').checkIssued(
        new X509Certificate(other.certPem),
      ),
    ).toBe(true);
  });
});
