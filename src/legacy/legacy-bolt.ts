/**
 * A legacy stormbolt agent as the tower sees it: the transport-neutral `Bolt` over one
 * `LegacyConnection`, so the bolt table, `/clients`, `/proxy` and the minion machines treat it like
 * a WebSocket bolt. The capability is checked locally before anything is sent, as the original did.
 */
import { BoltBase } from '../link/bolt.js';
import type { CloseReason } from '../link/close-reason.js';
import type { RelayOptions, RelayRequest, RelayResponse } from '../link/relay.js';
import type { LegacyConnection } from './legacy-connection.js';

export class LegacyBolt extends BoltBase {
  readonly transport = 'legacy' as const;

  constructor(
    cname: string,
    address: string,
    private readonly connection: LegacyConnection,
  ) {
    super(cname, address);
  }

  get isOpen(): boolean {
    return !this.connection.isClosed;
  }

  get lastHeardAt(): number {
    return this.connection.lastHeardAt;
  }

  get openStreams(): number {
    return this.connection.relaysInFlight;
  }

  /** Bytes written to the agent that it has not taken yet. */
  get outputBacklog(): number {
    return this.connection.outputBacklog;
  }

  protected send(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse> {
    return this.connection.relay(port, request, options);
  }

  close(reason: CloseReason, detail: string): void {
    this.connection.close(reason, detail);
  }
}
