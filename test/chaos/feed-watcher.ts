/**
 * A subscriber of `GET /minions/events` that behaves like EventSource: it reconnects after any
 * drop (the tower's restart included) with `Last-Event-ID`, and keeps its own view of every
 * minion's checksum from snapshots and events.
 *
 * It also checks the feed as it reads, because a silently missed event may be overwritten later
 * and never show in a final comparison: ids run one by one from a snapshot (or from the id it
 * resumed with), every event makes sense against the view (no `changed` for an unknown minion, no
 * `added` for a known one), and the view's global checksum equals the one each message carries.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { type SseEvent, SseParser } from '../../bench/workers/sse-parse.js';
import type { ChangeData, SnapshotData } from '../helpers/sse-feed.js';

/** How long to wait before reconnecting, as EventSource would (shorter, to keep phases short). */
const RECONNECT_MS = 200;
/** Problems kept in full; past this only counted. */
const MAX_PROBLEMS = 20;

/** MD5 hex of `<id>:<checksum>\n` over the minions in id order: the fleet's checksum. */
export function globalOf(view: ReadonlyMap<string, string>): string {
  const ids = [...view.keys()].sort();
  return createHash('md5')
    .update(ids.map((id) => `${id}:${view.get(id)}\n`).join(''))
    .digest('hex');
}

export interface WatcherOptions {
  /** Drop the connection on our side this often, to exercise resuming when nothing went wrong. */
  readonly dropEveryMs?: number;
}

export class FeedWatcher {
  readonly view = new Map<string, string>();
  lastId: number | undefined;
  connects = 0;
  snapshots = 0;
  events = 0;
  problemCount = 0;
  readonly problems: string[] = [];
  private request: http.ClientRequest | undefined;
  private connected = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private dropper: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    private readonly eventsUrl: string,
    options: WatcherOptions = {},
  ) {
    this.connect();
    if (options.dropEveryMs)
      this.dropper = setInterval(() => this.request?.destroy(), options.dropEveryMs).unref();
  }

  /** Whether a stream is open and its first message (snapshot or replay) has been read. */
  get live(): boolean {
    return this.connected && this.lastId !== undefined;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.dropper);
    this.request?.destroy();
  }

  private connect(): void {
    if (this.closed) return;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.lastId !== undefined) headers['last-event-id'] = String(this.lastId);
    const parser = new SseParser();
    const req = http.get(this.eventsUrl, { agent: false, headers });
    this.request = req;
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        this.problem(`the feed answered ${res.statusCode}`);
        res.resume();
        return;
      }
      this.connects += 1;
      this.connected = true;
      res.on('data', (bytes: Buffer) => {
        for (const event of parser.push(bytes)) this.read(event);
      });
      res.on('error', () => {});
    });
    req.on('error', () => {}); // refused while the tower is down, or reset: 'close' reconnects
    req.on('close', () => {
      this.connected = false;
      if (this.request === req && !this.closed) this.retry = setTimeout(() => this.connect(), RECONNECT_MS);
    });
  }

  private read(event: SseEvent): void {
    const id = Number(event.id);
    if (event.event === 'snapshot') {
      const data = JSON.parse(event.data) as SnapshotData;
      this.view.clear();
      for (const minion of data.minions) this.view.set(minion.id, minion.checksum);
      this.snapshots += 1;
      if (globalOf(this.view) !== data.global)
        this.problem(`snapshot ${id}: its global does not match its minions`);
      this.lastId = id;
      return;
    }
    this.events += 1;
    const data = JSON.parse(event.data) as ChangeData;
    if (this.lastId === undefined) this.problem(`${event.event} ${id} came before any snapshot`);
    else if (id !== this.lastId + 1)
      this.problem(
        `${event.event} of ${data.id} has id ${id} right after ${this.lastId}: ${id > this.lastId ? 'events were skipped' : 'a repeat'}`,
      );
    const known = this.view.has(data.id);
    if (event.event === 'added' && known) this.problem(`added ${data.id} (${id}), which was already there`);
    if (event.event !== 'added' && !known)
      this.problem(`${event.event} ${data.id} (${id}), which was not there`);
    if (event.event === 'removed') this.view.delete(data.id);
    else this.view.set(data.id, data.checksum ?? '');
    if (globalOf(this.view) !== data.global)
      this.problem(`${event.event} ${data.id} (${id}): the view's global differs from the event's`);
    this.lastId = id;
  }

  private problem(text: string): void {
    this.problemCount += 1;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(`${this.name}: ${text}`);
  }
}
