/**
 * Certificates on disk: the tower's data directory (ca.crt, ca.key, tower.crt,
 * tower.key) and the agent certificate files handed out to operators. Existing
 * files are never overwritten: losing a CA key would orphan every agent.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Authority,
  createAuthority,
  defaultServerNames,
  issueClientCertificate,
  issueServerCertificate,
  type KeyType,
  type LoadedAuthority,
  loadAuthority,
  signClientCertificate,
} from './authority.js';
import { assertValidCname } from './cname.js';
import { checkSigningRequest } from './csr-signing.js';
import { recordIssued } from './issued-index.js';

export const DEFAULT_DATA_DIR = './.stormtower';

const INIT_HINT = 'run `stormtower certs init` first';

export interface CertificatePaths {
  ca: string;
  caKey: string;
  cert: string;
  key: string;
}

export interface InitResult {
  dataDir: string;
  /** Paths written by this call. */
  created: string[];
  /** Paths that were already there and were kept as they are. */
  existing: string[];
  paths: CertificatePaths;
}

export function certificatePaths(dataDir: string): CertificatePaths {
  return {
    ca: join(dataDir, 'ca.crt'),
    caKey: join(dataDir, 'ca.key'),
    cert: join(dataDir, 'tower.crt'),
    key: join(dataDir, 'tower.key'),
  };
}

/**
 * Creates whatever is missing of the CA and the tower's server certificate.
 * `names` are extra server names on top of localhost, 127.0.0.1, ::1 and the
 * host name; they only matter when the tower certificate is created.
 */
export async function initCertificates(opts: {
  dataDir: string;
  names?: string[];
  keyType?: KeyType;
}): Promise<InitResult> {
  const { dataDir } = opts;
  const paths = certificatePaths(dataDir);
  const created: string[] = [];
  const existing: string[] = [];
  await ensureDir(dataDir);

  const caPair = await readPair(paths.ca, paths.caKey);
  const towerPair = await readPair(paths.cert, paths.key);
  if (!caPair && towerPair) {
    throw new Error(
      `${paths.cert} and ${paths.key} exist but the CA (${paths.ca}, ${paths.caKey}) is missing: ` +
        'a new CA would not match that tower certificate; restore the CA or move the tower files away',
    );
  }

  let authority: Authority;
  if (caPair) {
    authority = { certPem: caPair.cert, keyPem: caPair.key };
    existing.push(paths.ca, paths.caKey);
  } else {
    authority = await createAuthority({ keyType: opts.keyType });
    await writePair(paths.ca, authority.certPem, paths.caKey, authority.keyPem);
    created.push(paths.ca, paths.caKey);
  }
  const ca = await loadAuthority(authority.certPem, authority.keyPem).catch((err: unknown) => {
    throw new Error(`cannot use the CA in ${dataDir}: ${errorMessage(err)}`);
  });

  if (towerPair) {
    assertIssuedBy(towerPair.cert, ca, paths.cert);
    existing.push(paths.cert, paths.key);
  } else {
    const server = await issueServerCertificate(ca, {
      names: defaultServerNames(opts.names ?? []),
      keyType: opts.keyType,
    });
    // Recorded first: a certificate the index cannot hold is not handed out.
    await recordIssued(dataDir, server.certPem, 'tower');
    await writePair(paths.cert, server.certPem, paths.key, server.keyPem);
    created.push(paths.cert, paths.key);
  }
  return { dataDir, created, existing, paths };
}

/**
 * An RSA server certificate beside the default one, for the legacy listener: agents on Node 0.10
 * (OpenSSL 1.0.1) that cannot do ECDSA still find a suite (ECDHE-RSA, AES128-SHA). Created once,
 * like every other file here, as `tower-rsa.crt` / `tower-rsa.key`.
 */
export async function ensureRsaTowerCertificate(opts: {
  dataDir: string;
  names?: string[];
}): Promise<{ cert: string; key: string; created: boolean }> {
  const certPath = join(opts.dataDir, 'tower-rsa.crt');
  const keyPath = join(opts.dataDir, 'tower-rsa.key');
  const ca = await loadDataDirAuthority(opts.dataDir);
  const pair = await readPair(certPath, keyPath);
  if (pair) {
    assertIssuedBy(pair.cert, ca, certPath);
    return { ...pair, created: false };
  }
  const server = await issueServerCertificate(ca, {
    names: defaultServerNames(opts.names ?? []),
    keyType: 'rsa',
  });
  await recordIssued(opts.dataDir, server.certPem, 'tower');
  await writePair(certPath, server.certPem, keyPath, server.keyPem);
  return { cert: server.certPem, key: server.keyPem, created: true };
}

/** Issues `<cname>.crt`/`<cname>.key` plus a copy of the CA into `outDir` (default `<dataDir>/agents`). */
export async function issueAgentCertificate(opts: {
  dataDir: string;
  cname: string;
  outDir?: string;
  keyType?: KeyType;
  days?: number;
}): Promise<{ cert: string; key: string; ca: string }> {
  assertValidCname(opts.cname);
  const ca = await loadDataDirAuthority(opts.dataDir);
  const outDir = opts.outDir ?? join(opts.dataDir, 'agents');
  const out = {
    cert: join(outDir, `${opts.cname}.crt`),
    key: join(outDir, `${opts.cname}.key`),
    ca: join(outDir, 'ca.crt'),
  };
  // Check everything before writing anything, so a refusal leaves no partial files behind.
  for (const path of [out.cert, out.key]) {
    if ((await readIfExists(path)) !== undefined) {
      throw new Error(`${path} already exists: refusing to overwrite an agent certificate`);
    }
  }
  const caCopy = await readIfExists(out.ca);
  if (caCopy !== undefined) assertSameCa(caCopy, ca.certPem, out.ca);

  await ensureDir(outDir);
  const issued = await issueClientCertificate(ca, opts.cname, {
    keyType: opts.keyType,
    days: opts.days,
  });
  await recordIssued(opts.dataDir, issued.certPem, 'agent');
  await writePair(out.cert, issued.certPem, out.key, issued.keyPem);
  if (caCopy === undefined) await writeCaCopy(out.ca, ca.certPem);
  return out;
}

/**
 * Signs an agent's own CSR (checked by `checkSigningRequest`) into `<outDir>/<cname>.crt`, beside a
 * copy of the CA; no key is written, the agent has it.
 */
export async function signAgentRequest(opts: {
  dataDir: string;
  csrPem: string;
  cname?: string;
  outDir?: string;
  days?: number;
}): Promise<{ cert: string; ca: string; cname: string; key: string }> {
  const request = await checkSigningRequest(opts.csrPem, opts.cname);
  const ca = await loadDataDirAuthority(opts.dataDir);
  const outDir = opts.outDir ?? join(opts.dataDir, 'agents');
  const out = { cert: join(outDir, `${request.cname}.crt`), ca: join(outDir, 'ca.crt') };
  if ((await readIfExists(out.cert)) !== undefined)
    throw new Error(`${out.cert} already exists: refusing to overwrite an agent certificate`);
  const caCopy = await readIfExists(out.ca);
  if (caCopy !== undefined) assertSameCa(caCopy, ca.certPem, out.ca);
  const certPem = await signClientCertificate(ca, request.cname, request.publicKey, {
    ...(opts.days === undefined ? {} : { days: opts.days }),
  });
  await ensureDir(outDir);
  await recordIssued(opts.dataDir, certPem, 'agent');
  await writeNew(out.cert, certPem, 0o644);
  if (caCopy === undefined) await writeCaCopy(out.ca, ca.certPem);
  return { ...out, cname: request.cname, key: request.keyDescription };
}

async function writeCaCopy(path: string, caPem: string): Promise<void> {
  try {
    await writeNew(path, caPem, 0o644);
  } catch (err) {
    // Someone else wrote it in the meantime: fine as long as it is the same CA.
    if (!isErrno(err, 'EEXIST')) throw err;
    assertSameCa(await readFile(path, 'utf8'), caPem, path);
  }
}

/** The PEM strings the tower needs to serve mutual TLS. */
export async function readTowerCredentials(
  dataDir: string,
): Promise<{ ca: string; cert: string; key: string }> {
  const paths = certificatePaths(dataDir);
  const [ca, cert, key] = await Promise.all([
    readRequired(paths.ca, 'CA certificate'),
    readRequired(paths.cert, 'tower certificate'),
    readRequired(paths.key, 'tower key'),
  ]);
  return { ca, cert, key };
}

/** Loads the CA from `dataDir`, ready to sign many certificates. */
export async function loadDataDirAuthority(dataDir: string): Promise<LoadedAuthority> {
  const paths = certificatePaths(dataDir);
  const certPem = await readRequired(paths.ca, 'CA certificate');
  const keyPem = await readRequired(paths.caKey, 'CA key');
  try {
    return await loadAuthority(certPem, keyPem);
  } catch (err) {
    throw new Error(`cannot use the CA in ${dataDir}: ${errorMessage(err)}`);
  }
}

/** Both files of a cert/key pair, nothing if neither exists, and an error for half a pair. */
async function readPair(
  certPath: string,
  keyPath: string,
): Promise<{ cert: string; key: string } | undefined> {
  const cert = await readIfExists(certPath);
  const key = await readIfExists(keyPath);
  if (cert !== undefined && key !== undefined) return { cert, key };
  if (cert === undefined && key === undefined) return undefined;
  const [present, missing] = cert === undefined ? [keyPath, certPath] : [certPath, keyPath];
  throw new Error(
    `${present} exists but ${missing} is missing: refusing to overwrite it; restore ${missing} or move ${present} away`,
  );
}

/** Writes the key (0600) then the certificate; if the certificate cannot be written, the new key is removed. */
async function writePair(certPath: string, certPem: string, keyPath: string, keyPem: string): Promise<void> {
  await writeNew(keyPath, keyPem, 0o600);
  try {
    await writeNew(certPath, certPem, 0o644);
  } catch (err) {
    await unlink(keyPath).catch(() => undefined);
    throw err;
  }
}

/** Creates a file that must not exist yet ('wx'), then chmods because the umask may have narrowed `mode`. */
async function writeNew(path: string, data: string, mode: number): Promise<void> {
  try {
    await writeFile(path, data, { mode, flag: 'wx' });
  } catch (err) {
    if (isErrno(err, 'EEXIST')) {
      throw Object.assign(new Error(`${path} already exists: refusing to overwrite it`), { code: 'EEXIST' });
    }
    throw err;
  }
  await chmod(path, mode);
}

async function ensureDir(dir: string): Promise<void> {
  // mode only applies to directories created here; an existing directory keeps its permissions.
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

async function readRequired(path: string, what: string): Promise<string> {
  const data = await readIfExists(path);
  if (data === undefined) throw new Error(`${what} ${path} not found: ${INIT_HINT}`);
  return data;
}

function assertIssuedBy(certPem: string, ca: LoadedAuthority, path: string): void {
  const caCert = new X509Certificate(ca.certPem);
  const cert = new X509Certificate(certPem);
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) {
    throw new Error(`${path} was not issued by the CA in the same directory: agents would not trust it`);
  }
}

function assertSameCa(existingPem: string, caPem: string, path: string): void {
  let same = false;
  try {
    same = new X509Certificate(existingPem).raw.equals(new X509Certificate(caPem).raw);
  } catch {
    // Not a certificate at all: certainly not our CA.
  }
  if (!same) throw new Error(`${path} holds a different CA certificate: use another output directory`);
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
