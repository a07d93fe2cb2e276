/**
 * Stops a listening server from taking new connections while the ones it has go on: `net.Server`'s
 * own close, also for an `http.Server`, whose override would close idle keep-alive connections too.
 * A draining tower keeps those: a probe or client on one still reads `/ready` say `draining`, and each
 * is closed after its next answer (`Connection: close`) or when the tower finally stops.
 *
 * Calling the server's `close(callback)` afterwards still works: Node then waits for the last
 * connection and calls back (with ERR_SERVER_NOT_RUNNING, which a closer ignores).
 */
import { Server } from 'node:net';

export function stopAccepting(server: Server): void {
  if (server.listening) Server.prototype.close.call(server);
}
