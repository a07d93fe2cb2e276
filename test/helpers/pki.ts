/**
 * Fixture PKI for tests: real EC certificates from a throwaway CA, generated
 * once per test file (module-level cache) so TLS tests stay quick.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ClientCertificateOptions,
  createAuthority,
  issueClientCertificate,
  issueServerCertificate,
  type LoadedAuthority,
  loadAuthority,
} from '../../src/certs/authority.js';

export interface CertKey {
  cert: string;
  key: string;
}

export interface TestPki {
  /** CA certificate PEM: what both sides trust. */
  ca: string;
  caKey: string;
  /** Tower server certificate/key (CN stormtower; SANs localhost, 127.0.0.1, ::1), also as `tower`. */
  cert: string;
  key: string;
  tower: CertKey;
  authority: LoadedAuthority;
  /** A client certificate for `cname` from the same CA, cached per cname + options. */
  client(cname: string, opts?: ClientCertificateOptions): Promise<CertKey>;
  /** cname "intruder", issued by a different CA. */
  otherCaClient: CertKey;
  /** cname "expired": valid from 2 days ago until 1 day ago. */
  expiredClient: CertKey;
  /** CN "bad cname/with spaces", which isValidCname rejects. */
  badCnClient: CertKey;
}

const DAY_MS = 86_400_000;

let cached: Promise<TestPki> | undefined;

export function testPki(): Promise<TestPki> {
  cached ??= buildPki();
  return cached;
}

/** Writes ca.crt, ca.key, tower.crt, tower.key (keys 0600) so `dir` works as a tower data directory. */
export async function writePki(
  dir: string,
): Promise<{ ca: string; caKey: string; cert: string; key: string }> {
  const pki = await testPki();
  const paths = {
    ca: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    cert: join(dir, 'tower.crt'),
    key: join(dir, 'tower.key'),
  };
  await writeFile(paths.ca, pki.ca);
  await writeFile(paths.caKey, pki.caKey, { mode: 0o600 });
  await writeFile(paths.cert, pki.cert);
  await writeFile(paths.key, pki.key, { mode: 0o600 });
  return paths;
}

async function buildPki(): Promise<TestPki> {
  const [mainCa, otherCa] = await Promise.all([
    createAuthority({ commonName: 'stormtower test CA' }),
    createAuthority({ commonName: 'intruder CA' }),
  ]);
  const authority = await loadAuthority(mainCa.certPem, mainCa.keyPem);
  const other = await loadAuthority(otherCa.certPem, otherCa.keyPem);
  const now = Date.now();
  const [tower, otherCaClient, expiredClient, badCnClient] = await Promise.all([
    issueServerCertificate(authority, { names: ['localhost', '127.0.0.1', '::1'] }),
    issueClientCertificate(other, 'intruder'),
    issueClientCertificate(authority, 'expired', {
      notBefore: new Date(now - 2 * DAY_MS),
      notAfter: new Date(now - DAY_MS),
    }),
    issueClientCertificate(authority, 'bad cname/with spaces', { skipCnameCheck: true }),
  ]);

  const clients = new Map<string, Promise<CertKey>>();
  const client = (cname: string, opts?: ClientCertificateOptions): Promise<CertKey> => {
    const cacheKey = JSON.stringify([cname, opts ?? {}]);
    let issued = clients.get(cacheKey);
    if (!issued) {
      issued = issueClientCertificate(authority, cname, opts).then(toCertKey);
      clients.set(cacheKey, issued);
    }
    return issued;
  };

  return {
    ca: mainCa.certPem,
    caKey: mainCa.keyPem,
    cert: tower.certPem,
    key: tower.keyPem,
    tower: toCertKey(tower),
    authority,
    client,
    otherCaClient: toCertKey(otherCaClient),
    expiredClient: toCertKey(expiredClient),
    badCnClient: toCertKey(badCnClient),
  };
}

function toCertKey(issued: { certPem: string; keyPem: string }): CertKey {
  return { cert: issued.certPem, key: issued.keyPem };
}
