/**
 * `stormtower demo --towers 2` as a newcomer runs it: the built executable starts a nats-server, two
 * towers in a cluster and a simulated fleet, prints both towers' URLs, and stops all of it on Ctrl-C.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findNatsServer } from '../../src/cluster/local-nats.js';
import { assertBuilt, startCli } from '../helpers/cli.js';
import { closeAll, tempDir } from '../helpers/harness.js';

beforeAll(() => {
  assertBuilt();
  // .ci/run installs Debian's nats-server; the demo needs it, and says so in one line without it.
  if (findNatsServer() === undefined) throw new Error('nats-server is not installed');
});
afterEach(closeAll);

let dir = '';
beforeEach(async () => {
  dir = await tempDir('stormtower-demo-cluster-');
});

/** Whether something accepts connections on 127.0.0.1:`port`. */
const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function head(url: string): Promise<string | null> {
  const res = await fetch(url, { method: 'HEAD' });
  expect(res.status, url).toBe(200);
  return res.headers.get('content-md5');
}

async function ids(url: string): Promise<string[]> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return ((await res.json()) as { id: string }[]).map((minion) => minion.id);
}

describe('stormtower demo --towers 2', () => {
  it('serves the whole fleet from both towers with one checksum, and stops everything on SIGINT', async () => {
    const demo = startCli([
      'demo',
      ...['--towers', '2', '--count', '4', '--data-dir', join(dir, 'data')],
      ...['--api-port', '0', '--bolt-port', '0', '--monitor-interval', '200', '--change-every', '0'],
    ]);
    await demo.waitForText(/Ctrl-C stops the demo\./, 30_000);
    const nats = /stormtower demo: 2 towers in a cluster on nats:\/\/127\.0\.0\.1:(\d+), 4 /.exec(
      demo.stdout,
    );
    const natsPort = Number(nats?.[1]);
    expect(await listening(natsPort)).toBe(true);
    const apis = [...demo.stdout.matchAll(/demo-(\d) {2}API (http:\/\/\S+)/g)].map((m) => m[2] ?? '');
    expect(apis).toHaveLength(2);

    // Printed once every tower lists every minion; with no package changes the checksums agree.
    const checksums = await Promise.all(apis.map((api) => head(`${api}/minions`)));
    expect(checksums[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(checksums[1]).toBe(checksums[0]);
    const expected = ['demo-1', 'demo-2', 'demo-3', 'demo-4'];
    for (const api of apis) expect(await ids(`${api}/minions`)).toEqual(expected);

    // The proxy line goes through the tower that does not hold the minion, which relays to the holder.
    const proxy = /curl -s ((http:\/\/\S+)\/proxy\/(demo-\d)@\d+\/status) .*# \3 is held by demo-(\d)/.exec(
      demo.stdout,
    );
    if (!proxy) throw new Error(`no proxy line in:\n${demo.stdout}`);
    expect(proxy[2]).toBe(apis[proxy[4] === '1' ? 1 : 0]);
    const relayed = await fetch(proxy[1] ?? '');
    expect(relayed.status).toBe(200);
    expect(((await relayed.json()) as { id: string }).id).toBe(proxy[3]);

    expect(await demo.stop('SIGINT')).toEqual({ code: 0, signal: null });
    for (const api of [...apis, `http://127.0.0.1:${natsPort}`])
      expect(await listening(Number(new URL(api).port)), api).toBe(false);
  });
});
