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

export function boltLink(bolt: Bolt, options: StatusPollOptions): MinionLink {
  return {
    cname: bolt.cname,
    pollStatus: (signal) => pollStatus(bolt, options, signal),
    close: (reason) => bolt.close(ErrorCode.NoError, reason),
  };
}

async function pollStatus(bolt: Bolt, options: StatusPollOptions, outer: AbortSignal): Promise<StatusObject> {
  const signal = AbortSignal.any([outer, AbortSignal.timeout(options.timeoutMs)]);
  let response: Awaited<ReturnType<Bolt['relay']>>;
  try {
    response = await bolt.relay(
      options.port,
      { method: 'GET', path: options.path, headers: ['accept', 'application/json'], body: null },
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
