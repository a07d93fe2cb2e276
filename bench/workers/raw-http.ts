/**
 * A lean HTTP/1.1 client on one keep-alive socket, for the measuring workers. Node's HTTP client
 * costs ~0.5 ms a request at p50 and ~1 ms at p99 here (measured against wrk on the same endpoint)
 * and tops out near 1 GB/s: too much noise beside a 2 ms goal, and a cap on the direct baseline.
 * This one writes the request head itself and reads responses framed by Content-Length, chunked
 * encoding, or the close; one request at a time.
 */
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Body bytes, after any chunk framing. */
  readonly bodyBytes: number;
}

export interface RawRequest {
  readonly method: string;
  /** Path and query string. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string | number>>;
  /** The request body, written with back-pressure; its length must be in `headers`. */
  readonly body?: Iterable<Buffer>;
  /** Each body chunk as it arrives (otherwise bodies are only counted). */
  readonly onBody?: (chunk: Buffer) => void;
}

type Framing = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

/** Reads one response: the head, then the body in whichever framing the head announced. */
class ResponseReader {
  private buffer: Buffer = Buffer.alloc(0);
  private status = 0;
  private framing: Framing | undefined;
  private bodyBytes = 0;
  /** In chunked framing: bytes left of the current chunk, or undefined while reading a size line. */
  private chunkLeft: number | undefined;

  constructor(
    private readonly method: string,
    private readonly onBody: ((chunk: Buffer) => void) | undefined,
    private readonly done: (response: RawResponse) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.framing === undefined && !this.readHead()) return;
    this.readBody();
  }

  /** The server closed the connection: the end of a close-framed body. */
  closed(): boolean {
    if (this.framing?.kind !== 'close') return false;
    this.finish();
    return true;
  }

  private readHead(): boolean {
    // A previous chunked body's final CRLF may arrive after that response was already complete.
    while (this.buffer[0] === 0x0d && this.buffer[1] === 0x0a) this.buffer = this.buffer.subarray(2);
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    this.buffer = this.buffer.subarray(end + 4);
    this.status = Number(lines[0]?.split(' ')[1]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = headers.get('content-length');
    if (this.method === 'HEAD' || this.status === 204 || this.status === 304) this.framing = { kind: 'none' };
    else if (headers.get('transfer-encoding')?.toLowerCase().includes('chunked'))
      this.framing = { kind: 'chunked' };
    else if (length !== undefined) this.framing = { kind: 'length', left: Number(length) };
    else this.framing = { kind: 'close' };
    return true;
  }

  private deliver(bytes: Buffer): void {
    this.bodyBytes += bytes.length;
    if (bytes.length > 0) this.onBody?.(bytes);
  }

  private readBody(): void {
    const framing = this.framing;
    if (framing === undefined) return;
    if (framing.kind === 'none') {
      this.finish();
      return;
    }
    if (framing.kind === 'close') {
      this.deliver(this.buffer);
      this.buffer = Buffer.alloc(0);
      return;
    }
    if (framing.kind === 'length') {
      const take = this.buffer.subarray(0, framing.left);
      this.buffer = this.buffer.subarray(take.length);
      framing.left -= take.length;
      this.deliver(take);
      if (framing.left === 0) this.finish();
      return;
    }
    for (;;) {
      if (this.chunkLeft === undefined) {
        const eol = this.buffer.indexOf('\r\n');
        if (eol < 0) return;
        const size = Number.parseInt(this.buffer.subarray(0, eol).toString('latin1'), 16);
        this.buffer = this.buffer.subarray(eol + 2);
        // The last chunk: no trailers are sent by the servers measured here, only the final CRLF.
        if (size === 0) {
          this.finish();
          return;
        }
        this.chunkLeft = size;
      }
      const take = this.buffer.subarray(0, this.chunkLeft);
      this.buffer = this.buffer.subarray(take.length);
      this.chunkLeft -= take.length;
      this.deliver(take);
      if (this.chunkLeft > 0 || this.buffer.length < 2) return;
      this.buffer = this.buffer.subarray(2); // the CRLF after the chunk's data
      this.chunkLeft = undefined;
    }
  }

  private finish(): void {
    this.done({ status: this.status, bodyBytes: this.bodyBytes });
  }
}

export class RawHttpClient {
  private socket: net.Socket | undefined;
  private reader: ResponseReader | undefined;
  private fail: ((error: Error) => void) | undefined;

  constructor(private readonly origin: URL) {}

  private connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(this.origin.port), this.origin.hostname);
      socket.setNoDelay(true);
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => this.reader?.push(chunk));
      socket.on('error', (error) => this.fail?.(error));
      socket.on('close', () => {
        if (this.reader?.closed()) return;
        this.fail?.(new Error('connection closed before the response was complete'));
      });
      this.socket = socket;
    });
  }

  async request(request: RawRequest): Promise<RawResponse> {
    const socket = this.socket && !this.socket.destroyed ? this.socket : await this.connect();
    return new Promise((resolve, reject) => {
      const settle = () => {
        this.reader = undefined;
        this.fail = undefined;
      };
      this.fail = (error) => {
        settle();
        reject(error);
      };
      this.reader = new ResponseReader(request.method, request.onBody, (response) => {
        settle();
        resolve(response);
      });
      const headers = Object.entries({ Host: this.origin.host, ...request.headers })
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.write(`${request.method} ${request.path} HTTP/1.1\r\n${headers}\r\n`);
      if (request.body === undefined) return;
      const body = request.body;
      void (async () => {
        for (const chunk of body) {
          if (socket.destroyed) return;
          if (!socket.write(chunk)) await new Promise((drained) => socket.once('drain', drained));
        }
      })();
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}
