/**
 * Who counts as an agent, on both listeners: a leaf (not CA:TRUE) issued directly by a configured CA,
 * whose extended key usage, when it has one, includes clientAuth. A CA:TRUE certificate signed by the
 * tower CA is refused, and so is a leaf it minted, which cannot take another agent's cname; certificates
 * of older agents without extended key usage or without the usual extensions still get in.
 */
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { agent, announced, closeAll, collect, rawOutcome, rawSocket, tower } from '../helpers/harness.js';
import { type CertKey, testPki } from '../helpers/pki.js';
import { type LegacyTower, legacyTower } from '../legacy/legacy-harness.js';
import { oddCertificates } from './odd-certificates.js';

afterEach(closeAll);

/** Dials the legacy port with `identity`; accepted when the tower speaks first (its capability stream). */
async function legacyDial(legacy: LegacyTower, identity: CertKey): Promise<boolean> {
  const pki = await testPki();
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: legacy.legacy.address.port,
      ca: pki.ca,
      ...identity,
    });
    socket.once('data', () => {
      resolve(true);
      socket.destroy();
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

describe('agent certificates on the bolt port', () => {
  it('refuses a CA:TRUE certificate and a leaf it minted with 403, and one without clientAuth in TLS', async () => {
    const t = await tower();
    const odd = await oddCertificates();
    expect(await rawOutcome(await rawSocket(t, { identity: odd.caCertificate }))).toEqual({ status: 403 });
    expect(await rawOutcome(await rawSocket(t, { identity: odd.mintedLeaf }))).toEqual({ status: 403 });
    expect(await rawOutcome(await rawSocket(t, { identity: odd.serverOnly }))).toHaveProperty('error');
    expect(t.table.size).toBe(0);
  });

  it('accepts older leaves without extended key usage or without the usual extensions', async () => {
    const t = await tower();
    const odd = await oddCertificates();
    expect(await rawOutcome(await rawSocket(t, { identity: odd.noEku }))).toEqual({ open: true });
    expect(await rawOutcome(await rawSocket(t, { identity: odd.bare }))).toEqual({ open: true });
  });

  it('never lets a minted leaf take over the cname of a connected agent', async () => {
    const t = await tower();
    const victim = await agent(t.boltUrl, 'victim', [1]);
    const drops = collect(victim, 'disconnected');
    const original = await announced(t, 'victim');
    const odd = await oddCertificates();
    expect(await rawOutcome(await rawSocket(t, { identity: odd.mintedLeaf }))).toEqual({ status: 403 });
    expect(t.table.get('victim')).toBe(original);
    expect(drops).toEqual([]);
  });
});

describe('agent certificates on the legacy port', () => {
  it('refuses a CA:TRUE certificate, a leaf it minted and one without clientAuth; accepts older leaves', async () => {
    const legacy = await legacyTower();
    const odd = await oddCertificates();
    expect(await legacyDial(legacy, odd.caCertificate)).toBe(false);
    expect(await legacyDial(legacy, odd.mintedLeaf)).toBe(false);
    expect(await legacyDial(legacy, odd.serverOnly)).toBe(false);
    const refused = legacy.logs.filter((line) => line.msg === 'legacy bolt refused');
    expect(refused).toEqual([
      expect.objectContaining({ cname: 'rogue-ca', code: 'not-a-leaf' }),
      expect.objectContaining({ cname: 'victim', code: 'indirect-issuer' }),
    ]);
    // OpenSSL's own purpose check already fails it, so it is refused as TLS finishes, naming the peer.
    expect(legacy.logs.filter((line) => line.msg === 'legacy bolt refused during TLS')).toEqual([
      expect.objectContaining({ remote: '127.0.0.1', code: 'INVALID_PURPOSE' }),
    ]);

    expect(await legacyDial(legacy, odd.noEku)).toBe(true);
    expect(await legacyDial(legacy, odd.bare)).toBe(true);
  });
});

describe('refusals in the log', () => {
  it('a peer that keeps redialling with a refused certificate costs one line per reason, not one per dial', async () => {
    const legacy = await legacyTower();
    const odd = await oddCertificates();
    for (let i = 0; i < 10; i++) {
      expect(await legacyDial(legacy, odd.caCertificate)).toBe(false);
      expect(await legacyDial(legacy, odd.serverOnly)).toBe(false);
    }
    expect(legacy.logs.filter((line) => line.msg === 'legacy bolt refused')).toHaveLength(1);
    expect(legacy.logs.filter((line) => line.msg === 'legacy bolt refused during TLS')).toHaveLength(1);
  });
});
