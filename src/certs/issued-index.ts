/**
 * The CA's record of what it issued, `<data-dir>/issued.json`: one entry per certificate (serial,
 * cname, kind, validity), so `certs revoke <cname>` finds the serials to revoke and `certs list`
 * shows every certificate, even those whose files went to another machine.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeAtomic } from './atomic-write.js';
import { withDataDirLock } from './data-dir-lock.js';
import { normalizeSerial } from './serial.js';

export const ISSUED_FILE = 'issued.json';
/** Certificates the index holds; past it, issuing stops with an error rather than the file growing forever. */
export const MAX_ISSUED = 100_000;
/** An index of MAX_ISSUED entries is about 25 MB; a larger file is not ours. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/** `agent`: a client certificate (key made here, or signed from the agent's request); `tower`: a server one. */
export type IssuedKind = 'agent' | 'tower';

const entrySchema = z.object({
  serial: z.string().regex(/^[0-9a-f]{1,64}$/),
  cname: z.string().min(1).max(256),
  kind: z.enum(['agent', 'tower']),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
});
const indexSchema = z.object({
  version: z.literal(1),
  certificates: z.array(entrySchema).max(MAX_ISSUED),
});

export type IssuedEntry = z.output<typeof entrySchema>;

export const issuedIndexPath = (dataDir: string): string => join(dataDir, ISSUED_FILE);

/** Every certificate recorded in `dataDir`, oldest first; none when there is no index yet. */
export async function readIssued(dataDir: string): Promise<IssuedEntry[]> {
  const path = issuedIndexPath(dataDir);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if (size > MAX_INDEX_BYTES)
    throw new Error(`${path} is ${size} bytes, over ${MAX_INDEX_BYTES}: not an index`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const result = indexSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') || 'the top level';
    throw new Error(`${path} is not an issued-certificate index: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data.certificates;
}

/** Records a certificate the CA just issued (its serial, CN and validity read from the PEM). */
export async function recordIssued(dataDir: string, certPem: string, kind: IssuedKind): Promise<IssuedEntry> {
  const certificate = new X509Certificate(certPem);
  const cname = /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1] ?? '';
  const entry: IssuedEntry = {
    serial: normalizeSerial(certificate.serialNumber),
    cname,
    kind,
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
  };
  return withDataDirLock(dataDir, async () => {
    const certificates = await readIssued(dataDir);
    if (certificates.length >= MAX_ISSUED)
      throw new Error(
        `${issuedIndexPath(dataDir)} holds ${MAX_ISSUED} certificates, the most it may (MAX_ISSUED): ` +
          'move it aside to start a new one',
      );
    certificates.push(entry);
    await writeAtomic(issuedIndexPath(dataDir), `${JSON.stringify({ version: 1, certificates }, null, 1)}\n`);
    return entry;
  });
}
