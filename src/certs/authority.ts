/**
 * In-memory certificate authority: creates the tower's CA, its TLS server
 * certificate and the agents' client certificates. No file I/O here (see
 * store.ts); everything is PEM strings in and out.
 */
// reflect-metadata must be loaded before @peculiar/x509 touches its ASN.1 schemas.
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import * as x509 from '@peculiar/x509';
import { assertValidCname } from './cname.js';

// tsconfig has no DOM lib, so WebCrypto types come from node:crypto's webcrypto namespace.
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto);

/** ec = ECDSA P-256 + SHA-256 (default, fast); rsa = RSA 2048 PKCS#1 v1.5 + SHA-256 for old peers. */
export type KeyType = 'ec' | 'rsa';

/** A CA as stored on disk. */
export interface Authority {
  certPem: string;
  keyPem: string;
}

/** A CA parsed once and ready to sign many certificates without re-reading its key. */
export interface LoadedAuthority extends Authority {
  readonly keyType: KeyType;
  readonly certificate: x509.X509Certificate;
  readonly signingKey: CryptoKey;
  /** Hex subject key identifier of the CA, copied into each leaf's authority key identifier. */
  readonly keyId: string;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export interface ServerCertificateOptions {
  names: string[];
  keyType?: KeyType;
  days?: number;
  commonName?: string;
}

export interface ClientCertificateOptions {
  keyType?: KeyType;
  days?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** Only for tests that need certificates with a deliberately bad CN. */
  skipCnameCheck?: boolean;
  /** Only for tests that need certificates a tower must refuse: replaces CA:FALSE, key usage, clientAuth. */
  extensions?: readonly x509.Extension[];
}

const DAY_MS = 86_400_000;
const DEFAULT_CA_DAYS = 3650;
const DEFAULT_LEAF_DAYS = 825;
/** Agents' certificates: the CA/Browser Forum's 397 days, so a lost key does not stay valid for years. */
const DEFAULT_AGENT_DAYS = 397;
// Back-date new certificates a little so a peer whose clock runs behind does not see them as not yet valid.
const CLOCK_SKEW_MS = 5 * 60_000;

const GENERATE_PARAMS: Record<KeyType, webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams> = {
  ec: { name: 'ECDSA', namedCurve: 'P-256' },
  rsa: {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
  },
};

const IMPORT_PARAMS: Record<KeyType, webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams> = {
  ec: { name: 'ECDSA', namedCurve: 'P-256' },
  rsa: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
};

// The signature algorithm follows the CA's key, not the key of the certificate being issued.
const SIGNING_PARAMS: Record<KeyType, webcrypto.Algorithm | webcrypto.EcdsaParams> = {
  ec: { name: 'ECDSA', hash: 'SHA-256' },
  rsa: { name: 'RSASSA-PKCS1-v1_5' },
};

/** The signature algorithm for whatever `ca` signs: certificates and revocation lists alike. */
export const signingAlgorithm = (ca: LoadedAuthority): webcrypto.Algorithm | webcrypto.EcdsaParams =>
  SIGNING_PARAMS[ca.keyType];

// Host names (with an optional leading wildcard label); underscores are tolerated because they occur in practice.
const DNS_NAME = /^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/;

// Extensions are immutable DER blobs, so the ones every client certificate shares are built once.
const CLIENT_EXTENSIONS: readonly x509.Extension[] = [
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
];

/** `localhost`, `127.0.0.1`, `::1`, this host's name, then `extra`, without duplicates or blanks. */
export function defaultServerNames(extra: string[]): string[] {
  const names = ['localhost', '127.0.0.1', '::1', hostname(), ...extra].map((n) => n.trim());
  return [...new Set(names.filter((n) => n.length > 0))];
}

export async function createAuthority(
  opts: { keyType?: KeyType; commonName?: string; days?: number } = {},
): Promise<Authority> {
  const keyType = opts.keyType ?? 'ec';
  const keys = await generateKeys(keyType);
  const { notBefore, notAfter } = validity(opts.days ?? DEFAULT_CA_DAYS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [opts.commonName ?? 'stormtower CA'] }],
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING_PARAMS[keyType],
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: pemWithNewline(cert.toString('pem')), keyPem: await exportKeyPem(keys.privateKey) };
}

/** Parses a CA certificate and key once; the key type is detected from the key itself. */
export async function loadAuthority(certPem: string, keyPem: string): Promise<LoadedAuthority> {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(certPem);
  } catch (err) {
    throw new Error(`CA certificate is not a valid PEM certificate: ${errorMessage(err)}`);
  }
  if (!certificate.getExtension(x509.BasicConstraintsExtension)?.ca) {
    throw new Error(`certificate "${certificate.subject}" is not a CA (basicConstraints CA:true missing)`);
  }

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (err) {
    throw new Error(`CA key is not a valid PEM private key: ${errorMessage(err)}`);
  }
  const keyType = detectKeyType(privateKey);
  const publicDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!publicDer.equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new Error('CA key does not match the CA certificate');
  }

  // Import once as a non-extractable signing key: issuing thousands of certificates must not re-parse it.
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, IMPORT_PARAMS[keyType], false, [
    'sign',
  ]);
  const keyId =
    certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ??
    (await x509.SubjectKeyIdentifierExtension.create(certificate.publicKey)).keyId;
  return { certPem, keyPem, keyType, certificate, signingKey, keyId };
}

/** The tower's TLS server certificate; each name becomes an IP or DNS subject alternative name. */
export async function issueServerCertificate(
  ca: LoadedAuthority,
  opts: ServerCertificateOptions,
): Promise<IssuedCertificate> {
  if (opts.names.length === 0) throw new Error('a server certificate needs at least one name');
  const keyType = opts.keyType ?? 'ec';
  let usages = x509.KeyUsageFlags.digitalSignature;
  // RSA key exchange (TLS 1.2 without ECDHE) encrypts to the server key.
  if (keyType === 'rsa') usages |= x509.KeyUsageFlags.keyEncipherment;
  const sans = opts.names.map((value) => {
    if (isIP(value)) return { type: 'ip' as const, value };
    // DNS SANs are IA5 strings: anything else would make a certificate no peer can match.
    if (!DNS_NAME.test(value))
      throw new Error(`invalid server name "${value}": use a host name or an IP address`);
    return { type: 'dns' as const, value };
  });
  return issueLeaf(ca, {
    // Old agents drop a tower certificate with an empty subject, so always set a CN.
    commonName: opts.commonName ?? 'stormtower',
    keyType,
    ...validity(opts.days ?? DEFAULT_LEAF_DAYS, ca),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      // clientAuth too: in a cluster a tower presents this certificate to its peers' relay listeners.
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension(sans),
    ],
  });
}

/** An agent's client certificate: its CN is the agent's identity (cname). */
export async function issueClientCertificate(
  ca: LoadedAuthority,
  cname: string,
  opts: ClientCertificateOptions = {},
): Promise<IssuedCertificate> {
  if (!opts.skipCnameCheck) assertValidCname(cname);
  // Explicit dates win (tests need expired certificates), so the CA-expiry check only applies to `days`.
  const period =
    opts.notBefore && opts.notAfter
      ? { notBefore: opts.notBefore, notAfter: opts.notAfter }
      : validity(opts.days ?? DEFAULT_AGENT_DAYS, ca);
  const notBefore = opts.notBefore ?? period.notBefore;
  const notAfter = opts.notAfter ?? period.notAfter;
  if (notAfter <= notBefore) throw new Error('certificate notAfter must be later than notBefore');
  return issueLeaf(ca, {
    commonName: cname,
    keyType: opts.keyType ?? 'ec',
    notBefore,
    notAfter,
    extensions: opts.extensions ?? CLIENT_EXTENSIONS,
  });
}

/** The first CN of a PEM certificate's subject. */
export function certificateCommonName(pem: string): string {
  const cn = new x509.X509Certificate(pem).subjectName.getField('CN')[0];
  if (cn === undefined) throw new Error('certificate has no common name (CN) in its subject');
  return cn;
}

interface LeafParams {
  commonName: string;
  keyType: KeyType;
  notBefore: Date;
  notAfter: Date;
  extensions: readonly x509.Extension[];
}

/**
 * A client certificate for `cname` on a public key the agent generated itself (from its CSR): the
 * private key never leaves the agent. The caller has checked the request (see csr-signing.ts).
 */
export async function signClientCertificate(
  ca: LoadedAuthority,
  cname: string,
  publicKey: x509.PublicKey,
  opts: { days?: number } = {},
): Promise<string> {
  assertValidCname(cname);
  return signLeaf(
    ca,
    { commonName: cname, ...validity(opts.days ?? DEFAULT_AGENT_DAYS, ca), extensions: CLIENT_EXTENSIONS },
    publicKey,
  );
}

async function issueLeaf(ca: LoadedAuthority, params: LeafParams): Promise<IssuedCertificate> {
  const keys = await generateKeys(params.keyType);
  // Export and parse the public key once; the generator and the key identifier would each redo it.
  const publicKey = new x509.PublicKey(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  return { certPem: await signLeaf(ca, params, publicKey), keyPem: await exportKeyPem(keys.privateKey) };
}

async function signLeaf(
  ca: LoadedAuthority,
  params: Omit<LeafParams, 'keyType'>,
  publicKey: x509.PublicKey,
): Promise<string> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [params.commonName] }],
    issuer: ca.certificate.subjectName,
    notBefore: params.notBefore,
    notAfter: params.notAfter,
    publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: SIGNING_PARAMS[ca.keyType],
    extensions: [
      ...params.extensions,
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      new x509.AuthorityKeyIdentifierExtension(ca.keyId),
    ],
  });
  return pemWithNewline(cert.toString('pem'));
}

async function generateKeys(keyType: KeyType): Promise<CryptoKeyPair> {
  // Extractable so the private key can be written out as PKCS#8.
  return webcrypto.subtle.generateKey(GENERATE_PARAMS[keyType], true, ['sign', 'verify']);
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return pemWithNewline(x509.PemConverter.encode(der, 'PRIVATE KEY'));
}

function detectKeyType(key: KeyObject): KeyType {
  if (key.asymmetricKeyType === 'rsa') return 'rsa';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ec';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new Error(
    `unsupported CA key type ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}: use EC P-256 or RSA`,
  );
}

/** Validity from now (minus clock skew) for `days`, never past the CA's own expiry. */
function validity(days: number, ca?: LoadedAuthority): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(days) || days <= 0) throw new Error(`invalid validity of ${days} days: must be > 0`);
  const now = Date.now();
  let notAfter = now + days * DAY_MS;
  if (ca) {
    const caExpiry = ca.certificate.notAfter.getTime();
    if (caExpiry <= now) throw new Error(`the CA expired on ${ca.certificate.notAfter.toISOString()}`);
    notAfter = Math.min(notAfter, caExpiry);
  }
  return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(notAfter) };
}

/** 16 random bytes, positive, without a leading zero byte so the DER integer stays 16 bytes long. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function pemWithNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
