/**
 * The agent's half of a relayed HTTP exchange: serves a stream by making the request to
 * 127.0.0.1:<port>, for allowed ports only, and streams the answer back.
 *
 * Request body credit is returned only once a chunk is written to the local socket, and response
 * chunks are read only as fast as the bolt's credit allows, so memory stays within one window per
 * stream in both directions.
 */
import http from 'node:http';
import { endToEndHeaders } from '../http-headers.js';
import type { MuxStream } from '../mux/mux-stream.js';
import { ErrorCode, FrameType, Limits } from '../protocol/frames.js';
import { decodeRequestHead, encodeJson, type RequestHead } from '../protocol/heads.js';

/** Local connections are reused across relayed requests: a keep-alive pool per agent. */
export function localAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
}

export interface RelayServerOptions {
  readonly allowedPorts: ReadonlySet<number>;
  readonly agent: http.Agent;
  /** Where local requests go; 127.0.0.1 unless a test says otherwise. */
  readonly host?: string;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'EADDRNOTAVAIL', 'ENETUNREACH']);

export function serveRelayStream(
  stream: MuxStream,
  headPayload: Uint8Array,
  endStream: boolean,
  options: RelayServerOptions,
) {
  let head: RequestHead;
  try {
    head = decodeRequestHead(headPayload);
  } catch (error) {
    stream.reset(ErrorCode.Protocol, error instanceof Error ? error.message : 'malformed request head');
    return;
  }
  if (!options.allowedPorts.has(head.port)) {
    stream.reset(ErrorCode.PortNotAllowed, `port ${head.port} is not in this agent's capability`);
    return;
  }
  const host = options.host ?? '127.0.0.1';
  // With a flat header list Node sends the fields as given and adds no Host, which HTTP/1.1 requires.
  const headers = head.headers.some((name, i) => i % 2 === 0 && name.toLowerCase() === 'host')
    ? head.headers
    : [...head.headers, 'host', `${host}:${head.port}`];
  let request: http.ClientRequest;
  try {
    request = http.request({
      host,
      port: head.port,
      method: head.method,
      path: head.path,
      headers,
      agent: options.agent,
    });
  } catch (error) {
    // Node refuses some heads the protocol allows (e.g. a header value it deems invalid).
    stream.reset(
      ErrorCode.UpstreamFailed,
      `cannot send the request: ${error instanceof Error ? error.message : error}`,
    );
    return;
  }
  let responded = false;

  stream.events.reset = () => request.destroy();
  stream.events.data = (chunk) => {
    request.write(chunk, () => stream.consumed(chunk.length));
  };
  stream.events.end = () => request.end();
  if (endStream) request.end();

  request.on('error', (error: NodeJS.ErrnoException) => {
    if (!stream.isOpen) return;
    if (!responded && UNREACHABLE.has(error.code ?? '')) {
      stream.reset(ErrorCode.UpstreamUnreachable, `127.0.0.1:${head.port} ${error.code}: ${error.message}`);
    } else {
      stream.reset(ErrorCode.UpstreamFailed, `127.0.0.1:${head.port} failed: ${error.message}`);
    }
  });

  request.on('response', (response) => {
    responded = true;
    const noBody = head.method === 'HEAD' || [204, 205, 304].includes(response.statusCode ?? 0);
    const status = response.statusCode ?? 502;
    const responseHead = encodeJson({ status, headers: endToEndHeaders(response.rawHeaders) });
    if (responseHead.length > Limits.maxHeadSize || status < 200 || status > 599) {
      response.destroy();
      stream.reset(ErrorCode.UpstreamFailed, `the local response head cannot be relayed (status ${status})`);
      return;
    }
    stream.sendHead(FrameType.Response, responseHead, noBody);
    if (noBody) {
      response.resume();
      return;
    }
    pumpResponse(response, stream).catch(() => {
      response.destroy();
    });
  });
}

async function pumpResponse(response: http.IncomingMessage, stream: MuxStream): Promise<void> {
  response.on('error', (error) =>
    stream.reset(ErrorCode.UpstreamFailed, `local response failed: ${error.message}`),
  );
  for await (const chunk of response) {
    await stream.write(chunk as Buffer);
  }
  if (response.complete) stream.end();
  else stream.reset(ErrorCode.UpstreamFailed, 'local response ended early');
}
