/**
 * Certificates module: cname rules, the CA/tower/agent files on disk, and a real
 * mutual-TLS handshake proving Node accepts what we issue and refuses the rest.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  certificateCommonName,
  createAuthority,
  defaultServerNames,
  issueClientCertificate,
  issueServerCertificate,
  loadAuthority,
} from '../src/certs/authority.js';
import { assertValidCname, isValidCname } from '../src/certs/cname.js';
import { initCertificates, issueAgentCertificate, readTowerCredentials } from '../src/certs/store.js';
import { type CertKey, testPki } from './helpers/pki.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** What `initCertificates` leaves in a data dir, sorted; issued.json is the CA's record of what it issued. */
const INITIALISED_FILES = ['ca.crt', 'ca.key', 'issued.json', 'tower.crt', 'tower.key'];

const tempDirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stormtower-certs-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function fileMode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function snapshot(paths: string[]): Promise<string[]> {
  return Promise.all(paths.map((p) => readFile(p, 'utf8')));
}

function assertChainsTo(certPem: string, caPem: string): void {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  expect(cert.checkIssued(ca)).toBe(true);
  expect(cert.verify(ca.publicKey)).toBe(true);
}

describe('cname', () => {
  it('accepts 1 to 128 characters and rejects 0 and 129', () => {
    expect(isValidCname('')).toBe(false);
    expect(isValidCname('a')).toBe(true);
    expect(isValidCname('a'.repeat(128))).toBe(true);
    expect(isValidCname('a'.repeat(129))).toBe(false);
  });

  it.each([
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    'abcdefghijklmnopqrstuvwxyz',
    '0123456789',
    '.',
    '_',
    ':',
    '-',
    'agent-01.eu_west:3',
  ])('accepts %j', (name) => {
    expect(isValidCname(name)).toBe(true);
    expect(() => assertValidCname(name)).not.toThrow();
  });

  it.each([
    'a b',
    'a/b',
    '../evil',
    'a\\b',
    'agent\u0000',
    'agent\n',
    'tab\there',
    'caf\u00e9',
    '\u65e5\u672c',
    'emoji\u{1f680}',
    'a,b',
    'CN=x',
  ])('rejects %j', (name) => {
    expect(isValidCname(name)).toBe(false);
    expect(() => assertValidCname(name)).toThrow(
      /invalid cname .*use 1-128 characters of A-Z a-z 0-9 \. _ : -/,
    );
  });

  it('quotes the offending name in the error', () => {
    expect(() => assertValidCname('a b')).toThrow(
      'invalid cname "a b": use 1-128 characters of A-Z a-z 0-9 . _ : -',
    );
  });
});

describe('authority', () => {
  it('creates a CA that can be loaded and detects its key type', async () => {
    const ec = await createAuthority();
    const loaded = await loadAuthority(ec.certPem, ec.keyPem);
    expect(loaded.keyType).toBe('ec');
    expect(ec.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const cert = new X509Certificate(ec.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=stormtower CA');
    expect(cert.checkIssued(cert)).toBe(true);
    // Roughly ten years.
    const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);

    const rsa = await createAuthority({ keyType: 'rsa', commonName: 'old CA' });
    expect((await loadAuthority(rsa.certPem, rsa.keyPem)).keyType).toBe('rsa');
    expect(new X509Certificate(rsa.certPem).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('refuses a key that does not match the CA certificate, and a non-CA certificate', async () => {
    const pki = await testPki();
    const other = await createAuthority();
    await expect(loadAuthority(pki.ca, other.keyPem)).rejects.toThrow(/does not match/);
    await expect(loadAuthority(pki.cert, pki.key)).rejects.toThrow(/not a CA/);
    await expect(loadAuthority('garbage', pki.caKey)).rejects.toThrow(/not a valid PEM certificate/);
  });

  it('issues client certificates with CN = cname, clientAuth, a positive 16-byte serial', async () => {
    const pki = await testPki();
    const { certPem, keyPem } = await issueClientCertificate(pki.authority, 'agent-42');
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toBe('CN=agent-42');
    expect(certificateCommonName(certPem)).toBe('agent-42');
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
    expect(cert.ca).toBe(false);
    expect(cert.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    assertChainsTo(certPem, pki.ca);
  });

  it('refuses an invalid cname unless told to skip the check', async () => {
    const pki = await testPki();
    await expect(issueClientCertificate(pki.authority, 'bad name')).rejects.toThrow(/invalid cname/);
    expect(certificateCommonName(pki.badCnClient.cert)).toBe('bad cname/with spaces');
  });

  it('refuses unusable server names and inverted validity', async () => {
    const pki = await testPki();
    await expect(issueServerCertificate(pki.authority, { names: ['has space.example'] })).rejects.toThrow(
      /invalid server name "has space.example"/,
    );
    await expect(issueServerCertificate(pki.authority, { names: [] })).rejects.toThrow(/at least one name/);
    const now = Date.now();
    await expect(
      issueClientCertificate(pki.authority, 'agent', {
        notBefore: new Date(now),
        notAfter: new Date(now - 1000),
      }),
    ).rejects.toThrow(/notAfter must be later/);
  });

  it('refuses to issue from an expired CA', async () => {
    const { authority } = await testPki();
    // Only the CA's notAfter matters here; shadow it rather than wait ten years.
    const certificate: typeof authority.certificate = Object.create(authority.certificate, {
      notAfter: { value: new Date(Date.now() - 1000) },
    });
    const expired = { ...authority, certificate };
    await expect(issueClientCertificate(expired, 'agent')).rejects.toThrow(/the CA expired on/);
  });

  it('lists default server names without duplicates', () => {
    expect(defaultServerNames(['localhost', 'tower.example.org', ''])).toEqual([
      ...new Set(['localhost', '127.0.0.1', '::1', hostname(), 'tower.example.org']),
    ]);
  });
});

describe('initCertificates', () => {
  it('writes the CA and tower files, keys 0600, directory 0700', async () => {
    const dataDir = join(await tempDir(), 'nested', '.stormtower');
    const result = await initCertificates({ dataDir });
    const { paths } = result;
    expect(result.created).toEqual([paths.ca, paths.caKey, paths.cert, paths.key]);
    expect(result.existing).toEqual([]);
    expect((await readdir(dataDir)).sort()).toEqual(INITIALISED_FILES);
    expect(await fileMode(paths.caKey)).toBe(0o600);
    expect(await fileMode(paths.key)).toBe(0o600);
    expect(await fileMode(dataDir)).toBe(0o700);
    const creds = await readTowerCredentials(dataDir);
    assertChainsTo(creds.cert, creds.ca);
    expect(creds.key).toBe(await readFile(paths.key, 'utf8'));
  });

  it('never overwrites: a second init keeps every file byte-identical', async () => {
    const dataDir = await tempDir();
    const first = await initCertificates({ dataDir });
    const all = [first.paths.ca, first.paths.caKey, first.paths.cert, first.paths.key];
    const before = await snapshot(all);
    const second = await initCertificates({ dataDir, names: ['another.example.org'] });
    expect(second.created).toEqual([]);
    expect(second.existing).toEqual(all);
    expect(await snapshot(all)).toEqual(before);
  });

  it('reuses an existing CA to issue a missing tower certificate', async () => {
    const dataDir = await tempDir();
    const first = await initCertificates({ dataDir });
    const ca = await readFile(first.paths.ca, 'utf8');
    await rm(first.paths.cert);
    await rm(first.paths.key);
    const second = await initCertificates({ dataDir });
    expect(second.existing).toEqual([first.paths.ca, first.paths.caKey]);
    expect(second.created).toEqual([first.paths.cert, first.paths.key]);
    assertChainsTo(await readFile(first.paths.cert, 'utf8'), ca);
  });

  it('fails on half a pair instead of overwriting it', async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, 'ca.crt'), 'precious');
    await expect(initCertificates({ dataDir })).rejects.toThrow(/ca\.crt exists but .*ca\.key is missing/);
    expect(await readdir(dataDir)).toEqual(['ca.crt']);
    expect(await readFile(join(dataDir, 'ca.crt'), 'utf8')).toBe('precious');

    const other = await tempDir();
    const { paths } = await initCertificates({ dataDir: other });
    await rm(paths.cert);
    const key = await readFile(paths.key, 'utf8');
    await expect(initCertificates({ dataDir: other })).rejects.toThrow(
      /tower\.key exists but .*tower\.crt is missing/,
    );
    expect(await readFile(paths.key, 'utf8')).toBe(key);
  });

  it('refuses to create a new CA next to an existing tower certificate', async () => {
    const dataDir = await tempDir();
    const { paths } = await initCertificates({ dataDir });
    await rm(paths.ca);
    await rm(paths.caKey);
    await expect(initCertificates({ dataDir })).rejects.toThrow(/CA .* is missing/);
    expect((await readdir(dataDir)).sort()).toEqual(['issued.json', 'tower.crt', 'tower.key']);
  });

  it('puts localhost, loopback IPs, the host name and extra names in the server certificate', async () => {
    const dataDir = await tempDir();
    const { paths } = await initCertificates({ dataDir, names: ['tower.example.org', '10.1.2.3'] });
    const cert = new X509Certificate(await readFile(paths.cert, 'utf8'));
    const sans = (cert.subjectAltName ?? '').split(', ');
    expect(sans).toEqual(
      expect.arrayContaining([
        'DNS:localhost',
        'IP Address:127.0.0.1',
        'IP Address:0:0:0:0:0:0:0:1',
        `DNS:${hostname()}`,
        'DNS:tower.example.org',
        'IP Address:10.1.2.3',
      ]),
    );
    expect(cert.subject).toBe('CN=stormtower');
    // clientAuth too: a tower presents this certificate to its cluster peers.
    expect(cert.keyUsage).toEqual([SERVER_AUTH, CLIENT_AUTH]);
    expect(cert.checkHost('tower.example.org')).toBe('tower.example.org');
    expect(cert.checkIP('::1')).toBe('::1');
  });

  it('creates RSA keys when asked', async () => {
    const dataDir = await tempDir();
    const { paths } = await initCertificates({ dataDir, keyType: 'rsa' });
    for (const path of [paths.ca, paths.cert]) {
      expect(new X509Certificate(await readFile(path, 'utf8')).publicKey.asymmetricKeyType).toBe('rsa');
    }
  });
});

describe('issueAgentCertificate', () => {
  it('writes <cname>.crt, <cname>.key (0600) and a copy of ca.crt into outDir', async () => {
    const dataDir = await tempDir();
    const outDir = join(await tempDir(), 'out');
    await initCertificates({ dataDir });
    const files = await issueAgentCertificate({ dataDir, cname: 'agent-7', outDir });
    expect(files).toEqual({
      cert: join(outDir, 'agent-7.crt'),
      key: join(outDir, 'agent-7.key'),
      ca: join(outDir, 'ca.crt'),
    });
    expect(await fileMode(files.key)).toBe(0o600);
    const caPem = await readFile(join(dataDir, 'ca.crt'), 'utf8');
    expect(await readFile(files.ca, 'utf8')).toBe(caPem);
    const certPem = await readFile(files.cert, 'utf8');
    expect(certificateCommonName(certPem)).toBe('agent-7');
    expect(new X509Certificate(certPem).keyUsage).toEqual([CLIENT_AUTH]);
    assertChainsTo(certPem, caPem);

    // A second agent into the same directory shares the identical ca.crt.
    await issueAgentCertificate({ dataDir, cname: 'agent-8', outDir });
    expect((await readdir(outDir)).sort()).toEqual([
      'agent-7.crt',
      'agent-7.key',
      'agent-8.crt',
      'agent-8.key',
      'ca.crt',
    ]);
  });

  it('defaults outDir to <dataDir>/agents', async () => {
    const dataDir = await tempDir();
    await initCertificates({ dataDir });
    const files = await issueAgentCertificate({ dataDir, cname: 'default-out' });
    expect(files.cert).toBe(join(dataDir, 'agents', 'default-out.crt'));
    await stat(files.cert);
  });

  it('refuses a bad cname without writing anything', async () => {
    const dataDir = await tempDir();
    await initCertificates({ dataDir });
    const outDir = join(dataDir, 'out');
    for (const cname of ['bad name', '../evil', '']) {
      await expect(issueAgentCertificate({ dataDir, cname, outDir })).rejects.toThrow(/invalid cname/);
    }
    expect((await readdir(dataDir)).sort()).toEqual(INITIALISED_FILES);
  });

  it('refuses to overwrite an issued certificate', async () => {
    const dataDir = await tempDir();
    await initCertificates({ dataDir });
    const files = await issueAgentCertificate({ dataDir, cname: 'twice' });
    const before = await snapshot([files.cert, files.key, files.ca]);
    await expect(issueAgentCertificate({ dataDir, cname: 'twice' })).rejects.toThrow(/already exists/);
    expect(await snapshot([files.cert, files.key, files.ca])).toEqual(before);
  });

  it('refuses an outDir holding a different ca.crt', async () => {
    const dataDir = await tempDir();
    const outDir = await tempDir();
    await initCertificates({ dataDir });
    await writeFile(join(outDir, 'ca.crt'), (await createAuthority()).certPem);
    await expect(issueAgentCertificate({ dataDir, cname: 'agent', outDir })).rejects.toThrow(
      /different CA certificate/,
    );
    expect(await readdir(outDir)).toEqual(['ca.crt']);
  });

  it('tells the user to run certs init when there is no CA', async () => {
    const dataDir = await tempDir();
    await expect(issueAgentCertificate({ dataDir, cname: 'agent' })).rejects.toThrow(/stormtower certs init/);
    await expect(readTowerCredentials(dataDir)).rejects.toThrow(/stormtower certs init/);
  });
});

describe('mutual TLS with the issued certificates', () => {
  type Outcome = { ok: true; greeting: string } | { ok: false; error: string };

  /**
   * Starts a tower-like TLS server and connects once. An authorized client is greeted with its CN; with
   * `inspect` the server lets unauthorized clients in too and tells them why they were not authorized.
   */
  async function handshake(
    server: { ca: string; cert: string; key: string },
    client: CertKey,
    opts: { host?: string; inspect?: boolean } = {},
  ): Promise<Outcome> {
    const rejectUnauthorized = !opts.inspect;
    const tower = tls.createServer({ requestCert: true, rejectUnauthorized, ...server }, (socket) => {
      const cn = socket.getPeerCertificate().subject?.CN;
      socket.end(
        socket.authorized ? `hello ${String(cn)}` : `unauthorized ${String(socket.authorizationError)}`,
      );
    });
    // Node reports a rejected client certificate as a bare ECONNRESET here; the outcome is checked client side.
    tower.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => tower.listen(0, '127.0.0.1', resolve));
    const address = tower.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    try {
      return await new Promise<Outcome>((resolve) => {
        let data = '';
        const socket = tls.connect({
          host: opts.host ?? '127.0.0.1',
          port: address.port,
          ca: server.ca,
          ...client,
        });
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          data += chunk;
        });
        // With TLS 1.3 the server's verdict on the client certificate arrives after the client's handshake.
        socket.on('error', (err) => resolve({ ok: false, error: err.message }));
        socket.on('close', () =>
          resolve(data ? { ok: true, greeting: data } : { ok: false, error: 'closed' }),
        );
      });
    } finally {
      await new Promise<void>((resolve) => tower.close(() => resolve()));
    }
  }

  it('accepts a client certificate from the same CA, by IP and by DNS name', async () => {
    const pki = await testPki();
    const client = await pki.client('agent-1');
    expect(await handshake(pki, client)).toEqual({ ok: true, greeting: 'hello agent-1' });
    expect(await handshake(pki, client, { host: 'localhost' })).toEqual({
      ok: true,
      greeting: 'hello agent-1',
    });
  });

  it('rejects a client certificate from another CA', async () => {
    const pki = await testPki();
    expect((await handshake(pki, pki.otherCaClient)).ok).toBe(false);
    // Rejected because its issuer is unknown, not because the certificate is malformed.
    expect(await handshake(pki, pki.otherCaClient, { inspect: true })).toEqual({
      ok: true,
      greeting: expect.stringMatching(
        /^unauthorized (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT)/,
      ),
    });
  });

  it('rejects an expired client certificate', async () => {
    const pki = await testPki();
    expect((await handshake(pki, pki.expiredClient)).ok).toBe(false);
    expect(await handshake(pki, pki.expiredClient, { inspect: true })).toEqual({
      ok: true,
      greeting: 'unauthorized CERT_HAS_EXPIRED',
    });
  });

  it('leaves the CN check to the application: TLS accepts a bad CN from our CA', async () => {
    const pki = await testPki();
    expect(await handshake(pki, pki.badCnClient)).toEqual({
      ok: true,
      greeting: 'hello bad cname/with spaces',
    });
  });

  it('works end to end with RSA files from initCertificates and issueAgentCertificate', async () => {
    const dataDir = await tempDir();
    await initCertificates({ dataDir, keyType: 'rsa' });
    const files = await issueAgentCertificate({ dataDir, cname: 'old-agent', keyType: 'rsa' });
    const client = { cert: await readFile(files.cert, 'utf8'), key: await readFile(files.key, 'utf8') };
    expect(await handshake(await readTowerCredentials(dataDir), client)).toEqual({
      ok: true,
      greeting: 'hello old-agent',
    });
  });
});
