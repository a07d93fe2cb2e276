/**
 * Certificates for simulated agents, issued once and kept in a file beside the CA, so a fleet of
 * thousands starts by dialling, not by signing: a restart or a benchmark measures the tower, not
 * the simulator's certificate factory. Entries from another CA are ignored and replaced.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { type IssuedCertificate, issueClientCertificate, type LoadedAuthority } from '../certs/authority.js';

interface CacheFile {
  readonly ca: string;
  readonly identities: Record<string, IssuedCertificate>;
}

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

/** An identity for every cname, from `cachePath` where it holds one, issued (and saved) otherwise. */
export async function simulatedIdentities(
  authority: LoadedAuthority,
  cnames: readonly string[],
  cachePath?: string,
): Promise<Map<string, IssuedCertificate>> {
  const ca = fingerprint(authority.certPem);
  const cached = cachePath ? await readCache(cachePath, ca) : {};
  const identities = new Map<string, IssuedCertificate>();
  let issued = 0;
  for (const cname of cnames) {
    let identity = cached[cname];
    if (!identity?.certPem || !identity.keyPem) {
      identity = await issueClientCertificate(authority, cname);
      cached[cname] = identity;
      issued++;
    }
    identities.set(cname, identity);
  }
  if (cachePath && issued > 0) {
    // Written aside and renamed, so a crash never leaves half a file; private keys: 0600.
    const file: CacheFile = { ca, identities: cached };
    await writeFile(`${cachePath}.tmp`, JSON.stringify(file), { mode: 0o600 });
    await rename(`${cachePath}.tmp`, cachePath);
  }
  return identities;
}
