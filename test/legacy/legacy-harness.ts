/**
 * The legacy listener next to a harness tower (same bolt table), simulated 0.4.3 agents dialling it,
 * and a log that tests can read. Everything is stopped by the harness's `closeAll()`.
 */
import { Writable } from 'node:stream';
import {
  type LegacyListener,
  type LegacyListenerOptions,
  listenForLegacyBolts,
} from '../../src/legacy/legacy-listener.js';
import { createLogger } from '../../src/log/logger.js';
import type { RunningTower, TowerSettings } from '../../src/tower.js';
import { eventually, onCloseAll, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';
import { LegacyAgent, type LegacyAgentOptions } from './legacy-agent.js';

export interface LegacyTower {
  readonly t: RunningTower;
  readonly legacy: LegacyListener;
  /** Every line the tower and its legacy listener logged, parsed. */
  readonly logs: Record<string, unknown>[];
}

/** A log destination that keeps parsed pino lines. */
function capture(): { logs: Record<string, unknown>[]; stream: Writable } {
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logs, stream };
}

export async function legacyTower(
  settings: Partial<TowerSettings> = {},
  options: Partial<LegacyListenerOptions> = {},
): Promise<LegacyTower> {
  const pki = await testPki();
  const { logs, stream } = capture();
  // One log for the tower and its legacy listener: conflicts are logged by the tower's bolt table.
  const log = createLogger({ level: 'debug', name: 'legacy-test', destination: stream });
  const t = await tower(settings, log);
  const legacy = await listenForLegacyBolts(
    {
      host: '127.0.0.1',
      port: 0,
      ca: pki.ca,
      cert: pki.cert,
      key: pki.key,
      beaconValidityMs: (settings.beaconValidity ?? 5) * 1000,
      capabilityTimeoutMs: (settings.capabilityTimeout ?? 5) * 1000,
      capabilityIntervalMs: (settings.capabilityInterval ?? 1) * 1000,
      ...options,
    },
    t.table,
    log,
  );
  onCloseAll(() => legacy.close());
  return { t, legacy, logs };
}

/** A started simulated agent with a certificate for `cname`, beaconing every 200 ms by default. */
export async function legacyAgent(
  legacy: LegacyTower,
  cname: string,
  allowedPorts: readonly number[],
  options: Partial<LegacyAgentOptions> = {},
): Promise<LegacyAgent> {
  const pki = await testPki();
  const identity = await pki.client(cname);
  const agent = new LegacyAgent({
    port: legacy.legacy.address.port,
    ca: pki.ca,
    cert: identity.cert,
    key: identity.key,
    allowedPorts,
    beaconIntervalMs: 200,
    ...options,
  });
  onCloseAll(() => agent.close());
  await agent.start();
  return agent;
}

/** Resolves when the tower lists `cname` as a legacy bolt with its capability. */
export const legacyAnnounced = (legacy: LegacyTower, cname: string) =>
  eventually(() => {
    const bolt = legacy.t.table.get(cname);
    return bolt?.transport === 'legacy' && bolt.ports ? bolt : undefined;
  });

/** The frames a simulated agent received whose event is `event` (and meta, for `new`). */
export const framesOf = (agent: LegacyAgent, event: string, meta?: string): unknown[][] =>
  agent.frames.filter(
    (frame) =>
      frame[1] === event &&
      (meta === undefined || (frame[2] as { meta?: unknown } | undefined)?.meta === meta),
  );
