/** The last events of the change feed: time, kind, minion, old and new checksum. */
import { html } from 'htm/preact';
import type { Change } from './fleet-store.js';
import { clock, short } from './format.js';

/** Changes listed in the panel. */
export const CHANGES_SHOWN = 30;

export function ChangesPanel({ changes }: { readonly changes: readonly Change[] }) {
  return html`
    <section class="changes">
      <h2>Changes <small>(last ${CHANGES_SHOWN} from /minions/events)</small></h2>
      <table id="changes">
        <thead><tr><th>time</th><th>event</th><th>minion</th><th>old</th><th>new</th></tr></thead>
        <tbody>
          ${changes.slice(0, CHANGES_SHOWN).map(
            (change) => html`<tr class=${`change-${change.type}`} data-id=${change.id}>
              <td>${clock(change.at)}</td><td>${change.type}</td>
              <td><a href=${`#/minion/${encodeURIComponent(change.id)}`}>${change.id}</a></td>
              <td class="mono">${short(change.old)}</td><td class="mono">${short(change.new)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>
  `;
}
