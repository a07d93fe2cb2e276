/**
 * What an agent's client certificate must be beyond chaining to a trusted CA (TLS checks that): a
 * leaf, usable for TLS client authentication, issued directly by one of the configured CAs.
 *
 * Chaining alone let in a CA:TRUE certificate the tower CA had signed, and any leaf that certificate
 * minted, which could then take over another agent's cname. Deployed agents carry certificates from
 * their old CA that may lack extensions, so only what is present is judged: no basicConstraints means
 * not a CA, and no extended key usage means any use, as RFC 5280 has it.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Why a certificate is not an agent's, with a stable code for logs and tests. */
export interface AgentCertificateRefusal {
  readonly code: 'not-a-leaf' | 'no-client-auth' | 'indirect-issuer';
  readonly reason: string;
}

// Verdicts remembered, by certificate fingerprint; a fleet reconnecting after a network blip is
// judged from memory. Bounded: past it the oldest verdict is forgotten and judged again if it returns.
const MAX_VERDICTS = 65_536;
const ACCEPTED = 'accepted';

export class AgentCertificateRule {
  private readonly issuers: readonly { readonly certificate: X509Certificate; readonly key: KeyObject }[];
  private readonly verdicts = new Map<string, AgentCertificateRefusal | typeof ACCEPTED>();

  /** `ca`: the PEM the listener trusts (one string may hold several certificates). */
  constructor(ca: string | readonly string[]) {
    const pems = typeof ca === 'string' ? [ca] : ca;
    this.issuers = pems
      .flatMap((pem) => pem.match(PEM_CERTIFICATE) ?? [])
      .map((pem) => new X509Certificate(pem))
      .map((certificate) => ({ certificate, key: certificate.publicKey }));
    if (this.issuers.length === 0) throw new Error('no CA certificate to check agent certificates against');
  }

  /**
   * `check` for a peer's certificate known by its SHA-256 `fingerprint`, parsed by `parse` only when
   * it is not judged already, so a fleet reconnecting does not parse and verify each certificate again.
   */
  checkPeer(
    fingerprint: string,
    parse: () => X509Certificate | undefined,
  ): AgentCertificateRefusal | undefined | 'unparsed' {
    const known = this.verdicts.get(fingerprint);
    if (known !== undefined) return known === ACCEPTED ? undefined : known;
    const certificate = parse();
    if (certificate === undefined) return 'unparsed';
    const verdict = this.check(certificate);
    if (this.verdicts.size >= MAX_VERDICTS) {
      const oldest = this.verdicts.keys().next();
      if (!oldest.done) this.verdicts.delete(oldest.value);
    }
    this.verdicts.set(fingerprint, verdict ?? ACCEPTED);
    return verdict;
  }

  /** Undefined for an agent's certificate, else why not. */
  check(certificate: X509Certificate): AgentCertificateRefusal | undefined {
    if (certificate.ca)
      return { code: 'not-a-leaf', reason: 'the certificate is a CA (basicConstraints CA:TRUE)' };
    // Node names the extended key usage `keyUsage`; undefined when the extension is absent.
    const usages = certificate.keyUsage;
    // OpenSSL's TLS client check also wants clientAuth itself: anyExtendedKeyUsage alone is not enough.
    if (usages !== undefined && !usages.includes(CLIENT_AUTH)) {
      return {
        code: 'no-client-auth',
        reason: 'the extended key usage of the certificate excludes clientAuth',
      };
    }
    // The names say who claims to have issued it; the signature proves it.
    const direct = this.issuers.some(
      (ca) => certificate.checkIssued(ca.certificate) && certificate.verify(ca.key),
    );
    if (!direct) {
      return { code: 'indirect-issuer', reason: 'the certificate is not issued directly by a configured CA' };
    }
    return undefined;
  }
}
