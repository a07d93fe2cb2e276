/** A JSON value, pretty and collapsible: objects and arrays are `<details>`, open to `openDepth`. */
import { html } from 'htm/preact';

const OPEN_DEPTH = 2;

export function JsonTree({
  value,
  name,
  depth = 0,
}: {
  readonly value: unknown;
  readonly name?: string;
  readonly depth?: number;
}) {
  const label = name === undefined ? null : html`<span class="key">${name}</span>: `;
  if (value === null || typeof value !== 'object') {
    return html`<div class="leaf">${label}<span class=${`json-${value === null ? 'null' : typeof value}`}>${JSON.stringify(value)}</span></div>`;
  }
  const entries = Array.isArray(value)
    ? value.map((item, i) => [String(i), item] as const)
    : Object.entries(value);
  const brackets = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return html`<details open=${depth < OPEN_DEPTH} class="node">
    <summary>${label}${brackets[0]}<span class="size">${entries.length} ${Array.isArray(value) ? 'items' : 'keys'}</span>${brackets[1]}</summary>
    <div class="children">
      ${entries.map(([key, item]) => html`<${JsonTree} key=${key} value=${item} name=${key} depth=${depth + 1} />`)}
    </div>
  </details>`;
}
