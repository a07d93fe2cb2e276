/**
 * What `npm pack` ships: the built code and console, README, LICENSE and package.json, nothing of the tests,
 * benchmarks or sources; and the packed code runs on its own (its `--help` loads every command).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface PackResult {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

let dir = '';
let packed: PackResult;

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'stormtower-pack-'));
  // --ignore-scripts: `prepare` would build again; `npm test` has just built dist/.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: ROOT,
  });
  const [result] = JSON.parse(stdout) as PackResult[];
  if (!result) throw new Error(`npm pack printed no result: ${stdout}`);
  packed = result;
  await run('tar', ['-xzf', join(dir, packed.filename), '-C', dir]);
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the built code, README, LICENSE and package.json only', () => {
    const paths = packed.files.map((file) => file.path);
    const stray = paths.filter(
      (path) =>
        !['package.json', 'README.md', 'LICENSE'].includes(path) &&
        !/^dist\/(src|machines)\/.+\.js$/.test(path) &&
        !/^dist\/console\/[\w.-]+\.(js|css|html)$/.test(path),
    );
    expect(stray).toEqual([]);
    expect(paths).toContain('dist/src/cli/main.js');
    expect(paths).toContain('dist/machines/minion.machine.js');
    expect(paths).toContain('LICENSE');
    // The console is served from the package: no CDN, no download at run time.
    for (const file of ['index.html', 'console.js', 'console.css'])
      expect(paths).toContain(`dist/console/${file}`);
  });

  it('runs from the tarball alone, with only its dependencies beside it', async () => {
    const unpacked = join(dir, 'package');
    await symlink(join(ROOT, 'node_modules'), join(unpacked, 'node_modules'), 'dir');
    const { stdout } = await run(process.execPath, [join(unpacked, 'dist/src/cli/main.js'), '--help']);
    for (const command of ['start', 'agent', 'certs', 'simulate', 'demo']) expect(stdout).toContain(command);
  });

  it('finds the console beside its code when installed', async () => {
    const unpacked = join(dir, 'package');
    const module = join(unpacked, 'dist/src/api/console/console-assets.js');
    const { defaultAssetsDir } = (await import(module)) as { defaultAssetsDir: () => string };
    expect(defaultAssetsDir()).toBe(join(unpacked, 'dist/console/'));
  });
});
