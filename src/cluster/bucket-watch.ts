/**
 * Follows every key of a KV bucket for as long as the tower runs. A watch can end (its consumer lost
 * with a NATS restart); it is then opened again from the revision after the last one seen, so no put
 * or delete in between is missed: the bucket keeps each key's last operation, deletes included.
 */
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { Logger } from '../log/logger.js';

export interface BucketWatch {
  /** The highest revision applied so far (0 before the first). */
  readonly revision: number;
  /** Whether every key the bucket held when the watch opened has been applied. */
  readonly synced: boolean;
  stop(): void;
}

// Before reopening a watch that ended or failed: NATS is usually reconnecting meanwhile.
const REOPEN_DELAY_MS = 1000;

export function watchBucket(
  kv: KV,
  onEntry: (entry: KvWatchEntry) => void,
  log: Logger,
  bucket: string,
): BucketWatch {
  let revision = 0;
  let synced = false;
  /** The bucket's last revision when first opened: the watch has caught up once it applied it. */
  let catchUpTo: number | undefined;
  let stopped = false;
  let iterator: { stop(): void } | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function run(): Promise<void> {
    while (!stopped) {
      try {
        if (catchUpTo === undefined) {
          catchUpTo = (await kv.status()).streamInfo.state.last_seq;
          synced = catchUpTo === 0;
        }
        const entries = await kv.watch(revision > 0 ? { resumeFromRevision: revision + 1 } : {});
        iterator = entries;
        if (stopped) entries.stop();
        for await (const entry of entries) {
          if (entry.revision <= revision) continue;
          revision = entry.revision;
          onEntry(entry);
          if (revision >= catchUpTo) synced = true;
        }
      } catch (error) {
        if (!stopped) log.debug({ err: error, bucket }, 'bucket watch failed; reopening');
      }
      if (stopped) return;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, REOPEN_DELAY_MS);
      });
    }
  }

  void run();
  return {
    get revision() {
      return revision;
    },
    get synced() {
      return synced;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      iterator?.stop();
    },
  };
}
