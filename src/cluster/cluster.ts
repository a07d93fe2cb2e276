/**
 * A tower's membership of a cluster: the minions bucket folded into this tower's registry, this
 * tower's own minions published into it, its presence kept fresh, and dead towers' minions removed.
 *
 *   registry.own$ --> MinionPublisher --CAS--> [minions bucket] --watch--> remote$ --> registry
 *                                          [towers bucket] <--> TowerPresence --> reaper
 */
import { type KV, Kvm, type KvWatchEntry } from '@nats-io/kv';
import { type Observable, Subject, type Subscription } from 'rxjs';
import type { Bolt } from '../link/bolt.js';
import type { BoltTable } from '../link/bolt-table.js';
import type { LimitLog } from '../log/limit-log.js';
import type { Logger } from '../log/logger.js';
import type { MinionRegistry } from '../registry/minion-registry.js';
import type { OwnedEntry } from '../registry/registry-entry.js';
import { REMOTE_SEQ, type RemoteGone, type RemoteHeld } from '../registry/registry-events.js';
import type { RegistryEntry } from '../registry/registry-types.js';
import { bucketKey, MINIONS_BUCKET, nameOfKey, TOWERS_BUCKET } from './bucket-keys.js';
import { type BucketWatch, watchBucket } from './bucket-watch.js';
import { MinionPublisher } from './minion-publisher.js';
import { isListed, type LocalMinion, parseRecord, type RecordSummary, recordEntry } from './minion-record.js';
import { linkToNats, type NatsSettings } from './nats-link.js';
import { TowerPresence } from './tower-presence.js';
import type { TowerRecord } from './tower-record.js';

export interface ClusterSettings extends Omit<NatsSettings, 'name'> {
  readonly towerId: string;
  /** A tower unheard this long is dead, and its minions that did not reconnect elsewhere are removed. */
  readonly presenceTimeoutMs: number;
}

/** Where this tower is reached, published in its presence record. */
export type TowerEndpoints = Pick<TowerRecord, 'relayUrl' | 'apiUrl' | 'boltUrl'>;

export interface ClusterStatus {
  readonly towerId: string;
  readonly connected: boolean;
  /** Whether the minions bucket has been read through once since this tower started. */
  readonly synced: boolean;
  /** Live towers, this one included once its presence has gone round. */
  readonly towers: number;
  /** Minion keys waiting to be written (non-zero while NATS is down). */
  readonly pendingWrites: number;
}

export interface Cluster {
  readonly towerId: string;
  /** Other towers' minions, for the registry. */
  readonly remote$: Observable<RemoteHeld | RemoteGone>;
  /** Begins publishing this tower's minions and presence. */
  start(deps: { registry: MinionRegistry; table: BoltTable; endpoints: TowerEndpoints }): void;
  /** The live tower holding `cname` and its relay address, when it is another tower. */
  ownerOf(cname: string): { readonly towerId: string; readonly relayUrl: string } | undefined;
  /** Records of minions other towers hold (for `/clients`). */
  remoteRecords(): Iterable<RecordSummary>;
  status(): ClusterStatus;
  readonly up$: Observable<boolean>;
  close(): Promise<void>;
}

/** Registry entries are `OwnedEntry` objects; the public view type just does not say so. */
const isOwned = (entry: RegistryEntry): entry is OwnedEntry => 'seq' in entry;

// Deletes in flight while reaping: a dead tower's thousands of keys go in seconds, not minutes.
const REAP_IN_FLIGHT = 32;

interface Known {
  readonly record: RecordSummary;
  readonly revision: number;
}

export function joinCluster(settings: ClusterSettings, log: Logger, limitLog: LimitLog): Cluster {
  const { towerId, presenceTimeoutMs } = settings;
  const clusterLog = log.child({ towerId });
  const nats = linkToNats({ ...settings, name: `stormtower ${towerId}` }, clusterLog);
  const remote = new Subject<RemoteHeld | RemoteGone>();
  const known = new Map<string, Known>();
  const presence = new TowerPresence(presenceTimeoutMs);
  /** Own keys no bolt here holds, and when that was first noticed (a previous run's, or a failed delete). */
  const orphanSince = new Map<string, number>();
  let connected = false;
  let registry: MinionRegistry | undefined;
  let table: BoltTable | undefined;
  let endpoints: TowerEndpoints | undefined;
  let minionsKv: KV | undefined;
  let towersKv: KV | undefined;
  const watches: BucketWatch[] = [];
  let minionsWatch: BucketWatch | undefined;
  const timers: NodeJS.Timeout[] = [];
  const subscriptions: Subscription[] = [];
  const cleanups: (() => void)[] = [];
  let closed = false;

  const localEntry = (cname: string): OwnedEntry | undefined => {
    const entry = registry?.current().entries.get(cname);
    return entry !== undefined && isOwned(entry) && entry.seq !== REMOTE_SEQ ? entry : undefined;
  };

  /** The bolt held here for `cname`, with its entry once the minion has a first document. */
  const local = (cname: string): LocalMinion | undefined => {
    const bolt = table?.get(cname);
    if (bolt === undefined) return undefined;
    const entry = localEntry(cname);
    return {
      cname,
      boltId: bolt.boltId,
      connectedAt: bolt.connectedAt.getTime(),
      link: { ports: [...(bolt.ports ?? [])], address: bolt.address, transport: bolt.transport },
      entry: entry?.boltId === bolt.boltId ? entry : undefined,
    };
  };

  const publisher = new MinionPublisher({
    towerId,
    local,
    maxPayload: () => nats.connection()?.info?.max_payload,
    tooLarge: (cname, bytes, limit) =>
      limitLog.hit(
        cname,
        'max_payload',
        { cname, bytes, limit },
        "a minion's record is larger than the NATS server takes; other towers keep its previous one",
      ),
    lost: (cname, boltId, byTower) => {
      const bolt = table?.get(cname);
      if (bolt === undefined || bolt.boltId !== boltId) return;
      clusterLog.info({ cname, byTower }, 'minion reconnected to another tower; closing its stale bolt here');
      bolt.close('replaced', `the agent reconnected to tower ${byTower}`);
    },
    log: clusterLog,
  });

  function onMinionKey(entry: KvWatchEntry): void {
    const cname = nameOfKey(entry.key);
    if (cname === undefined) {
      limitLog.once(
        `key:${entry.key}`,
        'cluster-key',
        { key: entry.key },
        'ignored a minions-bucket key no tower writes',
      );
      return;
    }
    if (entry.operation !== 'PUT') {
      known.delete(cname);
      orphanSince.delete(cname);
      publisher.forgotten(cname, entry.revision);
      remote.next({ type: 'remote-gone', id: cname });
      return;
    }
    const parsed = parseRecord(entry.value);
    if (!parsed.ok || parsed.record.cname !== cname) {
      const problem = parsed.ok ? 'cname does not match its key' : parsed.message;
      limitLog.once(
        `key:${entry.key}`,
        'cluster-record',
        { cname, problem },
        'ignored a malformed minion record',
      );
      known.delete(cname);
      remote.next({ type: 'remote-gone', id: cname });
      return;
    }
    const { record } = parsed;
    // The document lives in the registry entry; held twice it would double a fleet's memory here.
    const { document: _served, ...summary } = record;
    known.set(cname, { record: summary, revision: entry.revision });
    if (record.owner !== towerId) {
      orphanSince.delete(cname);
      publisher.overtaken(cname, entry.revision, record.owner);
    }
    // A bolt without a document is relayed to, but not listed (as on its own tower). This tower's own
    // record is shown while it holds the bolt: until its minion has a document of its own, the
    // record's (carried over from the tower it took the minion from) keeps it listed; after, the
    // local entry wins. Without the bolt, it is a leftover soon deleted.
    const shown = isListed(record) && (record.owner !== towerId || table?.get(cname) !== undefined);
    remote.next(
      shown ? { type: 'remote-held', entry: recordEntry(record) } : { type: 'remote-gone', id: cname },
    );
  }

  async function beat(): Promise<void> {
    if (!connected || towersKv === undefined || endpoints === undefined) return;
    const record: TowerRecord = { v: 1, towerId, ...endpoints, startedAt };
    await towersKv.put(bucketKey(towerId), JSON.stringify(record)).catch((error: unknown) => {
      clusterLog.debug({ err: error }, 'presence write failed');
    });
  }

  let reaping = false;

  /** Removes keys whose tower is dead, and this tower's own keys that no bolt here holds any more. */
  async function reap(): Promise<void> {
    const kv = minionsKv;
    if (!connected || kv === undefined || reaping) return;
    reaping = true;
    try {
      await reapWith(kv);
    } finally {
      reaping = false;
    }
  }

  async function reapWith(kv: KV): Promise<void> {
    const now = Date.now();
    const doomed: [string, number][] = [];
    for (const [cname, { record, revision }] of known) {
      if (record.owner !== towerId) {
        if (presence.isDead(record.owner)) doomed.push([cname, revision]);
        continue;
      }
      if (publisher.held(cname) !== undefined || local(cname) !== undefined) {
        orphanSince.delete(cname);
        continue;
      }
      const since = orphanSince.get(cname) ?? now;
      orphanSince.set(cname, since);
      if (now - since > presenceTimeoutMs) doomed.push([cname, revision]);
    }
    if (doomed.length > 0)
      clusterLog.info({ minions: doomed.length }, 'removing minions whose tower is gone');
    // Compare-and-delete: a minion that reconnected meanwhile has a newer revision and stays; when
    // several towers reap the same dead tower, one delete per key wins and the others are refused.
    const next = doomed[Symbol.iterator]();
    const worker = async () => {
      for (const [cname, revision] of next)
        await kv.delete(bucketKey(cname), { previousSeq: revision }).catch(() => {});
    };
    await Promise.all(Array.from({ length: REAP_IN_FLIGHT }, worker));
  }

  const startedAt = Date.now();

  function resync(): void {
    presence.reconnected();
    const own: string[] = [];
    for (const bolt of table?.list() ?? []) own.push(bolt.cname);
    publisher.resync(own);
    void beat();
  }

  async function open(): Promise<void> {
    const connection = await nats.ready;
    if (closed) return;
    const kvm = new Kvm(connection);
    // history 1: a key's last operation is all a tower needs, deletes included.
    [minionsKv, towersKv] = await Promise.all([
      kvm.create(MINIONS_BUCKET, { history: 1 }),
      kvm.create(TOWERS_BUCKET, { history: 1 }),
    ]);
    if (closed) return;
    watches.push(watchBucket(towersKv, (entry) => presence.receive(entry), clusterLog, TOWERS_BUCKET));
    minionsWatch = watchBucket(minionsKv, onMinionKey, clusterLog, MINIONS_BUCKET);
    watches.push(minionsWatch);
    publisher.attach(minionsKv);
    void beat();
  }

  return {
    towerId,
    remote$: remote.asObservable(),
    up$: nats.up$,
    start(deps) {
      registry = deps.registry;
      table = deps.table;
      endpoints = deps.endpoints;
      // A bolt is published when it connects (so any tower relays to it and a takeover happens at
      // once), again when its ports are known, and with each new checksum of its document.
      subscriptions.push(deps.registry.own$.subscribe(({ id }) => publisher.mark(id)));
      const mark = (bolt: Bolt) => publisher.mark(bolt.cname);
      // A bolt closed here: its own record, deleted soon, must not show once its minion leaves.
      const closed = (bolt: Bolt) => {
        if (known.get(bolt.cname)?.record.owner === towerId)
          remote.next({ type: 'remote-gone', id: bolt.cname });
        publisher.mark(bolt.cname);
      };
      deps.table.on('connected', mark);
      deps.table.on('capability', mark);
      deps.table.on('closed', closed);
      cleanups.push(() => {
        deps.table.off('connected', mark);
        deps.table.off('capability', mark);
        deps.table.off('closed', closed);
      });
      // Back from an outage (not the first connect): peers get a full timeout to be heard again, and
      // every minion held here is written again (keys may have been removed by peers meanwhile).
      let everUp = false;
      subscriptions.push(
        nats.up$.subscribe((up) => {
          const back = up && everUp && !connected;
          connected = up;
          everUp ||= up;
          if (back) resync();
        }),
      );
      const every = Math.max(100, Math.floor(presenceTimeoutMs / 3));
      timers.push(setInterval(() => void beat(), every));
      timers.push(setInterval(() => void reap(), every));
      open().catch((error: unknown) => {
        if (!closed) clusterLog.error({ err: error }, 'cannot open the cluster buckets');
      });
    },
    ownerOf(cname) {
      const owner = known.get(cname)?.record.owner;
      if (owner === undefined || owner === towerId) return undefined;
      // Cut off from NATS, nobody is heard: relays still go to where the minion was last seen.
      const tower = connected ? presence.live(owner) : presence.lastKnown(owner);
      return tower === undefined ? undefined : { towerId: owner, relayUrl: tower.relayUrl };
    },
    *remoteRecords() {
      for (const { record } of known.values()) if (record.owner !== towerId) yield record;
    },
    status: () => ({
      towerId,
      connected,
      synced: minionsWatch?.synced ?? false,
      towers: presence.towers().length,
      pendingWrites: publisher.pending,
    }),
    async close() {
      closed = true;
      for (const timer of timers) clearInterval(timer);
      for (const subscription of subscriptions) subscription.unsubscribe();
      for (const cleanup of cleanups) cleanup();
      for (const watch of watches) watch.stop();
      publisher.stop();
      remote.complete();
      await nats.close();
    },
  };
}
