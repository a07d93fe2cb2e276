// Builds the fleet console (src/console/) into dist/console/: one minified ES module bundling Preact,
// the stylesheet and the page, all served by the tower at /ui/. Nothing is fetched at run time.
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/console/`;
const out = `${root}dist/console/`;

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: [`${source}main.ts`],
  outfile: `${out}console.js`,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(`${source}index.html`, `${out}index.html`);
await copyFile(`${source}console.css`, `${out}console.css`);

const sizes = [];
for (const name of ['console.js', 'console.css', 'index.html']) {
  const body = await readFile(`${out}${name}`);
  sizes.push(
    `${name} ${(body.length / 1024).toFixed(1)} KB (${(gzipSync(body).length / 1024).toFixed(1)} KB gz)`,
  );
}
if (!process.env.CONSOLE_BUILD_QUIET) console.log(`console: ${sizes.join(', ')}`);
