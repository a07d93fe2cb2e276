/**
 * The event-stream metrics through the real route on a real socket: open streams counted when
 * scraped, and a subscriber that stops reading counted once when it is dropped.
 */
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createChangeFeed } from '../../src/api/feed/change-feed.js';
import { minionEventRoutes } from '../../src/api/routes/minion-events.js';
import { feedMetrics } from '../../src/metrics/traffic-metrics.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { closeAll, eventually, onCloseAll } from '../helpers/harness.js';
import { openFeed } from '../helpers/sse-feed.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

afterEach(closeAll);

async function serveFeed(metrics: Registry): Promise<{ registry: FakeRegistry; url: string }> {
  const registry = new FakeRegistry();
  const feed = createChangeFeed(registry);
  const routes = minionEventRoutes(feed, {
    backlogLimit: 64 * 1024,
    dropGraceMs: 100,
    observer: feedMetrics(metrics),
  });
  const app = new Hono().route('/', routes);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  onCloseAll(async () => {
    feed.close();
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { registry, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/minions/events` };
}

/** A subscriber that reads its snapshot and then nothing more. */
async function stalledSubscriber(url: string): Promise<void> {
  const { hostname, port, pathname } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  onCloseAll(async () => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (bytes: Buffer) => {
      head += bytes.toString('latin1');
      if (!head.includes('event: snapshot')) return;
      socket.off('data', onData);
      socket.pause();
      resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('event-stream metrics', () => {
  it('count open streams when scraped and a dropped subscriber once', async () => {
    const metrics = new Registry();
    const scrape = async () => parsePrometheusText(await metrics.metrics());
    const { registry, url } = await serveFeed(metrics);
    await stalledSubscriber(url);
    const reader = await openFeed(url);
    await reader.waitFor((event) => event.event === 'snapshot');
    expect(sampleValue(await scrape(), 'stormtower_event_stream_subscribers')).toBe(2);

    // Big changes, so the stalled connection's kernel buffers fill after a few hundred.
    const big = 'm'.repeat(16_000);
    let published = 0;
    while ((sampleValue(await scrape(), 'stormtower_event_stream_dropped_total') ?? 0) === 0) {
      if (published >= 3000) throw new Error('the stalled subscriber was never dropped');
      for (let i = 0; i < 20; i++) registry.put(big, ++published);
      await reader.waitFor((event) => event.id === String(published));
    }
    expect(sampleValue(await scrape(), 'stormtower_event_stream_dropped_total')).toBe(1);
    // After the grace the dropped one is cut off; the reader stays.
    await eventually(async () => sampleValue(await scrape(), 'stormtower_event_stream_subscribers') === 1);
    reader.close();
    await eventually(async () => sampleValue(await scrape(), 'stormtower_event_stream_subscribers') === 0);
  });
});
