/**
 * `stormtower start --api-token-file`: the API token read from a file (its trailing newline dropped),
 * so it never appears on the command line, where `ps` shows it to every user of the host. An empty
 * file, or a token given twice, stops the start with one clear line.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveApiToken } from '../../src/config/api-token-file.js';
import { assertBuilt, runCli, startCli, towerArgs } from '../helpers/cli.js';
import { closeAll, tempDir } from '../helpers/harness.js';
import { writePki } from '../helpers/pki.js';

beforeAll(assertBuilt);
afterEach(closeAll);

const TOKEN = 'correct horse battery staple';

async function dataDir(): Promise<string> {
  const dir = await tempDir('stormtower-token-');
  await writePki(dir);
  return dir;
}

const startArgs = (dir: string, extra: string[]) => [...towerArgs(dir), ...extra];

async function tokenFile(dir: string, text: string): Promise<string> {
  const path = join(dir, 'api-token');
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

const health = (api: string, token?: string) =>
  fetch(`${api}/health`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

describe('stormtower start --api-token-file', () => {
  it('takes the token from the file without its trailing newline, and keeps it off the command line', async () => {
    const dir = await dataDir();
    const file = await tokenFile(dir, `${TOKEN}\n`);
    const cli = startCli(startArgs(dir, ['--api-token-file', file]));
    const { api } = await cli.waitForLog((line) => line.msg === 'tower ready');
    if (typeof api !== 'string') throw new Error('no API URL in the ready line');

    expect((await health(api)).status).toBe(401);
    expect((await health(api, 'not the token')).status).toBe(401);
    expect((await health(api, TOKEN)).status).toBe(200);
    expect(cli.args.join(' ')).not.toContain(TOKEN);
    expect(cli.stdout).not.toContain(TOKEN);
  });

  it('also reads STORMTOWER_API_TOKEN_FILE', async () => {
    const dir = await dataDir();
    const file = await tokenFile(dir, TOKEN);
    const cli = startCli(startArgs(dir, []), { STORMTOWER_API_TOKEN_FILE: file });
    const { api } = await cli.waitForLog((line) => line.msg === 'tower ready');
    if (typeof api !== 'string') throw new Error('no API URL in the ready line');
    expect((await health(api)).status).toBe(401);
    expect((await health(api, TOKEN)).status).toBe(200);
  });

  it('refuses an empty token file with one line', async () => {
    const dir = await dataDir();
    const file = await tokenFile(dir, '\n');
    const refused = await runCli(startArgs(dir, ['--api-token-file', file]));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`stormtower: the API token file ${file} is empty\n`);
  });

  it('refuses a missing token file with one line', async () => {
    const dir = await dataDir();
    const file = join(dir, 'nowhere');
    const refused = await runCli(startArgs(dir, ['--api-token-file', file]));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`stormtower: cannot read the API token file ${file}: file not found\n`);
  });

  it('refuses --api-token and --api-token-file together', async () => {
    const dir = await dataDir();
    const file = await tokenFile(dir, TOKEN);
    const refused = await runCli(startArgs(dir, ['--api-token', 'other', '--api-token-file', file]));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'stormtower: invalid configuration:\n' +
        `  --api-token-file: give either apiToken or apiTokenFile, not both, got "${file}"\n`,
    );
  });
});

describe('resolveApiToken', () => {
  it('drops trailing line breaks of either kind, keeps the rest, and refuses a token of two lines', async () => {
    const dir = await tempDir('stormtower-token-');
    expect(await resolveApiToken({ apiTokenFile: await tokenFile(dir, `${TOKEN}\r\n\n`) })).toBe(TOKEN);
    expect(await resolveApiToken({ apiTokenFile: await tokenFile(dir, ` ${TOKEN} `) })).toBe(` ${TOKEN} `);
    const twoLines = await tokenFile(dir, 'one\ntwo\n');
    await expect(resolveApiToken({ apiTokenFile: twoLines })).rejects.toThrow(
      `the API token file ${twoLines} must hold one line`,
    );
    expect(await resolveApiToken({ apiToken: 'given' })).toBe('given');
    expect(await resolveApiToken({})).toBeUndefined();
  });
});
