/**
 * A minimal server-sent-events reader: enough of the format for `/minions/events` (event, data and
 * id fields, comments ignored), fed with text as it arrives.
 */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

export class SseParser {
  private buffer = '';

  push(text: string): SseEvent[] {
    this.buffer += text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
    const events: SseEvent[] = [];
    let end = this.buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      if (data.length > 0) events.push({ event, data: data.join('\n'), id });
      end = this.buffer.indexOf('\n\n');
    }
    return events;
  }
}

/** The `data` of added/changed/removed events. */
export interface ChangeData {
  readonly id: string;
  readonly checksum: string | null;
  readonly global: string;
}
