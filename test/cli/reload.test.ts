/**
 * SIGHUP never ends the tower: `onReload` with a plain emitter for the signal, then the real
 * executable sent a real SIGHUP, still answering afterwards.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { onReload } from '../../src/cli/reload.js';
import { assertBuilt, startCli, towerArgs } from '../helpers/cli.js';
import { closeAll, tempDir } from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';

afterEach(closeAll);

describe('onReload', () => {
  it('logs what was reloaded, folds a SIGHUP into a running reload, and survives a failure', async () => {
    const signals = new EventEmitter();
    const { log, lines } = captureLog();
    let finish: (what: readonly string[]) => void = () => {};
    let fail = false;
    onReload(
      () =>
        fail
          ? Promise.reject(new Error('bad file'))
          : new Promise<readonly string[]>((resolve) => {
              finish = resolve;
            }),
      log,
      { signals: signals as unknown as NodeJS.Process },
    );
    signals.emit('SIGHUP');
    signals.emit('SIGHUP');
    finish(['audit log']);
    await new Promise((resolve) => setImmediate(resolve));
    fail = true;
    signals.emit('SIGHUP');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => line.msg)).toEqual([
      'a reload is already running: this SIGHUP is folded into it',
      'reloaded',
      'the reload failed: the tower keeps running with what it had',
    ]);
  });
});

describe('stormtower start and SIGHUP', () => {
  it('keeps running and answering after a SIGHUP', async () => {
    assertBuilt();
    const dataDir = await tempDir('stormtower-sighup-');
    const tower = startCli([...towerArgs(dataDir)]);
    const ready = await tower.waitForLog((line) => line.msg === 'tower ready');
    if (tower.pid === undefined) throw new Error('the tower has no pid');
    process.kill(tower.pid, 'SIGHUP');
    await tower.waitForLog((line) => line.msg === 'nothing to reload: the tower keeps running');
    const health = await fetch(`${String(ready.api)}/health`);
    expect(health.status).toBe(200);
  });
});
