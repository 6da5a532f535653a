// ui/historystate.js — a plan state (the JSON of GET /api/plans/{id}?at=…
// and of the `at` history query; protocol/plan_state.h) drawn read-only as
// one document: each part with its number, kind and title, its fields, its
// other texts and its tables, parts nested as lists. Used by the timeline
// (the plan at the slider's point) and by blame (the same, with each text
// coloured by who wrote it: the `text` hook).
import { h } from './dom.js';
import { displayNumber } from '../numbering.js';
import { plainValue } from '../history.js';

const TITLE_TEXTS = ['title', 'name'];

// A field name or text name in the user's language (the key itself when
// there is no translation: a schema field the client does not know).
export function fieldLabel(t, name) {
  if (t.has(`field.${name}`)) return t(`field.${name}`);
  if (t.has(`text.${name}`)) return t(`text.${name}`);
  return name;
}

// A value as shown: statuses translated, lists joined, null "(ikke satt)".
export function valueLabel(t, name, v) {
  const s = plainValue(v);
  if (s === '') return t('field.none');
  if (name === 'status' && t.has(`status.${s}`)) return t(`status.${s}`);
  return s;
}

function nodeKey(id) { return `${id[0]}:${id[1]}`; }

// "Mål 1.2" / "Tiltak a)" / "Fotnote" for a node (kind and displayed number).
export function nodeHeading(t, kind, number) {
  const n = displayNumber(kind, number);
  return `${t.has(`kind.${kind}`) ? t(`kind.${kind}`) : kind}${n ? ` ${n}` : ''}`;
}

// opts: {text(node, field, value) → Node|string (default: the text),
//        head(node) → extra element after the heading (blame: last author),
//        field(node, name, value) → extra element after a field's value}
export function renderState(t, state, opts = {}) {
  const textOf = opts.text || ((node, field, value) => value);
  const list = h('ol', { class: 'hs-tree', 'data-testid': 'history-tree' });
  if (!state || !state.root) return list;
  const renderNode = (node, depth) => {
    const texts = node.texts || {};
    const titleField = TITLE_TEXTS.find((f) => f in texts) || null;
    const li = h('li', { class: ['hs-node', `hs-depth-${Math.min(depth, 6)}`], 'data-node': nodeKey(node.id),
      'data-kind': node.kind, 'data-number': displayNumber(node.kind, node.number) });
    const head = h('p', { class: 'hs-head' },
      h('span', { class: 'hs-kind' }, nodeHeading(t, node.kind, node.number)),
      titleField ? h('span', { class: 'hs-title', 'data-field': titleField }, textOf(node, titleField, texts[titleField])) : null);
    li.append(head);
    if (opts.head) {
      const extra = opts.head(node);
      if (extra) li.append(extra);
    }
    const fields = Object.entries(node.fields || {});
    if (fields.length) {
      const dl = h('dl', { class: 'hs-fields' });
      for (const [name, v] of fields) {
        dl.append(h('div', { class: 'hs-field', 'data-field': name },
          h('dt', {}, fieldLabel(t, name)),
          h('dd', {}, valueLabel(t, name, v), opts.field ? opts.field(node, name, v) : null)));
      }
      li.append(dl);
    }
    for (const [name, value] of Object.entries(texts)) {
      if (name === titleField) continue;
      li.append(h('div', { class: 'hs-text', 'data-field': name },
        h('span', { class: 'visually-hidden' }, `${fieldLabel(t, name)}: `),
        textOf(node, name, value)));
    }
    for (const [name, table] of Object.entries(node.tables || {})) {
      li.append(renderTable(t, name, table, opts.cell ? (row, col, v) => opts.cell(node, name, row, col, v) : null));
    }
    const kids = node.children || [];
    if (kids.length) {
      const ol = h('ol', { class: 'hs-children' });
      for (const c of kids) ol.append(renderNode(c, depth + 1));
      li.append(ol);
    }
    return li;
  };
  list.append(renderNode(state.root, 0));
  return list;
}

function renderTable(t, name, table, cellExtra) {
  const cols = table.columns || [];
  const rows = table.rows || [];
  return h('table', { class: 'hs-table', 'data-table': name },
    h('caption', { class: 'visually-hidden' }, fieldLabel(t, name)),
    h('thead', {}, h('tr', {}, h('td', {}), cols.map((c) =>
      h('th', { scope: 'col' }, plainValue(c.header), cellExtra ? cellExtra(null, c.id, c.header) : null)))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      h('th', { scope: 'row' }, plainValue(r.header), cellExtra ? cellExtra(r.id, null, r.header) : null),
      (r.cells || []).map((v, i) => h('td', {}, plainValue(v),
        cellExtra ? cellExtra(r.id, cols[i] && cols[i].id, v) : null))))));
}
