/**
 * A simulated stormbolt 0.4.3 agent for tests: the real mux-demux package over a real TLS
 * connection with a client certificate, driven the way stormbolt's `connect()` drives it
 * (docs: stormbolt-wire-protocol.md, sections 3 and 4):
 *
 * - on secure connect: keep-alive 60 s, UTF-8 decoding, `socket.pipe(mux).pipe(socket)`, and its own
 *   `capability` read stream, whose first data frame (the tower's list) makes it "connected";
 * - the tower's `capability`: answered with `allowedPorts` joined by commas, then end;
 * - the tower's `beacon`: "Beacon" at once and every beacon interval, giving up (and dropping the
 *   connection) once `beaconRetry` beacons in a row went unanswered;
 * - `relay:<port>`: an unlisted port is ended at once; otherwise the first data frame is the preamble,
 *   and on `end` it requests `localhost:<port>` with `Content-Type: application/json` and
 *   `JSON.stringify(data)`, answering with the reply preamble, the body as text, then end; 408 after
 *   the local idle timeout and 500 on a local error, both with `headers: null`.
 *
 * Every frame the tower sends is also recorded (`frames`), so tests can spy on the wire.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import tls from 'node:tls';
import MuxDemux from 'mux-demux';

export interface LegacyAgentOptions {
  readonly port: number;
  readonly host?: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** The ports this agent relays to (stormflash: [5000]). */
  readonly allowedPorts: readonly number[];
  /** Where a relay for an allowed port really goes, when the test service is elsewhere. */
  readonly forward?: Readonly<Record<number, number>>;
  /** stormbolt's beaconInterval (10 s), in ms. */
  readonly beaconIntervalMs?: number;
  /** stormbolt's beaconRetry (3). */
  readonly beaconRetry?: number;
  /** Dial again this long after a drop (0.4.3 checks every 5 s); undefined stays down. */
  readonly redialMs?: number;
  /** 0.4.3 opens its own capability stream; agents up to 0.4.1 do not. */
  readonly openCapability?: boolean;
  /** What it answers the tower's capability with, if not `allowedPorts` (a misconfigured agent). */
  readonly capabilityPorts?: readonly number[];
  /** Answer the tower's capability stream (a broken agent may not). */
  readonly answerCapability?: boolean;
  /** Leave relay streams unanswered, for tests that answer them by hand with `sendRaw`. */
  readonly ignoreRelays?: boolean;
  /** Idle timeout of the agent's local request (20 s in stormbolt). */
  readonly localTimeoutMs?: number;
  /**
   * Read as 0.4.3 really does, without UTF-8 decoding, every read cut into pieces of this many bytes:
   * mux-demux then decodes each piece on its own, so a character split across two is mangled.
   */
  readonly readChunkBytes?: number;
  /** Extra options for `tls.connect` (ciphers, versions). */
  readonly tls?: tls.ConnectionOptions;
}

export interface LegacyAgentEvents {
  /** TLS is up and the multiplex is running. */
  connected: [];
  /** The tower's capability answer arrived: what 0.4.3 counts as connected. */
  ready: [towerPorts: string];
  disconnected: [];
  frame: [frame: unknown[]];
}

interface RequestPreamble {
  method?: string;
  url?: string;
  data?: unknown;
}

export class LegacyAgent extends EventEmitter<LegacyAgentEvents> {
  /** Every frame the tower sent, over all connections, in order. */
  readonly frames: unknown[][] = [];
  towerPorts: string | undefined;
  beaconsSent = 0;
  /** When the last beacon was written (ms since the epoch). */
  lastBeaconAt = 0;
  beaconReplies = 0;
  /** TLS connections made so far. */
  dials = 0;
  private socket: tls.TLSSocket | undefined;
  private beaconTimer: NodeJS.Timeout | undefined;
  private redialTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(readonly options: LegacyAgentOptions) {
    super();
  }

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  /** Dials; resolves once TLS is up (rejects if this first dial fails). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = this.dial();
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
  }

  /** Stops beaconing on the current connection (the connection itself stays up). */
  silence(): void {
    clearTimeout(this.beaconTimer);
    this.beaconTimer = undefined;
  }

  /** Stops reading the socket for good, as an agent that hangs would; it can still write. */
  deafen(): void {
    this.socket?.unpipe();
    this.socket?.pause();
  }

  /** Writes text straight onto the TLS socket, bypassing the multiplex; resolves once it has left. */
  sendRawAndWait(text: string | Buffer): Promise<boolean> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => socket.write(text, (error) => resolve(!error)));
  }

  /** Writes text straight onto the TLS socket, bypassing the multiplex. */
  sendRaw(text: string | Buffer): void {
    this.socket?.write(text);
  }

  /** Resolves when the current connection has closed. */
  closed(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.closed) return Promise.resolve();
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.redialTimer);
    this.silence();
    const done = this.closed();
    this.socket?.destroy();
    await done;
  }

  private dial(): tls.TLSSocket {
    this.dials++;
    const socket = tls.connect({
      host: this.options.host ?? '127.0.0.1',
      port: this.options.port,
      ca: this.options.ca,
      cert: this.options.cert,
      key: this.options.key,
      ...this.options.tls,
    });
    this.socket = socket;
    socket.on('error', () => {});
    socket.once('secureConnect', () => this.secured(socket));
    socket.once('close', () => {
      if (this.socket === socket) this.silence();
      this.emit('disconnected');
      if (!this.stopped && this.options.redialMs !== undefined) {
        this.redialTimer = setTimeout(() => {
          if (!this.stopped) this.dial();
        }, this.options.redialMs);
      }
    });
    return socket;
  }

  private secured(socket: tls.TLSSocket): void {
    socket.setKeepAlive(true, 60_000);
    const mux = MuxDemux();
    const cut = this.options.readChunkBytes;
    if (cut === undefined) {
      socket.setEncoding('utf8');
      socket.pipe(mux).pipe(socket);
    } else {
      socket.pipe(rechunk(cut)).pipe(mux).pipe(socket);
    }
    this.spy(socket);
    mux.on('error', () => socket.destroy());
    mux.on('connection', (stream: MuxDemux.SubStream) => this.serve(stream, socket));
    if (this.options.openCapability ?? true) {
      const capability = mux.createReadStream('capability');
      capability.on('data', (list: string) => {
        this.towerPorts = list;
        this.emit('ready', list);
      });
    }
    this.emit('connected');
  }

  private serve(stream: MuxDemux.SubStream, socket: tls.TLSSocket): void {
    const [action, target] = String(stream.meta).split(':');
    stream.on('error', () => {});
    switch (action) {
      case 'capability':
        if (this.options.answerCapability === false) return;
        stream.write((this.options.capabilityPorts ?? this.options.allowedPorts).join(','));
        stream.end();
        return;
      case 'beacon':
        this.beacon(stream, socket);
        return;
      case 'relay':
        if (!this.options.ignoreRelays) this.relay(stream, Number(target));
        return;
      default:
        stream.end();
    }
  }

  private beacon(stream: MuxDemux.SubStream, socket: tls.TLSSocket): void {
    let sent = 0;
    let replies = 0;
    stream.on('data', () => {
      replies++;
      this.beaconReplies++;
    });
    const tick = () => {
      if (sent - replies >= (this.options.beaconRetry ?? 3)) {
        // "beacon retry timeout, server no longer responding"
        stream.end();
        socket.end();
        return;
      }
      stream.write('Beacon');
      sent++;
      this.beaconsSent++;
      this.lastBeaconAt = Date.now();
      this.beaconTimer = setTimeout(tick, this.options.beaconIntervalMs ?? 10_000);
    };
    tick();
  }

  private relay(stream: MuxDemux.SubStream, target: number): void {
    if (!this.options.allowedPorts.includes(target)) {
      stream.end();
      return;
    }
    let request: RequestPreamble | null = null;
    stream.on('data', (chunk: unknown) => {
      if (request) return; // 0.4.3 ignores later data frames
      try {
        request = JSON.parse(String(chunk)) as RequestPreamble;
      } catch {
        stream.end();
      }
    });
    stream.on('end', () => {
      if (!request) return;
      const preamble: RequestPreamble = request;
      let timedOut = false;
      const local = http.request(
        {
          host: '127.0.0.1',
          port: this.options.forward?.[target] ?? target,
          method: preamble.method,
          path: preamble.url,
          headers: { 'Content-Type': 'application/json' },
          agent: false,
        },
        (reply) => {
          if (timedOut) return;
          reply.setEncoding('utf8');
          stream.write(JSON.stringify({ statusCode: reply.statusCode, headers: reply.headers }));
          reply.pipe(stream);
        },
      );
      local.setTimeout(this.options.localTimeoutMs ?? 20_000, () => {
        timedOut = true;
        stream.write(JSON.stringify({ statusCode: 408, headers: null }));
        stream.end();
        local.destroy();
      });
      local.on('error', () => {
        if (timedOut) return;
        stream.write(JSON.stringify({ statusCode: 500, headers: null }));
        stream.end();
      });
      if (preamble.data !== undefined && preamble.data !== null) local.write(JSON.stringify(preamble.data));
      local.end();
    });
  }

  /** Records the tower's frames from the same decoded text the multiplex reads. */
  private spy(socket: tls.TLSSocket): void {
    let partial = '';
    const decoder = new StringDecoder('utf8');
    socket.on('data', (chunk: string | Buffer) => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const frame = JSON.parse(line) as unknown;
          if (Array.isArray(frame)) {
            this.frames.push(frame);
            this.emit('frame', frame);
          }
        } catch {
          // the multiplex reports it; the spy only records
        }
      }
    });
  }
}

/** Passes bytes on in pieces of at most `size` bytes, as many small network reads would. */
function rechunk(size: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (let at = 0; at < chunk.length; at += size) this.push(chunk.subarray(at, at + size));
      done();
    },
  });
}
