/**
 * The revocation list, `<data-dir>/revoked.crl`: a real X.509 CRL signed by the tower's CA, so the
 * TLS stack itself refuses a revoked agent at the handshake and `openssl crl` can read it. It is the
 * one record of what is revoked; `certs revoke` rewrites it and a running tower reloads it.
 */
import 'reflect-metadata';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { writeAtomic } from './atomic-write.js';
import { type LoadedAuthority, signingAlgorithm } from './authority.js';
import { withDataDirLock } from './data-dir-lock.js';
import { normalizeSerial } from './serial.js';

export const REVOKED_FILE = 'revoked.crl';
/** Serials a list may hold; each costs the TLS stack a lookup table entry, and the file ~40 bytes. */
export const MAX_REVOKED = 100_000;
/** A list of MAX_REVOKED entries is about 6 MB of PEM; anything larger is not ours. */
export const MAX_CRL_BYTES = 16 * 1024 * 1024;

export interface RevokedEntry {
  readonly serial: string;
  readonly revokedAt: Date;
}

/** A list read and verified against the CA. */
export interface RevocationList {
  readonly pem: string;
  readonly entries: readonly RevokedEntry[];
  /** Normalized serials (see serial.ts), for lookups. */
  readonly serials: ReadonlySet<string>;
}

export const revocationListPath = (dataDir: string): string => join(dataDir, REVOKED_FILE);

/** A CRL of `entries` signed by `ca`, valid until the CA itself expires (nothing re-signs it meanwhile). */
export async function createRevocationList(
  ca: LoadedAuthority,
  entries: readonly RevokedEntry[],
  now = new Date(),
): Promise<string> {
  if (entries.length > MAX_REVOKED)
    throw new Error(`${entries.length} revoked certificates: over MAX_REVOKED (${MAX_REVOKED})`);
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.certificate.subjectName.toString(),
    thisUpdate: now,
    nextUpdate: ca.certificate.notAfter,
    signingKey: ca.signingKey,
    signingAlgorithm: signingAlgorithm(ca),
    extensions: [new x509.AuthorityKeyIdentifierExtension(ca.keyId)],
    entries: entries.map((entry) => ({
      serialNumber: evenHex(entry.serial),
      revocationDate: entry.revokedAt,
      reason: x509.X509CrlReason.keyCompromise,
    })),
  });
  // The library labels it "CRL"; OpenSSL (and so Node's TLS) reads only "X509 CRL".
  return `${x509.PemConverter.encode(crl.rawData, 'X509 CRL').trim()}\n`;
}

/** Parses `pem` and checks it is signed by the CA `caPem`; throws saying what is wrong. */
export async function parseRevocationList(pem: string, caPem: string): Promise<RevocationList> {
  if (pem.length > MAX_CRL_BYTES) throw new Error(`the revocation list is over ${MAX_CRL_BYTES} bytes`);
  let crl: x509.X509Crl;
  let entries: RevokedEntry[];
  try {
    crl = new x509.X509Crl(pem);
    entries = crl.entries.map((entry) => ({
      serial: normalizeSerial(entry.serialNumber),
      revokedAt: entry.revocationDate,
    }));
  } catch (error) {
    throw new Error(`not a PEM revocation list (${error instanceof Error ? error.message : String(error)})`);
  }
  if (entries.length > MAX_REVOKED)
    throw new Error(`the revocation list holds ${entries.length} entries: over MAX_REVOKED (${MAX_REVOKED})`);
  const ca = new x509.X509Certificate(caPem);
  let verified = false;
  try {
    verified = await crl.verify({ publicKey: ca.publicKey });
  } catch {
    verified = false;
  }
  if (!verified) throw new Error('the revocation list is not signed by this CA');
  return { pem, entries, serials: new Set(entries.map((entry) => entry.serial)) };
}

/** The data dir's list, verified; an empty one when there is no file yet. */
export async function readRevocationList(dataDir: string, caPem: string): Promise<RevocationList> {
  const path = revocationListPath(dataDir);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { pem: '', entries: [], serials: new Set() };
    throw error;
  }
  if (size > MAX_CRL_BYTES) throw new Error(`${path} is ${size} bytes: over ${MAX_CRL_BYTES}`);
  try {
    return await parseRevocationList(await readFile(path, 'utf8'), caPem);
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Adds `serials` (those not listed yet) to the data dir's list; returns the serials newly revoked. */
export async function revokeSerials(
  dataDir: string,
  ca: LoadedAuthority,
  serials: readonly string[],
  now = new Date(),
): Promise<string[]> {
  return withDataDirLock(dataDir, async () => {
    const current = await readRevocationList(dataDir, ca.certPem);
    const added = [...new Set(serials.map(normalizeSerial))].filter((serial) => !current.serials.has(serial));
    if (added.length === 0) return [];
    const entries = [...current.entries, ...added.map((serial) => ({ serial, revokedAt: now }))];
    await writeAtomic(revocationListPath(dataDir), await createRevocationList(ca, entries, now));
    return added;
  });
}

/** DER integers come from whole bytes; a leading 0 keeps a high first digit from reading as negative. */
function evenHex(serial: string): string {
  const even = serial.length % 2 === 0 ? serial : `0${serial}`;
  return /^[89a-f]/.test(even) ? `00${even}` : even;
}
