/**
 * Revocation through a real tower and real agents: a certificate revoked while its bolt is up has
 * that bolt closed with 4017 as soon as the data dir's list changes, its redial is refused at the
 * TLS handshake, other agents carry on, and a list that does not verify changes nothing.
 */
import { X509Certificate } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { closeCodeFor, ErrorCode } from '../../src/bolt/protocol/frames.js';
import { revokeSerials } from '../../src/certs/revocation-list.js';
import {
  agent,
  announced,
  closeAll,
  eventually,
  nextEvent,
  onCloseAll,
  rawOutcome,
  rawSocket,
  tempDir,
  tower,
} from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { testPki, writePki } from '../helpers/pki.js';
import { LegacyAgent } from '../legacy/legacy-agent.js';

const REVOKED_CLOSE = closeCodeFor(ErrorCode.Revoked);

afterEach(closeAll);

const serialOf = (pem: string): string => new X509Certificate(pem).serialNumber;

async function revocableTower() {
  const dataDir = await tempDir('stormtower-revoke-');
  await writePki(dataDir);
  const captured = captureLog();
  const running = await tower({ revocationDir: dataDir }, captured.log);
  return { dataDir, running, lines: captured.lines };
}

/** How long each revocation took from the list's rename to the agent seeing its bolt closed. */
const timings: number[] = [];

describe('revocation at a running tower', () => {
  it('closes the live bolt of a revoked agent, refuses its redial at the handshake, and leaves others be', async () => {
    const pki = await testPki();
    const { dataDir, running, lines } = await revocableTower();
    const doomed = await pki.client('doomed-1');
    const doomedAgent = await agent(running.boltUrl, 'doomed-1', [5000], { identity: doomed });
    const bystander = await agent(running.boltUrl, 'bystander-1', [5000]);
    await Promise.all([announced(running, 'doomed-1'), announced(running, 'bystander-1')]);
    let bystanderLost = false;
    bystander.on('disconnected', () => {
      bystanderLost = true;
    });

    // Waits are set before the change that triggers them.
    const closed = nextEvent(doomedAgent, 'disconnected');
    const told = nextEvent(doomedAgent, 'revoked');
    await revokeSerials(dataDir, pki.authority, [serialOf(doomed.cert)]);
    const changedAt = performance.now();
    // The watch on the data dir does it: nothing here asks the tower to reload.
    expect((await closed).code).toBe(REVOKED_CLOSE);
    timings.push(performance.now() - changedAt);
    // The agent knows why, and waits its longest backoff (the harness's 0.5 s) before redialling.
    expect((await told).retryInMs).toBe(500);

    // The agent redials with the same certificate: TLS refuses it, and says why in the log.
    await nextEvent(doomedAgent, 'retrying');
    await eventually(() => lines.some((line) => line.code === 'CERT_REVOKED'));
    expect(running.table.get('doomed-1')).toBeUndefined();
    const raw = await rawSocket(running, { identity: doomed });
    expect(await rawOutcome(raw)).not.toEqual({ open: true });

    expect(bystanderLost).toBe(false);
    expect(running.table.get('bystander-1')?.isOpen).toBe(true);
    expect(lines.find((line) => line.msg === 'bolt revoked')).toMatchObject({ cname: 'doomed-1' });
  }, 30_000);

  it('reloads on demand (SIGHUP) without waiting for the watch', async () => {
    const pki = await testPki();
    const { dataDir, running } = await revocableTower();
    const doomed = await pki.client('doomed-2');
    const doomedAgent = await agent(running.boltUrl, 'doomed-2', [5000], { identity: doomed });
    await announced(running, 'doomed-2');

    const closed = nextEvent(doomedAgent, 'disconnected');
    await revokeSerials(dataDir, pki.authority, [serialOf(doomed.cert)]);
    // Read right after the rename, before the watch's debounce has run out.
    expect(await running.reloadRevocations()).toBe(true);
    expect((await closed).code).toBe(REVOKED_CLOSE);
    // The same list again is no change.
    expect(await running.reloadRevocations()).toBe(false);

    // Without the file nothing is revoked: the agent's next redial gets in.
    const back = nextEvent(doomedAgent, 'connected');
    await unlink(join(dataDir, 'revoked.crl'));
    expect(await running.reloadRevocations()).toBe(true);
    await back;
  }, 30_000);

  it('keeps the list it has when the file stops verifying, and refuses a revoked agent from the start', async () => {
    const pki = await testPki();
    const { dataDir, running, lines } = await revocableTower();
    const doomed = await pki.client('doomed-3');
    await revokeSerials(dataDir, pki.authority, [serialOf(doomed.cert)]);
    expect(await running.reloadRevocations()).toBe(true);

    await writeFile(
      join(dataDir, 'revoked.crl'),
      '-----BEGIN X509 CRL-----\nnot a list\n-----END X509 CRL-----\n',
    );
    expect(await running.reloadRevocations()).toBe(false);
    expect(lines.some((line) => line.msg === 'revocation list unusable: keeping the previous one')).toBe(
      true,
    );
    const raw = await rawSocket(running, { identity: doomed });
    expect(await rawOutcome(raw)).not.toEqual({ open: true });
    const fine = await agent(running.boltUrl, 'fine-3', [5000]);
    await nextEvent(fine, 'connected');

    // A tower started on a data dir that already revokes the agent refuses it from its first handshake.
    const restartedDir = await tempDir('stormtower-revoke-');
    await writePki(restartedDir);
    await revokeSerials(restartedDir, pki.authority, [serialOf(doomed.cert)]);
    const restarted = await tower({ revocationDir: restartedDir });
    const again = await rawSocket(restarted, { identity: doomed });
    expect(await rawOutcome(again)).not.toEqual({ open: true });
  }, 30_000);

  it('closes a revoked legacy bolt and refuses its redial on the legacy port', async () => {
    const pki = await testPki();
    const dataDir = await tempDir('stormtower-revoke-');
    await writePki(dataDir);
    const captured = captureLog();
    const running = await tower({ revocationDir: dataDir, legacyPort: 0 }, captured.log);
    const doomed = await pki.client('legacy-doomed');
    const old = new LegacyAgent({
      port: running.legacyAddress?.port ?? 0,
      ca: pki.ca,
      ...doomed,
      allowedPorts: [5000],
      beaconIntervalMs: 200,
      redialMs: 50,
    });
    onCloseAll(() => old.close());
    await old.start();
    await eventually(() => running.table.get('legacy-doomed')?.ports);
    const revoked = new Promise<void>((resolve) =>
      running.table.on('closed', (gone, ending) => {
        if (gone.cname === 'legacy-doomed' && ending.reason === 'revoked') resolve();
      }),
    );

    await revokeSerials(dataDir, pki.authority, [serialOf(doomed.cert)]);
    await revoked;
    await eventually(() => captured.lines.some((line) => line.code === 'CERT_REVOKED'));
    expect(running.table.get('legacy-doomed')).toBeUndefined();
  }, 30_000);

  it('will not start on a list it cannot use: revoked agents would be let back in', async () => {
    const dataDir = await tempDir('stormtower-revoke-');
    await writePki(dataDir);
    await writeFile(join(dataDir, 'revoked.crl'), 'not a list\n');
    await expect(tower({ revocationDir: dataDir })).rejects.toThrow(
      /revoked\.crl: not a PEM revocation list/,
    );
  });

  it('reports how long a revocation took to close the bolt', () => {
    if (process.env.STORMTOWER_TIMING)
      console.info(`revoked bolt closed after ${timings.map((ms) => ms.toFixed(1))} ms`);
    expect(timings.length).toBeGreaterThan(0);
  });
});
