/**
 * `/minions` end to end over real mutual TLS: real agents, each in front of its own real local
 * HTTP status service, polled by a real tower through the relay path; read back over real HTTP,
 * including the server-sent change feed. Checksums are recomputed here from the published rule.
 */
import { readFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningTower, TowerSettings } from '../../src/tower.js';
import { type Document, documentChecksum, globalChecksum, md5, served } from '../helpers/checksums.js';
import { type ApiErrorBody, agent, api, closeAll, eventually, tower } from '../helpers/harness.js';
import { change, changeData, openFeed, type SseFeed, snapshotData } from '../helpers/sse-feed.js';
import {
  answerJson,
  answerText,
  hang,
  type StatusHost,
  type StatusHosts,
  statusHosts,
} from '../helpers/status-hosts.js';

afterEach(closeAll);

const INTERVAL = 200;

/** The stormflash fixture's own id, used as the cname so the served document is the fixture itself. */
const STORMFLASH_ID = '30a2a131-f812-4666-bb69-c443f7e3a901';
const STORMFLASH_CHECKSUM = '07a6525c60d530a9870d89d9f1ad1091';
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/stormflash-status.json', import.meta.url), 'utf8'),
) as Document;
const fixtureOs = fixture.os as Document;

/** Another agent's status: the fixture's shape with its own instance and host, and no `id` of its own. */
function variant(name: string): Document {
  const { id: _id, ...rest } = fixture;
  return { ...rest, instance: `instance-of-${name}`, os: { ...fixtureOs, hostname: `${name}-host` } };
}

function withPackage(status: Document, name: string): Document {
  const packages = Array.isArray(status.packages) ? status.packages : [];
  return {
    ...status,
    packages: [...packages, { name, version: '1.0.0', source: 'npm://', status: { installed: true } }],
  };
}

function item<T>(list: readonly T[], index: number): T {
  const value = list[index];
  if (value === undefined) throw new Error(`no item ${index}`);
  return value;
}

interface ClientRow {
  cname: string;
  state: string;
  lastError: { code: string; message: string; at: number } | null;
}

interface Minion {
  readonly cname: string;
  readonly host: StatusHost;
  /** Stops the agent, as if the minion went away. */
  close(): Promise<void>;
}

interface Setup {
  readonly t: RunningTower;
  readonly feed: SseFeed;
  readonly minions: readonly Minion[];
  /** The status port every service listens on, and the tower polls. */
  readonly port: number;
}

/**
 * A tower polling every INTERVAL ms, its change feed (open before anything connects), and one agent
 * per entry in front of its own status service answering that entry's status (a document to serve
 * as JSON, or a request handler).
 */
async function setUp(
  statuses: readonly (readonly [string, Document | RequestListener])[],
  settings: Partial<TowerSettings> = {},
) {
  const hosts: StatusHosts = await statusHosts(statuses.length);
  const t = await tower({ monitorInterval: INTERVAL, statusPort: hosts.port, ...settings });
  const feed = await openFeed(`${t.apiUrl}/minions/events`);
  const minions: Minion[] = [];
  for (const [i, [cname, status]] of statuses.entries()) {
    const host = item(hosts.hosts, i);
    host.handler = typeof status === 'function' ? status : answerJson(status);
    const client = await agent(t.boltUrl, cname, [hosts.port], hosts.agentOptions(host));
    minions.push({ cname, host, close: () => client.close() });
  }
  return { t, feed, minions, port: hosts.port } satisfies Setup;
}

const head = (t: RunningTower, path: string) => api(t, path, { method: 'HEAD' });
const md5Of = async (t: RunningTower, path: string) => (await head(t, path)).headers.get('content-md5');

async function getJson<T>(t: RunningTower, path: string): Promise<T> {
  const res = await api(t, path);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

const ids = (documents: readonly Document[]) => documents.map((document) => document.id);

describe('/minions over real bolts', () => {
  it('lists every minion in id order, with the checksums the rule gives', async () => {
    const statuses = [
      [STORMFLASH_ID, fixture],
      ['alpha', variant('alpha')],
      ['Zed', { ...variant('zed'), id: 'Zed' }],
    ] as const;
    const { t, feed, minions } = await setUp(statuses);

    const { event: first } = await feed.waitFor(() => true);
    expect(first.event).toBe('snapshot');
    expect(snapshotData(first)).toEqual({ global: md5(''), minions: [] });
    let last = 0;
    for (const [cname] of statuses) {
      last = Math.max(last, (await feed.waitFor(change('added', cname))).index);
    }

    const expected = statuses.map(([cname, status]) => served(status, cname));
    const global = globalChecksum(expected);
    const res = await api(t, '/minions');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-md5')).toBe(global);
    const listed = (await res.json()) as Document[];
    // Plain code-unit order, as Array.prototype.sort: digits, then upper case, then lower case.
    expect(ids(listed)).toEqual([STORMFLASH_ID, 'Zed', 'alpha']);
    expect(listed).toEqual([expected[0], expected[2], expected[1]]);
    expect(globalChecksum(listed)).toBe(global);
    // The served document keeps the agent's key order: a claimed id in place, a missing one last.
    expect(Object.keys(item(listed, 0))).toEqual(Object.keys(fixture));
    expect(Object.keys(item(listed, 2)).at(-1)).toBe('id');

    const headList = await head(t, '/minions');
    expect(headList.status).toBe(200);
    expect(headList.headers.get('content-md5')).toBe(global);
    expect(await headList.text()).toBe('');
    expect(changeData(item(feed.events, last)).global).toBe(global);

    expect(await md5Of(t, `/minions/${STORMFLASH_ID}`)).toBe(STORMFLASH_CHECKSUM);
    for (const document of expected) {
      expect(await md5Of(t, `/minions/${document.id}`)).toBe(documentChecksum(document));
      expect(await getJson<Document>(t, `/minions/${document.id}`)).toEqual(document);
    }
    // Each service was asked for its status as the tower asks: GET /status, JSON please.
    for (const { host } of minions) {
      expect(host.requests[0]).toEqual({ method: 'GET', url: '/status', accept: 'application/json' });
    }
  });

  it('announces a changed document on a following poll and serves its new checksums', async () => {
    const bystander = variant('bystander');
    const { t, feed, minions } = await setUp([
      [STORMFLASH_ID, fixture],
      ['bystander', bystander],
    ]);
    await feed.waitFor(change('added', STORMFLASH_ID));
    await feed.waitFor(change('added', 'bystander'));
    const bystanderChecksum = documentChecksum(served(bystander, 'bystander'));
    expect(await md5Of(t, `/minions/${STORMFLASH_ID}`)).toBe(STORMFLASH_CHECKSUM);

    const next = withPackage(fixture, 'openvpn-storm');
    const nextDocument = served(next, STORMFLASH_ID);
    const nextChecksum = documentChecksum(nextDocument);
    const global = globalChecksum([nextDocument, served(bystander, 'bystander')]);
    const mark = feed.events.length;
    item(minions, 0).host.handler = answerJson(next);

    await eventually(async () => (await md5Of(t, `/minions/${STORMFLASH_ID}`)) === nextChecksum);
    expect(await md5Of(t, '/minions')).toBe(global);
    const { event } = await feed.waitFor(change('changed', STORMFLASH_ID), { from: mark });
    expect(changeData(event)).toEqual({ id: STORMFLASH_ID, checksum: nextChecksum, global });
    // One change, one event: the bystander, whose document did not move, is not mentioned.
    expect(feed.events.slice(mark)).toEqual([event]);
    expect(await md5Of(t, '/minions/bystander')).toBe(bystanderChecksum);
    expect(await getJson<Document>(t, `/minions/${STORMFLASH_ID}`)).toEqual(nextDocument);
  });

  it('serves a newer os at once but announces no change for it', async () => {
    const { t, feed, minions } = await setUp([[STORMFLASH_ID, fixture]]);
    await feed.waitFor(change('added', STORMFLASH_ID));
    const global = await md5Of(t, '/minions');
    expect(global).toBe(globalChecksum([served(fixture, STORMFLASH_ID)]));
    const host = item(minions, 0).host;

    const mark = feed.events.length;
    const moved = { ...fixture, os: { ...fixtureOs, uptime: 99_999.5, hostname: 'kvm571' } };
    host.handler = answerJson(moved);
    await eventually(async () => {
      const document = await getJson<Document>(t, `/minions/${STORMFLASH_ID}`);
      return (document.os as Document).uptime === 99_999.5;
    });
    expect(await getJson<Document[]>(t, '/minions')).toEqual([moved]);
    expect(await md5Of(t, `/minions/${STORMFLASH_ID}`)).toBe(STORMFLASH_CHECKSUM);
    expect(await md5Of(t, '/minions')).toBe(global);

    // The feed is ordered: had the os change been announced, its event would come before this one.
    const real = withPackage(moved, 'stormlight');
    host.handler = answerJson(real);
    const { event, index } = await feed.waitFor(change('changed', STORMFLASH_ID), { from: mark });
    expect(index).toBe(mark);
    expect(changeData(event).checksum).toBe(documentChecksum(real));
  });

  it('answers If-None-Match with 304 until the checksum moves', async () => {
    const { t, minions } = await setUp([[STORMFLASH_ID, fixture]]);
    await eventually(async () => (await head(t, `/minions/${STORMFLASH_ID}`)).status === 200);
    const global = globalChecksum([served(fixture, STORMFLASH_ID)]);

    const list = await api(t, '/minions');
    const listTag = list.headers.get('etag');
    expect(listTag).toBe(`W/"${global}"`);
    await list.body?.cancel();
    const cachedList = await api(t, '/minions', { headers: { 'if-none-match': listTag ?? '' } });
    expect(cachedList.status).toBe(304);
    expect(cachedList.headers.get('etag')).toBe(listTag);
    expect(await cachedList.text()).toBe('');

    const path = `/minions/${STORMFLASH_ID}`;
    const one = await api(t, path);
    expect(one.headers.get('etag')).toBe(`W/"${STORMFLASH_CHECKSUM}"`);
    await one.body?.cancel();
    // Weak comparison: the strong form, a list holding it, and `*` all match.
    for (const tag of [`"${STORMFLASH_CHECKSUM}"`, `"nope", W/"${STORMFLASH_CHECKSUM}"`, '*']) {
      const res = await api(t, path, { headers: { 'if-none-match': tag } });
      expect(res.status, tag).toBe(304);
      expect(await res.text()).toBe('');
    }
    const headCached = await api(t, path, {
      method: 'HEAD',
      headers: { 'if-none-match': `W/"${STORMFLASH_CHECKSUM}"` },
    });
    expect(headCached.status).toBe(304);
    const stale = await api(t, path, {
      headers: { 'if-none-match': 'W/"00000000000000000000000000000000"' },
    });
    expect(stale.status).toBe(200);
    expect(await stale.json()).toEqual(fixture);

    const next = withPackage(fixture, 'nginx-storm');
    const nextChecksum = documentChecksum(next);
    item(minions, 0).host.handler = answerJson(next);
    const fresh = await eventually(async () => {
      const res = await api(t, path, { headers: { 'if-none-match': `W/"${STORMFLASH_CHECKSUM}"` } });
      if (res.status === 304) return undefined;
      return res;
    });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('etag')).toBe(`W/"${nextChecksum}"`);
    expect(await fresh.json()).toEqual(next);
    const freshList = await api(t, '/minions', { headers: { 'if-none-match': listTag ?? '' } });
    expect(freshList.status).toBe(200);
    expect(freshList.headers.get('etag')).toBe(`W/"${globalChecksum([next])}"`);
    expect(await freshList.json()).toEqual([next]);
  });

  it('announces a minion whose agent stops as removed, and stops serving it', async () => {
    const { t, feed, minions } = await setUp([
      [STORMFLASH_ID, fixture],
      ['leaver', variant('leaver')],
    ]);
    await feed.waitFor(change('added', STORMFLASH_ID));
    await feed.waitFor(change('added', 'leaver'));
    const mark = feed.events.length;

    await item(minions, 1).close();
    const { event } = await feed.waitFor(change('removed', 'leaver'), { from: mark });
    const global = globalChecksum([served(fixture, STORMFLASH_ID)]);
    expect(changeData(event)).toEqual({ id: 'leaver', checksum: null, global });
    expect(ids(await getJson<Document[]>(t, '/minions'))).toEqual([STORMFLASH_ID]);
    expect(await md5Of(t, '/minions')).toBe(global);
    expect((await head(t, '/minions/leaver')).status).toBe(404);
    const gone = await api(t, '/minions/leaver');
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as ApiErrorBody).error).toBe('unknown-minion');
    const clients = await getJson<ClientRow[]>(t, '/clients');
    expect(clients.map(({ cname }) => cname)).toEqual([STORMFLASH_ID]);
  });

  it('keeps serving every other minion while some answer garbage, and says why in /clients', async () => {
    const tenMegabytes = `{"padding":"${'x'.repeat(10 * 1024 * 1024)}"}`;
    // Four never answer sensibly; the turncoat turns only after it has been served.
    const { t, feed, minions, port } = await setUp(
      [
        [STORMFLASH_ID, fixture],
        ['turncoat', variant('turncoat')],
        ['html-minion', answerText('text/html', '<!doctype html><html><body>It works!</body></html>')],
        ['huge-minion', answerText('application/json', tenMegabytes)],
        ['array-minion', answerJson([fixture])],
        ['hang-minion', hang],
        // Answers the head and the start of a body, then nothing: the body read must time out too.
        [
          'stall-minion',
          (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).write('{"id":'),
        ],
        ['error-minion', (_req, res) => res.writeHead(500).end('internal error')],
      ],
      // Short enough that the hung and stalled minions fail within the test, long enough that a good
      // poll never does while the test process also serves 10 MB on a busy machine.
      { statusBodyLimit: 256 * 1024, relayTimeout: 4 },
    );
    const [good, turncoat] = minions;
    if (!good || !turncoat) throw new Error('eight minions expected');
    // And one whose agent has no status service behind it at all.
    await agent(t.boltUrl, 'down-minion', [port], { localHost: '127.0.0.254' });
    await feed.waitFor(change('added', STORMFLASH_ID));
    await feed.waitFor(change('added', 'turncoat'));
    turncoat.host.handler = answerText('text/html', '<html>maintenance</html>');

    const expectedCodes: Record<string, string> = {
      turncoat: 'invalid-json',
      'html-minion': 'invalid-json',
      'huge-minion': 'too-large',
      'array-minion': 'not-object',
      'hang-minion': 'timeout',
      'stall-minion': 'timeout',
      'error-minion': 'http-status',
      'down-minion': 'unreachable',
    };
    const clients = await eventually(async () => {
      const rows = await getJson<ClientRow[]>(t, '/clients');
      const settled = Object.entries(expectedCodes).every(
        ([cname, code]) => rows.find((row) => row.cname === cname)?.lastError?.code === code,
      );
      return settled ? rows : undefined;
    }, 20_000);
    const BROKEN = Object.keys(expectedCodes).filter((cname) => cname !== 'turncoat');
    const row = (cname: string) => clients.find((client) => client.cname === cname);
    // Bad answers close no bolt: all nine are still connected.
    expect(clients).toHaveLength(9);
    expect(row(STORMFLASH_ID)).toMatchObject({ state: 'ready', lastError: null });
    // A minion that never sent a good document is still waiting for one; the turncoat keeps its own.
    for (const cname of BROKEN) {
      expect(row(cname)?.state, cname).toBe('monitoring');
    }
    expect(row('turncoat')?.state).toBe('ready');
    expect(row('html-minion')?.lastError?.message).toContain('<!doctype html>');
    expect(row('huge-minion')?.lastError?.message).toContain(String(256 * 1024));
    expect(row('array-minion')?.lastError?.message).toContain('array');

    const expected = [served(fixture, STORMFLASH_ID), served(variant('turncoat'), 'turncoat')];
    const listed = await api(t, '/minions');
    expect(ids((await listed.json()) as Document[])).toEqual([STORMFLASH_ID, 'turncoat']);
    expect(listed.headers.get('content-md5')).toBe(globalChecksum(expected));
    expect(await getJson<Document>(t, '/minions/turncoat')).toEqual(item(expected, 1));
    for (const cname of BROKEN) {
      expect((await head(t, `/minions/${cname}`)).status, cname).toBe(404);
    }

    // And the good minion is still polled: its next change shows up as usual.
    const mark = feed.events.length;
    const next = withPackage(fixture, 'dnsmasq-storm');
    good.host.handler = answerJson(next);
    const { event } = await feed.waitFor(change('changed', STORMFLASH_ID), { from: mark });
    expect(changeData(event).checksum).toBe(documentChecksum(next));
  });

  it('serves a document that claims a foreign id under its certificate CN', async () => {
    const { t } = await setUp([['impostor', fixture]]);
    await eventually(async () => (await head(t, '/minions/impostor')).status === 200);

    const document = await getJson<Document>(t, '/minions/impostor');
    expect(document).toEqual({ ...fixture, id: 'impostor' });
    expect(Object.keys(document)).toEqual(Object.keys(fixture));
    const checksum = documentChecksum(served(fixture, 'impostor'));
    expect(checksum).not.toBe(STORMFLASH_CHECKSUM);
    expect(await md5Of(t, '/minions/impostor')).toBe(checksum);
    expect((await head(t, `/minions/${STORMFLASH_ID}`)).status).toBe(404);
    expect(ids(await getJson<Document[]>(t, '/minions'))).toEqual(['impostor']);
  });
});
