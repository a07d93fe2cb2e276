/**
 * How a tower reaches NATS: with a user and password in the URL, and over TLS (tls://) to a server
 * whose certificate a private CA signed. A tower NATS refuses still serves its own bolts, and says
 * why once rather than on every retry.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { api, closeAll, eventually, onCloseAll, tempDir, tower } from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { writePki } from '../helpers/pki.js';

afterEach(closeAll);

const ready = async (t: Awaited<ReturnType<typeof tower>>) => (await api(t, '/ready')).status;

describe('reaching the cluster', () => {
  it('logs in with the user and password of the URL, and is refused with wrong ones', async () => {
    const nats = await startNatsServer(['--user', 'stormtower', '--pass', 's3cret']);
    onCloseAll(() => nats.close());
    const good = await tower({
      cluster: [`nats://stormtower:s3cret@127.0.0.1:${nats.port}`],
      towerId: 'good',
      clusterPort: 0,
    });
    await eventually(async () => (await ready(good)) === 200);

    const captured = captureLog();
    const bad = await tower(
      { cluster: [`nats://stormtower:wrong@127.0.0.1:${nats.port}`], towerId: 'bad', clusterPort: 0 },
      captured.log,
    );
    const refusal = await eventually(() =>
      captured.lines.find(
        (line) => line.msg === 'cannot reach the cluster; serving this tower only, retrying',
      ),
    );
    expect(JSON.stringify(refusal)).toMatch(/authorization/i);
    expect(JSON.stringify(refusal)).not.toContain('wrong');
    expect(await ready(bad)).toBe(503);
    const health = (await (await api(bad, '/health')).json()) as { status: string };
    expect(health.status).toBe('degraded');
  });

  it('speaks TLS to a tls:// server whose certificate the configured CA signed', async () => {
    const dir = await tempDir('stormtower-nats-tls-');
    const pki = await writePki(dir);
    const nats = await startNatsServer(['--tls', '--tlscert', pki.cert, '--tlskey', pki.key]);
    onCloseAll(() => nats.close());
    const t = await tower({
      cluster: [`tls://127.0.0.1:${nats.port}`],
      clusterCa: pki.ca,
      towerId: 'over-tls',
      clusterPort: 0,
    });
    await eventually(async () => (await ready(t)) === 200);
  });
});
