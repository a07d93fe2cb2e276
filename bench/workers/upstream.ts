/**
 * The local HTTP service every relay contender forwards to: 1 KB answers for GET and POST, a
 * streamed download of any size, an upload that counts and checks every byte, and a `/status`
 * document so a tower polling it sees a real minion. Keep-alive on, as a production server has it.
 *
 * Run as a child process with an IPC channel: it sends `{ type: 'ready', port }` once listening.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { block, PayloadCheck, pattern, payloadChunks } from './pattern.js';

const ONE_KB = pattern.subarray(0, 1024);
const STATUS = JSON.stringify({ role: 'bench-upstream', packages: [{ name: 'upstream', version: '1.0.0' }] });

function answer(res: http.ServerResponse, status: number, body: Buffer | string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function download(res: http.ServerResponse, total: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
  for (const chunk of payloadChunks(total)) {
    // Respect back-pressure: a slow relay must not make this process buffer 100 MB.
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    if (res.destroyed) return;
  }
  res.end();
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://upstream');
  if (url.pathname === '/1k') {
    // GET and POST answer alike; a POST body is read to the end first, as a real handler would.
    req.resume();
    req.on('end', () => answer(res, 200, ONE_KB, 'application/octet-stream'));
    return;
  }
  if (url.pathname === '/download' && req.method === 'GET') {
    req.resume();
    void download(res, Number(url.searchParams.get('bytes') ?? block.length));
    return;
  }
  if (url.pathname === '/upload' && req.method === 'POST') {
    const check = new PayloadCheck();
    req.on('data', (chunk: Buffer) => check.update(chunk));
    req.on('end', () =>
      answer(
        res,
        200,
        JSON.stringify({ bytes: check.bytes, mismatchAt: check.mismatchAt ?? null }),
        'application/json',
      ),
    );
    return;
  }
  if (url.pathname === '/status') {
    req.resume();
    answer(res, 200, STATUS, 'application/json');
    return;
  }
  req.resume();
  answer(res, 404, '{"error":"not found"}', 'application/json');
});

// Longer than any proxy's idle pool timeout, so idle upstream connections are closed by the proxy.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.requestTimeout = 0;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
