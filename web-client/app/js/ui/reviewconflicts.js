// ui/reviewconflicts.js — the plan's conflicts: fields and cells whose
// register keeps concurrent values (two municipalities set a deadline at
// once), each value with who wrote it. An editor resolves one by choosing a
// value or writing another: an ordinary setField / setCell, which
// supersedes every value this replica has seen.
import { h, nextId } from './dom.js';
import { idKey } from '../permissions.js';
import { canResolveConflict } from '../reviewrights.js';
import { parseValue } from './values.js';
import { rebuild, authorChip, when, showNodeButton, valueText } from './reviewdom.js';

const plainOf = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && 'value' in v ? v.value : v);

export class ConflictsTab {
  constructor(panel) {
    this.panel = panel;
    this.list = h('div', { class: 'conflict-list' });
    this.el = h('div', { class: 'review-conflicts' },
      h('p', { class: 'hint' }, panel.app.t('review.conflictsHelp')), this.list);
  }

  get t() { return this.panel.app.t; }

  update(views) {
    const ed = this.panel.editor;
    const items = views.conflicts;
    rebuild(this.list, JSON.stringify([items, ed.user, this.t.lang, ed.index ? ed.index.size : 0]), (box) => {
      if (!items.length) {
        box.append(h('p', { class: 'hint', 'data-testid': 'conflicts-empty' }, this.t('review.noConflicts')));
        return;
      }
      box.append(h('ul', { class: 'plain-list' }, items.map((c) => h('li', {}, this._item(c)))));
    });
  }

  // The schema type of a conflict's field (cells are numbers or, in
  // headers, strings).
  _type(c) {
    if (!c.field) return c.row && c.column ? 'number' : 'string';
    const e = this.panel.editor.index.get(idKey(c.node));
    const kind = e && this.panel.editor.schema.get(e.node.kind);
    return (kind && kind.fields[c.field]) || 'string';
  }

  _write(c, value) {
    return this.panel.edit((doc) => {
      if (c.field) doc.setField(c.node, c.field, value);
      else doc.setCell(c.node, c.table, c.row || null, c.column || null, value);
    });
  }

  _item(c) {
    const { t } = this;
    const panel = this.panel;
    const ed = panel.editor;
    const key = `${idKey(c.node)}/${c.field || `${c.table}/${c.row ? idKey(c.row) : 'h'}/${c.column ? idKey(c.column) : 'h'}`}`;
    const may = canResolveConflict(ed.user, ed.index, c).ok;
    const label = c.field ? (t.has(`field.${c.field}`) ? t(`field.${c.field}`) : c.field) : t('review.cellOf', { table: c.table });
    const art = h('article', { class: 'conflict-item', 'data-testid': 'conflict-item', 'data-node': idKey(c.node),
      'data-field': c.field || c.table || '' },
    h('header', {}, showNodeButton(panel, c.node), ' · ', h('strong', {}, label)),
    h('ul', { class: 'conflict-values plain-list' }, c.values.map((v, i) => h('li', { class: 'conflict-value' },
      h('span', { class: 'value' }, valueText(t, v.value)), ' ',
      authorChip(panel, v.author), ' ', h('time', {}, when(t, v.author && v.author.time)),
      i === 0 ? h('span', { class: 'badge badge-joint' }, t('review.winner')) : null,
      may ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'conflict-use', 'data-choice': i,
        'data-key': `use-${key}-${i}`, onclick: () => this._write(c, plainOf(v.value)) },
      t('review.useValue')) : null))));
    if (may) {
      const id = nextId('conflict-write');
      const type = this._type(c);
      const input = h('input', { type: type === 'date' ? 'date' : 'text', id, 'data-testid': 'conflict-write',
        'data-keep': '', 'data-key': `write-${key}` });
      const msg = h('p', { class: 'field-msg', role: 'alert' });
      art.append(h('form', { class: 'conflict-own', onsubmit: (e) => {
        e.preventDefault();
        const r = parseValue(type, input.value);
        if (!r.ok) {
          msg.textContent = t('field.invalid', { type: t(`type.${type}`) });
          input.setAttribute('aria-invalid', 'true');
          return;
        }
        this._write(c, r.value);
      } },
      h('label', { for: id }, t('review.writeValue')), input,
      h('button', { type: 'submit', class: 'btn btn-small', 'data-testid': 'conflict-write-submit', 'data-key': `ws-${key}` },
        t('review.setValue')), msg));
    }
    return art;
  }
}
