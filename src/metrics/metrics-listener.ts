/**
 * `--metrics-port`: `GET /metrics` on a plain HTTP listener of its own, without the API token, for a
 * Prometheus that should not hold the token. It listens on `--metrics-host` (loopback by default)
 * and answers nothing else.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsExposition } from '../api/api-observer.js';

export interface MetricsListener {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export async function listenForScrapes(
  options: { readonly host: string; readonly port: number },
  scrape: () => Promise<MetricsExposition>,
): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    scrape().then(
      ({ contentType, body }) =>
        response.writeHead(200, { 'content-type': contentType }).end(request.method === 'HEAD' ? '' : body),
      (error: unknown) =>
        response
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`metrics failed: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
