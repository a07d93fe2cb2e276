/**
 * The agent's first look at a relay stream, shared by every way it serves one: a head that does
 * not parse, or a port outside the capability, resets the stream before anything else happens.
 */
import type { MuxStream } from '../mux/mux-stream.js';
import { ErrorCode } from '../protocol/frames.js';
import { decodeRequestHead, type RequestHead } from '../protocol/heads.js';

export function acceptRelayHead(
  stream: MuxStream,
  headPayload: Uint8Array,
  allowedPorts: ReadonlySet<number>,
): RequestHead | undefined {
  let head: RequestHead;
  try {
    head = decodeRequestHead(headPayload);
  } catch (error) {
    stream.reset(ErrorCode.Protocol, error instanceof Error ? error.message : 'malformed request head');
    return undefined;
  }
  if (!allowedPorts.has(head.port)) {
    stream.reset(ErrorCode.PortNotAllowed, `port ${head.port} is not in this agent's capability`);
    return undefined;
  }
  return head;
}
