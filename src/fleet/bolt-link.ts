/**
 * Adapts a connected bolt to the `MinionLink` the machines need: poll the status document through
 * the same relay path `/proxy` uses, and close the bolt.
 *
 * Every way a poll can go wrong becomes a `PollError` with a stable code: the body is read against
 * a byte limit and parsed strictly, so a hostile or broken agent costs at most `bodyLimit` bytes.
 */
import {
  type MinionLink,
  PollError,
  type PollErrorCode,
  type StatusObject,
} from '../../machines/minion-link.js';
import { isPlainObject } from '../json/plain-object.js';
import type { Bolt } from '../link/bolt.js';
import { isCloseReason } from '../link/close-reason.js';
import { readWithin } from '../link/read-within.js';
import { RelayError } from '../link/relay-error.js';

export interface StatusPollOptions {
  readonly port: number;
  readonly path: string;
  readonly bodyLimit: number;
  /**
   * Milliseconds for the response head, the relay's own bound; the whole poll, head and body, is
   * bounded by the minion's `pollTimeout`, which the tower sets to the same value.
   */
  readonly timeoutMs: number;
}

/** How a poll ended: a document, or the `PollError` code it failed with. */
export type PollOutcome = 'ok' | PollErrorCode;

/** Told every poll's outcome and duration (the tower's metrics). */
export type PollObserver = (outcome: PollOutcome, seconds: number) => void;

/** Shared by every poll: header lists are only read. */
const STATUS_HEADERS = ['accept', 'application/json'];

/**
 * One per bolt for as long as it lives, so it is a plain object with its methods on the prototype:
 * no closures per bolt.
 */
class BoltLink implements MinionLink {
  constructor(
    private readonly bolt: Bolt,
    private readonly options: StatusPollOptions,
    private readonly observer: PollObserver | undefined,
  ) {}

  get cname(): string {
    return this.bolt.cname;
  }

  // No deadline of its own: the minion gives each poll `pollTimeout` (the same milliseconds) and
  // aborts `signal` when it runs out. A second timer and signal per poll was work done twice.
  pollStatus(signal: AbortSignal): Promise<StatusObject> {
    const poll = pollStatus(this.bolt, this.options, signal);
    return this.observer ? observed(poll, this.observer) : poll;
  }

  close(reason: string): void {
    this.bolt.close(isCloseReason(reason) ? reason : 'internal', `closed by its minion: ${reason}`);
  }
}

export function boltLink(bolt: Bolt, options: StatusPollOptions, observer?: PollObserver): MinionLink {
  return new BoltLink(bolt, options, observer);
}

async function observed(poll: Promise<StatusObject>, observer: PollObserver): Promise<StatusObject> {
  const started = performance.now();
  try {
    const status = await poll;
    observer('ok', (performance.now() - started) / 1000);
    return status;
  } catch (error) {
    observer(error instanceof PollError ? error.code : 'unreachable', (performance.now() - started) / 1000);
    throw error;
  }
}

async function pollStatus(
  bolt: Bolt,
  options: StatusPollOptions,
  signal: AbortSignal,
): Promise<StatusObject> {
  let response: Awaited<ReturnType<Bolt['relay']>>;
  try {
    response = await bolt.relay(
      options.port,
      { method: 'GET', path: options.path, headers: STATUS_HEADERS, body: null },
      { timeoutMs: options.timeoutMs, signal },
    );
  } catch (error) {
    if (error instanceof RelayError && error.code === 'timeout')
      throw new PollError('timeout', error.message);
    if (signal.aborted) throw new PollError('timeout', `no status within ${options.timeoutMs} ms`);
    throw new PollError('unreachable', error instanceof Error ? error.message : String(error));
  }
  const { body } = response;
  if (response.status < 200 || response.status > 299) {
    if (body instanceof ReadableStream) await body.cancel().catch(() => {});
    throw new PollError('http-status', `status endpoint answered ${response.status}`);
  }
  let bytes: Buffer | undefined;
  try {
    bytes = await readWithin(body, options.bodyLimit, signal);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PollError(signal.aborted ? 'timeout' : 'unreachable', message);
  }
  if (!bytes) throw new PollError('too-large', `status body passed the ${options.bodyLimit}-byte limit`);
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PollError(
      'invalid-json',
      `status is not JSON (starts with ${JSON.stringify(text.slice(0, 40))})`,
    );
  }
  if (!isPlainObject(parsed)) {
    throw new PollError(
      'not-object',
      `status is JSON but not an object (${Array.isArray(parsed) ? 'array' : typeof parsed})`,
    );
  }
  return parsed as StatusObject;
}
