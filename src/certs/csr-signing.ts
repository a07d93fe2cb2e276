/**
 * Enrolment by certificate signing request: an agent generates its key and a CSR, the operator signs
 * the CSR, and the private key never crosses machines. A request is untrusted input: it must parse,
 * carry a valid signature by its own key (proof the sender holds that key), name a valid cname, and
 * use a key the tower's TLS accepts and that is strong enough.
 */
import 'reflect-metadata';
import { createPublicKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { isValidCname } from './cname.js';

/** Smallest RSA modulus accepted; NIST has 2048 as the floor until 2030. */
export const MIN_RSA_BITS = 2048;
/** Largest accepted, so a request cannot make each handshake with its agent cost seconds of CPU. */
export const MAX_RSA_BITS = 8192;
/** ECDSA curves accepted: P-256 and P-384 (OpenSSL's names). */
const EC_CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384' };
/** A PEM CSR of an RSA 8192 key is under 4 KB; anything far larger is not a request. */
export const MAX_CSR_BYTES = 64 * 1024;

/** Why a request is refused, with a stable code for scripts and tests. */
export class CsrError extends Error {
  constructor(
    readonly code: 'CSR_UNREADABLE' | 'CSR_BAD_SIGNATURE' | 'CSR_BAD_CNAME' | 'CSR_KEY_REFUSED',
    message: string,
  ) {
    super(message);
    this.name = 'CsrError';
  }
}

export interface CheckedRequest {
  /** The cname the certificate will carry: `--cname` when given, else the request's CN. */
  readonly cname: string;
  readonly publicKey: x509.PublicKey;
  /** For the operator's record: "RSA 2048", "ECDSA P-256". */
  readonly keyDescription: string;
}

/** Parses and checks a PEM CSR; throws a `CsrError` saying what is wrong. */
export async function checkSigningRequest(pem: string, cnameOverride?: string): Promise<CheckedRequest> {
  if (pem.length > MAX_CSR_BYTES)
    throw new CsrError('CSR_UNREADABLE', `the request is ${pem.length} bytes: over ${MAX_CSR_BYTES}`);
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(pem);
  } catch (error) {
    throw new CsrError(
      'CSR_UNREADABLE',
      `not a PEM certificate signing request (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  // The library parses the key and the subject lazily: their errors are the request's, found late.
  let publicKey: x509.PublicKey;
  let commonName: string | undefined;
  try {
    publicKey = request.publicKey;
    commonName = request.subjectName.getField('CN')[0];
  } catch (error) {
    throw new CsrError(
      'CSR_UNREADABLE',
      `the request's key or subject does not parse (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const keyDescription = describeKey(publicKey);
  let verified = false;
  try {
    verified = await request.verify();
  } catch {
    verified = false;
  }
  if (!verified)
    throw new CsrError(
      'CSR_BAD_SIGNATURE',
      "the request's signature does not verify with its own key: altered, or not made by the key's holder",
    );
  const cname = cnameOverride ?? commonName;
  if (cname === undefined)
    throw new CsrError('CSR_BAD_CNAME', 'the request has no CN in its subject: give --cname');
  if (!isValidCname(cname))
    throw new CsrError(
      'CSR_BAD_CNAME',
      `invalid cname ${JSON.stringify(cname)}: use 1-128 characters of A-Z a-z 0-9 . _ : -`,
    );
  return { cname, publicKey, keyDescription };
}

function describeKey(publicKey: x509.PublicKey): string {
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey({ key: Buffer.from(publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    throw new CsrError('CSR_KEY_REFUSED', 'the request carries a public key Node cannot read');
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)
      throw new CsrError(
        'CSR_KEY_REFUSED',
        `an RSA key of ${bits} bits: use ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits, or ECDSA P-256/P-384`,
      );
    return `RSA ${bits}`;
  }
  const curve = key.asymmetricKeyType === 'ec' ? EC_CURVES[details?.namedCurve ?? ''] : undefined;
  if (curve === undefined) {
    const what = [key.asymmetricKeyType, details?.namedCurve].filter(Boolean).join(' ');
    throw new CsrError('CSR_KEY_REFUSED', `a ${what} key: use RSA 2048+ or ECDSA P-256/P-384`);
  }
  return `ECDSA ${curve}`;
}
