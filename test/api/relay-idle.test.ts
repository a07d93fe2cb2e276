/**
 * `--relay-idle-timeout`: a relayed body on which no byte moves for that long is aborted, in either
 * direction, whoever stalls it. The tower here uses a short setting; each test waits for the close.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/bolt/protocol/frames.js';
import { agent, announced, closeAll, eventually, rawBolt, service, tower } from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { nextRequest, resets, sendData, sendHead } from '../helpers/raw-agent.js';
import { rawHttp, splitResponse } from '../helpers/raw-http.js';

afterEach(closeAll);

const PORT = 4321;
const SETTINGS = { relayIdleTimeout: 0.3 };

async function silent() {
  const { log, lines: logs } = captureLog('debug');
  const t = await tower(SETTINGS, log);
  const socket = await rawBolt(t, 'sloth', [PORT]);
  return { t, socket, logs, seen: resets(socket) };
}

const idleLines = (logs: Record<string, unknown>[]) =>
  logs.filter((line) => line.limit === 'relayIdleTimeout');

describe('the relay idle deadline', () => {
  it('aborts a response body the agent stops sending, with Cancel, and closes the client', async () => {
    const { t, socket, logs, seen } = await silent();
    const client = await rawHttp(t);
    const opened = nextRequest(socket);
    client.write(`GET /proxy/sloth@${PORT}/huge HTTP/1.1\r\nhost: tower\r\n\r\n`);
    const { streamId } = await opened;
    // Ten gigabytes promised, five bytes sent, then nothing.
    sendHead(socket, streamId, 200, ['content-length', '10000000000']);
    sendData(socket, streamId, 'hello');
    await client.closed;
    expect(splitResponse(client.received()).rest).toBe('hello');
    await eventually(() =>
      seen.some((reset) => reset.streamId === streamId && reset.code === ErrorCode.Cancel),
    );
    await eventually(() => t.table.get('sloth')?.openStreams === 0);
    expect(t.table.get('sloth')?.isOpen).toBe(true);
    expect(idleLines(logs)).toEqual([expect.objectContaining({ cname: 'sloth' })]);
  });

  it('aborts a request body the client stops sending, with Cancel, and closes the client', async () => {
    const { t, socket, logs, seen } = await silent();
    const client = await rawHttp(t);
    const opened = nextRequest(socket);
    client.write(
      `POST /proxy/sloth@${PORT}/upload HTTP/1.1\r\nhost: tower\r\ncontent-length: 1000\r\n\r\n0123456789`,
    );
    const { streamId } = await opened;
    await client.closed;
    await eventually(() =>
      seen.some((reset) => reset.streamId === streamId && reset.code === ErrorCode.Cancel),
    );
    await eventually(() => t.table.get('sloth')?.openStreams === 0);
    expect(t.table.get('sloth')?.isOpen).toBe(true);
    expect(idleLines(logs)).toEqual([expect.objectContaining({ cname: 'sloth', remote: '127.0.0.1' })]);
  });

  it('aborts a download whose client stops reading, and frees the service', async () => {
    let serviceClosed = false;
    const port = await service((_req, res) => {
      res.on('close', () => {
        serviceClosed = true;
      });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = () => {
        while (res.write(chunk));
        res.once('drain', pump);
      };
      pump();
    });
    const t = await tower(SETTINGS);
    await agent(t.boltUrl, 'alpha', [port]);
    await announced(t, 'alpha');
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.get(`${t.apiUrl}/proxy/alpha@${port}/endless`, { agent: false }, (res) => {
        res.pause(); // not read until the tower has given up on it
        resolve(res);
      });
      request.on('error', reject);
    });
    await eventually(() => serviceClosed);
    await eventually(() => t.table.get('alpha')?.openStreams === 0);
    // What was in flight can still be read, then the connection turns out cut short.
    const closed = new Promise((resolve) => response.socket.once('close', resolve));
    response.on('error', () => {});
    response.resume();
    await closed;
    expect(response.complete).toBe(false);
  });

  it('leaves a body that keeps moving alone, however long it takes in all', async () => {
    const port = await service((_req, res) => {
      let sent = 0;
      // Fifteen pieces, each well inside the deadline, together well past it.
      const tick = setInterval(() => {
        res.write(`piece ${sent}\n`);
        if (++sent === 15) {
          clearInterval(tick);
          res.end();
        }
      }, 100);
    });
    const t = await tower({ relayIdleTimeout: 1 });
    await agent(t.boltUrl, 'alpha', [port]);
    await announced(t, 'alpha');
    const res = await fetch(`${t.apiUrl}/proxy/alpha@${port}/slow`);
    const text = await res.text();
    expect(text.split('\n').filter(Boolean)).toHaveLength(15);
  });
});
