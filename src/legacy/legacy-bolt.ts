/**
 * A legacy stormbolt agent as the tower sees it: the transport-neutral `Bolt` over one
 * `LegacyConnection`, so the bolt table, `/clients`, `/proxy` and the minion machines treat it like
 * a WebSocket bolt.
 */
import { randomUUID } from 'node:crypto';
import type { ErrorCode } from '../bolt/protocol/frames.js';
import { type Bolt, unofferedPort } from '../bolt/tower/bolt.js';
import type { RelayOptions, RelayRequest, RelayResponse } from '../bolt/tower/relay-client.js';
import { RelayError } from '../bolt/tower/relay-error.js';
import type { LegacyConnection } from './legacy-connection.js';

export class LegacyBolt implements Bolt {
  readonly boltId = randomUUID();
  readonly connectedAt = new Date();
  readonly transport = 'legacy' as const;
  ports: readonly number[] | null = null;

  constructor(
    readonly cname: string,
    readonly address: string,
    private readonly connection: LegacyConnection,
  ) {}

  get isOpen(): boolean {
    return !this.connection.isClosed;
  }

  get openStreams(): number {
    return this.connection.relaysInFlight;
  }

  relay(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse> {
    // Refused here, before anything is read or sent: the original checked the capability locally too.
    const refused = unofferedPort(this, port);
    if (refused) return Promise.reject(refused);
    if (this.connection.isClosed) {
      return Promise.reject(new RelayError('bolt-lost', `the legacy bolt of ${this.cname} has closed`));
    }
    return this.connection.relay(port, request, options);
  }

  close(code: ErrorCode, reason: string): void {
    this.connection.close(code, reason);
  }
}
