/**
 * A connected bolt as everything above the transport sees it, whatever carries it: the WebSocket
 * bolt or the legacy stormbolt TLS link. The bolt table, the API and the minion links use only this.
 */
import { randomBytes } from 'node:crypto';
import type { CloseReason } from './close-reason.js';
import type { RelayOptions, RelayRequest, RelayResponse } from './relay.js';
import { RelayError } from './relay-error.js';

export type BoltTransport = 'ws' | 'legacy';

export interface Bolt {
  readonly cname: string;
  /** Unique per connection: two bolts of one cname are told apart by it. */
  readonly boltId: string;
  readonly address: string;
  readonly transport: BoltTransport;
  readonly connectedAt: Date;
  /** Null until the agent announces its capability. */
  ports: readonly number[] | null;
  readonly isOpen: boolean;
  /** When the tower last heard from the peer (ms since the epoch): whether it is still alive. */
  readonly lastHeardAt: number;
  /**
   * Other agents that contended for this cname while it was held without a gap (see `BoltTable`),
   * and the address of the last one.
   */
  conflicts: number;
  lastConflictAddress: string | null;
  /** Relayed exchanges in flight on this bolt; 0 when idle, so a leaked stream shows. */
  readonly openStreams: number;
  /** Relays one HTTP exchange to `port`; rejects with `RelayError`. */
  relay(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse>;
  /** Closes the bolt (idempotent); the transport then reports it closed to the bolt table. */
  close(reason: CloseReason, detail: string): void;
}

/**
 * What a relay needs of whatever answers for a cname: a local bolt, or a peer tower that holds it.
 */
export type RelayTarget = Pick<Bolt, 'cname' | 'relay'>;

/**
 * What every transport's bolt shares: identity, capability, and the local refusals made before
 * anything is sent (a port not offered, a bolt already closed). A transport supplies the rest.
 */
export abstract class BoltBase implements Bolt {
  // Hex from one native call is one flat string, where `randomUUID()` text is a tree of concatenated
  // pieces held for as long as the bolt lives.
  readonly boltId = randomBytes(16).toString('hex');
  readonly connectedAt = new Date();
  ports: readonly number[] | null = null;
  conflicts = 0;
  lastConflictAddress: string | null = null;
  abstract readonly transport: BoltTransport;
  abstract readonly isOpen: boolean;
  abstract readonly lastHeardAt: number;
  abstract readonly openStreams: number;

  constructor(
    readonly cname: string,
    readonly address: string,
  ) {}

  relay(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse> {
    // A reconnecting agent's new bolt is listed before its Hello: that is a wait, not a refusal.
    if (this.ports === null) {
      return Promise.reject(
        new RelayError('not-ready', `${this.cname} has not announced its ports yet; try again shortly`),
      );
    }
    if (!this.ports.includes(port)) {
      return Promise.reject(
        new RelayError('port-not-allowed', `port ${port} is not in ${this.cname}'s capability`),
      );
    }
    if (!this.isOpen)
      return Promise.reject(new RelayError('bolt-lost', `the bolt of ${this.cname} has closed`));
    return this.send(port, request, options);
  }

  /** Carries one exchange over the transport, once the local checks passed. */
  protected abstract send(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse>;

  abstract close(reason: CloseReason, detail: string): void;
}
