/**
 * One minion: its status document (collapsible JSON), its checksums seen in this session, its ports,
 * and a relay box sending a GET through `/proxy/<cname>@<port>/<path>` to show the answer.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fetchDocument, type RelayAnswer, relayGet } from './api.js';
import type { FleetStore } from './fleet-store.js';
import { clock } from './format.js';
import { JsonTree } from './json-tree.js';

interface PageProps {
  readonly store: FleetStore;
  readonly version: number;
  readonly cname: string;
}

export function MinionPage({ store, version, cname }: PageProps) {
  const row = store.rows.get(cname);
  const [doc, setDoc] = useState<{ value?: unknown; error?: string }>({});
  // Read again whenever its checksum moves, so the page shows the document the checksum names.
  useEffect(() => {
    fetchDocument(cname)
      .then((value) => setDoc({ value }))
      .catch((error: unknown) => setDoc({ error: String(error) }));
  }, [cname, row?.checksum]);
  const history = store.historyOf(cname);
  return html`
    <section class="minion-page" data-version=${version}>
      <p><a href="#/" id="back">← fleet</a></p>
      <h2 id="minion-name">${cname} <span class=${`badge state-${row?.state ?? 'removed'}`}>${row?.state ?? 'unknown'}</span></h2>
      <dl class="facts">
        <dt>transport</dt><dd>${row?.transport}${row?.tower ? ` (held by tower ${row.tower})` : ''}</dd>
        <dt>address</dt><dd>${row?.address}</dd>
        <dt>connected since</dt><dd>${clock(row?.connectedAt ?? null)}</dd>
        <dt>last poll</dt><dd>${clock(row?.lastPollAt ?? null)}</dd>
        <dt>last error</dt><dd>${row?.lastError ? `${row.lastError.code}: ${row.lastError.message}` : 'none'}</dd>
        <dt>ports</dt><dd id="minion-ports">${(row?.ports ?? []).join(', ') || 'none announced'}</dd>
      </dl>
      <div class="columns">
        <div>
          <h3>Status document</h3>
          <div class="json" id="minion-document">
            ${doc.error ? html`<p class="error">${doc.error}</p>` : doc.value === undefined ? 'loading…' : html`<${JsonTree} value=${doc.value} />`}
          </div>
        </div>
        <div>
          <h3>Checksum history (this session)</h3>
          <ol id="checksum-history" class="mono">
            ${history.map((seen) => html`<li><span>${clock(seen.at)}</span> ${seen.checksum ?? '—'}</li>`)}
          </ol>
          <${RelayBox} cname=${cname} ports=${row?.ports ?? []} />
        </div>
      </div>
    </section>
  `;
}

function RelayBox({ cname, ports }: { readonly cname: string; readonly ports: readonly number[] }) {
  const [port, setPort] = useState<number | undefined>(undefined);
  const [path, setPath] = useState('/status');
  const [answer, setAnswer] = useState<RelayAnswer | string | undefined>(undefined);
  const chosen = port ?? ports[0];
  const send = async (event: Event) => {
    event.preventDefault();
    if (chosen === undefined) return;
    setAnswer('relaying…');
    try {
      setAnswer(await relayGet(cname, chosen, path));
    } catch (error) {
      setAnswer(String(error));
    }
  };
  return html`
    <form class="relay" id="relay" onSubmit=${send}>
      <h3>Relay</h3>
      <label>GET port
        <select id="relay-port" value=${chosen} onChange=${(e: Event) => setPort(Number((e.target as HTMLSelectElement).value))}>
          ${ports.map((p) => html`<option value=${p}>${p}</option>`)}
        </select>
      </label>
      <label>path <input id="relay-path" value=${path} onInput=${(e: Event) => setPath((e.target as HTMLInputElement).value)} /></label>
      <button id="relay-send" disabled=${chosen === undefined}>Send</button>
      ${answer === undefined ? null : typeof answer === 'string' ? html`<pre id="relay-answer">${answer}</pre>` : html`<${RelayResult} answer=${answer} />`}
    </form>
  `;
}

/** A relayed answer: its status and type, then its body (JSON pretty-printed). */
function RelayResult({ answer }: { readonly answer: RelayAnswer }) {
  let body = answer.body;
  if (answer.type.includes('json') && !answer.truncated) {
    try {
      body = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // Not JSON after all: shown as it came.
    }
  }
  return html`<div id="relay-answer" data-status=${answer.status}>
    <p class="relay-head">HTTP ${answer.status} <span class="dim">${answer.type}</span></p>
    <pre>${body}${answer.truncated ? '\n…(cut)' : ''}</pre>
  </div>`;
}
