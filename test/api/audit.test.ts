/**
 * The audit log against a real tower, agent and local service: one `relayed` line per relay through
 * `/proxy` and the header relay, answered or failed, with the request id the client, the agent's
 * service and the agent's own log all see.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayRecord } from '../../src/bolt/agent/relay-record.js';
import type { TowerSettings } from '../../src/tower.js';
import { agent, announced, api, closeAll, eventually, freePort, service, tower } from '../helpers/harness.js';
import { captureLog, type LogEntry } from '../helpers/log-capture.js';

afterEach(closeAll);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What the service saw last: its request's id and body. */
interface Seen {
  requestId: string | undefined;
  body: string;
}

/** A service that answers `answer` (or `world!!`) after reading the body, noting what it saw. */
async function echoService(seen: Seen[], answer = 'world!!'): Promise<number> {
  return service((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const requestId = req.headers['x-request-id'];
      seen.push({ requestId: typeof requestId === 'string' ? requestId : undefined, body });
      res.writeHead(200, { 'content-type': 'text/plain', 'x-request-id': 'the-service-own' });
      res.end(answer);
    });
  });
}

async function setup(settings: Partial<TowerSettings> = {}, allowExtra: number[] = []) {
  const seen: Seen[] = [];
  const port = await echoService(seen);
  const audit = captureLog();
  const t = await tower({ headerRelay: true, ...settings, auditLogger: audit.log });
  const records: RelayRecord[] = [];
  await agent(t.boltUrl, 'alpha', [port, ...allowExtra], { onRelayed: (record) => records.push(record) });
  await announced(t, 'alpha');
  /** The audit lines once `count` have been written. */
  const lines = (count: number): Promise<LogEntry[]> =>
    eventually(() => audit.lines.length >= count && audit.lines);
  return { t, port, seen, records, lines };
}

describe('the audit log', () => {
  it('writes one line per /proxy relay, with the id the client and the service see', async () => {
    const { t, port, seen, records, lines } = await setup();
    const res = await api(t, `/proxy/alpha@${port}/echo?token=secret&x=1`, { method: 'POST', body: 'hello' });
    expect(await res.text()).toBe('world!!');
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    const [line] = await lines(1);
    expect(line).toMatchObject({
      msg: 'relayed',
      requestId: id,
      cname: 'alpha',
      port,
      method: 'POST',
      path: '/echo',
      status: 200,
      bytesIn: 5,
      bytesOut: 7,
      client: '127.0.0.1',
    });
    expect(line).not.toHaveProperty('error');
    expect(line?.durationMs).toEqual(expect.any(Number));
    expect(seen).toEqual([{ requestId: id, body: 'hello' }]);
    // The agent's line carries the same id; the query string stays out of both.
    await eventually(() => records.length === 1);
    expect(records[0]).toMatchObject({
      requestId: id,
      port,
      method: 'POST',
      path: '/echo',
      status: 200,
      bytesIn: 5,
      bytesOut: 7,
    });
    expect(records[0]).not.toHaveProperty('error');
  });

  it("keeps a client's well-formed x-request-id end to end, and replaces a malformed one", async () => {
    const { t, port, seen, records, lines } = await setup();
    const res = await api(t, `/proxy/alpha@${port}/`, { headers: { 'x-request-id': 'client-trace-7' } });
    expect(res.headers.get('x-request-id')).toBe('client-trace-7');
    await res.text();
    const bad = await api(t, `/proxy/alpha@${port}/`, { headers: { 'x-request-id': 'has spaces' } });
    await bad.text();
    const badId = bad.headers.get('x-request-id');
    expect(badId).toMatch(UUID);
    const audited = await lines(2);
    expect(audited.map((line) => line.requestId)).toEqual(['client-trace-7', badId]);
    expect(seen.map((each) => each.requestId)).toEqual(['client-trace-7', badId]);
    await eventually(() => records.length === 2);
    expect(records.map((record) => record.requestId)).toEqual(['client-trace-7', badId]);
  });

  it('logs a relay to a dead port as 502 with its error code, on both sides', async () => {
    const dead = await freePort();
    const { t, records, lines } = await setup({}, [dead]);
    const res = await api(t, `/proxy/alpha@${dead}/x`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toBe('upstream-unreachable');
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    const [line] = await lines(1);
    expect(line).toMatchObject({
      requestId: id,
      port: dead,
      path: '/x',
      status: 502,
      error: 'upstream-unreachable',
      bytesOut: 0,
    });
    await eventually(() => records.length === 1);
    expect(records[0]).toMatchObject({ requestId: id, port: dead, error: 'upstream-unreachable' });
    expect(records[0]).not.toHaveProperty('status');
  });

  it('logs a relay refused by the tower (a port outside the capability) with its code', async () => {
    const { t, lines } = await setup();
    const res = await api(t, '/proxy/alpha@1/x');
    expect(res.status).toBe(403);
    const [line] = await lines(1);
    expect(line).toMatchObject({ port: 1, status: 403, error: 'port-not-allowed' });
    expect(line?.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('logs a request for a minion no tower holds as 404 unknown-minion, by either relay', async () => {
    const { t, lines } = await setup();
    const res = await api(t, '/proxy/nobody@80/x?y=1', { headers: { 'x-request-id': 'lost-1' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('lost-1');
    const byHeader = await api(t, '/z', { headers: { 'stormbolt-target': 'nobody:81' } });
    expect(byHeader.status).toBe(404);
    expect(await lines(2)).toMatchObject([
      { requestId: 'lost-1', cname: 'nobody', port: 80, path: '/x', status: 404, error: 'unknown-minion' },
      { requestId: byHeader.headers.get('x-request-id'), cname: 'nobody', port: 81, path: '/z', status: 404 },
    ]);
  });

  it('writes a line per header relay too', async () => {
    const { t, port, seen, lines } = await setup();
    const res = await api(t, '/via/header?q=1', {
      method: 'PUT',
      body: 'abc',
      headers: { 'stormbolt-target': `alpha:${port}` },
    });
    expect(await res.text()).toBe('world!!');
    const [line] = await lines(1);
    expect(line).toMatchObject({
      requestId: res.headers.get('x-request-id'),
      method: 'PUT',
      path: '/via/header',
      status: 200,
      bytesIn: 3,
      bytesOut: 7,
    });
    expect(seen[0]?.requestId).toBe(line?.requestId);
  });

  it('keeps the query string with --audit-query', async () => {
    const { t, port, lines } = await setup({ auditQuery: true });
    await (await api(t, `/proxy/alpha@${port}/echo?token=secret&x=1`)).text();
    const [line] = await lines(1);
    expect(line?.path).toBe('/echo?token=secret&x=1');
  });

  it('logs a client that left before any answer as 499 client-closed; the agent saw it cancelled', async () => {
    const audit = captureLog();
    let arrived: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // Never answers: the client gives up first.
    const port = await service(() => arrived());
    const t = await tower({ auditLogger: audit.log });
    const records: RelayRecord[] = [];
    await agent(t.boltUrl, 'alpha', [port], { onRelayed: (record) => records.push(record) });
    await announced(t, 'alpha');
    const request = http.get(`${t.apiUrl}/proxy/alpha@${port}/wait`, {
      headers: { 'x-request-id': 'gone-1' },
    });
    request.on('error', () => {});
    await reached;
    request.destroy();
    const line = await eventually(() => audit.lines[0]);
    expect(line).toMatchObject({ requestId: 'gone-1', status: 499, error: 'client-closed', bytesOut: 0 });
    await eventually(() => records.length === 1);
    expect(records[0]).toMatchObject({ requestId: 'gone-1', error: 'cancelled' });
  });

  it('logs a relay whose answer never came as 504 timeout; the agent saw it cancelled', async () => {
    const audit = captureLog();
    const port = await service(() => {});
    const t = await tower({ auditLogger: audit.log, relayTimeout: 0.3 });
    const records: RelayRecord[] = [];
    await agent(t.boltUrl, 'alpha', [port], { onRelayed: (record) => records.push(record) });
    await announced(t, 'alpha');
    const res = await api(t, `/proxy/alpha@${port}/slow`);
    expect(res.status).toBe(504);
    const line = await eventually(() => audit.lines[0]);
    expect(line).toMatchObject({ requestId: res.headers.get('x-request-id'), status: 504, error: 'timeout' });
    await eventually(() => records.length === 1);
    expect(records[0]).toMatchObject({ requestId: line.requestId, error: 'cancelled' });
  });

  it('logs an answer cut off half-way, with the bytes that reached the client', async () => {
    const audit = captureLog();
    const release: (() => void)[] = [];
    const port = await service((_req, res) => {
      res.writeHead(200, { 'content-length': '10' });
      res.write('12345');
      // The rest never comes: the service dies mid-body.
      release.push(() => res.destroy());
    });
    const t = await tower({ auditLogger: audit.log });
    await agent(t.boltUrl, 'alpha', [port]);
    await announced(t, 'alpha');
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`${t.apiUrl}/proxy/alpha@${port}/big`, resolve).on('error', reject),
    );
    expect(res.statusCode).toBe(200);
    await new Promise<void>((resolve) => res.once('data', () => resolve()));
    for (const cut of release) cut();
    await new Promise<void>((resolve) => res.once('close', () => resolve()));
    const line = await eventually(() => audit.lines[0]);
    expect(line).toMatchObject({ status: 200, bytesOut: 5 });
    // The agent reset the stream when its service failed: the relay's code, not a bare `cut`.
    expect(line.error).toBe('upstream-failed');
  });
});
