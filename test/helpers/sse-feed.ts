/**
 * `GET /minions/events` read over real HTTP the way EventSource reads it: `fetch`, then a line
 * parser over the body (any of CRLF, LF or CR ends a line; a blank line dispatches). Every event is
 * kept in arrival order, so a test can wait for one, or look back at what came between two others.
 * Streams are cancelled by `closeAll()`.
 */
import { onCloseAll } from './harness.js';

export interface SseEvent {
  /** `message` when the server named none. */
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

/** The data of `added`, `changed` and `removed`. */
export interface ChangeData {
  readonly id: string;
  readonly checksum: string | null;
  readonly global: string;
}

/** The data of `snapshot`. */
export interface SnapshotData {
  readonly global: string;
  readonly minions: readonly { readonly id: string; readonly checksum: string }[];
}

export const changeData = (event: SseEvent): ChangeData => JSON.parse(event.data) as ChangeData;
export const snapshotData = (event: SseEvent): SnapshotData => JSON.parse(event.data) as SnapshotData;

/** Matches a change event of `type` about minion `id`. */
export const change =
  (type: 'added' | 'changed' | 'removed', id: string) =>
  (event: SseEvent): boolean =>
    event.event === type && changeData(event).id === id;

export class SseFeed {
  readonly events: SseEvent[] = [];
  /** Set once the stream has ended (by the server or by `close`), with why. */
  ended: string | undefined;
  private readonly wakers = new Set<() => void>();
  private fields = { event: '', id: undefined as string | undefined, data: [] as string[] };

  constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    void this.pump();
  }

  /**
   * The first event matching `match` at index `from` or later, waiting up to `timeoutMs` for it.
   * Returns the event and its index, so the next wait can start after it.
   */
  async waitFor(
    match: (event: SseEvent) => boolean,
    { from = 0, timeoutMs = 10_000 }: { from?: number; timeoutMs?: number } = {},
  ): Promise<{ event: SseEvent; index: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex((event, i) => i >= from && match(event));
      const found = this.events[index];
      if (found) return { event: found, index };
      if (this.ended !== undefined) throw new Error(`event stream ended (${this.ended}) before a match`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, left);
        function wake() {
          clearTimeout(timer);
          resolve();
        }
        this.wakers.add(wake);
      });
    }
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(): Promise<void> {
    const body = this.response.body;
    if (!body) {
      this.finish('no body');
      return;
    }
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of body) {
        pending += decoder.decode(chunk, { stream: true });
        // A trailing CR may be the first half of a CRLF: keep it until the next chunk says.
        for (;;) {
          const match = /\r\n|\r(?=[^\n])|\n/.exec(pending);
          if (!match) break;
          this.line(pending.slice(0, match.index));
          pending = pending.slice(match.index + match[0].length);
        }
      }
      this.finish('server closed the stream');
    } catch (error) {
      this.finish(error instanceof Error ? error.message : String(error));
    }
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return; // a comment, e.g. the keep-alive
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') this.fields.event = value;
    else if (name === 'data') this.fields.data.push(value);
    else if (name === 'id' && !value.includes('\0')) this.fields.id = value;
  }

  private dispatch(): void {
    const { event, id, data } = this.fields;
    // The last event id persists across events, as in EventSource; type and data do not.
    this.fields = { event: '', id, data: [] };
    if (data.length === 0) return;
    this.events.push({ event: event || 'message', id, data: data.join('\n') });
    this.wake();
  }

  private finish(reason: string): void {
    this.ended ??= reason;
    this.wake();
  }

  private wake(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
  }
}

/** Opens the change feed at `url` (`<api>/minions/events`); fails unless it answers 200 with SSE. */
export async function openFeed(url: string, headers: Record<string, string> = {}): Promise<SseFeed> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  if (response.status !== 200 || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
    abort.abort();
    throw new Error(`${url} answered ${response.status} ${response.headers.get('content-type')}`);
  }
  const feed = new SseFeed(response, abort);
  onCloseAll(async () => feed.close());
  return feed;
}
