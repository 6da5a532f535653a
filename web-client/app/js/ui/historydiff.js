// ui/historydiff.js — the history view's diff tab: two points (named
// versions, the timeline's point, now) and what changed between them, from
// the server's `diff` query (protocol/diff_json.h; docs/protocol.md,
// "History: diff"): parts added, removed, moved and renumbered; per part
// the fields (old → new, who), the texts (insertions and deletions in the
// author's municipality colour, the author on hover) and the tables; the
// review items opened and decided. The Markdown report for council papers
// downloads from GET /api/plans/{id}/diff?format=markdown.
import { h, clear } from './dom.js';
import { authorChip, authorTitle, munClass, pointLabel } from './historydom.js';
import { fieldLabel, nodeHeading, valueLabel } from './historystate.js';
import { diffSegments, elideSame, mergeSegments, pieceKind, pointOptions, downloadWithToken, plainValue,
  queryString, versionAt } from '../history.js';

// The statistics shown, in this order (diff_json.h lists more).
const STATS = ['nodes_added', 'nodes_removed', 'nodes_moved', 'nodes_renumbered', 'fields_changed', 'texts_changed',
  'cells_changed', 'chars_inserted', 'chars_deleted', 'threads_opened', 'threads_resolved', 'suggestions_accepted',
  'suggestions_rejected', 'approvals_given', 'approvals_revoked'];

// Who made a change: "by" ({user, municipality, time, seq}) or "author".
const who = (x) => (x && (x.by || x.author)) || null;

function key(id) { return Array.isArray(id) ? `${id[0]}:${id[1]}` : ''; }

// The first member present of several spellings (the diff JSON is
// documented by protocol/diff_json.h; the renderer accepts the near
// variants so a renamed member degrades to a blank, not an exception).
function pick(o, ...names) {
  for (const n of names) {
    let v = o;
    for (const part of n.split('.')) v = v == null ? undefined : v[part];
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

export class DiffTab {
  constructor(view) {
    this.view = view;
    this.from = null;   // point strings ("version:X", "812", "head")
    this.to = null;
    this.diff = null;
    this.oldTexts = null;  // key → {field: text} of the older state, when pieces need it
  }

  get t() { return this.view.t; }

  render() {
    const { t } = this;
    this.fromSel = h('select', { id: 'history-diff-from', 'data-testid': 'history-diff-from',
      onchange: () => { this.from = this.fromSel.value; this.chosen = true; } });
    this.toSel = h('select', { id: 'history-diff-to', 'data-testid': 'history-diff-to',
      onchange: () => { this.to = this.toSel.value; this.chosen = true; } });
    this.runButton = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'history-diff-run' },
      t('history.diff.run'));
    this.mdButton = h('button', { type: 'button', class: 'btn', 'data-testid': 'history-diff-markdown',
      onclick: () => this.downloadMarkdown() }, t('history.diff.markdown'));
    this.status = h('p', { class: 'hint', role: 'status', 'data-testid': 'history-diff-status' });
    this.out = h('div', { class: 'history-diff', 'data-testid': 'history-diff', 'aria-live': 'polite' });
    this.el = h('div', { class: 'history-diff-tab' },
      h('form', { class: 'history-diff-form', onsubmit: (e) => { e.preventDefault(); this.run(); } },
        h('div', { class: 'history-point' }, h('label', { for: 'history-diff-from' }, t('history.diff.from')), this.fromSel),
        h('div', { class: 'history-point' }, h('label', { for: 'history-diff-to' }, t('history.diff.to')), this.toSel),
        this.runButton, this.mdButton),
      this.status, this.out);
    this.versionsChanged();
    if (this.diff) this._draw();
    return this.el;
  }

  shown() {
    this.versionsChanged();
  }

  versionsChanged() {
    if (!this.fromSel) return;
    const { t } = this;
    const versions = this.view.versions || [];
    const timeline = this.view.tabs.timeline;
    const opts = pointOptions(versions, { sliderSeq: timeline.seq, lastSeq: this.view.lastSeq });
    // Defaults (until the user picks): the last two versions, else the
    // first version and now.
    if (!this.chosen) this.from = this.to = null;
    if (this.from === null || !opts.some((o) => o.value === this.from)) {
      this.from = versions.length >= 2 ? `version:${versions[versions.length - 2].name}`
        : versions.length ? `version:${versions[0].name}` : (opts[0] && opts[0].value);
    }
    if (this.to === null || !opts.some((o) => o.value === this.to)) {
      this.to = versions.length >= 2 ? `version:${versions[versions.length - 1].name}` : 'head';
    }
    const label = (o) => {
      if (o.kind === 'version') return `${o.version.name} (${pointLabel(t, o.seq, o.version.time)})`;
      if (o.kind === 'seq') return t('history.diff.sliderPoint', { point: pointLabel(t, o.seq) });
      return t('history.diff.head');
    };
    for (const [sel, value] of [[this.fromSel, this.from], [this.toSel, this.to]]) {
      clear(sel).append(...opts.map((o) => h('option', { value: o.value, selected: o.value === value,
        'data-seq': o.seq ?? '' }, label(o))));
      sel.value = value;
    }
  }

  // "version:X" → its seq; digits → the number; head → lastSeq.
  _seqOf(point) {
    if (point === 'head') return this.view.lastSeq;
    if (point && point.startsWith('version:')) {
      const v = (this.view.versions || []).find((x) => `version:${x.name}` === point);
      return v ? v.seq : null;
    }
    return Number(point);
  }

  async run() {
    const { t } = this;
    let from = this.fromSel.value;
    let to = this.toSel.value;
    const a = this._seqOf(from);
    const b = this._seqOf(to);
    if (a != null && b != null && a > b) [from, to] = [to, from];  // older first
    this.status.textContent = t('history.loading');
    this.out.setAttribute('aria-busy', 'true');
    let r;
    try {
      r = await this.view.ask('diff', { query: 'diff', from, to });
    } catch (err) {
      this.out.setAttribute('aria-busy', 'false');
      if (err.code === 'replaced') return;
      this.status.textContent = '';
      this.view.error(err);
      return;
    }
    this.view.error(null);
    this.diff = r.diff || r;
    this.oldTexts = null;
    if (this._needsOldText(this.diff)) await this._loadOldTexts(pick(this.diff, 'from.seq'));
    this.out.setAttribute('aria-busy', 'false');
    this.status.textContent = '';
    this._draw();
  }

  _needsOldText(diff) {
    for (const c of diff.changes || []) {
      for (const tx of c.texts || []) {
        for (const p of tx.pieces || []) {
          const k = pieceKind(p);
          if (k !== 'insert' && typeof p.text !== 'string' && typeof p[k] !== 'string') return true;
        }
      }
    }
    return false;
  }

  async _loadOldTexts(seq) {
    if (seq == null) return;
    try {
      const r = await this.view.ask('diff-base', { query: 'at', at: String(seq) });
      const map = new Map();
      const walk = (n) => { map.set(key(n.id), n.texts || {}); for (const c of n.children || []) walk(c); };
      if (r.state && r.state.root) walk(r.state.root);
      this.oldTexts = map;
    } catch (err) {
      if (err.code !== 'replaced') this.view.error(err);
    }
  }

  _draw() {
    const { t } = this;
    const d = this.diff;
    const fromSeq = pick(d, 'from.seq');
    const toSeq = pick(d, 'to.seq');
    const out = clear(this.out);
    out.dataset.from = String(fromSeq ?? '');
    out.dataset.to = String(toSeq ?? '');
    // A point's name: the named version at its seq, if any (the diff's
    // "version" members are version vectors, not names).
    const nameAt = (seq) => { const v = versionAt(this.view.versions, seq); return v && v.name; };
    out.append(h('h3', { id: 'history-diff-heading' }, t('history.diff.heading', {
      from: pointLabel(t, fromSeq, pick(d, 'from.time'), nameAt(fromSeq)),
      to: pointLabel(t, toSeq, pick(d, 'to.time'), nameAt(toSeq)) })));
    const s = d.stats || {};
    const statKeys = STATS.filter((k) => typeof s[k] === 'number' && s[k] > 0);
    out.append(h('p', { class: 'history-stats', 'data-testid': 'history-diff-stats' },
      statKeys.length ? statKeys.map((k) => t(`history.stat.${k}`, { n: s[k] })).join(' · ')
        : t('history.diff.none')));

    const nodes = d.nodes || {};
    const structure = h('ul', { class: 'history-structure plain-list', 'data-testid': 'history-diff-structure' });
    const nodeName = (n, number) => `${nodeHeading(t, n.kind || n.node_kind || '', number ?? n.number ?? '')}${n.title ? ` ${n.title}` : ''}`;
    for (const n of nodes.added || []) {
      structure.append(h('li', { class: 'hd-added', 'data-testid': 'history-diff-added', 'data-node': key(n.node || n.id) },
        h('span', { class: 'hd-tag hd-tag-added' }, t('history.diff.added')), ' ', nodeName(n),
        who(n) ? [' ', authorChip(this.view, who(n), { title: authorTitle(t, who(n), who(n).seq) })] : null));
    }
    for (const n of nodes.removed || []) {
      structure.append(h('li', { class: 'hd-removed', 'data-testid': 'history-diff-removed', 'data-node': key(n.node || n.id) },
        h('span', { class: 'hd-tag hd-tag-removed' }, t('history.diff.removed')), ' ', nodeName(n),
        who(n) ? [' ', authorChip(this.view, who(n), { title: authorTitle(t, who(n), who(n).seq) })] : null));
    }
    for (const n of nodes.moved || []) {
      const was = pick(n, 'from.number', 'old.number', 'old_number', 'before.number');
      const now = pick(n, 'to.number', 'new.number', 'new_number', 'after.number', 'number');
      structure.append(h('li', { class: 'hd-moved', 'data-testid': 'history-diff-moved', 'data-node': key(n.node || n.id) },
        h('span', { class: 'hd-tag hd-tag-moved' }, t('history.diff.moved')), ' ', nodeName(n, now),
        ` (${t('history.diff.fromTo', { from: was ?? '–', to: now ?? '–' })})`,
        who(n) ? [' ', authorChip(this.view, who(n), { title: authorTitle(t, who(n), who(n).seq) })] : null));
    }
    for (const n of nodes.renumbered || []) {
      const was = pick(n, 'from.number', 'old.number', 'old_number', 'before.number');
      const now = pick(n, 'to.number', 'new.number', 'new_number', 'after.number', 'number');
      structure.append(h('li', { class: 'hd-renumbered', 'data-testid': 'history-diff-renumbered', 'data-node': key(n.node || n.id) },
        h('span', { class: 'hd-tag' }, t('history.diff.renumbered')), ' ', nodeName(n, now),
        ` (${t('history.diff.fromTo', { from: was ?? '–', to: now ?? '–' })})`));
    }
    if (structure.childElementCount) {
      out.append(h('section', { 'aria-labelledby': 'hd-structure-heading' },
        h('h4', { id: 'hd-structure-heading' }, t('history.diff.structure')), structure));
    }

    const changes = d.changes || [];
    if (changes.length) {
      const list = h('ul', { class: 'history-changes-diff plain-list' });
      for (const c of changes) list.append(this._change(c));
      out.append(h('section', { 'aria-labelledby': 'hd-content-heading' },
        h('h4', { id: 'hd-content-heading' }, t('history.diff.content')), list));
    }
    const review = this._review(d.review || {});
    if (review) out.append(review);
  }

  _change(c) {
    const { t } = this;
    const nodeKey = key(c.node);
    const li = h('li', { class: 'hd-node', 'data-testid': 'history-diff-node', 'data-node': nodeKey },
      h('p', { class: 'hs-head' }, h('span', { class: 'hs-kind' }, nodeHeading(t, c.kind || c.node_kind || '', c.number || '')),
        c.title ? h('span', { class: 'hs-title' }, c.title) : null));
    for (const f of c.fields || []) {
      const name = f.name || f.field;
      const oldV = pick(f, 'old', 'before', 'from');
      const newV = pick(f, 'new', 'after', 'to');
      const conflicts = pick(f, 'new.conflicts', 'conflicts');
      const by = who(f) || {};
      li.append(h('p', { class: 'hd-field', 'data-testid': 'history-diff-field', 'data-field': name },
        h('span', { class: 'hd-field-name' }, `${fieldLabel(t, name)}: `),
        h('del', { class: 'hd-old', 'data-testid': 'history-diff-old' },
          valueLabel(t, name, oldV)),
        h('span', { 'aria-hidden': 'true' }, ' → '), h('span', { class: 'visually-hidden' }, ` ${t('history.diff.becomes')} `),
        h('ins', { class: ['hd-new', munClass(this.view, by.municipality)], 'data-testid': 'history-diff-new' },
          valueLabel(t, name, newV)),
        Array.isArray(conflicts) && conflicts.length
          ? h('span', { class: 'hint' }, ` (${t('history.diff.conflict', { values: conflicts.map(plainValue).join(', ') })})`) : null,
        by.user ? [' ', authorChip(this.view, by, { title: authorTitle(t, by, by.seq ?? f.seq) })] : null));
    }
    for (const tx of c.texts || []) {
      const name = tx.name || tx.field;
      const oldText = this.oldTexts && (this.oldTexts.get(nodeKey) || {})[name];
      const segs = elideSame(mergeSegments(diffSegments(tx.pieces || [], oldText || '')));
      const body = h('div', { class: 'hd-text', 'data-testid': 'history-diff-text', 'data-field': name });
      for (const s of segs) body.append(...[].concat(this._segment(s)));
      li.append(h('div', { class: 'hd-text-box' },
        h('p', { class: 'hd-field-name' }, fieldLabel(t, name)), body));
    }
    for (const tb of c.tables || []) li.append(this._table(tb));
    return li;
  }

  _segment(s) {
    const { t } = this;
    if (s.kind === 'same') return h('span', { class: s.elided ? 'hd-same elided' : 'hd-same' }, s.text);
    const a = s.author || {};
    const title = authorTitle(t, a, s.seqLast && s.seqLast !== s.seq ? `${s.seq}–${s.seqLast}` : s.seq);
    const tag = s.kind === 'ins' ? 'ins' : 'del';
    return [
      h('span', { class: 'visually-hidden' }, t(s.kind === 'ins' ? 'history.diff.insertedBy' : 'history.diff.deletedBy',
        { who: title })),
      h(tag, { class: [`hd-${s.kind}`, munClass(this.view, a.municipality)], title,
        'data-testid': `history-diff-${s.kind}`, 'data-user': a.user || '', 'data-municipality': a.municipality || '',
        'data-seq': s.seq ?? '' }, s.text),
    ];
  }

  _table(tb) {
    const { t } = this;
    const name = tb.name || tb.table;
    const box = h('div', { class: 'hd-table', 'data-testid': 'history-diff-table', 'data-table': name },
      h('p', { class: 'hd-field-name' }, fieldLabel(t, name)));
    const items = h('ul', { class: 'plain-list' });
    const lineCount = (k) => (Array.isArray(tb[k]) ? tb[k].length : typeof tb[k] === 'number' ? tb[k] : 0);
    for (const k of ['rows_added', 'rows_removed', 'columns_added', 'columns_removed']) {
      const n = lineCount(k);
      if (n) items.append(h('li', { class: 'hint' }, t(`history.diff.${k}`, { n })));
    }
    for (const cell of tb.cells || []) {
      const where = [plainValue(pick(cell, 'row_header', 'row_label')), plainValue(pick(cell, 'column_header', 'column_label'))]
        .filter(Boolean).join(' / ');
      const by = who(cell) || {};
      items.append(h('li', { class: 'hd-cell', 'data-testid': 'history-diff-cell' },
        where ? `${where}: ` : '',
        h('del', { class: 'hd-old' }, plainValue(pick(cell, 'old', 'before')) || t('field.none')),
        ' → ',
        h('ins', { class: ['hd-new', munClass(this.view, by.municipality)] },
          plainValue(pick(cell, 'new', 'after')) || t('field.none')),
        by.user ? [' ', authorChip(this.view, by, { title: authorTitle(t, by, by.seq) })] : null));
    }
    box.append(items);
    return box;
  }

  _review(r) {
    const { t } = this;
    const kinds = ['opened', 'resolved', 'reopened', 'accepted', 'rejected', 'approved', 'revoked'];
    const list = h('ul', { class: 'plain-list history-review-diff', 'data-testid': 'history-diff-review' });
    for (const k of kinds) {
      for (const item of r[k] || []) {
        const by = who(item) || item.decided_by || null;
        const what = item.text || item.reason || (k === 'approved' || k === 'revoked' ? item.field : '') || '';
        list.append(h('li', { 'data-kind': k, 'data-what': item.what || '' },
          h('span', { class: 'hd-tag' }, t(`history.review.${k}`)), ' ',
          item.number || item.title ? `${nodeHeading(t, item.kind || '', item.number || '')} ${item.title || ''} `.trimStart() : '',
          what ? `«${String(what).slice(0, 120)}» ` : '',
          by ? authorChip(this.view, by, { title: authorTitle(t, by, by.seq) }) : null));
      }
    }
    if (!list.childElementCount) return null;
    return h('section', { 'aria-labelledby': 'hd-review-heading' },
      h('h4', { id: 'hd-review-heading' }, t('history.diff.review')), list);
  }

  async downloadMarkdown() {
    const { t } = this;
    let from = this.fromSel.value;
    let to = this.toSel.value;
    const a = this._seqOf(from);
    const b = this._seqOf(to);
    if (a != null && b != null && a > b) [from, to] = [to, from];
    const p = new URLSearchParams({ from, to, format: 'markdown', lang: t.lang });
    const url = `/api/plans/${encodeURIComponent(this.view.planId)}/diff?${queryString(p)}`;
    const name = `endringer-${this.view.planId}-${String(from).replace(/^version:/, '')}-${String(to).replace(/^version:/, '')}.md`
      .replace(/[^\p{L}\p{N}._-]+/gu, '_');
    try {
      await downloadWithToken(url, this.view.app.auth.token, name);
      this.status.textContent = t('history.downloaded', { name });
    } catch (err) {
      this.view.error(err);
    }
  }
}
