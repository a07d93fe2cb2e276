/**
 * How legacy bolts come and go: a silent agent expires within its validity window and comes back by
 * redialling, an agent that never sends its capability is timed out, a newer connection replaces an
 * older one without being deregistered by it (when told to; by default it is refused, see
 * legacy-duplicate.test.ts), and certificates are checked as on the WebSocket port.
 */
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { issueServerCertificate } from '../../src/certs/authority.js';
import type { CloseReason } from '../../src/link/close-reason.js';
import { agent, announced, api, closeAll, eventually } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';
import { LegacyAgent } from './legacy-agent.js';
import { framesOf, type LegacyTower, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

const closesOf = (legacy: LegacyTower) => {
  const closes: { cname: string; boltId: string; reason: CloseReason }[] = [];
  legacy.t.table.on('closed', (bolt, { reason }) =>
    closes.push({ cname: bolt.cname, boltId: bolt.boltId, reason }),
  );
  return closes;
};

describe('legacy bolt lifecycle', () => {
  it('expires an agent that stops beaconing, within the validity window, and takes it back when it redials', async () => {
    const legacy = await legacyTower({ beaconInterval: 0.2, beaconValidity: 1 });
    const closes = closesOf(legacy);
    const steady = await legacyAgent(legacy, 'steady', [1234]);
    const quiet = await legacyAgent(legacy, 'quiet', [1234], { redialMs: 50 });
    const first = await legacyAnnounced(legacy, 'quiet');
    await legacyAnnounced(legacy, 'steady');
    await eventually(() => quiet.beaconReplies > 0);

    quiet.silence();
    await eventually(() => closes.some(({ boltId }) => boltId === first.boltId));
    // Measured from the last beacon the agent wrote (the tower heard it a moment later): never
    // before a full validity window. That it lands at the window itself, not in 5 s steps, is
    // beacon-channel.test.ts's to show on a fake clock: a busy machine delays any real timer.
    expect(Date.now() - quiet.lastBeaconAt).toBeGreaterThanOrEqual(1000);
    expect(closes).toEqual([{ cname: 'quiet', boltId: first.boltId, reason: 'expired' }]);

    // 0.4.3 notices the drop, dials again, and is a new bolt of the same name.
    const second = await eventually(() => {
      const bolt = legacy.t.table.get('quiet');
      return bolt?.ports && bolt.boltId !== first.boltId ? bolt : undefined;
    });
    expect(second.isOpen).toBe(true);
    expect(quiet.dials).toBe(2);
    const listed = (await (await api(legacy.t, '/clients')).json()) as { cname: string; transport: string }[];
    expect(listed.map(({ cname, transport }) => `${cname}/${transport}`)).toEqual([
      'quiet/legacy',
      'steady/legacy',
    ]);
    // The steady agent outlasted the window with its beacons answered.
    expect(steady.dials).toBe(1);
    expect(closes.filter(({ cname }) => cname === 'steady')).toEqual([]);
  });

  it('closes a connection that never sends its capability', async () => {
    const legacy = await legacyTower({ capabilityTimeout: 0.5 });
    const closes = closesOf(legacy);
    const mute = await legacyAgent(legacy, 'mute', [1234], { answerCapability: false });
    // Listed from the connect, as the WebSocket transport does, but without ports.
    const listed = await eventually(() => legacy.t.table.get('mute'));
    expect(listed.ports).toBeNull();
    // The tower answered the agent's own capability all the same: the agent counts itself connected.
    await eventually(() => mute.towerPorts === '5000,8000');
    await mute.closed();
    expect(closes).toEqual([{ cname: 'mute', boltId: listed.boltId, reason: 'capability-timeout' }]);
    expect(legacy.t.table.get('mute')).toBeUndefined();
    expect(legacy.logs).toContainEqual(
      expect.objectContaining({
        cname: 'mute',
        msg: 'legacy bolt closed',
        reason: 'capability-timeout',
        detail: 'no capability within 500 ms',
      }),
    );
  });

  it('takes an agent that does not open its own capability (stormbolt up to 0.4.1)', async () => {
    const legacy = await legacyTower();
    const old = await legacyAgent(legacy, 'old', [1234], { openCapability: false });
    await legacyAnnounced(legacy, 'old');
    await eventually(() => old.beaconReplies > 0);
  });

  it("with onDuplicate 'replace', replaces an older connection with a newer one, which it never deregisters", async () => {
    const legacy = await legacyTower({ onDuplicate: 'replace' });
    const closes = closesOf(legacy);
    const older = await legacyAgent(legacy, 'twin', [1111]);
    const olderBolt = await legacyAnnounced(legacy, 'twin');
    const newer = await legacyAgent(legacy, 'twin', [2222]);
    const newerBolt = await eventually(() => {
      const bolt = legacy.t.table.get('twin');
      return bolt?.ports?.[0] === 2222 ? bolt : undefined;
    });
    await older.closed();
    expect(closes).toEqual([{ cname: 'twin', boltId: olderBolt.boltId, reason: 'replaced' }]);
    // Well after the older socket is gone, the newer bolt is still the one listed, and still beaconing.
    const replies = newer.beaconReplies;
    await eventually(() => newer.beaconReplies > replies + 1);
    expect(legacy.t.table.get('twin')).toBe(newerBolt);
    expect(newerBolt.isOpen).toBe(true);
  });

  it('ends streams the agent opens other than capability', async () => {
    const legacy = await legacyTower();
    const peer = await legacyAgent(legacy, 'curious', [1234]);
    await legacyAnnounced(legacy, 'curious');
    for (const meta of ['beacon', 'relay:5000', 'mystery']) {
      peer.sendRaw(
        `${JSON.stringify([`mine-${meta}`, 'new', { meta, opts: { writable: true, readable: true } }])}\n`,
      );
    }
    await eventually(() => framesOf(peer, 'close').length >= 4);
    for (const meta of ['beacon', 'relay:5000', 'mystery']) {
      expect(peer.frames.filter((frame) => frame[0] === `mine-${meta}`)).toEqual([
        [`mine-${meta}`, 'end'],
        [`mine-${meta}`, 'close'],
      ]);
    }
  });

  it('closes its own connections on close, and leaves WebSocket bolts alone', async () => {
    const legacy = await legacyTower();
    const closes = closesOf(legacy);
    const old = await legacyAgent(legacy, 'old-one', [1234]);
    await agent(legacy.t.boltUrl, 'new-one', [1234]);
    await Promise.all([legacyAnnounced(legacy, 'old-one'), announced(legacy.t, 'new-one')]);
    await legacy.legacy.close();
    await old.closed();
    expect(closes.map(({ cname, reason }) => [cname, reason])).toEqual([['old-one', 'shutdown']]);
    expect(legacy.t.table.get('new-one')?.isOpen).toBe(true);
  });
});

describe('legacy listener TLS', () => {
  /**
   * Dials with `options`. Accepted means the tower sent its first frame: under TLS 1.3 the client
   * sees the handshake finish before the tower has checked its certificate, so that alone proves nothing.
   */
  async function dial(legacy: LegacyTower, cname: string | null, options: tls.ConnectionOptions = {}) {
    const pki = await testPki();
    const identity = cname === null ? {} : await pki.client(cname);
    return new Promise<{ accepted: boolean; cipher?: string }>((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: legacy.legacy.address.port,
        ca: pki.ca,
        ...identity,
        ...options,
      });
      socket.once('data', () => {
        resolve({ accepted: true, cipher: socket.getCipher().name });
        socket.destroy();
      });
      socket.once('error', () => resolve({ accepted: false }));
      socket.once('close', () => resolve({ accepted: false }));
    });
  }

  it('refuses a foreign, an expired or a missing certificate, and an invalid CN, with a log line each', async () => {
    const legacy = await legacyTower();
    const pki = await testPki();
    expect(await dial(legacy, null, { ...pki.otherCaClient })).toEqual({ accepted: false });
    expect(await dial(legacy, null, { ...pki.expiredClient })).toEqual({ accepted: false });
    expect(await dial(legacy, null)).toEqual({ accepted: false });
    expect(await dial(legacy, null, { ...pki.badCnClient })).toEqual({ accepted: false });
    await eventually(
      () => legacy.logs.filter((entry) => entry.msg === 'legacy bolt refused during TLS').length >= 3,
    );
    const refused = await eventually(() => legacy.logs.find((entry) => entry.msg === 'legacy bolt refused'));
    expect(refused).toMatchObject({
      cname: 'bad cname/with spaces',
      reason: 'the certificate CN is not a valid cname',
    });
    expect(legacy.t.table.size).toBe(0);
  });

  it('speaks the 2013 suites an OpenSSL 1.0.1 agent offers, over TLS 1.2', async () => {
    const pki = await testPki();
    const rsa = await issueServerCertificate(pki.authority, {
      names: ['localhost', '127.0.0.1'],
      keyType: 'rsa',
    });
    // Both certificates: OpenSSL picks the one the suite needs.
    const legacy = await legacyTower({}, { cert: [pki.cert, rsa.certPem], key: [pki.key, rsa.keyPem] });
    const tls12 = { maxVersion: 'TLSv1.2' as const };
    for (const suite of [
      'ECDHE-ECDSA-AES128-GCM-SHA256',
      'ECDHE-RSA-AES128-GCM-SHA256',
      'ECDHE-ECDSA-AES128-SHA',
      'ECDHE-RSA-AES128-SHA',
      'AES128-GCM-SHA256',
      'AES128-SHA',
    ]) {
      expect(await dial(legacy, 'old-suite', { ...tls12, ciphers: suite }), suite).toEqual({
        accepted: true,
        cipher: suite,
      });
    }
    // An agent certificate with an RSA key, as deployed agents have, is fine too.
    const rsaAgent = await pki.client('rsa-agent', { keyType: 'rsa' });
    const deployed = new LegacyAgent({
      port: legacy.legacy.address.port,
      ca: pki.ca,
      ...rsaAgent,
      allowedPorts: [5000],
      beaconIntervalMs: 200,
      tls: { ...tls12, ciphers: 'AES128-SHA' },
    });
    await deployed.start();
    await legacyAnnounced(legacy, 'rsa-agent');
    await deployed.close();
    // Modern clients still get TLS 1.3.
    const modern = await dial(legacy, 'modern');
    expect(modern.accepted).toBe(true);
    expect(modern.cipher).toMatch(/^TLS_/);
  });

  it('with only the default ECDSA certificate, RSA-only suites cannot be negotiated', async () => {
    const legacy = await legacyTower();
    expect(await dial(legacy, 'rsa-only', { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' })).toEqual({
      accepted: false,
    });
    expect(await dial(legacy, 'ecdsa', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' })).toEqual(
      {
        accepted: true,
        cipher: 'ECDHE-ECDSA-AES128-SHA',
      },
    );
  });
});
