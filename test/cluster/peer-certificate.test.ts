/**
 * A tower joins a cluster only with a certificate other towers accept from a client: one issued
 * before clusters existed (serverAuth only) is refused at start, saying how to replace it.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { assertPeerCertificate } from '../../src/certs/peer-certificate.js';
import { testPki } from '../helpers/pki.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function selfSigned(usages: x509.ExtendedKeyUsageType[] | null): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=old-tower',
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: usages === null ? [] : [new x509.ExtendedKeyUsageExtension(usages)],
  });
  return cert.toString('pem');
}

describe('the certificate a tower presents to other towers', () => {
  it('is refused when it says serverAuth only, and accepted with clientAuth or no restriction', async () => {
    expect(async () =>
      assertPeerCertificate(await selfSigned([x509.ExtendedKeyUsage.serverAuth])),
    ).rejects.toThrow(/for servers only \(no clientAuth\).*stormtower certs init/);
    assertPeerCertificate(
      await selfSigned([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    );
    assertPeerCertificate(await selfSigned(null));
    assertPeerCertificate((await testPki()).cert);
  });
});
