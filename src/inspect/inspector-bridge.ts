/**
 * The local HTTP + WebSocket bridge between the tower and an operator's browser: `GET /` serves the
 * bridge page, and every WebSocket client gets a greeting (the live actors), then each message.
 *
 * Written here rather than taken from `@statelyai/inspect/server` (0.7), whose `createInspectorServer`
 * listens on every interface with no host option, cannot report the port it got (its page hard-codes
 * the configured one, so port 0 is unusable), turns a busy port into an uncaught exception (the `ws`
 * server re-emits the listen error to nobody), and has a synchronous `stop()` that leaves clients
 * connected. This is the only `src/inspect` module that touches `ws`. Clients only watch: what they
 * send is ignored.
 */
import http from 'node:http';
import { isIP } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { type BridgePageOptions, bridgePage } from './bridge-page.js';

export interface InspectorBridgeOptions {
  readonly port: number;
  readonly host: string;
  /**
   * What a newly connected client is sent before the live messages (the whole fleet: read lazily,
   * and sent in paced batches, see `greet`).
   */
  readonly greeting: () => Iterable<string>;
  /** What the page links to; read per request, as the tower's console may start after the bridge. */
  readonly page?: () => BridgePageOptions;
  /** A browser that reads none of its greeting for this long is dropped (ms); default 30 s. */
  readonly greetingStallMs?: number;
}

export interface InspectorBridge {
  /** The page an operator opens. */
  readonly url: string;
  /** The bound port (the chosen one when asked for 0). */
  readonly port: number;
  /** Browsers connected now. */
  readonly clients: number;
  broadcast(message: string): void;
  /** Disconnects every client and frees the port. */
  close(): Promise<void>;
}

// A browser that stops reading is dropped rather than buffered for without bound; reloading the page
// gets it the live actors again.
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

// The greeting of a 10,000-minion fleet is about 20,000 messages and tens of megabytes. Sent in one
// loop it would hold the tower for as long and buffer all of it at once; instead it goes out in
// batches, one per turn of the event loop, and waits while the browser has this much unread.
const GREETING_BATCH = 100;
const GREETING_HIGH_WATER = 1024 * 1024;
const GREETING_WAIT_MS = 20;
const GREETING_STALL_MS = 30_000;

/**
 * Browsers let any web page open a WebSocket to localhost, and the stream is the fleet's state: only
 * the bridge page itself may connect. Same origin means the Origin's host is the Host header; asking
 * for `localhost` or an IP literal there shuts out DNS rebinding (a foreign name resolving to this
 * machine). Any port is fine, for SSH tunnels. Clients that send no Origin are not browsers.
 */
export function isAllowedOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (host === undefined || !URL.canParse(origin)) return false;
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.host !== host.toLowerCase()) return false;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return hostname === 'localhost' || isIP(hostname) !== 0;
}

function pageUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${isIP(shown) === 6 ? `[${shown}]` : shown}:${port}/`;
}

function deliver(client: WebSocket, message: string): void {
  if (client.readyState !== WebSocket.OPEN) return;
  if (client.bufferedAmount > MAX_BUFFERED_BYTES) client.terminate();
  else client.send(message);
}

/** Live messages held for a client until its greeting is through, so they arrive after it. */
interface Greeting {
  readonly held: string[];
  heldBytes: number;
  /** Cancels the next batch. */
  cancel: () => void;
}

export async function startInspectorBridge(options: InspectorBridgeOptions): Promise<InspectorBridge> {
  const greetings = new Map<WebSocket, Greeting>();

  function greet(client: WebSocket): void {
    const messages = options.greeting()[Symbol.iterator]();
    const greeting: Greeting = { held: [], heldBytes: 0, cancel: () => {} };
    const stallMs = options.greetingStallMs ?? GREETING_STALL_MS;
    let movedAt = performance.now();
    greetings.set(client, greeting);
    client.once('close', () => {
      greeting.cancel();
      greetings.delete(client);
    });
    const pump = (): void => {
      if (client.readyState !== WebSocket.OPEN) return;
      for (let sent = 0; sent < GREETING_BATCH && client.bufferedAmount < GREETING_HIGH_WATER; sent += 1) {
        const next = messages.next();
        if (next.done === true) {
          greetings.delete(client);
          for (const message of greeting.held) deliver(client, message);
          return;
        }
        client.send(next.value);
        movedAt = performance.now();
      }
      if (client.bufferedAmount < GREETING_HIGH_WATER) {
        const next = setImmediate(pump);
        greeting.cancel = () => clearImmediate(next);
      } else if (performance.now() - movedAt > stallMs) {
        // Not reading at all: a greeting is never given up on silently, so drop the client.
        client.terminate();
      } else {
        const next = setTimeout(pump, GREETING_WAIT_MS);
        greeting.cancel = () => clearTimeout(next);
      }
    };
    pump();
  }

  function hold(client: WebSocket, greeting: Greeting, message: string): void {
    greeting.held.push(message);
    greeting.heldBytes += message.length;
    if (greeting.heldBytes > MAX_BUFFERED_BYTES) client.terminate();
  }

  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if ((request.method === 'GET' || request.method === 'HEAD') && path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : bridgePage(options.page?.()));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (!isAllowedOrigin(request.headers.origin, request.headers.host)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (client) => {
      client.on('error', () => client.terminate());
      greet(client);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    wss.close();
    throw error;
  });
  // From here on an error is one failed accept (EMFILE, say): that connection is lost, the tower goes on.
  server.on('error', () => {});

  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  let closing: Promise<void> | undefined;
  return {
    url: pageUrl(options.host, port),
    port,
    get clients() {
      return wss.clients.size;
    },
    broadcast(message) {
      for (const client of wss.clients) {
        const greeting = greetings.get(client);
        if (greeting) hold(client, greeting, message);
        else deliver(client, message);
      }
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
