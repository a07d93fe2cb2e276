/**
 * A WebSocket bolt as the tower sees it: the `Bolt` interface over a multiplexed `BoltSession`.
 */

import { BoltBase } from '../../link/bolt.js';
import type { CloseReason } from '../../link/close-reason.js';
import type { RelayOptions, RelayRequest, RelayResponse } from '../../link/relay.js';
import type { BoltSession } from '../mux/bolt-session.js';
import { errorCodeForReason } from './close-codes.js';
import { relay } from './relay-client.js';

export class WsBolt extends BoltBase {
  readonly transport = 'ws' as const;

  constructor(
    cname: string,
    address: string,
    private readonly session: BoltSession,
  ) {
    super(cname, address);
  }

  get isOpen(): boolean {
    return !this.session.isClosed;
  }

  get lastHeardAt(): number {
    return this.session.lastHeardAt;
  }

  get openStreams(): number {
    return this.session.openStreams;
  }

  /** Bytes sent to the agent that it has not taken yet (see `BoltSession.outputBacklog`). */
  get outputBacklog(): number {
    return this.session.outputBacklog;
  }

  protected send(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse> {
    return relay(this.session, port, request, options);
  }

  /** The reason the tower closed it with, if it did: the close code alone would not tell them all apart. */
  closedAs: CloseReason | undefined;

  close(reason: CloseReason, detail: string): void {
    if (!this.session.isClosed) this.closedAs ??= reason;
    this.session.close(errorCodeForReason(reason), detail);
  }
}
