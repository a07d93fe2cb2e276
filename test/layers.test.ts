/**
 * Layers import downward only: the transports know nothing of the API, the fleet or the cluster; the
 * cluster knows nothing of the API or the transports. Read off the source, so a new import across a
 * layer fails here with the file that made it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;

/** For each folder of src/, the other folders of src/ (and machines/) it may import from. */
const ALLOWED: Record<string, readonly string[]> = {
  json: [],
  log: [],
  certs: ['log'],
  config: ['log', 'certs', 'json'],
  link: ['log', 'certs', 'json'],
  bolt: ['link', 'log', 'certs', 'json'],
  legacy: ['link', 'log', 'certs', 'json'],
  peer: ['link', 'log', 'certs'],
  registry: ['machines'],
  fleet: ['link', 'log', 'json', 'machines', 'registry'],
  cluster: ['registry', 'link', 'log', 'certs', 'machines'],
  inspect: ['log', 'json', 'machines', 'fleet', 'registry'],
  sim: ['bolt', 'link', 'certs', 'log', 'json'],
  api: ['link', 'log', 'certs', 'json', 'registry', 'cluster', 'peer', 'machines'],
  metrics: ['api', 'fleet', 'link', 'registry', 'machines'],
  // The browser console: only the types of what the API answers (api/console/fleet-contract.ts).
  console: ['api'],
};

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

/** The top folder an import lands in (`machines` for ../machines), or undefined for a package. */
function importedLayer(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(SRC, join(file, '..', specifier));
  if (target.startsWith(`..${sep}machines`)) return 'machines';
  return target.includes(sep) ? target.split(sep)[0] : '.';
}

describe('layers', () => {
  it('import downward only', () => {
    const crossings: string[] = [];
    for (const file of sources(SRC)) {
      const layer = relative(SRC, file).split(sep)[0] ?? '';
      const allowed = ALLOWED[layer];
      if (allowed === undefined) continue; // cli/ and tower.ts assemble everything
      const text = readFileSync(file, 'utf8');
      for (const [, specifier] of text.matchAll(/from '([^']+)'/g)) {
        const target = importedLayer(file, specifier ?? '');
        if (target === undefined || target === layer || allowed.includes(target)) continue;
        crossings.push(`${relative(SRC, file)} -> ${target}`);
      }
    }
    expect(crossings).toEqual([]);
  });
});
