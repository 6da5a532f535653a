// ui/historychanges.js — the history view's changes tab ("who changed
// what"): the server's `changes` entries, newest first, a page at a time
// (the cursor), filtered by user, municipality, kind of change, part
// (the part selected in the editor, with or without its sub-parts) and
// dates; the same filters export every matching entry as CSV from
// GET /api/plans/{id}/history/export (downloadWithToken: a Blob).
import { h, clear } from './dom.js';
import { authorChip, authorTitle, when } from './historydom.js';
import { nodeHeading } from './historystate.js';
import { KIND_GROUPS, changesQuery, downloadWithToken, exportFileName, exportUrl } from '../history.js';

const PAGE = 100;

export class ChangesTab {
  constructor(view) {
    this.view = view;
    this.filters = { user: '', municipality: '', kind: '', scope: 'plan', since: '', until: '' };
    this.entries = [];
    this.next = null;
    this.loadedFor = null;  // JSON of the filters the list shows
  }

  get t() { return this.view.t; }

  render() {
    const { t } = this;
    const f = this.filters;
    const input = (name, attrs, label) => {
      const id = `history-filter-${name}`;
      return h('div', { class: 'history-filter' }, h('label', { for: id }, label),
        h('input', { id, name, 'data-testid': `history-filter-${name}`, value: f[name], ...attrs }));
    };
    const select = (name, options, label) => {
      const id = `history-filter-${name}`;
      return h('div', { class: 'history-filter' }, h('label', { for: id }, label),
        h('select', { id, name, 'data-testid': `history-filter-${name}` },
          options.map(([value, text]) => h('option', { value, selected: value === f[name] }, text))));
    };
    const municipalities = this.view.editor.municipalities || [];
    this.usersList = h('datalist', { id: 'history-users' });
    this.form = h('form', { class: 'history-filters', 'data-testid': 'history-filters',
      'aria-label': t('history.changes.filters'),
      onsubmit: (e) => { e.preventDefault(); this._readForm(); this.load(); } },
    input('user', { type: 'text', list: 'history-users', autocomplete: 'off', spellcheck: 'false' }, t('history.filter.user')),
    this.usersList,
    select('municipality', [['', t('history.filter.all')], ...municipalities.map((m) => [m, m])], t('history.filter.municipality')),
    select('kind', [['', t('history.filter.all')], ...Object.keys(KIND_GROUPS).map((k) => [k, t(`history.kind.${k}`)])],
      t('history.filter.kind')),
    select('scope', [['plan', t('history.filter.scopePlan')], ['subtree', t('history.filter.scopeSubtree')],
      ['node', t('history.filter.scopeNode')]], t('history.filter.scope')),
    input('since', { type: 'date' }, t('history.filter.since')),
    input('until', { type: 'date' }, t('history.filter.until')),
    h('div', { class: 'history-filter-buttons' },
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'history-filter-apply' }, t('history.filter.apply')),
      h('button', { type: 'button', class: 'btn', 'data-testid': 'history-filter-reset',
        onclick: () => { this.filters = { user: '', municipality: '', kind: '', scope: 'plan', since: '', until: '' };
          this._writeForm(); this.load(); } }, t('history.filter.reset')),
      h('button', { type: 'button', class: 'btn', 'data-testid': 'history-csv', onclick: () => this.download() },
        t('history.csv'))));
    this.status = h('p', { class: 'hint', role: 'status', 'data-testid': 'history-changes-status' });
    this.body = h('tbody', {});
    this.table = h('table', { class: 'history-entries', 'data-testid': 'history-entries', 'aria-busy': 'false' },
      h('caption', { class: 'visually-hidden' }, t('history.tab.changes')),
      h('thead', {}, h('tr', {},
        ['seq', 'time', 'who', 'part', 'change'].map((c) => h('th', { scope: 'col', class: `col-${c}` }, t(`history.col.${c}`))))),
      this.body);
    this.more = h('button', { type: 'button', class: 'btn', 'data-testid': 'history-more', hidden: true,
      onclick: () => this.load({ more: true }) }, t('history.more'));
    this.el = h('div', { class: 'history-changes-tab' }, this.form, this.status,
      h('div', { class: 'history-table-wrap' }, this.table), this.more);
    this._drawRows();
    return this.el;
  }

  _readForm() {
    const v = (name) => this.form.elements[name].value;
    this.filters = { user: v('user').trim(), municipality: v('municipality'), kind: v('kind'),
      scope: v('scope'), since: v('since'), until: v('until') };
  }

  _writeForm() {
    for (const [k, v] of Object.entries(this.filters)) if (this.form.elements[k]) this.form.elements[k].value = v;
  }

  // The filters as history.js takes them (the part is the one selected in
  // the editor).
  _query() {
    const f = this.filters;
    const sel = this.view.editor.selected;
    const node = f.scope !== 'plan' && sel ? sel.split(':').map(Number) : null;
    return { ...f, node, subtree: f.scope === 'subtree' };
  }

  shown() {
    if (this.loadedFor !== JSON.stringify(this._query())) this.load();
  }

  async load({ more = false } = {}) {
    const { t } = this;
    const filters = this._query();
    const msg = { query: 'changes', limit: PAGE, ...changesQuery(filters) };
    if (more && this.next != null) msg.cursor = String(this.next);
    this.status.textContent = t('history.loading');
    this.table.setAttribute('aria-busy', 'true');
    let r;
    try {
      r = await this.view.ask('changes', msg);
    } catch (err) {
      if (err.code === 'replaced') return;
      this.table.setAttribute('aria-busy', 'false');
      this.status.textContent = '';
      this.view.error(err);
      return;
    }
    this.view.error(null);
    if (typeof r.last_seq === 'number') this.view.noteHead(r.last_seq);
    const got = r.entries || [];
    this.entries = more ? this.entries.concat(got) : got;
    this.next = r.next ?? null;
    this.loadedFor = JSON.stringify(filters);
    this.table.setAttribute('aria-busy', 'false');
    this.status.textContent = this.entries.length
      ? t(this.next != null ? 'history.changes.countMore' : 'history.changes.count', { n: this.entries.length })
      : t('history.changes.none');
    this._drawRows();
  }

  _drawRows() {
    if (!this.body) return;
    const { t } = this;
    clear(this.body);
    const users = new Set();
    for (const e of this.entries) {
      users.add(e.user);
      const author = { user: e.user, name: e.name, erased: e.erased, municipality: e.municipality, time: e.time };
      const part = e.node_deleted
        ? h('span', { class: 'hint' }, t('history.deletedPart', { title: e.title || '' }))
        : [nodeHeading(t, e.node_kind || '', e.number || ''), e.title ? ` ${e.title}` : ''];
      const change = [h('span', { class: 'entry-summary' }, e.summary || '')];
      // Values the summary does not already show (it carries short ones:
      // "status: planlagt → pågår").
      const summary = e.summary || '';
      if ((e.before || e.after) && !(summary.includes(e.before || '') && summary.includes(e.after || ''))) {
        change.push(h('span', { class: 'entry-values' }, ' ',
          e.before ? h('del', { class: 'hd-old' }, e.before) : null,
          e.before && e.after ? h('span', { 'aria-hidden': 'true' }, ' → ') : null,
          e.after ? h('ins', { class: 'hd-new' }, e.after) : null));
      }
      const span = e.seq_last && e.seq_last !== e.seq ? `${e.seq}–${e.seq_last}` : String(e.seq);
      this.body.append(h('tr', { 'data-testid': 'history-entry', 'data-seq': e.seq, 'data-user': e.user,
        'data-municipality': e.municipality || '', 'data-kinds': (e.kinds || []).join(',') },
      h('td', { class: 'col-seq' }, span, e.ops > 1 ? h('span', { class: 'hint' }, ` (${t('history.ops', { n: e.ops })})`) : null),
      h('td', { class: 'col-time' }, h('time', { datetime: new Date(e.time).toISOString() }, when(t, e.time))),
      h('td', { class: 'col-who' }, authorChip(this.view, author, { title: authorTitle(t, author, e.seq) })),
      h('td', { class: 'col-part' }, part),
      h('td', { class: 'col-change' }, change)));
    }
    if (this.usersList) {
      clear(this.usersList).append(...[...users].sort().map((u) => h('option', { value: u })));
    }
    this.more.hidden = this.next == null;
  }

  async download() {
    const { t } = this;
    if (this.form) this._readForm();
    const url = exportUrl(this.view.planId, this._query(), 'csv');
    const name = exportFileName(this.view.planId);
    this.status.textContent = t('history.downloading');
    try {
      const r = await downloadWithToken(url, this.view.app.auth.token, name);
      this.status.textContent = t('history.downloaded', { name: r.name });
    } catch (err) {
      this.status.textContent = '';
      this.view.error(err);
    }
  }
}
