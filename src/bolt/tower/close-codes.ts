/**
 * The WebSocket transport's translation between the link's close reasons and the bolt's close codes
 * (4000 + `ErrorCode`, docs/protocol.md), both ways.
 */
import type { CloseReason } from '../../link/close-reason.js';
import { closeCodeFor, ErrorCode } from '../protocol/frames.js';

const codeOf: Record<CloseReason, ErrorCode> = {
  closed: ErrorCode.NoError,
  expired: ErrorCode.Expired,
  // Agents read "no sign of life in time" either way, and redial.
  'capability-timeout': ErrorCode.Expired,
  replaced: ErrorCode.Replaced,
  conflict: ErrorCode.Conflict,
  shutdown: ErrorCode.GoingAway,
  protocol: ErrorCode.Protocol,
  backlog: ErrorCode.Backlog,
  revoked: ErrorCode.Revoked,
  internal: ErrorCode.Internal,
};

/** The `ErrorCode` a bolt is closed with for `reason`. */
export const errorCodeForReason = (reason: CloseReason): ErrorCode => codeOf[reason];

const reasonOf = new Map<number, CloseReason>([
  [closeCodeFor(ErrorCode.Expired), 'expired'],
  [closeCodeFor(ErrorCode.Replaced), 'replaced'],
  [closeCodeFor(ErrorCode.Conflict), 'conflict'],
  [closeCodeFor(ErrorCode.GoingAway), 'shutdown'],
  [closeCodeFor(ErrorCode.Protocol), 'protocol'],
  [closeCodeFor(ErrorCode.FrameSize), 'protocol'],
  [closeCodeFor(ErrorCode.FlowControl), 'protocol'],
  [closeCodeFor(ErrorCode.StreamClosed), 'protocol'],
  [closeCodeFor(ErrorCode.Backlog), 'backlog'],
  [closeCodeFor(ErrorCode.Revoked), 'revoked'],
  [closeCodeFor(ErrorCode.Internal), 'internal'],
]);

/** The reason behind a WebSocket close code, whichever side sent it; anything else is `closed`. */
export const reasonForCloseCode = (code: number): CloseReason => reasonOf.get(code) ?? 'closed';
