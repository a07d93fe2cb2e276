/**
 * `certs renew <cname>`: a new certificate for a cname the CA has issued to before, replacing the
 * files in the output directory. With a CSR the agent keeps its own key; without, a new key is made
 * here. The old certificate stays valid until it expires, so an agent still running with it is not
 * cut off; revoke it once the agent has the new one.
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomic } from './atomic-write.js';
import { issueClientCertificate, type KeyType, signClientCertificate } from './authority.js';
import { checkSigningRequest } from './csr-signing.js';
import { readIssued, recordIssued } from './issued-index.js';
import { loadDataDirAuthority } from './store.js';

export interface RenewOptions {
  readonly dataDir: string;
  readonly cname: string;
  /** The agent's own request; the certificate names `cname` whatever the request's CN says. */
  readonly csrPem?: string;
  readonly outDir?: string;
  readonly days?: number;
  readonly keyType?: KeyType;
}

export interface Renewed {
  readonly cert: string;
  /** The new key's path, when the key was made here. */
  readonly key: string | undefined;
  readonly ca: string;
  readonly serial: string;
  readonly notAfter: string;
}

export async function renewAgentCertificate(options: RenewOptions): Promise<Renewed> {
  const { dataDir, cname } = options;
  const issued = await readIssued(dataDir);
  if (!issued.some((entry) => entry.cname === cname && entry.kind === 'agent'))
    throw new Error(
      `no agent certificate was issued to ${JSON.stringify(cname)}: use \`certs issue\` or \`certs sign\``,
    );
  const ca = await loadDataDirAuthority(dataDir);
  const days = options.days === undefined ? {} : { days: options.days };
  let certPem: string;
  let keyPem: string | undefined;
  if (options.csrPem !== undefined) {
    const request = await checkSigningRequest(options.csrPem, cname);
    certPem = await signClientCertificate(ca, cname, request.publicKey, days);
  } else {
    const made = await issueClientCertificate(ca, cname, {
      ...days,
      ...(options.keyType ? { keyType: options.keyType } : {}),
    });
    certPem = made.certPem;
    keyPem = made.keyPem;
  }
  const entry = await recordIssued(dataDir, certPem, 'agent');
  const outDir = options.outDir ?? join(dataDir, 'agents');
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const paths = {
    cert: join(outDir, `${cname}.crt`),
    key: join(outDir, `${cname}.key`),
    ca: join(outDir, 'ca.crt'),
  };
  // The key first: a certificate never sits beside a key it does not match for longer than a rename.
  if (keyPem !== undefined) await writeAtomic(paths.key, keyPem, 0o600);
  await writeAtomic(paths.cert, certPem, 0o644);
  if (!(await exists(paths.ca))) await writeAtomic(paths.ca, ca.certPem, 0o644);
  return {
    cert: paths.cert,
    key: keyPem === undefined ? undefined : paths.key,
    ca: paths.ca,
    serial: entry.serial,
    notAfter: entry.notAfter,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
