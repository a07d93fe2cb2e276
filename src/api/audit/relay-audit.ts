/**
 * The audit log's line for one relayed request (`/proxy` or the header relay), and where it goes:
 * a `relayed` line on the tower's own log, or on the logger of its own file (`--audit-log`).
 *
 * One line per relay, whatever became of it: answered, refused by the agent, timed out, or cut
 * half-way. A failed relay names why in `error`, with the relay's error code.
 */
import type { RelayErrorCode } from '../../link/relay-error.js';
import type { Logger } from '../../log/logger.js';

/**
 * Why a relay did not complete: a relay error, `client-closed` (the client went away before the
 * answer's head), `cut` (the answer broke off after its head: the client went away, a body stood
 * still past the idle timeout, or the agent framed it wrongly), or `internal`.
 */
export type AuditErrorCode = RelayErrorCode | 'client-closed' | 'cut' | 'internal';

/** The status logged for a relay whose client went away before any answer, as nginx logs it. */
export const CLIENT_CLOSED_STATUS = 499;

export interface RelayAuditLine {
  /** Also sent to the agent and returned to the client as `x-request-id`. */
  readonly requestId: string;
  readonly cname: string;
  readonly port: number;
  readonly method: string;
  /** Without the query string unless the audit includes it (`--audit-query`). */
  readonly path: string;
  readonly status: number;
  /** Request body bytes taken from the client, and response body bytes passed back to it. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** From the request's arrival at the relay to the end of its answer (ms, 0.1 ms steps). */
  readonly durationMs: number;
  /** The client's address as the tower's socket sees it; absent without a socket. */
  readonly client?: string;
  readonly error?: AuditErrorCode;
}

export interface RelayAudit {
  /** Log the query string with the path; off by default, as queries may carry secrets. */
  readonly includeQuery: boolean;
  record(line: RelayAuditLine): void;
}

export const AUDIT_MESSAGE = 'relayed';

/** An audit writing `relayed` lines to `log` (the tower's logger, or the audit file's). */
export function auditTo(log: Logger, includeQuery = false): RelayAudit {
  return { includeQuery, record: (line) => log.info(line, AUDIT_MESSAGE) };
}

/** `path` as the audit logs it: the query string is dropped unless asked for. */
export function auditedPath(path: string, includeQuery: boolean): string {
  if (includeQuery) return path;
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}
