/**
 * Attack: an agent whose relayed responses lie about their `content-length` (one in two declares far
 * more than it sends, the other far less), while clients pipeline requests to it through the tower.
 *
 *   node lying-agent.js <bolt-port> <cert> <key> <ca> <api-port> <cname> <relay-port> <clients> <pipeline>
 *
 * The agent is the project's own bolt stack (real TLS and WebSocket, a BoltSession) with a lying
 * responder; each client writes `pipeline` requests at once on one connection, reads whatever comes
 * back, and starts over on a new connection once that one closes or falls silent.
 */
import http from 'node:http';
import net from 'node:net';
import { createSecureContext } from 'node:tls';
import { DrainedRequest } from '../../src/bolt/agent/local-responder.js';
import { BoltSession } from '../../src/bolt/mux/bolt-session.js';
import type { MuxStream } from '../../src/bolt/mux/mux-stream.js';
import { ErrorCode, FrameType } from '../../src/bolt/protocol/frames.js';
import { encodeJson } from '../../src/bolt/protocol/heads.js';
import { dialLink } from '../../src/bolt/ws-link.js';
import { attackFailed, attackReady, onStop } from './attack-control.js';
import { readIdentity } from './raw-bolt.js';

const [boltPort = '0', cert = '', key = '', ca = '', apiPort = '0', cname = '', relayPort = '0', ...rest] =
  process.argv.slice(2);
const [clientsArg = '4', pipelineArg = '16'] = rest;
const counters = { relays: 0, requestsSent: 0, connections: 0, bytesReceived: 0 };
let stopping = false;
// A connection that says nothing for this long is stuck behind a lie: start over.
const SILENCE_MS = 300;

function lie(stream: MuxStream): void {
  stream.listen(new DrainedRequest(stream));
  const short = counters.relays++ % 2 === 0;
  const [declared, body] = short ? [100_000, Buffer.alloc(10, 0x61)] : [10, Buffer.alloc(10_000, 0x62)];
  const headers = ['content-type', 'text/plain', 'content-length', String(declared)];
  stream.sendHead(FrameType.Response, encodeJson({ status: 200, headers }), false);
  stream
    .write(body)
    .then(() => stream.end())
    .catch(() => {});
}

async function connectAgent(): Promise<BoltSession> {
  const identity = readIdentity(cert, key, ca);
  const link = await dialLink(`wss://127.0.0.1:${boltPort}/bolt`, {
    secureContext: createSecureContext(identity),
    handshakeTimeoutMs: 10_000,
  });
  const session = new BoltSession(link, {
    role: 'agent',
    beaconIntervalMs: 10_000,
    beaconValidityMs: 45_000,
    onRequest: (stream) => lie(stream),
  });
  link.listen({
    message: (data) => {
      try {
        session.receive(data);
      } catch {
        // The session closed the bolt with a coded reason.
      }
    },
    close: (code, reason) => session.linkClosed(code, reason),
  });
  session.hello(encodeJson({ v: 1, ports: [Number(relayPort)] }));
  return session;
}

/** Resolves once the tower lists the agent, so the first requests already reach it. */
async function listed(deadline: number): Promise<void> {
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      http
        .get(`http://127.0.0.1:${apiPort}/clients/${cname}`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', () => resolve(0));
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`the tower never listed ${cname}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function client(): void {
  if (stopping) return;
  counters.connections++;
  const request = `GET /proxy/${cname}@${relayPort}/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  const socket = net.connect(Number(apiPort), '127.0.0.1');
  let timer: NodeJS.Timeout | undefined;
  const silence = () => {
    clearTimeout(timer);
    timer = setTimeout(() => socket.destroy(), SILENCE_MS);
  };
  socket.once('connect', () => {
    socket.write(request.repeat(Number(pipelineArg)));
    counters.requestsSent += Number(pipelineArg);
    silence();
  });
  socket.on('data', (chunk: Buffer) => {
    counters.bytesReceived += chunk.length;
    silence();
  });
  socket.on('error', () => {});
  socket.once('close', () => {
    clearTimeout(timer);
    setImmediate(client);
  });
}

try {
  const session = await connectAgent();
  await listed(Date.now() + 10_000);
  onStop(() => {
    stopping = true;
    session.close(ErrorCode.GoingAway, 'attack over');
    return counters;
  });
  for (let i = 0; i < Number(clientsArg); i++) client();
  attackReady(counters);
} catch (error) {
  attackFailed(error);
}
