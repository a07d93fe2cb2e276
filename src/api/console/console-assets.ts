/**
 * The console's built files (index.html, console.js, console.css), read from disk once and kept in
 * memory with their entity tags: a handful of small files served on every page load.
 *
 * They are found relative to this module, so the same code works from the source tree (tests), from
 * dist/ and from the installed npm package: the build writes them to `dist/console/`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConsoleAsset {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Where the build puts the console, seen from `dist/src/api/console/` and from `src/api/console/`. */
const CANDIDATES = ['../../../console/', '../../../dist/console/'];

export function defaultAssetsDir(): string {
  const dirs = CANDIDATES.map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return dirs.find((dir) => existsSync(join(dir, 'index.html'))) ?? (dirs[0] as string);
}

/** Every file of the built console by its name, or undefined when the console was not built. */
export async function loadConsoleAssets(dir: string): Promise<ReadonlyMap<string, ConsoleAsset> | undefined> {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, ConsoleAsset>();
  for (const name of await readdir(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = new Uint8Array(await readFile(join(dir, name)));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  return assets;
}
