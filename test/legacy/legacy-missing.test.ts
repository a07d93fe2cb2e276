/**
 * Legacy minions across a tower restart: the tower remembers which were connected
 * (<dataDir>/legacy-seen.json), holds the legacy port from the first moment of a start, and once the
 * grace has passed names in one warning, and in `GET /clients?missing=1`, those that did not come
 * back, as a 0.4.3 agent refused once does not. Time is a hand-fired schedule, not the clock.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { clientRoutes } from '../../src/api/routes/clients.js';
import { holdPort } from '../../src/legacy/held-port.js';
import { type LegacyListener, listenForLegacyBolts } from '../../src/legacy/legacy-listener.js';
import {
  LEGACY_SEEN_FILE,
  LEGACY_SEEN_SAVE_DELAY_MS,
  type Schedule,
  trackLegacySeen,
} from '../../src/legacy/legacy-seen.js';
import type { Bolt } from '../../src/link/bolt.js';
import { BoltTable } from '../../src/link/bolt-table.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { RunningTower } from '../../src/tower.js';
import { api, closeAll, eventually, onCloseAll, tempDir, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';
import { legacyAgent } from './legacy-harness.js';

afterEach(closeAll);

function capture(): { logs: Record<string, unknown>[]; log: Logger } {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logs, log: createLogger({ level: 'debug', name: 'legacy-missing', destination }) };
}

/** A schedule whose timers run only when the test fires them. */
function handTimers() {
  const timers: { ms: number; fn: () => void; done: boolean }[] = [];
  const schedule: Schedule = (ms, fn) => {
    const timer = { ms, fn, done: false };
    timers.push(timer);
    return () => {
      timer.done = true;
    };
  };
  const pending = (ms: number) => timers.filter((timer) => timer.ms === ms && !timer.done);
  const fire = (ms: number) => {
    for (const timer of pending(ms)) {
      timer.done = true;
      timer.fn();
    }
  };
  return { schedule, pending, fire };
}

const MISSING_AFTER_MS = 60_000;
const missingWarnings = (logs: Record<string, unknown>[]) =>
  logs.filter((line) => line.level === 40 && Array.isArray(line.missing));

async function legacyListener(
  t: RunningTower,
  log: Logger,
  port = 0,
  held?: Awaited<ReturnType<typeof holdPort>>,
) {
  const pki = await testPki();
  const listener: LegacyListener = await listenForLegacyBolts(
    {
      host: '127.0.0.1',
      port,
      ca: pki.ca,
      cert: pki.cert,
      key: pki.key,
      beaconValidityMs: 5000,
      capabilityTimeoutMs: 5000,
      capabilityIntervalMs: 1000,
      ...(held ? { held } : {}),
    },
    t.table,
    log,
  );
  onCloseAll(() => listener.close());
  return listener;
}

describe('legacy minions missing after a restart', () => {
  it('names the one that did not come back, once, and lists it in /clients?missing=1', async () => {
    const dataDir = await tempDir('legacy-seen-');
    const { logs, log } = capture();

    // Before the restart: two agents, one that redials (0.4.1) and one that will not (0.4.3).
    const first = await tower({}, log);
    const seenBefore = await trackLegacySeen(
      first.table,
      { dataDir, missingAfterMs: MISSING_AFTER_MS, limit: 100, schedule: handTimers().schedule },
      log,
    );
    const listenerBefore = await legacyListener(first, log);
    const before = { t: first, legacy: listenerBefore, logs };
    await legacyAgent(before, 'comes-back', [1234], { redialMs: 20 });
    const gone = await legacyAgent(before, 'stays-away', [1234]);
    await eventually(
      () => (first.table.get('comes-back')?.ports && first.table.get('stays-away')?.ports) ?? undefined,
    );

    // The restart: the old listener closes, the new process holds the port before anything else.
    const { port } = listenerBefore.address;
    await listenerBefore.close();
    await seenBefore.close();
    await gone.closed();
    const saved = JSON.parse(await readFile(join(dataDir, LEGACY_SEEN_FILE), 'utf8')) as {
      seen: { cname: string }[];
    };
    expect(saved.seen.map((entry) => entry.cname).sort()).toEqual(['comes-back', 'stays-away']);

    const held = await holdPort('127.0.0.1', port, 16);
    const second = await tower({}, log);
    const timers = handTimers();
    const seen = await trackLegacySeen(
      second.table,
      { dataDir, missingAfterMs: MISSING_AFTER_MS, limit: 100, schedule: timers.schedule },
      log,
    );
    onCloseAll(() => seen.close());
    await legacyListener(second, log, port, held);
    await eventually(() => second.table.get('comes-back')?.ports ?? undefined);

    const routes = clientRoutes(second.table, undefined, undefined, () => seen.missing());
    const missing = async () => (await routes.request('/clients?missing=1')).json();
    // Not yet missing: it still has the grace to come back.
    expect(await missing()).toEqual([]);
    expect(missingWarnings(logs)).toEqual([]);

    timers.fire(MISSING_AFTER_MS);
    const warnings = missingWarnings(logs);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ missing: ['stays-away'], count: 1 });
    const listed = (await missing()) as { cname: string; lastSeen: string }[];
    expect(listed.map((entry) => entry.cname)).toEqual(['stays-away']);
    expect(Number.isNaN(Date.parse(listed[0]?.lastSeen ?? ''))).toBe(false);
    const clients = (await (await routes.request('/clients')).json()) as { cname: string }[];
    expect(clients.map((client) => client.cname)).toEqual(['comes-back']);
  });

  it('remembers at most `limit` cnames, the most recently seen, and saves once per delay', async () => {
    const dataDir = await tempDir('legacy-seen-');
    const { log } = capture();
    const table = new BoltTable();
    const timers = handTimers();
    const seen = await trackLegacySeen(
      table,
      { dataDir, missingAfterMs: MISSING_AFTER_MS, limit: 2, schedule: timers.schedule },
      log,
    );
    for (const cname of ['a', 'b', 'c']) {
      const bolt = { cname, transport: 'legacy', ports: [5000] } as unknown as Bolt;
      table.emit('capability', bolt);
    }
    // WebSocket bolts are not remembered: they redial on their own.
    table.emit('capability', { cname: 'ws', transport: 'ws', ports: [5000] } as unknown as Bolt);
    expect(timers.pending(LEGACY_SEEN_SAVE_DELAY_MS)).toHaveLength(1);
    timers.fire(LEGACY_SEEN_SAVE_DELAY_MS);
    await eventually(async () => {
      const text = await readFile(join(dataDir, LEGACY_SEEN_FILE), 'utf8').catch(() => '');
      return text.includes('"c"') ? text : undefined;
    });
    await seen.close();
    const saved = JSON.parse(await readFile(join(dataDir, LEGACY_SEEN_FILE), 'utf8')) as {
      seen: { cname: string }[];
    };
    expect(saved.seen.map((entry) => entry.cname)).toEqual(['b', 'c']);
  });

  it('starts empty, with one warning, from a file that is not JSON', async () => {
    const dataDir = await tempDir('legacy-seen-');
    await writeFile(join(dataDir, LEGACY_SEEN_FILE), 'not json{');
    const { logs, log } = capture();
    const timers = handTimers();
    const seen = await trackLegacySeen(
      new BoltTable(),
      { dataDir, missingAfterMs: MISSING_AFTER_MS, limit: 10, schedule: timers.schedule },
      log,
    );
    timers.fire(MISSING_AFTER_MS);
    expect(seen.missing()).toEqual([]);
    expect(logs.filter((line) => line.level === 40)).toHaveLength(1);
    expect(missingWarnings(logs)).toEqual([]);
    await seen.close();
  });

  it('is wired into the tower: a remembered minion that does not come back is served by /clients?missing=1', async () => {
    const dataDir = await tempDir('legacy-seen-');
    await writeFile(
      join(dataDir, LEGACY_SEEN_FILE),
      JSON.stringify({ seen: [{ cname: 'old-minion', lastSeen: '2026-01-02T03:04:05.000Z' }] }),
    );
    const { logs, log } = capture();
    const t = await tower({ legacyPort: 0, legacySeenDir: dataDir, legacyMissingAfter: 0.05 }, log);
    const listed = await eventually(async () => {
      const body = (await (await api(t, '/clients?missing=1')).json()) as unknown[];
      return body.length > 0 ? body : undefined;
    });
    expect(listed).toEqual([{ cname: 'old-minion', lastSeen: '2026-01-02T03:04:05.000Z' }]);
    expect(missingWarnings(logs)).toHaveLength(1);
  });
});
