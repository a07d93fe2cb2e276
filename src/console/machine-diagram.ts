/**
 * The minion state machine drawn from `GET /fleet/machine` (read off `minionMachine` itself): its
 * states left to right in lifecycle order with their live counts, transitions forward as arcs above,
 * backward below, and the transitions every state takes from an "any state" box. A click on a state
 * filters the table by it.
 */
import { html } from 'htm/preact';
import type { FleetState, MachineGraph } from '../api/console/fleet-contract.js';

const BOX_W = 120;
const BOX_H = 46;
const GAP = 44;
const TOP = 96;
const ANY = '*';

interface DiagramProps {
  readonly graph: MachineGraph;
  readonly counts: Readonly<Record<string, number>>;
  readonly selected: FleetState | '';
  readonly onSelect: (state: FleetState | '') => void;
}

export function MachineDiagram({ graph, counts, selected, onSelect }: DiagramProps) {
  const x = new Map(graph.states.map((state, i) => [state.name, 12 + i * (BOX_W + GAP)]));
  const width = 12 + graph.states.length * (BOX_W + GAP);
  const anyX = (x.get(graph.states.at(-1)?.name ?? '') ?? 0) - (BOX_W + GAP) / 2;
  const centre = (name: string) => (name === ANY ? anyX : (x.get(name) ?? 0)) + BOX_W / 2;
  // Two transitions between the same states share one arc, labelled with both events.
  const arcs = new Map<string, { from: string; to: string; event: string }>();
  for (const t of graph.transitions) {
    const key = `${t.from}>${t.to}`;
    const arc = arcs.get(key);
    arcs.set(key, arc ? { ...arc, event: `${arc.event} | ${t.event}` } : { ...t });
  }
  const edges = [...arcs.values()].map((t, i) => {
    const from = centre(t.from);
    const to = centre(t.to);
    if (t.from === ANY) {
      const path = `M${from},${TOP - 58 + BOX_H / 2} L${to},${TOP}`;
      return html`<g key=${i} class="edge any"><path d=${path} marker-end="url(#arrow)" /><text x=${(from + to) / 2 + 6} y=${TOP - 22}>${t.event}</text></g>`;
    }
    if (t.from === t.to) return null;
    const forward = to > from;
    const span = Math.abs(to - from) / (BOX_W + GAP);
    const y = forward ? TOP : TOP + BOX_H;
    const bend = forward ? y - 14 - 10 * span : y + 14 + 10 * span;
    const path = `M${from + (forward ? 14 : -14)},${y} Q${(from + to) / 2},${bend} ${to},${y}`;
    const labelY = forward ? bend + 3 : bend + 4;
    return html`<g key=${i} class=${`edge ${forward ? 'forward' : 'backward'}`}>
      <path d=${path} marker-end="url(#arrow)" />
      <text x=${(from + to) / 2} y=${labelY} text-anchor="middle">${t.event}</text>
    </g>`;
  });
  return html`
    <section class="diagram">
      <h2>Minion machine <small>(${graph.id}, from its own definition; click a state to filter)</small></h2>
      <svg id="machine-diagram" viewBox=${`0 0 ${width} ${TOP + BOX_H + 36}`} role="img" aria-label="minion state machine">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" />
          </marker>
        </defs>
        ${edges}
        <g class="state any-state"><rect x=${anyX} y=${TOP - 58} width=${BOX_W} height=${BOX_H / 2 + 4} rx="6" /><text x=${anyX + BOX_W / 2} y=${TOP - 38} text-anchor="middle">any state</text></g>
        ${graph.states.map((state) => {
          const left = x.get(state.name) ?? 0;
          const name = state.name as FleetState;
          return html`<g
            key=${state.name}
            class=${`state state-${state.name}${selected === name ? ' selected' : ''}${state.final ? ' final' : ''}`}
            data-state=${state.name}
            onClick=${() => onSelect(selected === name ? '' : name)}
          >
            <rect x=${left} y=${TOP} width=${BOX_W} height=${BOX_H} rx="8" />
            <text x=${left + BOX_W / 2} y=${TOP + 19} text-anchor="middle" class="name">${state.name}${state.name === graph.initial ? ' ●' : ''}</text>
            <text x=${left + BOX_W / 2} y=${TOP + 37} text-anchor="middle" class="count" data-count=${state.name}>${counts[state.name] ?? 0}</text>
          </g>`;
        })}
      </svg>
    </section>
  `;
}
