/**
 * Secrets planted where a careless inspector would pick them up (the status document, the link, an
 * error message), a link that serves them, and a tower driven on a `SimulatedClock`.
 */
import { expect } from 'vitest';
import type { InspectionEvent } from 'xstate';
import type { MinionContext } from '../../machines/minion.machine.js';
import type { MinionLink, StatusObject } from '../../machines/minion-link.js';
import { createPollSlots } from '../../machines/poll-slots.js';
import { simulatedTower } from '../machines/simulated-tower.js';

export const T0 = 1_700_000_000_000;
export const TOKEN = 'tok-7d1e0c93a5b2f6481';
export const PEM =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC\n-----END PRIVATE KEY-----\n';
/** Text that must never reach an inspector, whatever carried it. */
const LEAKS = [TOKEN, '-----BEGIN', 'MIIEvQIBADANBg', '"document"', '"link"', '"clientKey"', '"env"'];

export function expectClean(sent: unknown): void {
  const json = typeof sent === 'string' ? sent : JSON.stringify(sent);
  for (const leak of LEAKS) expect(json, `leaked ${leak}`).not.toContain(leak);
}

export const secretStatus = (cname: string): StatusObject => ({
  id: cname,
  activated: true,
  os: { hostname: 'kvm570', uptime: 33.25 },
  env: { token: TOKEN },
  certificate: { key: PEM },
});

export interface SecretLink extends MinionLink {
  readonly closes: string[];
  // What a real transport might hold on to: the inspector must never read it.
  readonly clientKey: string;
  readonly bearer: string;
}

/** Answers every poll at once with `secretStatus`, and carries key material of its own. */
export function secretLink(cname: string): SecretLink {
  const closes: string[] = [];
  return {
    cname,
    closes,
    pollStatus: async () => secretStatus(cname),
    close: (reason) => {
      closes.push(reason);
    },
    clientKey: PEM,
    bearer: TOKEN,
  };
}

/** A minion's context as the machine holds it once a document has arrived and a later poll failed. */
export function readyMinionContext(): MinionContext {
  return {
    cname: 'alpha',
    boltId: 'b1',
    ports: [5000, 8080],
    document: { ...secretStatus('alpha'), id: 'alpha' },
    checksum: '5d41402abc4b2a76b9719d911017c592',
    lastError: {
      code: 'invalid-json',
      message: `status is not JSON (starts with ${JSON.stringify(PEM.slice(0, 40))})`,
      at: T0 + 30_000,
    },
    consecutiveFailures: 1,
    connectedAt: T0,
    lastPollAt: T0 + 30_000,
    lastChangeAt: T0 + 15_000,
    removedReason: null,
    link: secretLink('alpha'),
    settings: {
      monitorInterval: 15_000,
      capabilityTimeout: 5_000,
      pollTimeout: 3_000,
      retryBase: 1_000,
      jitter: () => 0,
      pollSlots: createPollSlots(),
      warn: () => {},
      now: () => T0,
    },
    foreignId: undefined,
    pollStartedAt: T0 + 30_000,
  };
}

/** Lets settled promises (slot grants, poll answers) reach the actors without moving any clock. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A tower on a simulated clock whose every inspection event goes to `inspect`. */
export function startTower(inspect: (event: InspectionEvent) => void) {
  const { clock, tower } = simulatedTower({}, inspect);
  const errors: unknown[] = [];
  tower.subscribe({ error: (error) => errors.push(error) });
  tower.start();
  return {
    clock,
    tower,
    errors,
    /** bolt.connected + bolt.capability, then the first poll answers: the minion is `ready`. */
    async connect(cname: string, boltId: string) {
      const link = secretLink(cname);
      tower.send({ type: 'bolt.connected', cname, boltId, link, connectedAt: clock.now() });
      tower.send({ type: 'bolt.capability', cname, boltId, ports: [5000] });
      // With jitter 0 the first poll is due at once; the slot and the answer are promises.
      clock.increment(0);
      await flush();
      return link;
    },
    close(cname: string, boltId: string) {
      tower.send({ type: 'bolt.closed', cname, boltId, reason: 'closed' });
    },
  };
}
