/**
 * The chaos suite's fault proxy does what each mode says, on real loopback sockets: pass, delay
 * (on a simulated clock, so no test waits for real time), stall, cut and reset.
 */
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { closeAll, eventually, freePort, onCloseAll } from '../helpers/harness.js';
import { type FaultConnection, FaultProxy, type FaultProxyOptions } from './fault-proxy.js';

afterEach(closeAll);

/** What one socket has read, and how it ended. */
class Peer {
  private chunks: Buffer[] = [];
  received = 0;
  ended = false;
  error: NodeJS.ErrnoException | undefined;
  closed = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.received += chunk.length;
    });
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('error', (error) => {
      this.error = error;
    });
    socket.on('close', () => {
      this.closed = true;
    });
    onCloseAll(async () => void socket.destroy());
  }

  get bytes(): Buffer {
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  text(): string {
    return this.bytes.toString('utf8');
  }
}

/** A target server handing over each accepted socket as a `Peer`. */
async function target(): Promise<{ port: number; next(): Promise<Peer> }> {
  const accepted: Peer[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => accepted.push(new Peer(socket)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCloseAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  let taken = 0;
  return {
    port: (server.address() as AddressInfo).port,
    next: () => eventually(() => accepted[taken++] ?? void taken--),
  };
}

async function proxyTo(port: number, options: Partial<FaultProxyOptions> = {}): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ targetPort: port, ...options });
  onCloseAll(() => proxy.close());
  return proxy;
}

/** A client through `proxy`, its peer on the target side, and the proxy's connection between them. */
async function connectThrough(proxy: FaultProxy, server: Awaited<ReturnType<typeof target>>) {
  const seen = new Promise<FaultConnection>((resolve) => {
    const stop = proxy.onConnection((connection) => {
      stop();
      resolve(connection);
    });
  });
  const client = new Peer(net.connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true }));
  const [connection, far] = await Promise.all([seen, server.next()]);
  return { client, far, connection };
}

describe('FaultProxy', () => {
  it('passes bytes both ways unchanged, and each FIN after the bytes before it', async () => {
    const server = await target();
    const proxy = await proxyTo(server.port);
    const { client, far } = await connectThrough(proxy, server);
    const up = randomBytes(3 * 1024 * 1024);
    const down = randomBytes(2 * 1024 * 1024 + 7);
    client.socket.end(up);
    far.socket.end(down);
    await eventually(() => far.ended && client.ended);
    expect(far.bytes.equals(up)).toBe(true);
    expect(client.bytes.equals(down)).toBe(true);
    expect(client.error ?? far.error).toBeUndefined();
  });

  it('delay holds each chunk until its time has come, in order', async () => {
    const clock = new SimulatedClock();
    const server = await target();
    const proxy = await proxyTo(server.port, { clock });
    proxy.setMode({ kind: 'delay', ms: 500 });
    const { client, far, connection } = await connectThrough(proxy, server);

    client.socket.write('ping');
    await eventually(() => connection.up.held === 4);
    clock.increment(499);
    expect(connection.up.held).toBe(4);
    expect(far.received).toBe(0);
    clock.increment(1);
    await eventually(() => far.text() === 'ping');

    far.socket.write('po');
    await eventually(() => connection.down.held === 2);
    clock.increment(200);
    far.socket.write('ng');
    await eventually(() => connection.down.held === 4);
    clock.increment(300); // the first chunk is due, the second 200 ms later
    await eventually(() => client.text() === 'po');
    expect(connection.down.held).toBe(2);
    clock.increment(200);
    await eventually(() => client.text() === 'pong');
  });

  it('stall holds one direction and stops reading it while the other flows, then catches up', async () => {
    const server = await target();
    const proxy = await proxyTo(server.port);
    const { client, far, connection } = await connectThrough(proxy, server);

    proxy.setMode({ kind: 'stall', direction: 'down' });
    far.socket.write('answer');
    await eventually(() => connection.down.held === 6);
    client.socket.write('question');
    await eventually(() => far.text() === 'question');
    expect(client.received).toBe(0);
    // Stalled means not read either: a large answer stays in the kernel's buffers (tens of MB on
    // loopback), not the proxy's.
    const large = 48 * 1024 * 1024;
    far.socket.write(Buffer.alloc(large));
    await eventually(() => far.socket.writableLength > 0);
    expect(connection.down.held).toBeLessThan(1024 * 1024);
    expect(client.received).toBe(0);

    proxy.setMode({ kind: 'pass' });
    await eventually(() => client.received === 6 + large);
    expect(client.bytes.subarray(0, 6).toString()).toBe('answer');
  });

  it('cut ends both sides cleanly: each peer reads an end, not an error', async () => {
    const server = await target();
    const proxy = await proxyTo(server.port);
    const { client, far, connection } = await connectThrough(proxy, server);
    client.socket.write('before');
    await eventually(() => far.text() === 'before');

    connection.cut();
    await eventually(() => client.ended && far.ended);
    client.socket.end();
    far.socket.end();
    await connection.closed;
    expect(client.error ?? far.error).toBeUndefined();
  });

  it('reset destroys both sides with an RST: each peer sees ECONNRESET', async () => {
    const server = await target();
    const proxy = await proxyTo(server.port);
    const { client, far } = await connectThrough(proxy, server);
    client.socket.write('before');
    await eventually(() => far.text() === 'before');

    proxy.resetAll();
    await eventually(() => client.closed && far.closed);
    expect(client.error?.code).toBe('ECONNRESET');
    expect(far.error?.code).toBe('ECONNRESET');
  });

  it('starts new connections in its mode, and resets a client whose target refuses', async () => {
    const server = await target();
    const proxy = await proxyTo(server.port);
    proxy.setMode({ kind: 'stall', direction: 'up' });
    const { client, far, connection } = await connectThrough(proxy, server);
    client.socket.write('held');
    await eventually(() => connection.up.held === 4);
    expect(far.received).toBe(0);

    const nowhere = await proxyTo(await freePort());
    const refused = new Peer(net.connect({ port: nowhere.port, host: '127.0.0.1' }));
    await eventually(() => refused.closed);
    expect(refused.error?.code).toBe('ECONNRESET');
  });
});
