/**
 * `GET /metrics` end to end: a real tower with a real agent relays, polls and serves an event
 * stream; the exposition is scraped over HTTP (behind the token on the API port, without it on
 * `metricsPort`) and read with a strict text-format parser.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { agent, announced, closeAll, eventually, service, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';
import { openFeed } from '../helpers/sse-feed.js';
import { type MetricFamily, parsePrometheusText, sampleValue } from './prometheus-text.js';

afterEach(closeAll);

const TOKEN = 'metrics-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Map<string, MetricFamily>> {
  const response = await fetch(url, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

describe('GET /metrics', () => {
  it('counts bolts, relays, polls, checksum changes and event streams, with no cname label', async () => {
    const port = await service((req, res) => {
      if (req.url === '/status') return void res.end('{"role":"meter"}');
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
      });
      req.on('end', () => res.writeHead(req.url === '/missing' ? 404 : 200).end(`got ${size} bytes`));
    });
    const t = await tower({ apiToken: TOKEN, statusPort: port, monitorInterval: 100, metricsPort: 0 });
    await agent(t.boltUrl, 'meter-one', [port]);
    await announced(t, 'meter-one');
    await eventually(() => t.registry.current().entries.get('meter-one')?.state === 'ready');

    const proxy = `${t.apiUrl}/proxy/meter-one@${port}`;
    expect((await fetch(`${proxy}/hello`, { headers: auth })).status).toBe(200);
    const post = await fetch(`${proxy}/upload`, { method: 'POST', headers: auth, body: 'x'.repeat(1000) });
    expect(await post.text()).toBe('got 1000 bytes');
    expect((await fetch(`${proxy}/missing`, { headers: auth })).status).toBe(404);
    // A port the agent does not offer: the relay fails before anything reaches the agent.
    expect((await fetch(`${t.apiUrl}/proxy/meter-one@1/x`, { headers: auth })).status).toBe(403);
    const feed = await openFeed(`${t.apiUrl}/minions/events`, auth);
    await feed.waitFor((event) => event.event === 'snapshot');

    expect((await fetch(`${t.apiUrl}/metrics`)).status).toBe(401);
    const text = await (await fetch(`${t.apiUrl}/metrics`, { headers: auth })).text();
    const m = parsePrometheusText(text);

    expect(sampleValue(m, 'stormtower_bolts', { transport: 'ws', state: 'ready' })).toBe(1);
    expect(sampleValue(m, 'stormtower_bolt_connects_total', { transport: 'ws' })).toBe(1);
    expect(sampleValue(m, 'stormtower_minions', { state: 'ready' })).toBe(1);
    expect(sampleValue(m, 'stormtower_checksum_changes_total', { change: 'added' })).toBe(1);
    expect(sampleValue(m, 'stormtower_relays_total', { outcome: '2xx' })).toBe(2);
    expect(sampleValue(m, 'stormtower_relays_total', { outcome: '4xx' })).toBe(1);
    expect(sampleValue(m, 'stormtower_relays_total', { outcome: 'error' })).toBe(1);
    expect(sampleValue(m, 'stormtower_relay_duration_seconds_count')).toBe(4);
    expect(sampleValue(m, 'stormtower_relay_duration_seconds_bucket', { le: '+Inf' })).toBe(4);
    expect(sampleValue(m, 'stormtower_relay_body_bytes_total', { direction: 'request' })).toBe(1000);
    // "got 0 bytes" twice (GET /hello and /missing), "got 1000 bytes" once.
    expect(sampleValue(m, 'stormtower_relay_body_bytes_total', { direction: 'response' })).toBe(11 + 11 + 14);
    expect(sampleValue(m, 'stormtower_polls_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, 'stormtower_poll_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, 'stormtower_event_stream_subscribers')).toBe(1);
    expect(sampleValue(m, 'stormtower_event_stream_dropped_total')).toBe(0);
    // prom-client's defaults, from this tower's own registry.
    expect(m.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(m.has('nodejs_heap_size_used_bytes')).toBe(true);
    expect(m.has('nodejs_gc_duration_seconds')).toBe(true);
    // Bounded cardinality: nothing names a minion.
    expect(text).not.toContain('meter-one');
    for (const family of m.values())
      for (const sample of family.samples) expect(Object.keys(sample.labels)).not.toContain('cname');

    // The token-less listener serves the same registry, and nothing else.
    expect(t.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const plain = await scrape(t.metricsUrl ?? '');
    expect(sampleValue(plain, 'stormtower_relays_total', { outcome: '2xx' })).toBe(2);
    expect((await fetch((t.metricsUrl ?? '').replace('/metrics', '/minions'))).status).toBe(404);

    feed.close();
    await eventually(
      async () => sampleValue(await scrape(t.metricsUrl ?? ''), 'stormtower_event_stream_subscribers') === 0,
    );
  });

  it('counts conflicts and closes by reason, and the gauge follows the table', async () => {
    const port = await service((_req, res) => res.end('{}'));
    const t = await tower({ statusPort: port, monitorInterval: 100 });
    const identity = await (await testPki()).client('meter-twin');
    const first = await agent(t.boltUrl, 'meter-twin', [port], { identity });
    await announced(t, 'meter-twin');
    const second = await agent(t.boltUrl, 'meter-twin', [port], { identity });
    const metrics = async () => parsePrometheusText(await (await fetch(`${t.apiUrl}/metrics`)).text());
    await eventually(
      async () =>
        (sampleValue(await metrics(), 'stormtower_bolt_conflicts_total', { outcome: 'refused' }) ?? 0) >= 1,
    );
    await second.close();
    await first.close();
    const m = await eventually(async () => {
      const now = await metrics();
      return now.get('stormtower_bolts')?.samples.length === 0 ? now : undefined;
    });
    expect(sampleValue(m, 'stormtower_bolt_connects_total', { transport: 'ws' })).toBe(1);
    const closes = m.get('stormtower_bolt_closes_total')?.samples ?? [];
    expect(closes.reduce((sum, s) => sum + s.value, 0)).toBe(1);
    expect(closes[0]?.labels.transport).toBe('ws');
  });
});

describe('the strict parser used here', () => {
  it('rejects samples without a family, bad values and bad label syntax', () => {
    expect(() => parsePrometheusText('x 1\n')).toThrow(/without a HELP\/TYPE family/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx one\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx{a=1} 1\n')).toThrow(/not quoted/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx 1')).toThrow(/newline/);
    const ok = parsePrometheusText('# HELP x a "gauge"\n# TYPE x gauge\nx{a="q\\"\\\\\\n",b="2"} +Inf\n');
    expect(ok.get('x')?.samples[0]).toEqual({ name: 'x', labels: { a: 'q"\\\n', b: '2' }, value: Infinity });
  });
});
