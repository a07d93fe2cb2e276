/**
 * The agent's half of a relayed HTTP exchange: serves a stream by making the request to
 * 127.0.0.1:<port>, for allowed ports only, and streams the answer back (see local-exchange.ts).
 *
 * The local client is undici (measured ~1.5x the requests per second of `http.request` with
 * keep-alive on this hot path). Request body credit is returned only as undici pulls the bytes,
 * and response chunks are taken only as fast as the bolt's credit allows, so memory stays within
 * one window per stream in both directions.
 */
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import type { HeaderList } from '../../link/relay.js';
import { EarlyBody } from '../mux/early-body.js';
import type { MuxStream } from '../mux/mux-stream.js';
import { InboundNodeBody } from '../mux/node-body.js';
import type { RequestHead } from '../protocol/heads.js';
import { LocalExchange } from './local-exchange.js';
import { acceptRelayHead } from './relay-head.js';
import { type RelayRecorder, RelayRecording } from './relay-record.js';

/** Local connections are reused across relayed requests: one keep-alive pool per agent. */
export function localAgent(): Agent {
  // No undici timeouts: the tower bounds the wait for a head and cancels the stream, which aborts here.
  return new Agent({ connections: 256, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
}

export interface RelayServerOptions {
  readonly allowedPorts: ReadonlySet<number>;
  readonly agent: Dispatcher;
  /** Where local requests go; 127.0.0.1 unless a test says otherwise. */
  readonly host?: string;
  /** Told about each request served once it is over (the agent's log line). */
  readonly onRelayed?: RelayRecorder;
}

// undici refuses these request fields outright; they describe the tower's hop, not this one.
const REFUSED_BY_UNDICI = new Set([
  'host',
  'expect',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
]);

function requestHeaders(head: RequestHead): HeaderList {
  return head.headers.filter((_, i, list) => !REFUSED_BY_UNDICI.has((list[i - (i % 2)] ?? '').toLowerCase()));
}

export function serveRelayStream(
  stream: MuxStream,
  headPayload: Uint8Array,
  endStream: boolean,
  options: RelayServerOptions,
): void {
  const head = acceptRelayHead(stream, headPayload, options.allowedPorts);
  if (!head) return;
  const recording = options.onRelayed && new RelayRecording(head, options.onRelayed);
  const exchange = new LocalExchange(
    stream,
    head.method,
    `${options.host ?? '127.0.0.1'}:${head.port}`,
    recording,
  );
  if (endStream) {
    dispatchLocal(exchange, head, null, options);
    return;
  }
  // A body that came whole with the head is sent as bytes, sparing a Readable per request.
  exchange.receiveBody(
    new EarlyBody((early) => {
      if (stream.error) return;
      if (early.ended) return dispatchLocal(exchange, head, Buffer.concat(early.chunks), options);
      const body = new InboundNodeBody(stream, early.chunks);
      exchange.receiveBody(body);
      dispatchLocal(exchange, head, body.body, options);
    }),
  );
}

function dispatchLocal(
  exchange: LocalExchange,
  head: RequestHead,
  body: Buffer | Readable | null,
  options: RelayServerOptions,
): void {
  const request: Dispatcher.DispatchOptions = {
    origin: `http://${options.host ?? '127.0.0.1'}:${head.port}`,
    path: head.path,
    method: head.method as Dispatcher.HttpMethod,
    headers: requestHeaders(head),
    body,
  };
  try {
    options.agent.dispatch(request, exchange);
  } catch (error) {
    // Arguments undici refuses may be thrown rather than reported through the handler.
    exchange.onError(error instanceof Error ? error : new Error(String(error)));
  }
}
