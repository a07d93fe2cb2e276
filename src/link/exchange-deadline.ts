/**
 * The settle-once scaffold of a relayed exchange, for every transport: the wait for the response
 * head is bounded by `timeoutMs` and cut short by the caller's signal, and however many of those and
 * of the transport's own failures race, the exchange settles exactly once.
 */
import type { CancelSignal, RelayOptions } from './relay.js';
import { RelayError } from './relay-error.js';

export class ExchangeDeadline {
  private done = false;
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly signal: CancelSignal | undefined;

  /**
   * Starts the head timer and listens to the signal. `awaited` names what the timeout waits for in
   * its message ("response", "reply"); `onFail` hears the one failure, after the deadline settled.
   * A signal already aborted fails the exchange at once, before the caller sends anything.
   */
  constructor(
    private readonly options: RelayOptions,
    private readonly awaited: string,
    private readonly onFail: (error: RelayError) => void,
  ) {
    this.signal = options.signal;
    if (this.signal?.aborted) {
      this.fail(new RelayError('upstream-failed', 'request aborted'));
      return;
    }
    this.timer = setTimeout(this.expire, options.timeoutMs);
    this.signal?.addEventListener('abort', this.abort, { once: true });
  }

  /** The exchange has been answered or has failed. */
  get settled(): boolean {
    return this.done;
  }

  /** Stops the timer and the abort listener; true the first time only, so one caller wins. */
  settle(): boolean {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.abort);
    return true;
  }

  /** Settles with `error` and reports it, unless the exchange had already settled. */
  fail(error: RelayError): boolean {
    if (!this.settle()) return false;
    this.onFail(error);
    return true;
  }

  private readonly expire = (): void => {
    this.fail(new RelayError('timeout', `no ${this.awaited} within ${this.options.timeoutMs} ms`));
  };

  private readonly abort = (): void => {
    this.fail(new RelayError('upstream-failed', 'request aborted'));
  };
}
