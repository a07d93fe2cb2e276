/**
 * The tower's side of one mux-demux multiplex: the table of live sub-streams, frame dispatch, and
 * the ids the tower chooses.
 *
 * Receiving follows mux-demux exactly: `new` for an unknown id opens a stream, `new` for a live id is
 * ignored, any other frame for an unknown id is ignored, and a value that is not a frame is dropped.
 * The one deliberate addition is a budget on streams the agent opens, so a flood of `new` frames
 * costs that agent its connection instead of costing the tower memory and answers.
 */
import { randomBytes } from 'node:crypto';
import { LegacyProtocolError } from './legacy-error.js';
import { LegacyStream, type StreamHost } from './legacy-stream.js';
import { asFrame, newFrame, readNewPayload, type StreamOpts } from './mux-frame.js';

export interface MuxDemuxSessionOptions {
  /** Streams the tower may hold open at once; `open` refuses past it. */
  readonly maxOpenStreams: number;
  /**
   * Streams the peer may open over the session's life; one more closes the connection. The tower
   * ends those streams at once, so this budget also bounds how many of them are ever live.
   */
  readonly maxPeerStreams: number;
  /** Writes one frame to the wire. */
  send(frame: unknown[]): void;
  /** A stream the peer opened; the callee must answer or end it. */
  accept(stream: LegacyStream): void;
}

export class MuxDemuxSession {
  private readonly streams = new Map<string, LegacyStream>();
  // 96 random bits per connection plus a counter: ids are unguessable, lowercase hex, and never
  // reused on this connection, which random ids alone only make unlikely.
  private readonly idPrefix = randomBytes(12).toString('hex');
  private nextId = 0;
  private peerOpened = 0;
  private closed = false;
  private readonly host: StreamHost;

  constructor(private readonly options: MuxDemuxSessionOptions) {
    this.host = {
      send: (frame) => {
        if (!this.closed) this.options.send(frame);
      },
      forget: (stream) => {
        if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
      },
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Live streams the tower opened whose label starts with `prefix`. */
  countOpen(prefix: string): number {
    let count = 0;
    for (const stream of this.streams.values()) if (stream.local && stream.meta?.startsWith(prefix)) count++;
    return count;
  }

  private localOpen(): number {
    return this.countOpen('');
  }

  /**
   * Opens a stream labelled `meta` with our directions `opts`; undefined when the session is closed
   * or already holds `maxOpenStreams` streams.
   */
  open(meta: string, opts: StreamOpts, halfOpen: boolean): LegacyStream | undefined {
    if (this.closed || this.localOpen() >= this.options.maxOpenStreams) return undefined;
    let id: string;
    do id = `${this.idPrefix}${(this.nextId++).toString(16)}`;
    while (this.streams.has(id));
    const stream = new LegacyStream(id, meta, opts, halfOpen, true, this.host);
    this.streams.set(id, stream);
    this.options.send(newFrame(id, meta, opts));
    return stream;
  }

  /** One decoded line. Throws `LegacyProtocolError` when the peer exceeds a stream limit. */
  receive(value: unknown): void {
    if (this.closed) return;
    const frame = asFrame(value);
    if (!frame) return;
    const stream = this.streams.get(frame.id);
    if (stream) {
      if (frame.event !== 'new') stream.receive(frame.event, frame.args);
      return;
    }
    if (frame.event === 'new') this.acceptStream(frame.id, frame.args[0]);
  }

  /** The connection dropped: every stream ends locally, and nothing more is sent. */
  lost(): void {
    if (this.closed) return;
    this.closed = true;
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const stream of streams) stream.lost();
  }

  private acceptStream(id: string, payload: unknown): void {
    this.peerOpened++;
    if (this.peerOpened > this.options.maxPeerStreams) {
      throw new LegacyProtocolError(
        'LEGACY_ERR_TOO_MANY_STREAMS',
        `the agent opened more than ${this.options.maxPeerStreams} streams on one connection`,
      );
    }
    const { meta, opts } = readNewPayload(payload);
    const stream = new LegacyStream(id, meta, opts, false, false, this.host);
    this.streams.set(id, stream);
    this.options.accept(stream);
  }
}
