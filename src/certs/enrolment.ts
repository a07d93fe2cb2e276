/**
 * `agent --enroll`: the agent's half of enrolment by request. It makes its own key (kept 0600, never
 * sent anywhere) and a certificate signing request naming its cname, which the operator signs with
 * `stormtower certs sign` on the tower's host.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as x509 from '@peculiar/x509';
import { writeAtomic } from './atomic-write.js';
import { assertValidCname } from './cname.js';

x509.cryptoProvider.set(webcrypto);

export interface EnrolOptions {
  readonly cname: string;
  readonly keyPath: string;
  readonly csrPath: string;
  /** Replace an existing key; without it, an existing key is an error (it may be the agent's only one). */
  readonly force?: boolean;
}

export interface Enrolment {
  readonly keyPath: string;
  readonly csrPath: string;
  readonly csrPem: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export async function enrol(options: EnrolOptions): Promise<Enrolment> {
  assertValidCname(options.cname);
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [options.cname] }],
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const keyPem = x509.PemConverter.encode(
    await webcrypto.subtle.exportKey('pkcs8', keys.privateKey),
    'PRIVATE KEY',
  );
  const csrPem = `${request.toString('pem').trim()}\n`;
  await mkdir(dirname(options.keyPath), { recursive: true, mode: 0o700 });
  if (options.force) {
    await writeAtomic(options.keyPath, `${keyPem.trim()}\n`, 0o600);
  } else {
    try {
      await writeFile(options.keyPath, `${keyPem.trim()}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new Error(`${options.keyPath} already exists: refusing to replace a key (--force replaces it)`);
      throw error;
    }
    await chmod(options.keyPath, 0o600);
  }
  await mkdir(dirname(options.csrPath), { recursive: true, mode: 0o700 });
  await writeAtomic(options.csrPath, csrPem, 0o644);
  return { keyPath: options.keyPath, csrPath: options.csrPath, csrPem };
}
