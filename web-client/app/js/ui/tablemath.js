// ui/tablemath.js — the regional total of an indicator table, computed in
// the client. Owned by the UI helper. Pure; tested in ui-logic.test.mjs.
//
// The total sums, per column, the rows whose header is one of the plan's
// municipalities; any other row (the demo plan's stored "Samlet" row, a
// comment row) is left out, so the total is always consistent with the
// municipality rows even while they are being edited concurrently.
// A column whose cells are not all numbers gets no total (null). Counts and
// amounts add up; rates ("%", "per innbygger", "andel") do not, so a column
// whose header says it holds a rate gets the mean of the municipalities
// instead, marked as such (mode 'mean').
import { plain } from './values.js';

// table: {columns: [{id, header}], rows: [{id, header, cells: [v|null]}]}
export function municipalityRows(table, municipalities) {
  const set = new Set(municipalities || []);
  return (table.rows || []).filter((r) => set.has(plain(r.header)));
}

const RATE = /%|\bper\b|andel|snitt|prosent|procent/i;

export function isRateColumn(header) {
  const h = plain(header);
  return typeof h === 'string' && RATE.test(h);
}

// → per column {value (number|null), mode: 'sum'|'mean'}
export function regionalTotals(table, municipalities) {
  const rows = municipalityRows(table, municipalities);
  return (table.columns || []).map((col, c) => {
    const mode = isRateColumn(col.header) ? 'mean' : 'sum';
    let sum = 0;
    let count = 0;
    for (const r of rows) {
      const v = plain(r.cells ? r.cells[c] : null);
      if (v === null || v === undefined || v === '') continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) return { value: null, mode };
      sum += v;
      count++;
    }
    if (count === 0) return { value: null, mode };
    const value = mode === 'mean' ? sum / count : sum;
    // Round away binary noise (0.1 + 0.2) without hiding real decimals.
    return { value: Math.round(value * 1e9) / 1e9, mode };
  });
}
