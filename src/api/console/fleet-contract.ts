/**
 * What `GET /fleet` and `GET /fleet/machine` answer: the shapes the browser console reads. The console
 * imports these types (types only), so the server and the page cannot drift apart unnoticed.
 */

export type FleetState = 'connecting' | 'monitoring' | 'ready' | 'changed' | 'removed';

export interface FleetPollFailure {
  readonly code: string;
  readonly message: string;
  readonly at: number;
}

/** One live minion; times are epoch milliseconds. */
export interface FleetMinion {
  readonly cname: string;
  readonly state: FleetState;
  /** `ws` for a WebSocket bolt, `legacy` for a stormbolt link. */
  readonly transport: string;
  readonly address: string;
  readonly ports: readonly number[];
  readonly connectedAt: number;
  readonly lastPollAt: number | null;
  readonly lastChangeAt: number | null;
  readonly checksum: string | null;
  readonly lastError: FleetPollFailure | null;
  readonly consecutiveFailures: number;
  /** In a cluster, the other tower holding this minion's bolt; absent for this tower's own. */
  readonly tower?: string;
}

export interface FleetRemoval {
  readonly cname: string;
  readonly transport: string;
  readonly address: string;
  readonly connectedAt: number;
  readonly removedAt: number;
  readonly reason: string;
  readonly checksum: string | null;
}

/** What the tower's fleet supplies; the route adds the rest. */
export interface FleetDetail {
  readonly minions: readonly FleetMinion[];
  readonly removed: readonly FleetRemoval[];
}

export interface FleetBody extends FleetDetail {
  /** When this answer was made (the tower's clock), and when the tower started. */
  readonly at: number;
  readonly startedAt: number;
  /** The registry's global checksum, as `HEAD /minions` gives it. */
  readonly global: string;
}

/** The minion machine as a graph: its states in lifecycle order, and its targeted transitions. */
export interface MachineGraph {
  readonly id: string;
  readonly initial: string;
  readonly states: readonly { readonly name: string; readonly final: boolean }[];
  /** `from` is `*` for a transition every state takes (defined on the machine itself). */
  readonly transitions: readonly { readonly from: string; readonly to: string; readonly event: string }[];
}
