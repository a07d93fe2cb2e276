/**
 * Relays between the towers of a cluster, counted on both sides: two real towers over a real
 * `nats-server -js`, a real agent on one of them, and each tower's `/metrics` read with the strict
 * text-format parser.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningTower } from '../../src/tower.js';
import { agent, api, closeAll, eventually, service, tower } from '../helpers/harness.js';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.js';
import { type MetricFamily, parsePrometheusText, sampleValue } from './prometheus-text.js';

let nats: NatsServer;
beforeEach(async () => {
  nats = await startNatsServer();
});
afterEach(async () => {
  await closeAll();
  await nats?.close();
});

const clustered = (towerId: string) =>
  tower({
    cluster: [nats.url],
    towerId,
    clusterPresenceTimeout: 1.5,
    clusterHost: '127.0.0.1',
    clusterPort: 0,
  });

const metricsOf = async (t: RunningTower) =>
  parsePrometheusText(await (await fetch(`${t.apiUrl}/metrics`)).text());

const PEER_FAMILIES = [
  'stormtower_peer_relays_total',
  'stormtower_peer_relay_duration_seconds',
  'stormtower_peer_relay_body_bytes_total',
];

/** Every label of the peer relay families: bounded ones only, never a cname or a tower. */
function peerLabels(families: Map<string, MetricFamily>): Set<string> {
  const names = new Set<string>();
  for (const name of PEER_FAMILIES)
    for (const sample of families.get(name)?.samples ?? [])
      for (const label of Object.keys(sample.labels)) names.add(label);
  return names;
}

describe('peer relay metrics', () => {
  it('count relays handed to a peer and relays served for one, by route and outcome, with bytes', async () => {
    const answer = JSON.stringify({ ok: true, pad: 'x'.repeat(1000) });
    const port = await service((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
    });
    const a = await clustered('tower-a');
    const b = await clustered('tower-b');
    await agent(b.boltUrl, 'm1', [port]);
    // Tower a relays to m1 once the cluster told it that b holds it.
    await eventually(async () => (await api(a, `/proxy/m1@${port}/`)).status === 200);
    const before = sampleValue(await metricsOf(a), 'stormtower_peer_relays_total', {
      route: 'to-peer',
      outcome: '2xx',
    });

    const body = 'y'.repeat(5000);
    for (let i = 0; i < 3; i += 1) {
      const res = await api(a, `/proxy/m1@${port}/upload`, { method: 'POST', body });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(answer);
    }
    // A port m1 does not offer: b refuses, a reports the refusal; both count an error.
    const refused = await api(a, `/proxy/m1@${port + 1}/`);
    expect(refused.status).toBe(403);

    const onA = await metricsOf(a);
    const onB = await metricsOf(b);
    const count = (m: Map<string, MetricFamily>, route: string, outcome: string) =>
      sampleValue(m, 'stormtower_peer_relays_total', { route, outcome }) ?? 0;
    expect(count(onA, 'to-peer', '2xx')).toBe((before ?? 0) + 3);
    expect(count(onB, 'from-peer', '2xx')).toBe(count(onA, 'to-peer', '2xx'));
    expect(count(onA, 'to-peer', 'error')).toBe(1);
    expect(count(onB, 'from-peer', 'error')).toBe(1);
    // A relays nothing for b, and b hands nothing to a.
    expect(count(onA, 'from-peer', '2xx')).toBe(0);
    expect(count(onB, 'to-peer', '2xx')).toBe(0);
    // The API's own relay count includes the ones handed on; the peer's does not see them as its own.
    expect(sampleValue(onA, 'stormtower_relays_total', { outcome: '2xx' })).toBe(
      count(onA, 'to-peer', '2xx'),
    );
    expect(sampleValue(onB, 'stormtower_relays_total', { outcome: '2xx' }) ?? 0).toBe(0);

    for (const [m, route] of [
      [onA, 'to-peer'],
      [onB, 'from-peer'],
    ] as const) {
      const relays = count(m, route, '2xx') + count(m, route, 'error');
      expect(sampleValue(m, 'stormtower_peer_relay_duration_seconds_count', { route })).toBe(relays);
      expect(sampleValue(m, 'stormtower_peer_relay_body_bytes_total', { route, direction: 'request' })).toBe(
        3 * body.length,
      );
      expect(
        sampleValue(m, 'stormtower_peer_relay_body_bytes_total', { route, direction: 'response' }),
      ).toBeGreaterThanOrEqual(count(m, route, '2xx') * answer.length);
      expect(m.get('stormtower_peer_relays_total')?.type).toBe('counter');
      expect(m.get('stormtower_peer_relay_duration_seconds')?.type).toBe('histogram');
      expect(peerLabels(m)).toEqual(new Set(['route', 'outcome', 'direction', 'le']));
    }
  });
});
