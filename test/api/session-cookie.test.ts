/**
 * Browser sessions against a real tower with `--api-token`: `POST /session` trades the token (JSON
 * or form body) for an opaque cookie the whole read API and the event stream accept, `DELETE
 * /session` signs out, a state-changing relay by cookie needs a trusted Origin, and the cookie never
 * reaches a minion. The store's bounds run on an injected clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sessionIds } from '../../src/api/session/session-cookie.js';
import { SessionStore } from '../../src/api/session/session-store.js';
import type { RunningTower } from '../../src/tower.js';
import { type ApiErrorBody, agent, announced, api, closeAll, service, tower } from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { openFeed } from '../helpers/sse-feed.js';

afterEach(closeAll);

const TOKEN = 'correct horse battery staple';
const PAGE = 'http://dash.example:3000';

/** A service that reports the headers it was sent. */
const headerEcho = () =>
  service((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.headers));
  });

async function signIn(t: RunningTower, body: string, type: string): Promise<Response> {
  return api(t, '/session', { method: 'POST', body, headers: { 'content-type': type } });
}

/** The `name=value` pair a browser would send back, from a sign-in answer. */
function cookieOf(res: Response): string {
  const line = res.headers.get('set-cookie') ?? '';
  return line.split(';')[0] ?? '';
}

describe('POST /session', () => {
  it('sets an HttpOnly SameSite=Strict cookie with an opaque id for the right token (JSON or form)', async () => {
    const t = await tower({ apiToken: TOKEN });
    const json = await signIn(t, JSON.stringify({ token: TOKEN }), 'application/json');
    expect(json.status).toBe(204);
    const line = json.headers.get('set-cookie') ?? '';
    expect(line).toMatch(/^stormtower_session=[A-Za-z0-9_-]{43}; /);
    expect(line).toContain('HttpOnly');
    expect(line).toContain('SameSite=Strict');
    expect(line).toContain('Path=/');
    expect(line).not.toContain('Secure'); // this API is plain http
    expect(line).not.toContain(TOKEN);
    expect(line).not.toContain(encodeURIComponent(TOKEN));

    const form = await signIn(
      t,
      new URLSearchParams({ token: TOKEN }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(form.status).toBe(204);
    expect(cookieOf(form)).not.toBe(cookieOf(json)); // a new session each time

    const multipart = new FormData();
    multipart.set('token', TOKEN);
    expect((await api(t, '/session', { method: 'POST', body: multipart })).status).toBe(204);
  });

  it('answers 401 to a wrong token and logs it once per client address', async () => {
    const { log, lines } = captureLog();
    const t = await tower({ apiToken: TOKEN }, log);
    for (const token of ['wrong', `${TOKEN}x`, TOKEN.slice(1)]) {
      const res = await signIn(t, JSON.stringify({ token }), 'application/json');
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(((await res.json()) as ApiErrorBody).error).toBe('unauthorized');
    }
    const refused = lines.filter((line) => line.msg?.includes('wrong API token'));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ remote: '127.0.0.1' });
    expect(JSON.stringify(lines)).not.toContain('wrong"');
  });

  it('refuses bodies without a token string, of another type, or too large, and the token in a URL', async () => {
    const t = await tower({ apiToken: TOKEN });
    expect((await signIn(t, '{"token": 42}', 'application/json')).status).toBe(400);
    expect((await signIn(t, 'not json', 'application/json')).status).toBe(400);
    expect((await signIn(t, TOKEN, 'text/plain')).status).toBe(415);
    expect((await signIn(t, JSON.stringify({ token: 'x'.repeat(9000) }), 'application/json')).status).toBe(
      413,
    );
    const query = await api(t, `/session?token=${encodeURIComponent(TOKEN)}`, { method: 'POST' });
    expect(query.status).toBe(415);
    expect(query.headers.get('set-cookie')).toBeNull();
  });

  it('is not there without a token', async () => {
    const t = await tower();
    expect((await signIn(t, JSON.stringify({ token: TOKEN }), 'application/json')).status).toBe(404);
  });
});

describe('the session cookie', () => {
  it('opens the read API and the event stream, with the retry hint first, until DELETE /session', async () => {
    const t = await tower({ apiToken: TOKEN, feedRetry: 2500 });
    const cookie = cookieOf(await signIn(t, JSON.stringify({ token: TOKEN }), 'application/json'));
    for (const path of ['/minions', '/clients', '/health']) {
      expect((await api(t, path)).status).toBe(401);
      expect((await api(t, path, { headers: { cookie } })).status).toBe(200);
      expect((await api(t, path, { headers: { cookie: `a=b; ${cookie}; c=d` } })).status).toBe(200);
      expect((await api(t, path, { headers: { cookie: 'stormtower_session=forged' } })).status).toBe(401);
    }

    // As a browser's EventSource sends it: the cookie and no Authorization.
    const raw = await api(t, '/minions/events', { headers: { cookie, accept: 'text/event-stream' } });
    expect(raw.status).toBe(200);
    const reader = raw.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toMatch(/^retry: 2500\n\n/);
    await reader?.cancel();
    const feed = await openFeed(`${t.apiUrl}/minions/events`, { cookie });
    await feed.waitFor((event) => event.event === 'snapshot');
    feed.close();

    const out = await api(t, '/session', { method: 'DELETE', headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^stormtower_session=; Max-Age=0;/);
    expect((await api(t, '/minions', { headers: { cookie } })).status).toBe(401);
  });

  it('relays a state-changing request by cookie only with a trusted Origin, and never relays the cookie', async () => {
    const port = await headerEcho();
    const t = await tower({ apiToken: TOKEN, corsOrigin: [PAGE] });
    await agent(t.boltUrl, 'alpha', [port]);
    await announced(t, 'alpha');
    const cookie = cookieOf(await signIn(t, JSON.stringify({ token: TOKEN }), 'application/json'));
    const post = (headers: Record<string, string>) =>
      api(t, `/proxy/alpha@${port}/change`, { method: 'POST', body: 'x', headers: { cookie, ...headers } });

    const untrusted: Record<string, string>[] = [{}, { origin: 'http://evil.example' }, { origin: 'null' }];
    for (const headers of untrusted) {
      const refused = await post(headers);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as ApiErrorBody).error).toBe('untrusted-origin');
    }
    for (const origin of [t.apiUrl, PAGE]) expect((await post({ origin })).status).toBe(200);
    // The bearer header needs no Origin: no browser adds it on its own.
    const bearer = await api(t, `/proxy/alpha@${port}/change`, {
      method: 'POST',
      body: 'x',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).toBe(200);

    // GET needs no Origin; the minion sees the page's other cookies but not the session.
    const seen = await api(t, `/proxy/alpha@${port}/`, {
      headers: { cookie: `theme=dark; ${cookie}; lang=en` },
    });
    expect(seen.status).toBe(200);
    const headers = (await seen.json()) as Record<string, string>;
    expect(headers.cookie).toBe('theme=dark; lang=en');
    expect(JSON.stringify(headers)).not.toContain('stormtower_session');
    const only = await api(t, `/proxy/alpha@${port}/`, { headers: { cookie } });
    expect((await only.json()) as Record<string, string>).not.toHaveProperty('cookie');
  });
});

describe('SessionStore', () => {
  it('forgets a session idle for idleMs, and a used one later', () => {
    let now = 0;
    const store = new SessionStore({ limit: 10, idleMs: 1000, now: () => now });
    const a = store.create();
    const b = store.create();
    now = 900;
    expect(store.touch(a)).toBe(true);
    now = 1000;
    expect(store.touch(b)).toBe(false); // idle exactly idleMs
    expect(store.touch(a)).toBe(true); // used at 900
    now = 2000;
    expect(store.touch(a)).toBe(false);
    expect(store.size).toBe(0);
  });

  it('holds at most limit sessions, dropping the least recently used', () => {
    let now = 0;
    const store = new SessionStore({ limit: 2, idleMs: 10_000, now: () => now });
    const a = store.create();
    now = 1;
    const b = store.create();
    now = 2;
    expect(store.touch(a)).toBe(true); // b is now the stalest
    const c = store.create();
    expect(store.size).toBe(2);
    expect(store.touch(b)).toBe(false);
    expect(store.touch(a)).toBe(true);
    expect(store.touch(c)).toBe(true);
    store.delete(c);
    expect(store.touch(c)).toBe(false);
  });

  it('reads every session id from a Cookie header', () => {
    expect(sessionIds('a=1; stormtower_session=x; stormtower_session=y')).toEqual(['x', 'y']);
    expect(sessionIds(undefined)).toEqual([]);
    expect(sessionIds('stormtower_sessionx=1')).toEqual([]);
  });
});
