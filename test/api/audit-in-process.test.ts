/**
 * The audit without a socket (`app.request()`, the WHATWG exchange): the line is written once the
 * answer's body has been read to its end, or at once for a failed relay; and what an audited line
 * costs the tower, measured in CPU time over many relays.
 */
import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { AuditedRelay } from '../../src/api/audit/audited-relay.js';
import { auditTo, type RelayAudit, type RelayAuditLine } from '../../src/api/audit/relay-audit.js';
import { requestIdOf, setRequestId } from '../../src/api/audit/request-id.js';
import { createChangeFeed } from '../../src/api/feed/change-feed.js';
import { LengthGuard } from '../../src/api/response-framing.js';
import { framedBody } from '../../src/api/web-response.js';
import { BoltTable } from '../../src/link/bolt-table.js';
import { RelayError } from '../../src/link/relay-error.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/registry/minion-registry.js';
import { type Answer, AnsweringBolt, bodyText, streamed } from '../helpers/answering-bolt.js';

const PORT = 8080;

function auditedApp(answer: Answer, audit?: RelayAudit) {
  const table = new BoltTable();
  table.add(new AnsweringBolt('alpha', [PORT], answer));
  const registry = createRegistry(NEVER);
  const lines: RelayAuditLine[] = [];
  const app = createApp({
    table,
    log: silentLogger(),
    relayTimeoutMs: 5000,
    relayIdleTimeoutMs: 60_000,
    registry,
    feed: createChangeFeed(registry),
    audit: audit ?? { includeQuery: false, record: (line) => lines.push(line) },
  });
  return { app, lines };
}

describe('the audit in process', () => {
  it('writes the line once a streamed answer has been read to its end', async () => {
    const { app, lines } = auditedApp(async (_port, request) => {
      await bodyText(request);
      return streamed(200, [], ['ab', 'cde']);
    });
    const res = await app.request(`/proxy/alpha@${PORT}/s?x=1`, { method: 'POST', body: 'xyz' });
    const id = res.headers.get('x-request-id');
    expect(lines).toEqual([]);
    expect(await res.text()).toBe('abcde');
    expect(lines).toEqual([
      {
        requestId: id,
        cname: 'alpha',
        port: PORT,
        method: 'POST',
        path: '/s',
        status: 200,
        bytesIn: 3,
        bytesOut: 5,
        durationMs: expect.any(Number),
      },
    ]);
  });

  it('writes a failed relay at once, with its code and the status the client got', async () => {
    const { app, lines } = auditedApp(async () => {
      throw new RelayError('timeout', 'no response head within 5000 ms');
    });
    const res = await app.request(`/proxy/alpha@${PORT}/slow`);
    expect(res.status).toBe(504);
    expect(lines).toMatchObject([
      { requestId: res.headers.get('x-request-id'), status: 504, error: 'timeout', path: '/slow' },
    ]);
  });

  it('costs a few microseconds of CPU per relay: id, counting and a JSON line', () => {
    const sink = { write: (_line: string) => {} };
    const audit = auditTo(createLogger({ destination: sink, format: 'json' }));
    const client = ['host', 'tower', 'accept', '*/*', 'user-agent', 'curl/8.5.0'];
    const answer = { status: 200, headers: ['content-type', 'text/plain'], body: new Uint8Array(512) };
    const once = () => {
      const relayed = [...client];
      const requestId = requestIdOf(client);
      setRequestId(relayed, requestId);
      const request = { requestId, cname: 'alpha', port: PORT, method: 'GET', path: '/a?b=c', client: '::1' };
      new AuditedRelay(audit, request).answered(answer);
    };
    for (let i = 0; i < 5000; i += 1) once();
    const N = 50_000;
    const start = process.cpuUsage();
    for (let i = 0; i < N; i += 1) once();
    const used = process.cpuUsage(start);
    const perRelay = (used.user + used.system) / N;
    // Reported for the README; asserted loosely, as the machine is shared.
    console.log(`audit: ${perRelay.toFixed(2)} µs CPU per relayed request`);
    expect(perRelay).toBeLessThan(100);
  });

  it('costs little more for a streamed answer: counted as it is written, with no stream between', async () => {
    const audit = auditTo(createLogger({ destination: { write: () => {} }, format: 'json' }));
    const chunk = new Uint8Array(16 * 1024);
    const watch = { idleTimeoutMs: 60_000, badLength: () => {}, idle: () => {} };
    const read = async (audited: boolean) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 4; i += 1) controller.enqueue(chunk);
          controller.close();
        },
      });
      const request = { requestId: 'r', cname: 'alpha', port: PORT, method: 'GET', path: '/', client: '::1' };
      let tap: AuditedRelay | undefined;
      if (audited) {
        tap = new AuditedRelay(audit, request);
        tap.answered({ status: 200, headers: [], body });
      }
      const out = framedBody(body, new LengthGuard(undefined), tap ? { ...watch, tap } : watch);
      const reader = out.getReader();
      while (!(await reader.read()).done);
    };
    const cpu = async (audited: boolean): Promise<number> => {
      for (let i = 0; i < 500; i += 1) await read(audited);
      const N = 5000;
      const start = process.cpuUsage();
      for (let i = 0; i < N; i += 1) await read(audited);
      const used = process.cpuUsage(start);
      return (used.user + used.system) / N;
    };
    // Alternating rounds, best of each: the machine is shared and the first rounds warm the JIT.
    let plain = Number.POSITIVE_INFINITY;
    let audited = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round += 1) {
      plain = Math.min(plain, await cpu(false));
      audited = Math.min(audited, await cpu(true));
    }
    console.log(
      `streamed answer of 4 chunks: ${plain.toFixed(2)} µs plain, ${audited.toFixed(2)} µs audited`,
    );
    expect(audited - plain).toBeLessThan(100);
  });
});
