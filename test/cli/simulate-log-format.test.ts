/**
 * `stormtower simulate --log-format`: the simulator's lines look like the tower's, pretty for a
 * person or JSON for a collector, whatever stdout is.
 */
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, startCli, towerArgs } from '../helpers/cli.js';
import { closeAll, tempDir } from '../helpers/harness.js';

beforeAll(assertBuilt);
afterEach(closeAll);

let dir = '';
beforeEach(async () => {
  dir = await tempDir('stormtower-simulate-');
});

describe('stormtower simulate --log-format', () => {
  it('writes pretty lines when asked, though stdout is a pipe', async () => {
    const data = join(dir, 'data');
    const tower = startCli([...towerArgs(data)]);
    const { bolt } = await tower.waitForLog((line) => line.msg === 'tower ready');
    const simulate = startCli([
      'simulate',
      '--count',
      '2',
      '--tower',
      String(bolt),
      '--data-dir',
      data,
      '--change-every',
      '0',
      '--log-format',
      'pretty',
    ]);
    const [line] = await simulate.waitForText(/^.*all simulated agents connected.*$/m);
    expect(line).toMatch(/INFO.*\(stormtower-simulate\): all simulated agents connected/);
    expect(() => JSON.parse(line)).toThrow();
    expect(await simulate.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('refuses a format it does not know', async () => {
    const result = await runCli([
      'simulate',
      '--count',
      '1',
      '--tower',
      'wss://127.0.0.1:1',
      '--data-dir',
      dir,
      '--log-format',
      'xml',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--log-format: expected one of json, pretty');
  });
});
