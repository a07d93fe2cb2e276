/**
 * A WebSocket bolt as the tower sees it: the `Bolt` interface over a multiplexed `BoltSession`.
 */

import { BoltBase } from '../../link/bolt.js';
import type { RelayOptions, RelayRequest, RelayResponse } from '../../link/relay.js';
import type { BoltSession } from '../mux/bolt-session.js';
import type { ErrorCode } from '../protocol/frames.js';
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

  close(code: ErrorCode, reason: string): void {
    this.session.close(code, reason);
  }
}
