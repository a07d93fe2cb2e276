/**
 * Client certificates signed (directly or not) by the test CA that are not agent leaves, made with
 * the project's own certificate code: a CA:TRUE certificate, a leaf minted by it (presented with it
 * as its chain), one whose extended key usage is only serverAuth; and two old-style leaves that must
 * still be accepted: one without extended key usage, one without any of the usual extensions.
 */
// reflect-metadata must be loaded before @peculiar/x509 (as in src/certs/authority.ts).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { issueClientCertificate, loadAuthority } from '../../src/certs/authority.js';
import { type CertKey, testPki } from '../helpers/pki.js';

export interface OddCertificates {
  /** CN `rogue-ca`: basicConstraints CA:TRUE, keyCertSign, clientAuth, signed by the tower CA. */
  readonly caCertificate: CertKey;
  /** CN `victim`, signed by `caCertificate`; `cert` holds the leaf then `caCertificate`. */
  readonly mintedLeaf: CertKey;
  /** CN `server-only`: a leaf whose extended key usage is serverAuth alone. */
  readonly serverOnly: CertKey;
  /** CN `no-eku`: CA:FALSE and digitalSignature, no extended key usage (older agents). */
  readonly noEku: CertKey;
  /** CN `bare`: none of basicConstraints, key usage or extended key usage. */
  readonly bare: CertKey;
}

let cached: Promise<OddCertificates> | undefined;

export function oddCertificates(): Promise<OddCertificates> {
  cached ??= build();
  return cached;
}

const toCertKey = ({ certPem, keyPem }: { certPem: string; keyPem: string }): CertKey => ({
  cert: certPem,
  key: keyPem,
});

async function build(): Promise<OddCertificates> {
  const { authority } = await testPki();
  const { KeyUsageFlags: Usage, ExtendedKeyUsage: Eku } = x509;
  const [caCertificate, serverOnly, noEku, bare] = await Promise.all([
    issueClientCertificate(authority, 'rogue-ca', {
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(Usage.keyCertSign | Usage.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([Eku.clientAuth]),
      ],
    }),
    issueClientCertificate(authority, 'server-only', {
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(Usage.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([Eku.serverAuth]),
      ],
    }),
    issueClientCertificate(authority, 'no-eku', {
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(Usage.digitalSignature, true),
      ],
    }),
    issueClientCertificate(authority, 'bare', { extensions: [] }),
  ]);
  const rogue = await loadAuthority(caCertificate.certPem, caCertificate.keyPem);
  const minted = await issueClientCertificate(rogue, 'victim');
  return {
    caCertificate: toCertKey(caCertificate),
    mintedLeaf: { cert: minted.certPem + caCertificate.certPem, key: minted.keyPem },
    serverOnly: toCertKey(serverOnly),
    noEku: toCertKey(noEku),
    bare: toCertKey(bare),
  };
}
