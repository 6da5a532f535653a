// ui/fields.js — the controls of a node's typed fields (status, deadline,
// responsible and owning municipalities, year, cost, unit …), each with the
// conflict marker and chooser the core's multi-value registers call for.
// Owned by the UI helper.
//
// Fields are registers, not texts: a value is committed on `change` (not per
// keystroke) and concurrent writes are kept side by side by the core until
// someone chooses; choosing writes that value, which supersedes all the
// values this replica has seen.
import { h, clear, nextId } from './dom.js';
import { parseValue, sameValue } from './values.js';
import { municipalityClass } from './colors.js';

// Status values of measures (the brief: planned, in progress, done, dropped;
// the demo plan uses "planned" and "in progress") and of the plan itself
// (draft / consultation / adopted).
export const STATUS_VALUES = {
  plan: ['draft', 'consultation', 'adopted'],
  default: ['planned', 'in progress', 'done', 'dropped'],
};

// The order fields are shown in; anything else follows alphabetically.
const ORDER = ['status', 'deadline', 'year', 'date', 'responsible', 'owner', 'cost', 'done',
  'unit', 'source', 'baseline_year', 'target_year', 'period_start', 'period_end',
  'municipalities', 'vision', 'url', 'body'];

export function fieldOrder(names) {
  const rank = (n) => { const i = ORDER.indexOf(n); return i < 0 ? ORDER.length : i; };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function display(t, name, value) {
  if (value === null || value === undefined) return t('field.none');
  if (Array.isArray(value)) return value.length ? value.join(', ') : t('field.emptyList');
  if (name === 'status' && t.has(`status.${value}`)) return t(`status.${value}`);
  return String(value);
}

// One field's control. update() refreshes it from the doc without touching a
// control the user is in.
export class FieldControl {
  // opts: {t, doc, node, kind, name, type, editable, reason (text|null),
  //        municipalities, onError}
  constructor(opts) {
    Object.assign(this, opts);
    this.id = nextId(`f-${this.name}`);
    this.msgId = `${this.id}-msg`;
    this.message = h('p', { id: this.msgId, class: 'field-msg', role: 'alert' });
    this.conflictBox = h('div', { class: 'conflict-slot' });
    this.el = h('div', { class: ['field', `field-${this.name}`] });
    this._build();
    this.update();
  }

  // The inline message, and the read-only reason when there is one.
  _describedBy() { return [this.msgId, this.reasonId].filter(Boolean).join(' '); }

  _label() { return this.t.has(`field.${this.name}`) ? this.t(`field.${this.name}`) : this.name; }

  _set(value) {
    try {
      this.doc.setField(this.node, this.name, value);
      this.message.textContent = '';
      return true;
    } catch (err) {
      this.onError(err);
      this.update();
      return false;
    }
  }

  _build() {
    const { t, name, type } = this;
    const ro = !this.editable;
    const tid = `field-${name}`;
    if ((name === 'responsible' || name === 'owner') && type === 'string_list') {
      // A checkbox group over the plan's municipalities.
      this.boxes = new Map();
      const legendId = `${this.id}-legend`;
      const fs = h('fieldset', { class: 'checks', 'data-testid': tid, 'aria-describedby': this._describedBy(),
        disabled: ro }, h('legend', { id: legendId }, this._label()));
      const names = [...this.municipalities];
      for (const m of names) {
        const id = nextId(`${name}-${m}`);
        const box = h('input', { type: 'checkbox', id, value: m, 'data-value': m,
          onchange: () => this._set(this.municipalities.filter((x) => this.boxes.get(x).checked)) });
        this.boxes.set(m, box);
        fs.append(h('span', { class: 'check' }, box,
          h('label', { for: id }, h('span', { class: ['dot', municipalityClass(m, this.municipalities)] }), m)));
      }
      this.el.append(fs, this.message, this.conflictBox);
      return;
    }
    const label = h('label', { for: this.id }, this._label());
    let control;
    if (name === 'status' && type === 'string') {
      control = h('select', { id: this.id, 'data-testid': tid, disabled: ro,
        onchange: () => this._set(control.value === '' ? null : control.value) });
    } else if (type === 'date') {
      control = h('input', { type: 'date', id: this.id, 'data-testid': tid, readOnly: ro,
        onchange: () => this._commitText() });
    } else if (type === 'bool') {
      control = h('input', { type: 'checkbox', id: this.id, 'data-testid': tid, disabled: ro,
        onchange: () => this._set(control.checked) });
    } else {
      const numeric = type === 'int' || type === 'number';
      control = h('input', { type: 'text', id: this.id, 'data-testid': tid, readOnly: ro,
        inputmode: numeric ? (type === 'int' ? 'numeric' : 'decimal') : null,
        oninput: () => this._check(),
        onchange: () => this._commitText(),
        onkeydown: (e) => { if (e.key === 'Escape') { this.update(true); } } });
    }
    if (ro) control.setAttribute('aria-readonly', 'true');
    control.setAttribute('aria-describedby', this._describedBy());
    this.control = control;
    this.el.append(label, control, this.message, this.conflictBox);
  }

  _check() {
    const { t, type } = this;
    const r = parseValue(type, this.control.value);
    if (r.ok) {
      this.control.removeAttribute('aria-invalid');
      this.message.textContent = '';
    } else {
      this.control.setAttribute('aria-invalid', 'true');
      this.message.textContent = t('field.invalid', { type: t(`type.${type}`) });
    }
    return r;
  }

  _commitText() {
    if (!this.editable) return;
    const r = this._check();
    if (!r.ok) return;
    const current = this.doc.field(this.node, this.name).value;
    if (!sameValue(current ?? null, r.value)) this._set(r.value);
  }

  update(force = false) {
    const f = this.doc.field(this.node, this.name);
    const value = f.value ?? null;
    const c = this.control;
    const active = document.activeElement;
    if (this.boxes) {
      const set = new Set(Array.isArray(value) ? value : []);
      for (const [m, box] of this.boxes) box.checked = set.has(m);
    } else if (c.tagName === 'SELECT') {
      const values = [...(STATUS_VALUES[this.kind] || STATUS_VALUES.default)];
      if (value !== null && !values.includes(value)) values.push(value);
      clear(c);
      c.append(h('option', { value: '' }, this.t('field.none')));
      for (const v of values) c.append(h('option', { value: v, selected: v === value }, display(this.t, 'status', v)));
      c.value = value ?? '';
    } else if (c.type === 'checkbox') {
      c.checked = value === true;
    } else if (force || active !== c) {
      c.value = value === null ? '' : Array.isArray(value) ? value.join(', ') : String(value);
      c.removeAttribute('aria-invalid');
      this.message.textContent = '';
    }
    this._renderConflict(f);
  }

  // Concurrent values: a marker and one button per value.
  _renderConflict(f) {
    clear(this.conflictBox);
    this.el.classList.toggle('in-conflict', f.conflicts.length > 0);
    if (f.conflicts.length === 0) return;
    const { t } = this;
    const values = [f.value, ...f.conflicts.map((c) => c.value)];
    const headId = nextId('conflict');
    const box = h('div', { class: 'conflict', role: 'group', 'aria-labelledby': headId,
      'data-testid': `conflict-${this.name}` },
    h('p', { id: headId, class: 'conflict-head' },
      h('span', { class: 'conflict-icon', 'aria-hidden': 'true' }, '⚠'), ' ',
      t('field.conflictLabel', { field: this._label() }), ': ', t('field.conflict')));
    const list = h('ul', { class: 'conflict-values' });
    values.forEach((v, i) => {
      list.append(h('li', {},
        h('button', { type: 'button', class: 'btn btn-small', disabled: !this.editable,
          'data-testid': `conflict-${this.name}-choice`, 'data-choice': i,
          onclick: () => this._set(v) },
        t('field.conflictChoose', { value: display(t, this.name, v) }))));
    });
    box.append(list);
    this.conflictBox.append(box);
  }
}
