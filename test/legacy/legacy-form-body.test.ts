/**
 * Bodies the old tower carried to a legacy agent: a form-encoded POST arrives as the JSON object
 * express's body parser (qs extended) made of it, and a JSON body on GET or DELETE is relayed. Text
 * and binary bodies keep their 415, naming the two types a legacy agent can carry.
 */
import http from 'node:http';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FORM_LIMITS, parseForm, TooManyParameters } from '../../src/legacy/form-body.js';
import { type ApiErrorBody, api, closeAll, service } from '../helpers/harness.js';
import { framesOf, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

describe('form body as qs read it', () => {
  it.each([
    ['a=1&a=2', { a: ['1', '2'] }],
    ['a[b]=1&a[c]=2', { a: { b: '1', c: '2' } }],
    ['a[]=1&a[]=2', { a: ['1', '2'] }],
    ['a[0]=x&a[1]=y', { a: ['x', 'y'] }],
    ['a[1]=b&a[5]=c', { a: ['b', 'c'] }],
    ['a[21]=x', { a: { '21': 'x' } }],
    ['a[][b]=1&a[][c]=2', { a: [{ b: '1', c: '2' }] }],
    ['a[b][c][d][e][f][g][h]=1', { a: { b: { c: { d: { e: { f: { '[g][h]': '1' } } } } } } }],
    ['x=%E2%9C%93+ok&bad=%E2&k', { x: '✓ ok', bad: '%E2', k: '' }],
    ['a=1&a[b]=2', { a: ['1', { b: '2' }] }],
    ['[a]=1&a[b=1', { a: '1', 'a[b': '1' }],
    ['name=openvpn&version=*&source=npm%3A%2F%2F', { name: 'openvpn', version: '*', source: 'npm://' }],
    ['', {}],
  ])('%s', (text, expected) => {
    expect(parseForm(text)).toEqual(expected);
  });

  it('drops keys that name Object.prototype members', () => {
    const parsed = parseForm('__proto__[x]=1&toString=2&a[constructor]=1&a[hasOwnProperty]=3&ok=1');
    expect(parsed).toEqual({ ok: '1' });
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('refuses more parameters than the limit', () => {
    const many = Array.from({ length: FORM_LIMITS.maxParameters + 1 }, (_, i) => `k${i}=v`).join('&');
    expect(() => parseForm(many)).toThrow(TooManyParameters);
    expect(Object.keys(parseForm(many.slice(0, many.lastIndexOf('&'))))).toHaveLength(1000);
  });

  it('gives back what URLSearchParams encoded, for plain names', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.string({ unit: 'grapheme' })), { maxLength: 20 }), (pairs) => {
        const expected: Record<string, string | string[]> = {};
        for (const [key, value] of pairs) {
          if (Object.hasOwn(Object.prototype, key)) continue;
          const known = expected[key];
          expected[key] = known === undefined ? value : ([] as string[]).concat(known, value);
        }
        expect(parseForm(new URLSearchParams(pairs).toString())).toEqual(expected);
      }),
    );
  });

  it('reads any text into a JSON object no deeper than the limit allows', () => {
    const depth = (value: unknown): number =>
      typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depth)) : 0;
    const chars = fc.constantFrom('a', 'b', '0', '1', '9', '[', ']', '=', '&', '%', '+', 'ü', '_');
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 120 }), (text) => {
        const parsed = parseForm(text);
        expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
        // The parent, `maxDepth` levels, one literal rest, and one array level per level at most.
        expect(depth(parsed)).toBeLessThanOrEqual(2 * (FORM_LIMITS.maxDepth + 2));
      }),
    );
  });
});

interface Echo {
  method: string;
  contentType: string | undefined;
  body: string;
}

const echoService = () =>
  service((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(echo));
    });
  });

/** A GET carrying `{"id":"abc"}` as JSON; resolves with the answer's text. */
function getWithBody(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'GET', headers: { 'content-type': 'application/json', 'content-length': '12' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end('{"id":"abc"}');
  });
}

async function connected() {
  const port = await echoService();
  const legacy = await legacyTower();
  const agent = await legacyAgent(legacy, 'alpha', [port]);
  await legacyAnnounced(legacy, 'alpha');
  const send = (method: string, body: string | Uint8Array, type: string) =>
    api(legacy.t, `/proxy/alpha@${port}/packages`, { method, body, headers: { 'content-type': type } });
  return { port, legacy, agent, send };
}

describe('bodies relayed to a legacy agent', () => {
  it('relays a form POST as the JSON object the old body parser made', async () => {
    const { send } = await connected();
    const res = await send(
      'POST',
      'name=openvpn-storm&version=*&source=npm%3A%2F%2F&tags[]=vpn&tags[]=stormflash&meta[note]=na%C3%AFve+%E2%98%83',
      'application/x-www-form-urlencoded; charset=utf-8',
    );
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.contentType).toBe('application/json');
    expect(JSON.parse(echo.body)).toEqual({
      name: 'openvpn-storm',
      version: '*',
      source: 'npm://',
      tags: ['vpn', 'stormflash'],
      meta: { note: 'naïve ☃' },
    });
  });

  it('relays a JSON body on GET and DELETE in the preamble, and a GET without one as before', async () => {
    const { port, legacy, agent, send } = await connected();
    // fetch will not send a GET body; node:http will, as `curl -X GET -d` does (Node's client
    // frames a GET body only with an explicit length).
    await getWithBody(`${legacy.t.apiUrl}/proxy/alpha@${port}/packages`);
    // What the agent's local service makes of it is the agent's affair: Node's client (0.10 as
    // today's) writes a GET or DELETE body without a length, so the echo is not checked here.
    await (await send('DELETE', '{"id":"abc"}', 'application/json')).text();
    const plain = await api(legacy.t, `/proxy/alpha@${port}/status`);
    expect(((await plain.json()) as Echo).body).toBe('');
    const preambles = framesOf(agent, 'data')
      .map((frame) => String(frame[2]))
      .filter((text) => text.startsWith('{"method"'))
      .map((text) => JSON.parse(text) as unknown);
    expect(preambles).toEqual([
      { method: 'GET', url: '/packages', data: { id: 'abc' } },
      { method: 'DELETE', url: '/packages', data: { id: 'abc' } },
      { method: 'GET', url: '/status' },
    ]);
  });

  it('keeps 415 for text and binary bodies, naming what a legacy agent carries', async () => {
    const { port, agent, send } = await connected();
    for (const [body, type] of [
      ['plain words', 'text/plain'],
      [new Uint8Array([1, 2, 3]), 'application/octet-stream'],
    ] as const) {
      const res = await send('POST', body, type);
      expect(res.status).toBe(415);
      const error = (await res.json()) as ApiErrorBody;
      expect(error.error).toBe('unsupported-body');
      expect(error.message).toContain('application/json and application/x-www-form-urlencoded');
    }
    expect(framesOf(agent, 'new', `relay:${port}`)).toEqual([]);
  });

  it('answers 413 for a form past the parameter limit, with nothing sent', async () => {
    const { port, agent, send } = await connected();
    const many = Array.from({ length: FORM_LIMITS.maxParameters + 1 }, (_, i) => `k${i}=v`).join('&');
    const res = await send('POST', many, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(413);
    expect(((await res.json()) as ApiErrorBody).error).toBe('body-too-large');
    expect(framesOf(agent, 'new', `relay:${port}`)).toEqual([]);
  });
});
