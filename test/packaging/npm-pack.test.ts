/**
 * What `npm pack` ships: the built code and console, README, LICENSE and package.json, nothing of
 * the tests, benchmarks or sources; and the packed code runs on its own (its `--help` loads every
 * command), finds its console, and its typed client imports as `stormtower/client`, types included.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
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
        !/^dist\/(src|machines)\/.+\.(js|d\.ts)$/.test(path) &&
        !/^dist\/console\/[\w.-]+\.(js|css|html)$/.test(path),
    );
    expect(stray).toEqual([]);
    expect(paths).toContain('dist/src/cli/main.js');
    expect(paths).toContain('dist/machines/minion.machine.js');
    expect(paths).toContain('LICENSE');
    // The console is served from the package: no CDN, no download at run time.
    for (const file of ['index.html', 'console.js', 'console.css'])
      expect(paths).toContain(`dist/console/${file}`);
    expect(paths).toContain('dist/src/api/client.d.ts');
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
  it('serves its typed client as stormtower/client, to node and to tsc', async () => {
    const unpacked = join(dir, 'package');
    const consumer = join(dir, 'consumer');
    await mkdir(join(consumer, 'node_modules'), { recursive: true });
    await symlink(unpacked, join(consumer, 'node_modules', 'stormtower'), 'dir');
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { createStormtowerClient } = await import('stormtower/client'); console.log(typeof createStormtowerClient('http://tower.test').minions.$get);",
      ],
      { cwd: consumer },
    );
    expect(stdout.trim()).toBe('function');

    await writeFile(
      join(consumer, 'check.ts'),
      [
        "import { createStormtowerClient } from 'stormtower/client';",
        "const tower = createStormtowerClient('http://tower.test', { token: 't' });",
        "const res = await tower.minions[':id'].$get({ param: { id: 'web-1' } });",
        'if (res.status === 200) {',
        '  const id: string = (await res.json()).id;',
        '  console.log(id);',
        '}',
        '// @ts-expect-error: no such route',
        'tower.nowhere.$get();',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2023', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    );
    await writeFile(join(consumer, 'package.json'), JSON.stringify({ type: 'module' }));
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer]);
  }, 60_000);
});
