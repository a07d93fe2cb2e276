/**
 * A Hono app served over real HTTP on a loopback port the OS picks; closed by `closeAll()`, its
 * open connections (an event stream, a kept-alive client) cut so the close does not wait on them.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { onCloseAll } from './harness.js';

type FetchApp = { fetch: (request: Request) => Response | Promise<Response> };

/** Serves `app`; resolves to its base URL, `http://127.0.0.1:<port>`. */
export async function serveApp(app: FetchApp): Promise<string> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  onCloseAll(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
