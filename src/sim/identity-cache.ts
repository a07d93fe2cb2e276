/**
 * Certificates for simulated agents, issued once and kept in a file beside the CA, so a fleet of
 * thousands starts by dialling, not by signing: a restart or a benchmark measures the tower, not
 * the simulator's certificate factory. Entries from another CA are ignored and replaced.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type IssuedCertificate, issueClientCertificate, type LoadedAuthority } from '../certs/authority.js';

interface CacheFile {
  readonly ca: string;
  readonly identities: Record<string, IssuedCertificate>;
}

export interface SimulatedIdentities {
  readonly identities: Map<string, IssuedCertificate>;
  /** How many of them were signed now rather than found in the cache. */
  readonly issued: number;
}

/**
 * Certificates signed at once. Key generation and signing run on libuv's thread pool, the ASN.1
 * encoding on the main thread: a few in flight keep both busy (about 1.8x faster than one at a
 * time on 2 cores); more only queue.
 */
const ISSUE_CONCURRENCY = 8;

/** Where `simulate` keeps the identities of the agents named `<prefix>-...`: beside the CA. */
export const identityCachePath = (dataDir: string, prefix: string): string =>
  join(dataDir, `simulated-${prefix}.json`);

const fingerprint = (pem: string): string => createHash('sha256').update(pem).digest('hex');

async function readCache(path: string, ca: string): Promise<Record<string, IssuedCertificate>> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<CacheFile>;
    return parsed.ca === ca && parsed.identities && typeof parsed.identities === 'object'
      ? parsed.identities
      : {};
  } catch {
    return {}; // missing or unreadable: start afresh
  }
}

/** Signs a certificate for each of `cnames`, a bounded number at a time. */
async function issueAll(
  authority: LoadedAuthority,
  cnames: readonly string[],
): Promise<Map<string, IssuedCertificate>> {
  const issued = new Map<string, IssuedCertificate>();
  let next = 0;
  const signer = async (): Promise<void> => {
    for (let cname = cnames[next++]; cname !== undefined; cname = cnames[next++]) {
      issued.set(cname, await issueClientCertificate(authority, cname));
    }
  };
  await Promise.all(Array.from({ length: Math.min(ISSUE_CONCURRENCY, cnames.length) }, signer));
  return issued;
}

/** An identity for every cname, from `cachePath` where it holds one, issued (and saved) otherwise. */
export async function simulatedIdentities(
  authority: LoadedAuthority,
  cnames: readonly string[],
  cachePath?: string,
): Promise<SimulatedIdentities> {
  const ca = fingerprint(authority.certPem);
  const cached = cachePath ? await readCache(cachePath, ca) : {};
  const missing = cnames.filter((cname) => !cached[cname]?.certPem || !cached[cname]?.keyPem);
  const fresh = await issueAll(authority, missing);
  for (const [cname, identity] of fresh) cached[cname] = identity;
  const identities = new Map<string, IssuedCertificate>();
  for (const cname of cnames) {
    const identity = cached[cname];
    if (identity) identities.set(cname, identity);
  }
  if (cachePath && fresh.size > 0) {
    // Written aside and renamed, so a crash never leaves half a file; private keys: 0600.
    const file: CacheFile = { ca, identities: cached };
    await writeFile(`${cachePath}.tmp`, JSON.stringify(file), { mode: 0o600 });
    await rename(`${cachePath}.tmp`, cachePath);
  }
  return { identities, issued: fresh.size };
}
