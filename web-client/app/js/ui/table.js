// ui/table.js — an indicator's table of values: one row per municipality,
// one column per year/measure (the column headers are cells of the header
// row), editable number cells checked by type, and a regional total row
// computed here over the municipality rows (tablemath.js). A stored total
// row (the demo plan's "Samlet") is shown greyed as 'stored total'.
// Owned by the UI helper.
//
// Cells commit on `change` (a cell is a register: per keystroke writes would
// only make conflicts likelier). update() refreshes values in place and keeps
// the cell the user is in untouched, so a concurrent edit elsewhere in the
// table does not disturb typing.
import { h, clear, nextId } from './dom.js';
import { idKey } from '../permissions.js';
import { parseNumber, plain } from './values.js';
import { regionalTotals } from './tablemath.js';

const NUMBER_TYPES = new Set(['number', 'int']);

export class TableEditor {
  // opts: {t, doc, node (wire id), name, title, editable, municipalities,
  //        getTable() → the table of doc.state(), onError}
  constructor(opts) {
    Object.assign(this, opts);
    this.msgId = nextId('table-msg');
    this.message = h('p', { id: this.msgId, class: 'field-msg', role: 'alert' });
    this.tableEl = h('table', { class: 'values', 'data-testid': `table-${this.name}` });
    const t = this.t;
    this.el = h('section', { class: 'table-section', 'aria-labelledby': `${this.msgId}-h` },
      h('h3', { id: `${this.msgId}-h` }, t(`table.${this.name}`) === `table.${this.name}` ? this.name : t(`table.${this.name}`)),
      h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': `${this.msgId}-h` }, this.tableEl),
      this.message,
      this.editable ? h('div', { class: 'toolbar' },
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'add-row',
          onclick: () => this._addLine('row') }, t('table.addRow')),
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'add-column',
          onclick: () => this._addLine('column') }, t('table.addColumn'))) : null);
    this.shape = '';
    this.inputs = new Map();
    this.update();
  }

  _addLine(axis) {
    const table = this.getTable() || { rows: [], columns: [] };
    const n = axis === 'row' ? table.rows.length : table.columns.length;
    try {
      const { id } = this.doc.insertTableLine(this.node, this.name, axis, n);
      this.pendingFocus = axis === 'row' ? `${idKey(id)}|header` : `header|${idKey(id)}`;
    } catch (err) {
      this.onError(err);
    }
  }

  update() {
    const table = this.getTable() || { rows: [], columns: [] };
    const shape = JSON.stringify([table.rows.map((r) => idKey(r.id)), table.columns.map((c) => idKey(c.id)),
      table.rows.map((r) => this.municipalities.includes(plain(r.header)))]);
    if (shape !== this.shape) {
      const active = document.activeElement;
      const activeKey = active && this.inputs.has(active.dataset.cellKey) ? active.dataset.cellKey : null;
      this._build(table);
      this.shape = shape;
      const focusKey = this.pendingFocus || activeKey;
      this.pendingFocus = null;
      if (focusKey && this.inputs.has(focusKey)) this.inputs.get(focusKey).focus();
    }
    this._fill(table);
  }

  _cellInput(rowKey, colKey, label, kind) {
    const key = `${rowKey}|${colKey}`;
    const input = h('input', {
      type: 'text', class: ['cell', kind], 'aria-label': label,
      'data-row': rowKey, 'data-col': colKey, 'data-cell-key': key,
      inputmode: kind === 'num' ? 'decimal' : null,
      readOnly: !this.editable, 'aria-readonly': this.editable ? null : 'true',
      oninput: () => { input.dataset.dirty = '1'; if (kind === 'num') this._check(input); },
      onchange: () => this._commit(input, rowKey, colKey, kind),
      onkeydown: (e) => {
        if (e.key === 'Escape') { input.dataset.dirty = ''; this.update(); input.select(); }
        if (e.key === 'Enter') { e.preventDefault(); this._commit(input, rowKey, colKey, kind); }
      },
    });
    this.inputs.set(key, input);
    return input;
  }

  _build(table) {
    const t = this.t;
    this.inputs = new Map();
    clear(this.tableEl);
    const cols = table.columns;
    this.tableEl.append(h('caption', {}, t('table.caption', { title: this.title || '' })));
    const headRow = h('tr', {}, h('th', { scope: 'col' }, t('table.municipality')));
    cols.forEach((c, i) => {
      headRow.append(h('th', { scope: 'col' },
        this._cellInput('header', idKey(c.id), t('table.colHeader', { n: i + 1 }), 'head')));
    });
    this.tableEl.append(h('thead', {}, headRow));
    const body = h('tbody');
    table.rows.forEach((r, ri) => {
      const rowKey = idKey(r.id);
      const isMun = this.municipalities.includes(plain(r.header));
      const tr = h('tr', { class: isMun ? 'mun-row' : 'stored-row', 'data-row': rowKey });
      const th = h('th', { scope: 'row' }, this._cellInput(rowKey, 'header', t('table.rowHeader', { n: ri + 1 }), 'head'));
      if (!isMun && plain(r.header)) th.append(h('span', { class: 'stored-note' }, t('table.stored')));
      tr.append(th);
      cols.forEach((c, ci) => {
        const label = t('table.cell', { row: plain(r.header) || ri + 1, col: plain(c.header) || ci + 1 });
        tr.append(h('td', {}, this._cellInput(rowKey, idKey(c.id), label, 'num')));
      });
      body.append(tr);
    });
    this.tableEl.append(body);
    this.totalCells = cols.map(() => h('td', { class: 'total' }));
    this.tableEl.append(h('tfoot', {}, h('tr', { 'data-testid': 'total-row', class: 'total-row' },
      h('th', { scope: 'row' }, t('table.total')), this.totalCells)));
  }

  _fill(table) {
    const active = document.activeElement;
    const set = (key, v) => {
      const input = this.inputs.get(key);
      if (!input || input === active && input.dataset.dirty === '1') return;
      const value = plain(v);
      input.value = value === null || value === undefined ? ''
        : typeof value === 'number' ? this.t.number(value).replace(/\u202f|\u00a0/g, ' ') : String(value);
      input.dataset.value = value === null || value === undefined ? '' : String(value);
      input.classList.toggle('conflict', !!(v && v.conflicts && v.conflicts.length));
      if (v && v.conflicts && v.conflicts.length) {
        input.title = [value, ...v.conflicts.map(plain)].join(' | ');
      }
    };
    table.columns.forEach((c) => set(`header|${idKey(c.id)}`, c.header));
    table.rows.forEach((r) => {
      set(`${idKey(r.id)}|header`, r.header);
      table.columns.forEach((c, ci) => set(`${idKey(r.id)}|${idKey(c.id)}`, r.cells[ci]));
    });
    const totals = regionalTotals(table, this.municipalities);
    totals.forEach((tot, i) => {
      const cell = this.totalCells[i];
      if (!cell) return;
      cell.textContent = tot.value === null ? '' : `${tot.mode === 'mean' ? '⌀ ' : ''}${this.t.number(tot.value)}`;
      cell.dataset.value = tot.value === null ? '' : String(tot.value);
      cell.dataset.mode = tot.mode;
    });
  }

  _check(input) {
    input.dataset.dirty = '1';
    const r = parseNumber(input.value);
    if (r.ok) {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
      this.message.textContent = '';
    } else {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', this.msgId);
      this.message.textContent = this.t('table.notNumber', { value: input.value });
    }
    return r;
  }

  _commit(input, rowKey, colKey, kind) {
    if (!this.editable) return;
    let value;
    if (kind === 'num') {
      const r = this._check(input);
      if (!r.ok) return;  // stays marked invalid; nothing is written
      value = r.value;
    } else {
      value = input.value.trim() === '' ? null : input.value.trim();
    }
    input.dataset.dirty = '';
    const row = rowKey === 'header' ? null : rowKey.split(':').map(Number);
    const col = colKey === 'header' ? null : colKey.split(':').map(Number);
    if (String(value ?? '') === input.dataset.value) return;
    try {
      this.doc.setCell(this.node, this.name, row, col, value);
    } catch (err) {
      this.onError(err);
    }
  }
}

export { NUMBER_TYPES };
