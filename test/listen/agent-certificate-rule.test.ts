/**
 * The agent-certificate rule on its own, including what TLS already stops before it (a certificate
 * whose extended key usage lacks clientAuth), since the rule is checked again so a change there fails
 * closed; and a CA bundle, where any of its certificates may be the direct issuer.
 */
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { AgentCertificateRule } from '../../src/certs/agent-certificate.js';
import { createAuthority, issueClientCertificate, loadAuthority } from '../../src/certs/authority.js';
import { testPki } from '../helpers/pki.js';
import { oddCertificates } from './odd-certificates.js';

const parse = (pem: string) => new X509Certificate(pem);
const eku = (...usages: string[]) => ({ extensions: [new x509.ExtendedKeyUsageExtension(usages)] });

describe('the agent-certificate rule', () => {
  it('accepts the tower’s own agent certificates and older leaves', async () => {
    const pki = await testPki();
    const odd = await oddCertificates();
    const rule = new AgentCertificateRule(pki.ca);
    expect(rule.check(parse((await pki.client('agent-1')).cert))).toBeUndefined();
    expect(rule.check(parse(odd.noEku.cert))).toBeUndefined();
    expect(rule.check(parse(odd.bare.cert))).toBeUndefined();
  });

  it('refuses a CA, a leaf it minted, and a leaf without clientAuth, each with its code', async () => {
    const pki = await testPki();
    const odd = await oddCertificates();
    const rule = new AgentCertificateRule(pki.ca);
    expect(rule.check(parse(odd.caCertificate.cert))?.code).toBe('not-a-leaf');
    // X509Certificate reads the first certificate of the chain: the minted leaf.
    expect(rule.check(parse(odd.mintedLeaf.cert))?.code).toBe('indirect-issuer');
    expect(rule.check(parse(odd.serverOnly.cert))?.code).toBe('no-client-auth');
    const anyUsage = await issueClientCertificate(pki.authority, 'any-usage', eku('2.5.29.37.0'));
    expect(rule.check(parse(anyUsage.certPem))?.code).toBe('no-client-auth');
    const anyAndClient = await issueClientCertificate(
      pki.authority,
      'any-and-client',
      eku('2.5.29.37.0', x509.ExtendedKeyUsage.clientAuth),
    );
    expect(rule.check(parse(anyAndClient.certPem))).toBeUndefined();
  });

  it('takes any certificate of a CA bundle as a direct issuer, and no other CA', async () => {
    const pki = await testPki();
    const oldCa = await createAuthority({ commonName: 'old stormbolt CA' });
    const old = await loadAuthority(oldCa.certPem, oldCa.keyPem);
    const deployed = parse((await issueClientCertificate(old, 'deployed-01')).certPem);
    expect(new AgentCertificateRule(`${pki.ca}${oldCa.certPem}`).check(deployed)).toBeUndefined();
    expect(new AgentCertificateRule([pki.ca, oldCa.certPem]).check(deployed)).toBeUndefined();
    expect(new AgentCertificateRule(pki.ca).check(deployed)?.code).toBe('indirect-issuer');
    // Same issuer name, other key: the names alone do not make an issuer.
    const impostor = await createAuthority({ commonName: 'old stormbolt CA' });
    expect(new AgentCertificateRule(impostor.certPem).check(deployed)?.code).toBe('indirect-issuer');
  });

  it('needs at least one CA certificate', () => {
    expect(() => new AgentCertificateRule('not a certificate')).toThrow(/no CA certificate/);
  });
});

describe('the agent-certificate rule, by fingerprint', () => {
  it('judges a certificate once and remembers the verdict, refusals included', async () => {
    const pki = await testPki();
    const odd = await oddCertificates();
    const rule = new AgentCertificateRule(pki.ca);
    const agent = parse((await pki.client('agent-1')).cert);
    const minted = parse(odd.mintedLeaf.cert);
    let parsed = 0;
    const judge = (certificate: X509Certificate) =>
      rule.checkPeer(certificate.fingerprint256, () => {
        parsed += 1;
        return certificate;
      });
    for (let i = 0; i < 3; i++) {
      expect(judge(agent)).toBeUndefined();
      expect(judge(minted)).toMatchObject({ code: 'indirect-issuer' });
    }
    expect(parsed).toBe(2);
    expect(rule.checkPeer('unknown', () => undefined)).toBe('unparsed');
  });
});
