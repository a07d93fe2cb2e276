/**
 * `stormtower --version` prints package.json's version, from the built executable as installed.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/cli/package-version.js';
import { assertBuilt, runCli } from '../helpers/cli.js';
import { closeAll } from '../helpers/harness.js';

afterEach(closeAll);
beforeAll(assertBuilt);

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('stormtower --version', () => {
  it('prints the package version and exits 0', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag]);
      expect(run).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('finds package.json from the source tree too', () => {
    expect(packageVersion()).toBe(version);
    expect(() => packageVersion(new URL('file:///'))).toThrow(/package.json not found/);
  });
});
