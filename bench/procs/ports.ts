/**
 * Loopback ports for the contenders: asked from the OS (port 0) and released, so parallel runs and
 * other engineers' tests on the same machine do not collide on fixed numbers.
 */
import { readFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Whether something listens on 127.0.0.1:`port`, read from /proc/net/tcp rather than by
 * connecting: a connect to a frozen OpenSSH tunnel still succeeds (sshd accepts on the client's
 * behalf), while the listening socket itself disappears only when sshd drops the session.
 */
export async function isListening(port: number): Promise<boolean> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const table = await readFile(file, 'utf8').catch(() => '');
    for (const line of table.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) return true;
    }
  }
  return false;
}

/** Resolves once a TCP connect to 127.0.0.1:`port` succeeds. */
export async function waitForConnect(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
