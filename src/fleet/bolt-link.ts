/**
 * Adapts a connected bolt to the `MinionLink` the machines need: poll the status document through
 * the same relay path `/proxy` uses, and close the bolt.
 *
 * Every way a poll can go wrong becomes a `PollError` with a stable code: the body is read against
 * a byte limit and parsed strictly, so a hostile or broken agent costs at most `bodyLimit` bytes.
 */
import { type MinionLink, PollError, type StatusObject } from '../../machines/minion-link.js';
import { ErrorCode } from '../bolt/protocol/frames.js';
import { readWithin } from '../bolt/read-within.js';
import type { Bolt } from '../bolt/tower/bolt.js';
import { RelayError } from '../bolt/tower/relay-error.js';

export interface StatusPollOptions {
  readonly port: number;
  readonly path: string;
  readonly bodyLimit: number;
  /** Milliseconds for the whole poll: response head and body. */
  readonly timeoutMs: number;
}

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
  ) {}

  get cname(): string {
    return this.bolt.cname;
  }

  pollStatus(signal: AbortSignal): Promise<StatusObject> {
    return withDeadline(signal, this.options.timeoutMs, (bounded) =>
      pollStatus(this.bolt, this.options, bounded),
    );
  }

  close(reason: string): void {
    this.bolt.close(ErrorCode.NoError, reason);
  }
}

export function boltLink(bolt: Bolt, options: StatusPollOptions): MinionLink {
  return new BoltLink(bolt, options);
}

/**
 * Runs `poll` with a signal that aborts when `outer` does or after `timeoutMs`, and lets go of both
 * as soon as it settles. (`AbortSignal.any` with `AbortSignal.timeout` kept a live timer and two
 * signals for the whole timeout after every poll: thousands of them at fleet scale.)
 */
async function withDeadline<T>(
  outer: AbortSignal,
  timeoutMs: number,
  poll: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = new AbortController();
  const abort = () => deadline.abort(outer.reason);
  if (outer.aborted) abort();
  else outer.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(() => deadline.abort(new Error(`no status within ${timeoutMs} ms`)), timeoutMs);
  try {
    return await poll(deadline.signal);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', abort);
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
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PollError(
      'not-object',
      `status is JSON but not an object (${Array.isArray(parsed) ? 'array' : typeof parsed})`,
    );
  }
  return parsed as StatusObject;
}
