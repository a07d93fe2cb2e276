/**
 * The CA's records behind revocation: the issued index (what was issued, to whom, until when) and the
 * revocation list (a CRL signed by the CA), their round trips, and what a broken file gets.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthority, loadAuthority } from '../../src/certs/authority.js';
import { readIssued, recordIssued } from '../../src/certs/issued-index.js';
import {
  createRevocationList,
  parseRevocationList,
  readRevocationList,
  revokeSerials,
} from '../../src/certs/revocation-list.js';
import { normalizeSerial } from '../../src/certs/serial.js';
import { issueAgentCertificate, loadDataDirAuthority } from '../../src/certs/store.js';
import { closeAll, tempDir } from '../helpers/harness.js';
import { flippedPem } from '../helpers/pem-fuzz.js';
import { testPki, writePki } from '../helpers/pki.js';

afterEach(closeAll);

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function dataDir(): Promise<string> {
  const dir = await tempDir('stormtower-index-');
  await writePki(dir);
  return dir;
}

describe('issued index', () => {
  it('records each agent certificate the CA issues: serial, cname, kind and validity', async () => {
    const dir = await dataDir();
    const files = await issueAgentCertificate({ dataDir: dir, cname: 'edge-1' });
    await issueAgentCertificate({ dataDir: dir, cname: 'edge-2' });
    const certificate = new X509Certificate(await readFile(files.cert, 'utf8'));
    const issued = await readIssued(dir);
    expect(issued.map((entry) => entry.cname)).toEqual(['edge-1', 'edge-2']);
    expect(issued[0]).toEqual({
      serial: normalizeSerial(certificate.serialNumber),
      cname: 'edge-1',
      kind: 'agent',
      notBefore: new Date(certificate.validFrom).toISOString(),
      notAfter: new Date(certificate.validTo).toISOString(),
    });
    // Written by rename: no temporary file stays behind.
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('is empty before anything was issued, and refuses a broken file with its path and what is wrong', async () => {
    const dir = await dataDir();
    expect(await readIssued(dir)).toEqual([]);
    await writeFile(join(dir, 'issued.json'), '{"version":1,');
    await expect(readIssued(dir)).rejects.toThrow(/issued\.json is not valid JSON/);
    await writeFile(join(dir, 'issued.json'), '{"version":1,"certificates":[{"serial":"xyz"}]}');
    await expect(readIssued(dir)).rejects.toThrow(/not an issued-certificate index: certificates\.0\.serial/);
    // Nothing is issued that the index cannot record.
    await expect(issueAgentCertificate({ dataDir: dir, cname: 'edge-3' })).rejects.toThrow(/issued\.json/);
    expect(await readdir(join(dir, 'agents')).catch(() => [])).toEqual([]);
  });

  it('loses no entry when several commands record at once, and takes over a lock its dead holder left', async () => {
    const dir = await dataDir();
    const pki = await testPki();
    // A pid no process has: the lock of a command that was killed mid-write.
    await writeFile(join(dir, 'ca.lock'), '2147483646\n');
    const certs = await Promise.all(Array.from({ length: 8 }, (_, i) => pki.client(`burst-${i}`)));
    await Promise.all(certs.map((cert) => recordIssued(dir, cert.cert, 'agent')));
    expect((await readIssued(dir)).map((entry) => entry.cname).sort()).toEqual(
      certs.map((_, i) => `burst-${i}`).sort(),
    );
    expect(await readdir(dir)).not.toContain('ca.lock');
  });

  it('records a certificate given as PEM', async () => {
    const dir = await dataDir();
    const pki = await testPki();
    const entry = await recordIssued(dir, (await pki.client('edge-4')).cert, 'agent');
    expect(await readIssued(dir)).toEqual([entry]);
  });
});

describe('revocation list', () => {
  it('round-trips serials through a CRL signed by the CA', async () => {
    const pki = await testPki();
    const revokedAt = new Date('2026-01-02T03:04:05Z');
    // A serial with its high bit set needs a sign byte in DER; one of odd length needs padding.
    const serials = ['4abc', 'f00d', '123'];
    const pem = await createRevocationList(
      pki.authority,
      serials.map((serial) => ({ serial, revokedAt })),
    );
    expect(pem).toMatch(/^-----BEGIN X509 CRL-----\n/);
    const list = await parseRevocationList(pem, pki.ca);
    expect([...list.serials]).toEqual(serials);
    expect(list.entries[0]?.revokedAt).toEqual(revokedAt);
  });

  it.skipIf(!hasOpenssl)('is a CRL openssl reads and verifies against the CA', async () => {
    const pki = await testPki();
    const dir = await tempDir('stormtower-crl-');
    await writeFile(join(dir, 'ca.crt'), pki.ca);
    await writeFile(
      join(dir, 'revoked.crl'),
      await createRevocationList(pki.authority, [{ serial: '4abc', revokedAt: new Date() }]),
    );
    const text = execFileSync('openssl', ['crl', '-in', join(dir, 'revoked.crl'), '-noout', '-text'], {
      encoding: 'utf8',
    });
    expect(text).toContain('Serial Number: 4ABC');
    const verify = execFileSync(
      'openssl',
      ['crl', '-in', join(dir, 'revoked.crl'), '-CAfile', join(dir, 'ca.crt'), '-noout'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(verify).toBe('');
  });

  it('adds serials once, keeping those revoked before', async () => {
    const dir = await dataDir();
    const ca = await loadDataDirAuthority(dir);
    expect((await readRevocationList(dir, ca.certPem)).entries).toEqual([]);
    expect(await revokeSerials(dir, ca, ['4A:BC', '5def'])).toEqual(['4abc', '5def']);
    expect(await revokeSerials(dir, ca, ['04abc', '6aaa'])).toEqual(['6aaa']);
    expect(await revokeSerials(dir, ca, ['6AAA'])).toEqual([]);
    const list = await readRevocationList(dir, ca.certPem);
    expect([...list.serials].sort()).toEqual(['4abc', '5def', '6aaa']);
  });

  it('refuses a list signed by another CA, and a file that is no list, saying which file', async () => {
    const dir = await dataDir();
    const pki = await testPki();
    const other = await createAuthority({ commonName: 'stormtower test CA' });
    const foreign = await loadAuthority(other.certPem, other.keyPem);
    await writeFile(join(dir, 'revoked.crl'), await createRevocationList(foreign, []));
    await expect(readRevocationList(dir, pki.ca)).rejects.toThrow(/revoked\.crl: .*not signed by this CA/);
    await writeFile(join(dir, 'revoked.crl'), 'hello');
    await expect(readRevocationList(dir, pki.ca)).rejects.toThrow(/revoked\.crl: not a PEM revocation list/);
    // And revoking more does not paper over the broken file.
    await expect(revokeSerials(dir, pki.authority, ['4abc'])).rejects.toThrow(/revoked\.crl/);
    expect(await readFile(join(dir, 'revoked.crl'), 'utf8')).toBe('hello');
  });

  it('answers any input with an Error, never another throw or a hang', async () => {
    const pki = await testPki();
    const pem = await createRevocationList(pki.authority, [{ serial: '4abc', revokedAt: new Date() }]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), flippedPem(pem, 'X509 CRL')), async (input) => {
        const outcome = await parseRevocationList(input, pki.ca).then(
          () => 'parsed',
          (error: unknown) => (error instanceof Error ? 'error' : 'non-error throw'),
        );
        expect(['parsed', 'error']).toContain(outcome);
      }),
      { numRuns: 500 },
    );
  });
});
