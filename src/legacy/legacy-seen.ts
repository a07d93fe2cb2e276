/**
 * Which legacy minions were connected, kept across restarts in `<dataDir>/legacy-seen.json`.
 *
 * A stormbolt 0.4.3 agent gives up redialling after one refused connect, so a tower restart can lose
 * it for good. After a restart this names, in ONE warning once `missingAfterMs` has passed, the legacy
 * minions that were connected before and have not come back, and lists them for
 * `GET /clients?missing=1`. The file holds at most `limit` cnames (the least recently seen are
 * dropped) and is rewritten at most once per `saveDelayMs`, not on every connect.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bolt } from '../link/bolt.js';
import type { BoltTable } from '../link/bolt-table.js';
import type { Logger } from '../log/logger.js';

export const LEGACY_SEEN_FILE = 'legacy-seen.json';
/** How long a change waits before the file is rewritten, so a reconnect storm costs one write. */
export const LEGACY_SEEN_SAVE_DELAY_MS = 1000;

export interface MissingLegacy {
  readonly cname: string;
  /** When the tower last saw it connected (ISO 8601). */
  readonly lastSeen: string;
}

/** Runs `fn` after `ms`; returns a cancel. Injectable so tests decide when time has passed. */
export type Schedule = (ms: number, fn: () => void) => () => void;

export interface LegacySeenOptions {
  readonly dataDir: string;
  /** After a restart, how long a previously connected legacy minion has to come back. */
  readonly missingAfterMs: number;
  /** Most cnames remembered. */
  readonly limit: number;
  readonly saveDelayMs?: number;
  readonly now?: () => number;
  readonly schedule?: Schedule;
}

export interface LegacySeen {
  /** Minions connected before the restart and not back; empty until `missingAfterMs` has passed. */
  missing(): MissingLegacy[];
  /** Stops watching and writes the file one last time (call after the legacy connections closed). */
  close(): Promise<void>;
}

const realSchedule: Schedule = (ms, fn) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/** The remembered cnames, oldest first; a missing file is an empty list, a broken one is logged. */
async function readSeen(file: string, log: Logger): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn({ err: error, file }, 'legacy-seen file unreadable; starting without it');
    return seen;
  }
  try {
    const parsed = JSON.parse(text) as { seen?: unknown };
    const entries: { cname: string; lastSeen: number }[] = [];
    for (const item of Array.isArray(parsed.seen) ? parsed.seen : []) {
      const { cname, lastSeen } = (item ?? {}) as { cname?: unknown; lastSeen?: unknown };
      const at = typeof lastSeen === 'string' ? Date.parse(lastSeen) : Number.NaN;
      if (typeof cname === 'string' && cname !== '' && Number.isFinite(at))
        entries.push({ cname, lastSeen: at });
    }
    entries.sort((a, b) => a.lastSeen - b.lastSeen);
    for (const entry of entries) seen.set(entry.cname, entry.lastSeen);
  } catch (error) {
    log.warn({ err: error, file }, 'legacy-seen file is not valid JSON; starting without it');
  }
  return seen;
}

export async function trackLegacySeen(
  table: BoltTable,
  options: LegacySeenOptions,
  log: Logger,
): Promise<LegacySeen> {
  const file = join(options.dataDir, LEGACY_SEEN_FILE);
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? realSchedule;
  const seen = await readSeen(file, log);
  while (seen.size > options.limit) seen.delete(seen.keys().next().value as string);
  const before = new Map(seen);
  const back = new Set<string>();
  let windowPassed = false;
  let dirty = false;
  let cancelSave: (() => void) | undefined;
  let writing: Promise<void> = Promise.resolve();

  const write = (): Promise<void> => {
    cancelSave = undefined;
    if (!dirty) return writing;
    dirty = false;
    const body = JSON.stringify({
      seen: [...seen].map(([cname, at]) => ({ cname, lastSeen: new Date(at).toISOString() })),
    });
    // One write at a time, through a temporary file: a crash mid-write leaves the old file whole.
    writing = writing.then(async () => {
      try {
        await writeFile(`${file}.tmp`, body);
        await rename(`${file}.tmp`, file);
      } catch (error) {
        log.warn({ err: error, file }, 'could not save the legacy minions seen');
      }
    });
    return writing;
  };
  const touch = (cname: string) => {
    // Re-inserted so the map stays ordered by last sighting and the bound drops the oldest.
    seen.delete(cname);
    seen.set(cname, now());
    while (seen.size > options.limit) seen.delete(seen.keys().next().value as string);
    dirty = true;
    cancelSave ??= schedule(options.saveDelayMs ?? LEGACY_SEEN_SAVE_DELAY_MS, () => void write());
  };

  const onCapability = (bolt: Bolt) => {
    if (bolt.transport !== 'legacy') return;
    back.add(bolt.cname);
    touch(bolt.cname);
  };
  const onClosed = (bolt: Bolt) => {
    if (bolt.transport === 'legacy' && bolt.ports !== null) touch(bolt.cname);
  };
  table.on('capability', onCapability);
  table.on('closed', onClosed);

  const missing = (): MissingLegacy[] =>
    [...before]
      .filter(([cname]) => !back.has(cname))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([cname, at]) => ({ cname, lastSeen: new Date(at).toISOString() }));

  const cancelWindow = schedule(options.missingAfterMs, () => {
    windowPassed = true;
    const gone = missing();
    if (gone.length > 0)
      log.warn(
        {
          missing: gone.map((entry) => entry.cname),
          count: gone.length,
          after: options.missingAfterMs / 1000,
        },
        'legacy minions connected before the restart have not come back (a 0.4.3 agent stops redialling after one refused connect: restart it)',
      );
  });

  return {
    missing: () => (windowPassed ? missing() : []),
    close: async () => {
      table.off('capability', onCapability);
      table.off('closed', onClosed);
      cancelWindow();
      cancelSave?.();
      await write();
    },
  };
}
