/** The console's entry point, bundled by scripts/build-console.mjs into dist/console/console.js. */
import { html, render } from 'htm/preact';
import { App } from './app.js';

const root = document.getElementById('console');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
