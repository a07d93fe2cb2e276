/**
 * The legacy port, bound before the tower's slow start (imports, certificates, the API) and handed
 * to the legacy listener once it exists. A stormbolt 0.4.3 agent refused even once never dials
 * again, so the port is closed during a restart only from the old process's exit to the new one's
 * first lines; an agent dialling meanwhile is accepted by the kernel and waits for TLS.
 *
 * Connections are accepted paused (nothing is read) and queued until the hand-over, at most
 * `queueLimit` of them (the tower's handshakeLimit); one more is closed at once.
 */
import net, { type AddressInfo, type Server, type Socket } from 'node:net';

export interface HeldPort {
  readonly address: AddressInfo;
  /** From now on `server` gets every connection, the queued ones first. Once only. */
  handTo(server: Server): void;
  close(): Promise<void>;
}

export async function holdPort(host: string, port: number, queueLimit: number): Promise<HeldPort> {
  const held = net.createServer({ pauseOnConnect: true });
  let queue: Socket[] | undefined = [];
  let target: Server | undefined;
  held.on('connection', (socket: Socket) => {
    if (target) {
      target.emit('connection', socket);
    } else if (queue && queue.length < queueLimit) {
      queue.push(socket);
    } else {
      socket.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    held.once('error', reject);
    held.listen(port, host, () => {
      held.off('error', reject);
      resolve();
    });
  });
  return {
    address: held.address() as AddressInfo,
    handTo(server) {
      if (target) throw new Error('the legacy port was already handed over');
      target = server;
      const waiting = queue ?? [];
      queue = undefined;
      for (const socket of waiting) if (!socket.destroyed) server.emit('connection', socket);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of queue ?? []) socket.destroy();
        queue = undefined;
        held.close(() => resolve());
      }),
  };
}
