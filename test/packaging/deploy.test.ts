/**
 * The deployment files in deploy/ and the Dockerfile are checked by the tools that run them, where
 * this machine has those tools; a missing tool skips its check with a line saying so.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function works(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const systemd = works('systemd-analyze', ['--version']);
const docker = works('docker', ['info']);
if (!systemd) console.log('deploy: systemd-analyze is not installed here: the unit file is not verified');
if (!docker) console.log('deploy: no Docker daemon answers here: the image is not built');

describe.skipIf(!systemd)('deploy/stormtower.service', () => {
  it('passes systemd-analyze verify and rates OK or better for exposure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stormtower-unit-'));
    try {
      const unit = join(dir, 'stormtower.service');
      await copyFile(join(ROOT, 'deploy/stormtower.service'), unit);
      const verified = await run('systemd-analyze', ['verify', unit]);
      expect(verified.stderr).toBe('');
      const { stdout } = await run('systemd-analyze', ['security', '--offline=true', unit]);
      const exposure = /Overall exposure level for stormtower\.service: ([\d.]+)/.exec(stdout);
      expect(exposure, stdout).not.toBeNull();
      // systemd calls below 2.0 "OK" and below 1.0 "SAFE"; an unhardened service rates 9.6.
      expect(Number(exposure?.[1])).toBeLessThan(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!docker)('Dockerfile', () => {
  it('builds an image that runs as a non-root user with a health check', async () => {
    const tag = `stormtower-test:${process.pid}`;
    await run('docker', ['build', '-t', tag, ROOT], { maxBuffer: 64 * 1024 * 1024 });
    try {
      const { stdout } = await run('docker', ['image', 'inspect', tag, '--format', '{{json .Config}}']);
      const config = JSON.parse(stdout) as { User?: string; Healthcheck?: { Test?: string[] } };
      expect(config.User).toBe('node');
      expect(config.Healthcheck?.Test?.join(' ')).toContain('/health');
    } finally {
      await run('docker', ['image', 'rm', tag]).catch(() => undefined);
    }
  }, 600_000);
});

describe('Dockerfile, read as text', () => {
  it("copies into the image every built folder the npm package ships (the console's included)", async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    const folders = new Set(pkg.files.map((pattern) => pattern.split('/').slice(0, 2).join('/')));
    expect([...folders]).toContain('dist/console');
    for (const folder of folders) expect(dockerfile).toContain(`COPY --from=build /src/${folder} ${folder}`);
    expect(dockerfile).toContain('node scripts/build-console.mjs');
  });
});
