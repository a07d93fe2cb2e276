/**
 * `/minions` in-process: statuses, checksum headers, conditional GET, and that HEAD never builds a body.
 */
import { Hono } from 'hono';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServedDocument } from '../../machines/minion-snapshot.js';
import { errorHandler } from '../../src/api/errors.js';
import { createChangeFeed } from '../../src/api/feed/change-feed.js';
import type { RegistrySource } from '../../src/api/feed/registry-source.js';
import { minionEventRoutes } from '../../src/api/routes/minion-events.js';
import { minionRoutes } from '../../src/api/routes/minions.js';
import { silentLogger } from '../../src/log/logger.js';
import {
  EMPTY_CHECKSUM,
  type ListBody,
  type RegistryChange,
  type RegistryEntry,
  type RegistryView,
} from '../../src/registry/registry-types.js';
import { documentChecksum, md5 } from '../helpers/checksums.js';
import { readyEntry } from '../helpers/fake-registry.js';

/** A view like the registry's, counting reads of `ids`/`entries` and list builds. */
interface CountingView extends RegistryView {
  readonly reads: { fields: number; listBuilds: number };
}

function makeView(documents: readonly ServedDocument[], version = 0): CountingView {
  const entries = new Map<string, RegistryEntry>();
  for (const document of documents) entries.set(document.id, readyEntry(document.id, document));
  const ids = [...entries.keys()].sort();
  const global = md5(ids.map((id) => `${id}:${entries.get(id)?.checksum}\n`).join(''));
  const reads = { fields: 0, listBuilds: 0 };
  let list: ListBody | undefined;
  return {
    version,
    global,
    reads,
    get ids() {
      reads.fields += 1;
      return ids;
    },
    get entries() {
      reads.fields += 1;
      return entries;
    },
    listBody() {
      if (list === undefined) {
        reads.listBuilds += 1;
        const body = Buffer.from(`[${ids.map((id) => entries.get(id)?.json).join(',')}]`);
        list = { parts: [body], byteLength: body.length };
      }
      return list;
    },
  };
}

class FakeRegistry implements RegistrySource {
  readonly changes$ = new Subject<RegistryChange>();
  view: CountingView;
  constructor(documents: readonly ServedDocument[] = []) {
    this.view = makeView(documents);
  }
  current(): RegistryView {
    return this.view;
  }
  /** A new view over these documents, as the registry makes one per change. */
  set(documents: readonly ServedDocument[]): void {
    this.view = makeView(documents, this.view.version + 1);
  }
}

const web1: ServedDocument = { id: 'web-1', os: { uptime: 12 }, services: ['nginx'] };
const db1: ServedDocument = { id: 'db-1', os: { uptime: 99 }, services: ['postgres'], disk: 0.4 };

function appFor(registry: RegistrySource): Hono {
  const app = new Hono();
  app.onError(errorHandler(silentLogger()));
  app.route('/', minionRoutes(registry));
  return app;
}

const feeds: { close(): void }[] = [];
afterEach(() => {
  for (const feed of feeds.splice(0)) feed.close();
});

describe('HEAD /minions', () => {
  it('answers an empty fleet with the empty checksum and no body', async () => {
    const res = await appFor(new FakeRegistry()).request('/minions', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-MD5')).toBe(EMPTY_CHECKSUM);
    expect(md5('')).toBe(EMPTY_CHECKSUM);
    expect(await res.text()).toBe('');
  });

  it('carries the global checksum over `<id>:<checksum>\\n` in id order', async () => {
    const res = await appFor(new FakeRegistry([web1, db1])).request('/minions', { method: 'HEAD' });
    const expected = md5(`db-1:${documentChecksum(db1)}\nweb-1:${documentChecksum(web1)}\n`);
    expect(res.headers.get('Content-MD5')).toBe(expected);
    expect(res.headers.get('X-Stormtower-Checksum')).toBe(expected);
    expect(res.headers.get('ETag')).toBe(`W/"${expected}"`);
    expect(await res.text()).toBe('');
  });

  it('does no per-request work: no list, no ids, no entries', async () => {
    const registry = new FakeRegistry([web1, db1]);
    const listBody = vi.spyOn(registry.view, 'listBody');
    const app = appFor(registry);
    for (let i = 0; i < 3; i += 1) {
      const res = await app.request('/minions', { method: 'HEAD' });
      expect(res.status).toBe(200);
    }
    expect(listBody).not.toHaveBeenCalled();
    expect(registry.view.reads).toEqual({ fields: 0, listBuilds: 0 });
  });
});

describe('GET /minions', () => {
  it('serves the cached list as JSON with ETag and Content-MD5', async () => {
    const registry = new FakeRegistry([web1, db1]);
    const res = await appFor(registry).request('/minions');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('Content-MD5')).toBe(registry.view.global);
    expect(res.headers.get('X-Stormtower-Checksum')).toBe(registry.view.global);
    expect(res.headers.get('ETag')).toBe(`W/"${registry.view.global}"`);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual([db1, web1]);
    expect(res.headers.get('Content-Length')).toBe(String(Buffer.byteLength(text)));
  });

  it('serves an empty fleet as []', async () => {
    const res = await appFor(new FakeRegistry()).request('/minions');
    expect(await res.text()).toBe('[]');
    expect(res.headers.get('ETag')).toBe(`W/"${EMPTY_CHECKSUM}"`);
  });

  it('reuses the view’s cached body instead of re-encoding', async () => {
    const registry = new FakeRegistry([web1, db1]);
    const listBody = vi.spyOn(registry.view, 'listBody');
    const app = appFor(registry);
    const first = await (await app.request('/minions')).text();
    const second = await (await app.request('/minions')).text();
    expect(listBody).toHaveBeenCalledTimes(2);
    expect(listBody.mock.results[0]?.value).toBe(listBody.mock.results[1]?.value);
    expect(registry.view.reads.listBuilds).toBe(1);
    expect(second).toBe(first);
  });

  it('follows the registry to a new view', async () => {
    const registry = new FakeRegistry([web1]);
    const app = appFor(registry);
    const before = (await app.request('/minions')).headers.get('ETag');
    registry.set([web1, db1]);
    const res = await app.request('/minions');
    expect(res.headers.get('ETag')).not.toBe(before);
    expect(await res.json()).toEqual([db1, web1]);
  });

  it.each([
    ['the weak tag', (g: string) => `W/"${g}"`],
    ['the strong form (weak comparison)', (g: string) => `"${g}"`],
    ['a list containing it', (g: string) => `"0123", W/"abcd" ,W/"${g}"`],
    ['*', () => '*'],
  ])('answers If-None-Match with %s by 304 and no body', async (_name, header) => {
    const registry = new FakeRegistry([web1, db1]);
    const listBody = vi.spyOn(registry.view, 'listBody');
    const res = await appFor(registry).request('/minions', {
      headers: { 'If-None-Match': header(registry.view.global) },
    });
    expect(res.status).toBe(304);
    expect(res.headers.get('ETag')).toBe(`W/"${registry.view.global}"`);
    expect(await res.text()).toBe('');
    expect(listBody).not.toHaveBeenCalled();
  });

  it('answers a stale or foreign If-None-Match with the full list', async () => {
    const registry = new FakeRegistry([web1]);
    const app = appFor(registry);
    const stale = (await app.request('/minions')).headers.get('ETag') ?? '';
    registry.set([web1, db1]);
    for (const header of [
      stale,
      'W/"d41d8cd98f00b204e9800998ecf8427f"',
      `W/"${registry.view.global.slice(1)}"`,
    ]) {
      const res = await app.request('/minions', { headers: { 'If-None-Match': header } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual([db1, web1]);
    }
  });
});

describe('/minions/:id', () => {
  it('HEAD carries the minion checksum (document without `os`) and no body', async () => {
    const res = await appFor(new FakeRegistry([web1, db1])).request('/minions/web-1', { method: 'HEAD' });
    expect(res.status).toBe(200);
    const { os: _os, ...withoutOs } = web1;
    expect(res.headers.get('Content-MD5')).toBe(md5(JSON.stringify(withoutOs)));
    expect(res.headers.get('X-Stormtower-Checksum')).toBe(md5(JSON.stringify(withoutOs)));
    expect(await res.text()).toBe('');
  });

  it('HEAD of an unknown minion is 404 with an empty body', async () => {
    const res = await appFor(new FakeRegistry([web1])).request('/minions/nope', { method: 'HEAD' });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('');
  });

  it('GET serves the cached document with ETag and Content-MD5', async () => {
    const registry = new FakeRegistry([web1, db1]);
    const res = await appFor(registry).request('/minions/db-1');
    const entry = registry.view.entries.get('db-1');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('ETag')).toBe(`W/"${entry?.checksum}"`);
    expect(res.headers.get('Content-MD5')).toBe(entry?.checksum);
    expect(res.headers.get('X-Stormtower-Checksum')).toBe(entry?.checksum);
    expect(await res.text()).toBe(entry?.json);
  });

  it('GET answers a matching If-None-Match by 304, a mismatch by 200', async () => {
    const app = appFor(new FakeRegistry([web1]));
    const checksum = documentChecksum(web1);
    const hit = await app.request('/minions/web-1', { headers: { 'If-None-Match': `"x", W/"${checksum}"` } });
    expect(hit.status).toBe(304);
    expect(await hit.text()).toBe('');
    const miss = await app.request('/minions/web-1', {
      headers: { 'If-None-Match': `W/"${EMPTY_CHECKSUM}"` },
    });
    expect(miss.status).toBe(200);
    expect(await miss.json()).toEqual(web1);
  });

  it('GET of an unknown minion is 404 with the JSON error body, even for If-None-Match: *', async () => {
    const app = appFor(new FakeRegistry([web1]));
    for (const headers of [{}, { 'If-None-Match': '*' }] as Record<string, string>[]) {
      const res = await app.request('/minions/db-9', { headers });
      expect(res.status).toBe(404);
      expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({
        error: 'unknown-minion',
        message: 'no minion is registered as "db-9"',
      });
    }
  });

  it('decodes percent-encoded ids', async () => {
    const odd: ServedDocument = { id: 'rack 7/a' };
    const res = await appFor(new FakeRegistry([odd])).request('/minions/rack%207%2Fa');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(odd);
  });
});

describe('/minions/events is not shadowed by /minions/:id', () => {
  it.each([
    ['minion routes first', true],
    ['event routes first', false],
  ])('%s', async (_name, minionsFirst) => {
    const registry = new FakeRegistry([web1]);
    const feed = createChangeFeed(registry);
    feeds.push(feed);
    const app = new Hono();
    app.onError(errorHandler(silentLogger()));
    const parts = [minionRoutes(registry), minionEventRoutes(feed)];
    for (const part of minionsFirst ? parts : parts.reverse()) app.route('/', part);

    const res = await app.request('/minions/events');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/event-stream');
    await res.body?.cancel();
    await vi.waitFor(() => expect(feed.subscriberCount()).toBe(0));

    // HEAD answers without opening a stream nobody would read.
    const head = await app.request('/minions/events', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(feed.subscriberCount()).toBe(0);

    expect((await app.request('/minions/web-1')).status).toBe(200);
  });

  it('without the event routes, /minions/events is a plain 404', async () => {
    const app = new Hono();
    app.onError(errorHandler(silentLogger()));
    app.route('/', minionRoutes(new FakeRegistry([web1])));
    const res = await app.request('/minions/events');
    expect(res.status).toBe(404);
  });
});
