/**
 * In a cluster a tower presents its own certificate to other towers as a TLS client. Certificates
 * issued before clusters existed say serverAuth only and would fail every cross-tower relay, so a
 * tower with one refuses to join, saying how to get a new one.
 */
import { X509Certificate } from 'node:crypto';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export function assertPeerCertificate(pem: string): void {
  // Node lists the extended key usage OIDs; undefined means the certificate restricts none.
  const usages = new X509Certificate(pem).keyUsage;
  if (usages !== undefined && !usages.includes(CLIENT_AUTH))
    throw new Error(
      'the tower certificate is for servers only (no clientAuth), so other towers would refuse it: ' +
        'move tower.crt and tower.key out of the data directory and run `stormtower certs init` to issue a new one',
    );
}
