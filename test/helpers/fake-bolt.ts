/**
 * A bolt with no transport under it, for unit tests of what sits above the `Bolt` interface (the
 * bolt table, the capability gate): closes are recorded, and liveness is set by the test.
 */
import { BoltBase } from '../../src/link/bolt.js';
import type { CloseReason } from '../../src/link/close-reason.js';
import type { RelayResponse } from '../../src/link/relay.js';

export class FakeBolt extends BoltBase {
  readonly transport = 'ws' as const;
  readonly openStreams = 0;
  readonly closes: CloseReason[] = [];
  lastHeardAt = Date.now();
  /** Called on close, as a transport would report it to the table. */
  onClose: ((reason: CloseReason) => void) | undefined;

  get isOpen(): boolean {
    return this.closes.length === 0;
  }

  protected send(): Promise<RelayResponse> {
    return Promise.reject(new Error('a fake bolt relays nothing'));
  }

  close(reason: CloseReason, _detail?: string): void {
    if (!this.isOpen) return;
    this.closes.push(reason);
    this.onClose?.(reason);
  }
}
