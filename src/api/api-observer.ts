/**
 * What the API tells whoever watches it (the tower's metrics), as small typed callbacks passed
 * down: the API knows nothing of Prometheus, and without an observer it does no extra work.
 */

/** How a relayed exchange came back: the agent's status class, or a relay error (no answer). */
export type RelayOutcome = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error';

export interface RelayObserver {
  /** The response head arrived (or the relay failed) `seconds` after the relay began. */
  relayed(outcome: RelayOutcome, seconds: number): void;
  /** Body bytes moved: `request` from the client to the agent, `response` back. */
  bytes(direction: 'request' | 'response', count: number): void;
}

export interface FeedObserver {
  /** Called once with a way to count the open `/minions/events` streams, read when scraped. */
  subscribers(count: () => number): void;
  /** A subscriber was dropped for leaving more than the backlog limit unread. */
  dropped(): void;
}

/** The text exposition a scrape answers with. */
export interface MetricsExposition {
  readonly contentType: string;
  readonly body: string;
}

export interface ApiObserver {
  readonly relay?: RelayObserver;
  readonly feed?: FeedObserver;
  /** Serves `GET /metrics` when present. */
  readonly scrape?: () => Promise<MetricsExposition>;
}

export function outcomeOf(status: number): RelayOutcome {
  if (status < 200) return '1xx';
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status < 500) return '4xx';
  return '5xx';
}
