/**
 * CORS on the read API against a real tower: a listed origin gets its origin echoed with
 * credentials and the exposed checksum headers, on simple requests, preflights and the event stream
 * (which bypasses hono's response); any other origin gets no CORS header at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { api, closeAll, tower } from '../helpers/harness.js';
import { openFeed } from '../helpers/sse-feed.js';

afterEach(closeAll);

const PAGE = 'https://dash.example:8443';
const OTHER = 'https://evil.example';
const TOKEN = 'cors token';

const corsHeaders = (res: Response): string[] =>
  [...res.headers.keys()].filter((name) => name.startsWith('access-control-'));

describe('CORS for listed origins', () => {
  it('answers a preflight with 204, the origin echoed, credentials, methods and Authorization', async () => {
    // With a token: the preflight carries none, and must still pass.
    const t = await tower({ corsOrigin: [PAGE], apiToken: TOKEN });
    for (const path of ['/minions', '/minions/web-1', '/minions/events', '/clients']) {
      const res = await api(t, path, {
        method: 'OPTIONS',
        headers: {
          origin: PAGE,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(PAGE);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-allow-methods')).toContain('GET');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      expect(res.headers.get('vary')).toContain('Origin');
    }
  });

  it('echoes the origin on GET and HEAD and exposes the checksum headers', async () => {
    const t = await tower({ corsOrigin: [PAGE, 'http://localhost:3000'] });
    for (const method of ['GET', 'HEAD']) {
      for (const path of ['/minions', '/clients']) {
        const res = await api(t, path, { method, headers: { origin: PAGE } });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe(PAGE);
        expect(res.headers.get('access-control-allow-credentials')).toBe('true');
        const exposed = res.headers.get('access-control-expose-headers')?.toLowerCase() ?? '';
        for (const name of ['etag', 'content-md5', 'x-stormtower-checksum-type'])
          expect(exposed).toContain(name);
        expect(res.headers.get('vary')).toContain('Origin');
      }
    }
  });

  it('sends the CORS headers on the event stream too', async () => {
    const t = await tower({ corsOrigin: [PAGE] });
    const feed = await openFeed(`${t.apiUrl}/minions/events`, { origin: PAGE });
    try {
      expect(feed.response.headers.get('access-control-allow-origin')).toBe(PAGE);
      expect(feed.response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(feed.response.headers.get('content-type')).toBe('text/event-stream');
      await feed.waitFor((event) => event.event === 'snapshot');
    } finally {
      feed.close();
    }
  });

  it('gives an origin not listed, or no origin, no CORS header at all', async () => {
    const t = await tower({ corsOrigin: [PAGE] });
    const preflight = await api(t, '/minions', {
      method: 'OPTIONS',
      headers: { origin: OTHER, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).not.toBe(204);
    expect(corsHeaders(preflight)).toEqual([]);
    const variants: Record<string, string>[] = [
      { origin: OTHER },
      {},
      { origin: `${PAGE}/` },
      { origin: 'null' },
    ];
    for (const headers of variants) {
      const res = await api(t, '/minions', { headers });
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual([]);
      expect(res.headers.get('vary')).toContain('Origin');
    }
  });

  it('sends no CORS header when no origin is configured', async () => {
    const t = await tower();
    const res = await api(t, '/minions', { headers: { origin: PAGE } });
    expect(corsHeaders(res)).toEqual([]);
  });
});
