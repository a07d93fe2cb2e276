/**
 * The console page: signs in when the tower asks for its token, then follows the fleet (a read of
 * `GET /fleet` every `REFRESH_MS`, the change feed in between) and shows either the fleet view or
 * one minion's page (`#/minion/<cname>`).
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { MachineGraph } from '../api/console/fleet-contract.js';
import { fetchFleet, fetchMachine, SignInNeeded, signOut, tokenRequired } from './api.js';
import { ChangesPanel } from './changes-panel.js';
import { followFeed } from './feed.js';
import { FleetStore } from './fleet-store.js';
import { MachineDiagram } from './machine-diagram.js';
import { MinionPage } from './minion-page.js';
import { MinionTable } from './minion-table.js';
import type { RowQuery } from './rows.js';
import { SignIn } from './sign-in.js';
import { Summary, useCounts } from './summary.js';

/** How often the table's states, times and errors are read again; checksums come live from the feed. */
export const REFRESH_MS = 5000;

type Phase = 'loading' | 'sign-in' | 'running';

const minionOf = (hash: string): string | undefined => {
  const match = /^#\/minion\/(.+)$/.exec(hash);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
};

export function App() {
  const [store] = useState(() => new FleetStore());
  const [phase, setPhase] = useState<Phase>('loading');
  const [error, setError] = useState('');
  const [graph, setGraph] = useState<MachineGraph | undefined>(undefined);
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(false);
  const [needsToken, setNeedsToken] = useState(false);
  const [hash, setHash] = useState(location.hash);
  const [query, setQuery] = useState<RowQuery>({ text: '', state: '', sortBy: 'cname', descending: false });

  useEffect(() => store.subscribe(() => setVersion(store.version)), [store]);
  useEffect(() => {
    const onHash = () => setHash(location.hash);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    if (phase !== 'loading') return;
    const failed = (reason: unknown) => {
      if (reason instanceof SignInNeeded) setPhase('sign-in');
      else setError(String(reason));
    };
    Promise.all([fetchFleet(), fetchMachine(), tokenRequired()])
      .then(([fleet, machine, required]) => {
        store.load(fleet);
        // The summary's counts follow `version`: taken now, they show with the table's first rows
        // instead of one store notification later.
        setVersion(store.version);
        setGraph(machine);
        setNeedsToken(required);
        setPhase('running');
      })
      .catch(failed);
  }, [phase, store]);
  useEffect(() => {
    if (phase !== 'running') return;
    const feed = followFeed(store, setLive);
    const timer = setInterval(() => {
      fetchFleet()
        .then((fleet) => store.load(fleet))
        .catch((reason: unknown) => {
          if (reason instanceof SignInNeeded) setPhase('sign-in');
        });
    }, REFRESH_MS);
    return () => {
      feed.close();
      clearInterval(timer);
    };
  }, [phase, store]);

  const counts = useCounts(store, version);
  const cname = minionOf(hash);
  const header = html`<header>
    <h1><a href="#/">stormtower</a> <small>fleet console</small></h1>
    ${
      phase === 'running' && needsToken
        ? html`<button id="sign-out" onClick=${() => signOut().then(() => setPhase('sign-in'))}>Sign out</button>`
        : null
    }
  </header>`;
  if (error) return html`${header}<p class="error" id="load-error">${error}</p>`;
  if (phase === 'sign-in') return html`${header}<${SignIn} onSignedIn=${() => setPhase('loading')} />`;
  if (phase === 'loading' || graph === undefined)
    return html`${header}<p class="loading">Loading the fleet…</p>`;
  if (cname !== undefined)
    return html`${header}<${MinionPage} store=${store} version=${version} cname=${cname} />`;
  return html`${header}
    <${Summary} store=${store} counts=${counts} live=${live} />
    <div class="middle">
      <${MachineDiagram}
        graph=${graph}
        counts=${counts.states}
        selected=${query.state}
        onSelect=${(state: RowQuery['state']) => setQuery({ ...query, state })}
      />
      <${ChangesPanel} changes=${store.changes} />
    </div>
    <${MinionTable} store=${store} version=${version} query=${query} onQuery=${setQuery} />`;
}
