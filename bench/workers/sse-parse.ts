/**
 * A minimal server-sent-events reader: enough of the format for `/minions/events` (event, data and
 * id fields, comments ignored, any of CRLF, LF or CR ending a line), fed with bytes as they arrive.
 * `SseResponseReader` also reads the HTTP/1.1 response around them (status line, headers, chunked
 * or close-delimited body), so a pool of a thousand subscribers can run on plain sockets: Node's
 * HTTP client adds a parser, a readable stream and a string decoder per connection, and with them
 * most of the pool's CPU time and garbage.
 */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

/** The `data` of added/changed/removed events. */
export interface ChangeData {
  readonly id: string;
  readonly checksum: string | null;
  readonly global: string;
}

export class SseParser {
  private readonly decoder = new TextDecoder();
  private text = '';

  push(bytes: Uint8Array): SseEvent[] {
    let text = this.text + this.decoder.decode(bytes, { stream: true });
    if (text.includes('\r')) {
      // A trailing CR may be the first half of a CRLF: keep it until the next bytes say.
      const held = text.endsWith('\r') ? '\r' : '';
      text = text.slice(0, text.length - held.length).replace(/\r\n?/g, '\n') + held;
    }
    const events: SseEvent[] = [];
    let start = 0;
    for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n', start)) {
      const event = parseBlock(text, start, end);
      if (event) events.push(event);
      start = end + 2;
    }
    this.text = start === 0 ? text : text.slice(start);
    return events;
  }
}

/** The event in `text[start, end)`, one block of lines; `undefined` if it has no data (a comment). */
function parseBlock(text: string, start: number, end: number): SseEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  let data: string | undefined;
  for (let from = start; from < end; ) {
    const eol = text.indexOf('\n', from);
    const to = eol < 0 || eol > end ? end : eol;
    if (to > from && text.charCodeAt(from) !== 0x3a /* ':' starts a comment */) {
      const colon = text.indexOf(':', from);
      const field = colon < 0 || colon > to ? text.slice(from, to) : text.slice(from, colon);
      let valueAt = colon < 0 || colon > to ? to : colon + 1;
      if (text.charCodeAt(valueAt) === 0x20 && valueAt < to) valueAt += 1;
      const value = text.slice(valueAt, to);
      if (field === 'event') event = value;
      else if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
      else if (field === 'id') id = value;
    }
    from = to + 1;
  }
  return data === undefined ? undefined : { event, data, id };
}

/**
 * One HTTP/1.1 response to an SSE request, read off a socket: the head (its status is kept), then
 * the body, un-chunked where it is chunked, into an `SseParser`.
 */
export class SseResponseReader {
  /** 0 until the head has arrived. */
  status = 0;
  private readonly parser = new SseParser();
  /** Bytes not yet consumed (an incomplete head, chunk size line or chunk trailer), copied. */
  private pending: Buffer | undefined;
  private chunked = false;
  /** In a chunked body, bytes left of the current chunk; `undefined` while expecting a size line. */
  private chunkLeft: number | undefined;

  push(bytes: Buffer): SseEvent[] {
    let buffer = this.pending ? Buffer.concat([this.pending, bytes]) : bytes;
    this.pending = undefined;
    if (this.status === 0) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = Buffer.from(buffer); // a copy: the caller may reuse its buffer
        return [];
      }
      this.readHead(buffer.toString('latin1', 0, end));
      buffer = buffer.subarray(end + 4);
    }
    if (!this.chunked) return this.parser.push(buffer);
    const events: SseEvent[] = [];
    let at = 0;
    while (at < buffer.length) {
      if (this.chunkLeft === undefined) {
        const eol = buffer.indexOf('\r\n', at);
        if (eol < 0) break;
        this.chunkLeft = Number.parseInt(buffer.toString('latin1', at, eol), 16);
        at = eol + 2;
        continue;
      }
      if (this.chunkLeft === 0) {
        // The CRLF that closes a chunk's data (the last, empty chunk's too); wait for both bytes.
        if (buffer.length - at < 2) break;
        at += 2;
        this.chunkLeft = undefined;
        continue;
      }
      const take = Math.min(this.chunkLeft, buffer.length - at);
      events.push(...this.parser.push(buffer.subarray(at, at + take)));
      this.chunkLeft -= take;
      at += take;
    }
    if (at < buffer.length) this.pending = Buffer.from(buffer.subarray(at));
    return events;
  }

  private readHead(head: string): void {
    const lines = head.split('\r\n');
    this.status = Number(lines[0]?.split(' ')[1]);
    this.chunked = lines.some((line) => /^transfer-encoding:.*chunked/i.test(line));
  }
}
