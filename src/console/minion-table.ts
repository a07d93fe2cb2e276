/**
 * The minions table: filter by text and state, sort by any column, and only the rows in view in
 * the DOM (a fixed row height lets the scroll position say which ones), so 10,000 rows stay fast.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { FleetState } from '../api/console/fleet-contract.js';
import type { FleetStore, Row } from './fleet-store.js';
import { clock, short } from './format.js';
import { COLUMNS, type ColumnKey, type RowQuery, rowWindow, selectRows } from './rows.js';

export const ROW_HEIGHT = 28;
const STATES: readonly FleetState[] = ['connecting', 'monitoring', 'ready', 'changed', 'removed'];

interface TableProps {
  readonly store: FleetStore;
  readonly version: number;
  readonly query: RowQuery;
  readonly onQuery: (query: RowQuery) => void;
}

function cell(row: Row, key: ColumnKey): string {
  switch (key) {
    case 'connectedAt':
    case 'lastPollAt':
    case 'lastChangeAt':
      return clock(row[key]);
    case 'checksum':
      return short(row.checksum);
    case 'lastError':
      return row.lastError ? `${row.lastError.code}: ${row.lastError.message}` : '';
    default:
      return row[key];
  }
}

export function MinionTable({ store, version, query, onQuery }: TableProps) {
  const rows = useMemo(() => selectRows(store.rows.values(), query), [store, version, query]);
  const body = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 600 });
  useEffect(() => {
    const element = body.current;
    if (!element) return;
    let frame = 0;
    const measure = () => {
      frame = 0;
      setScroll({ top: element.scrollTop, height: element.clientHeight });
    };
    const onScroll = () => {
      frame ||= requestAnimationFrame(measure);
    };
    measure();
    element.addEventListener('scroll', onScroll, { passive: true });
    window.addEventListener('resize', onScroll);
    return () => {
      element.removeEventListener('scroll', onScroll);
      window.removeEventListener('resize', onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);
  // A row flashing now is redrawn unflashed once its flash is over.
  const [, setTick] = useState(0);
  const now = Date.now();
  const { first, end } = rowWindow(scroll.top, scroll.height, ROW_HEIGHT, rows.length);
  const shown = rows.slice(first, end);
  const nextFlashEnd = Math.min(...shown.map((row) => (row.flashUntil > now ? row.flashUntil : Infinity)));
  useEffect(() => {
    if (!Number.isFinite(nextFlashEnd)) return;
    const timer = setTimeout(() => setTick((tick) => tick + 1), nextFlashEnd - Date.now() + 20);
    return () => clearTimeout(timer);
  }, [nextFlashEnd]);

  const sortBy = (key: ColumnKey) =>
    onQuery({ ...query, sortBy: key, descending: query.sortBy === key ? !query.descending : false });
  return html`
    <section class="table-panel">
      <div class="filters">
        <input
          id="filter-text"
          type="search"
          placeholder="filter: cname, address, checksum, error"
          value=${query.text}
          onInput=${(e: Event) => onQuery({ ...query, text: (e.target as HTMLInputElement).value })}
        />
        <select
          id="filter-state"
          value=${query.state}
          onChange=${(e: Event) =>
            onQuery({ ...query, state: (e.target as HTMLSelectElement).value as FleetState | '' })}
        >
          <option value="">every state</option>
          ${STATES.map((state) => html`<option value=${state}>${state}</option>`)}
        </select>
        <span class="shown" id="rows-shown">${rows.length} of ${store.rows.size} minions</span>
      </div>
      <div class="grid head" role="row">
        ${COLUMNS.map(
          ({ key, label }) => html`<button
            class=${`col col-${key}${query.sortBy === key ? (query.descending ? ' sorted desc' : ' sorted') : ''}`}
            data-sort=${key}
            onClick=${() => sortBy(key)}
          >
            ${label}
          </button>`,
        )}
      </div>
      <div class="rows" ref=${body} id="minion-rows">
        <div class="spacer" style=${{ height: `${rows.length * ROW_HEIGHT}px` }}>
          <div class="window" style=${{ transform: `translateY(${first * ROW_HEIGHT}px)` }}>
            ${shown.map(
              (row) => html`<a
                key=${row.cname}
                class=${`grid row state-${row.state}${row.flashUntil > now ? ' flash' : ''}`}
                data-cname=${row.cname}
                href=${`#/minion/${encodeURIComponent(row.cname)}`}
              >
                ${COLUMNS.map(({ key }) => html`<span class=${`col col-${key}`}>${cell(row, key)}</span>`)}
              </a>`,
            )}
          </div>
        </div>
      </div>
    </section>
  `;
}
