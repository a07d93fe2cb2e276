/**
 * cloudflash-bolt 0.3.2, stormbolt's ancestor (its repository's tags 1.1.0_20140122 and 1.2.0,
 * lib/bolt.coffee): answers the tower's capability with `forwardingPorts:<list>`, has no beacon
 * (the tower opens `heartbeat:heartbeat` and the agent answers 200), and relays like 0.4. The tower
 * recognises the dialect: the list is read whole, heartbeats keep the agent alive past the validity
 * window, silence expires it, and `/proxy` reaches its ports.
 */
import http from 'node:http';
import tls from 'node:tls';
import MuxDemux from 'mux-demux';
import { afterEach, describe, expect, it } from 'vitest';
import type { CloseReason } from '../../src/link/close-reason.js';
import { api, closeAll, eventually, onCloseAll, service } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';
import { type LegacyTower, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

/** A cloudflash-bolt 0.3.2 client, as `runClient` in lib/bolt.coffee drives mux-demux. */
class CloudflashAgent {
  heartbeats = 0;
  answering = true;
  private socket: tls.TLSSocket | undefined;

  constructor(private readonly forwardingPorts: string) {}

  async start(legacy: LegacyTower, cname: string): Promise<void> {
    const pki = await testPki();
    const identity = await pki.client(cname);
    const socket = tls.connect({
      host: '127.0.0.1',
      port: legacy.legacy.address.port,
      ca: pki.ca,
      cert: identity.cert,
      key: identity.key,
    });
    this.socket = socket;
    socket.on('error', () => {});
    onCloseAll(async () => {
      socket.destroy();
    });
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    socket.setEncoding('utf8');
    const mux = MuxDemux();
    socket.pipe(mux).pipe(socket);
    mux.on('error', () => socket.destroy());
    mux.on('connection', (stream: MuxDemux.SubStream) => this.serve(stream));
  }

  closed(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.closed) return Promise.resolve();
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  private serve(stream: MuxDemux.SubStream): void {
    const [action, target] = String(stream.meta).split(':');
    stream.on('error', () => {});
    if (action === 'capability') {
      stream.write(`forwardingPorts:${this.forwardingPorts}`);
      stream.end();
    } else if (action === 'heartbeat') {
      stream.on('data', (chunk: unknown) => {
        JSON.parse(String(chunk));
        if (!this.answering) return;
        this.heartbeats++;
        stream.write(JSON.stringify({ statusCode: 200, headers: { 'Content-Type': 'application/json' } }));
        stream.end();
      });
    } else if (action === 'relay') {
      this.relay(stream, Number(target));
    } else {
      stream.end();
    }
  }

  private relay(stream: MuxDemux.SubStream, target: number): void {
    let request: { method: string; url: string; headers?: http.OutgoingHttpHeaders } | undefined;
    stream.on('data', (chunk: unknown) => {
      request ??= JSON.parse(String(chunk)) as typeof request;
    });
    stream.on('end', () => {
      if (!request) return;
      const local = http.request(
        {
          host: '127.0.0.1',
          port: target,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (reply) => {
          reply.setEncoding('utf8');
          stream.write(JSON.stringify({ statusCode: reply.statusCode, headers: reply.headers }));
          reply.pipe(stream);
        },
      );
      local.on('error', () => {
        stream.write(JSON.stringify({ statusCode: 500, headers: null }));
        stream.end();
      });
      local.end();
    });
  }
}

const closesOf = (legacy: LegacyTower) => {
  const closes: { boltId: string; reason: CloseReason; detail: string }[] = [];
  legacy.t.table.on('closed', (bolt, { reason, detail }) =>
    closes.push({ boltId: bolt.boltId, reason, detail }),
  );
  return closes;
};

describe('cloudflash-bolt 0.3.2 agents', () => {
  it('reads `forwardingPorts:` whole, logs the dialect, and relays to those ports', async () => {
    const port = await service((req, res) => res.end(`hello from ${req.url}`));
    const legacy = await legacyTower();
    const agent = new CloudflashAgent(`5000,${port}`);
    await agent.start(legacy, 'ancestor');
    const bolt = await legacyAnnounced(legacy, 'ancestor');
    expect(bolt.ports).toEqual([5000, port]);
    expect(
      legacy.logs.some((line) => line.cname === 'ancestor' && line.dialect === 'cloudflash-bolt 0.3'),
    ).toBe(true);

    const res = await api(legacy.t, `/proxy/ancestor@${port}/old/times`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello from /old/times');
  });

  it('keeps an agent that answers heartbeats past the validity window, and expires one that stops', async () => {
    const legacy = await legacyTower({ beaconValidity: 1 }, { heartbeatIntervalMs: 100 });
    const closes = closesOf(legacy);
    const agent = new CloudflashAgent('5000');
    await agent.start(legacy, 'ancestor');
    const bolt = await legacyAnnounced(legacy, 'ancestor');

    // Fifteen answers at 100 ms apart span more than the 1 s window: still the same, open bolt.
    await eventually(() => agent.heartbeats >= 15);
    expect(closes).toEqual([]);
    expect(legacy.t.table.get('ancestor')).toBe(bolt);

    agent.answering = false;
    await agent.closed();
    await eventually(() => closes.length > 0);
    expect(closes[0]).toMatchObject({ boltId: bolt.boltId, reason: 'expired' });
    expect(closes[0]?.detail).toMatch(/no heartbeat for \d+ ms/);
  });
});
