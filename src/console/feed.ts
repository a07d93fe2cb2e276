/**
 * The change feed (`GET /minions/events`) through EventSource, which sends the session cookie and
 * reconnects by itself with `Last-Event-ID`, at the delay the tower's `retry:` hint asks.
 */
import { apiUrl } from './api.js';
import type { FleetStore } from './fleet-store.js';

interface ChangeData {
  readonly id: string;
  readonly checksum: string | null;
  readonly global: string;
}

interface SnapshotData {
  readonly global: string;
  readonly minions: readonly { readonly id: string; readonly checksum: string }[];
}

export interface FeedHandle {
  close(): void;
}

export function followFeed(store: FleetStore, onStatus: (live: boolean) => void): FeedHandle {
  const source = new EventSource(apiUrl('/minions/events'), { withCredentials: true });
  source.addEventListener('open', () => onStatus(true));
  source.addEventListener('error', () => onStatus(false));
  source.addEventListener('snapshot', (event) => {
    const snapshot = JSON.parse((event as MessageEvent<string>).data) as SnapshotData;
    store.feedSnapshot(snapshot.global, snapshot.minions);
  });
  for (const type of ['added', 'changed', 'removed'] as const) {
    source.addEventListener(type, (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as ChangeData;
      store.feedEvent(type, data.id, data.checksum, data.global);
    });
  }
  return { close: () => source.close() };
}
