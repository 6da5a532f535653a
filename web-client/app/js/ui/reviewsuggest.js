// ui/reviewsuggest.js — the review panel's suggestions: each shown as the
// change it proposes (deleted text struck through, new text underlined, in
// the suggesting author's colour), with accept and reject (with a reason),
// one at a time or in bulk (all of one person's, all in the selected
// part's subtree). A stale suggestion says what changed since it was made
// and is accepted only by an explicit "accept anyway". Decided ones are
// listed with who decided and why.
import { h, nextId } from './dom.js';
import { idKey } from '../permissions.js';
import { canDecide } from '../reviewrights.js';
import { excerpt } from '../reviewtext.js';
import { rebuild, authorChip, authorClass, when, nodeLabel, showNodeButton, valueText } from './reviewdom.js';
import { inSubtree } from './reviewthreads.js';
import { tableOf } from './reviewmarks.js';

const CONTEXT = 40;

// Which suggestions a bulk action takes: open, not stale, by `author` (a
// user name) or in the subtree of `root` ("r:c"), and decidable by `user`.
export function bulkTargets(suggestions, { author = null, root = null, index, user }) {
  return suggestions.filter((s) => s.status === 'open' && !s.stale &&
    (!author || (s.author && s.author.user === author)) &&
    (!root || [s.node, s.parent].some((id) => id && index.has(idKey(id)) && inSubtree(index, idKey(id), root))) &&
    canDecide(user, index, s).ok);
}

export class SuggestionsTab {
  constructor(panel) {
    this.panel = panel;
    this.scope = 'all';
    this.status = 'open';
    this.rejecting = null;  // suggestion key whose reason box is open
    const { t } = panel.app;
    this.bulk = h('div', { class: 'bulk' });
    this.list = h('div', { class: 'suggestion-list' });
    const scopeId = nextId('sg-scope');
    const statusId = nextId('sg-status');
    const scope = h('select', { id: scopeId, 'data-testid': 'suggestion-scope',
      onchange: () => { this.scope = scope.value; this.update(panel.views); } },
    ['node', 'subtree', 'all'].map((v) => h('option', { value: v, selected: v === this.scope }, t(`review.scope.${v}`))));
    const status = h('select', { id: statusId, 'data-testid': 'suggestion-status',
      onchange: () => { this.status = status.value; this.update(panel.views); } },
    ['open', 'accepted', 'rejected'].map((v) => h('option', { value: v, selected: v === this.status }, t(`review.sgStatus.${v}`))));
    this.el = h('div', { class: 'review-suggestions' },
      h('div', { class: 'review-filters' },
        h('label', { for: scopeId }, t('review.scope')), scope,
        h('label', { for: statusId }, t('review.statusLabel')), status),
      this.bulk, this.list);
  }

  get t() { return this.panel.app.t; }

  _visible(all) {
    const ed = this.panel.editor;
    const key = ed.selected;
    return all.filter((s) => {
      if (s.status !== this.status) return false;
      if (this.scope === 'all') return true;
      const ids = [s.node, s.parent].filter(Boolean).map(idKey);
      if (this.scope === 'node') return ids.includes(key);
      return ids.some((k) => ed.index && ed.index.has(k) && inSubtree(ed.index, k, key));
    });
  }

  update(views) {
    const panel = this.panel;
    const ed = panel.editor;
    const items = this._visible(views.suggestions);
    const texts = items.filter((s) => s.kind === 'text' && s.node).map((s) => {
      try { return ed.doc.text(s.node, s.field); } catch { return null; }
    });
    const sig = JSON.stringify([items, texts, this.rejecting, ed.user, ed.selected, this.scope, this.status, this.t.lang]);
    rebuild(this.list, sig, (box) => {
      if (!items.length) {
        box.append(h('p', { class: 'hint', 'data-testid': 'suggestions-empty' }, this.t('review.noSuggestions')));
        return;
      }
      box.append(h('ul', { class: 'plain-list' }, items.map((s) => h('li', {}, this._item(s)))));
    });
    const open = views.suggestions.filter((s) => s.status === 'open');
    rebuild(this.bulk, JSON.stringify([open.map((s) => [s.id, s.author, s.stale, s.node, s.parent]), ed.user,
      ed.selected, this.t.lang, ed.index ? ed.index.size : 0]), (box) => this._bulk(box, open));
  }

  // ------------------------------------------------------------ one

  _item(s) {
    const { t } = this;
    const panel = this.panel;
    const k = idKey(s.id);
    const cls = authorClass(panel, s.author);
    const art = h('article', { class: ['suggestion', cls, s.stale ? 'stale' : ''], 'data-testid': 'suggestion',
      'data-suggestion': k, 'data-kind': s.kind, 'data-field': s.field || '', 'data-status': s.status,
      'data-stale': String(!!s.stale),
      'data-author': s.author ? s.author.user : '' },
    h('header', {}, authorChip(panel, s.author), ' ', h('span', { class: 'sg-kind' }, t(`review.sgKind.${s.kind}`)),
      ' ', h('time', {}, when(t, s.author && s.author.time))),
    h('p', { class: 'sg-target' }, showNodeButton(panel, s.kind === 'node' ? s.parent : s.node),
      s.field ? ` · ${this._fieldLabel(s)}` : ''),
    h('p', { class: 'sg-change', 'data-testid': 'suggestion-change' }, this._change(s, cls)));
    if (s.status === 'open' && s.stale) {
      art.append(h('p', { class: 'stale-note', 'data-testid': 'suggestion-stale' },
        h('span', { 'aria-hidden': 'true' }, '⚠ '), t('review.stale', { change: s.change || '' }),
        s.now !== undefined && s.now !== null && s.kind !== 'text' ? ` ${t('review.nowValue', { value: valueText(t, s.now) })}` : ''));
    }
    if (s.status !== 'open') {
      art.append(h('p', { class: 'decided', 'data-testid': 'suggestion-decided' },
        t(s.status === 'accepted' ? 'review.acceptedBy' : 'review.rejectedBy',
          { who: s.decided_by ? s.decided_by.user : '?', when: when(t, s.decided_by && s.decided_by.time) }),
        s.stale_accepted ? ` ${t('review.acceptedStale')}` : '',
        s.reason ? h('q', {}, s.reason) : null));
      return art;
    }
    const may = canDecide(panel.editor.user, panel.editor.index, s);
    if (!may.ok) return art;
    const actions = h('div', { class: 'row-actions' });
    if (s.stale) {
      actions.append(h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'suggestion-accept-stale',
        'data-key': `acc-${k}`, onclick: () => this._accept(s, true) }, t('review.acceptAnyway')));
    } else {
      actions.append(h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'suggestion-accept',
        'data-key': `acc-${k}`, onclick: () => this._accept(s, false) }, t('review.accept')));
    }
    actions.append(h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'suggestion-reject',
      'data-key': `rej-${k}`, 'aria-expanded': String(this.rejecting === k),
      onclick: () => {
        this.rejecting = this.rejecting === k ? null : k;
        this.update(panel.views);
        const reason = this.list.querySelector(`[data-key="reason-${k}"]`);
        if (reason) reason.focus();
      } }, t('review.reject')));
    art.append(actions);
    if (this.rejecting === k) {
      const id = nextId('reason');
      const input = h('input', { type: 'text', id, 'data-testid': 'reject-reason', 'data-keep': '',
        'data-key': `reason-${k}` });
      art.append(h('form', { class: 'reason', onsubmit: (e) => {
        e.preventDefault();
        if (panel.run({ op: 'reject', suggestion: s.id, reason: input.value.trim() })) {
          this.rejecting = null;
          panel.say(t('review.rejected'));
        }
      } },
      h('label', { for: id }, t('review.reason')), input,
      h('button', { type: 'submit', class: 'btn btn-small', 'data-testid': 'reject-confirm', 'data-key': `rejc-${k}` },
        t('review.rejectConfirm'))));
    }
    return art;
  }

  _accept(s, stale) {
    if (this.panel.run({ op: 'accept', suggestion: s.id, stale })) this.panel.say(this.t('review.accepted'));
  }

  _fieldLabel(s) {
    const { t } = this;
    if (s.kind === 'cell') return t('review.cellOf', { table: tableOf(s) });
    return t.has(`field.${s.field}`) ? t(`field.${s.field}`) : t.has(`text.${s.field}`) ? t(`text.${s.field}`) : s.field;
  }

  // The proposed change: struck-through old, underlined new, in `cls`.
  _change(s, cls) {
    const { t } = this;
    const del = (x) => h('del', { class: ['sg-del', cls] }, x);
    const ins = (x) => h('ins', { class: ['sg-ins-text', cls] }, x);
    const ed = this.panel.editor;
    switch (s.kind) {
      case 'text': {
        let text = null;
        try { text = ed.doc.text(s.node, s.field); } catch { /* gone */ }
        const p = s.place;
        if (text !== null && p && typeof p.from16 === 'number' && s.status === 'open') {
          const before = text.slice(Math.max(0, p.from16 - CONTEXT), p.from16);
          const after = text.slice(p.to16, p.to16 + CONTEXT);
          return [before.length < p.from16 ? '…' : '', before,
            p.to16 > p.from16 ? del(text.slice(p.from16, p.to16)) : null,
            s.text ? ins(s.text) : null, after, p.to16 + CONTEXT < text.length ? '…' : ''];
        }
        return [s.quote ? del(excerpt(s.quote, 200)) : null, s.quote && s.text ? ' ' : '', s.text ? ins(excerpt(s.text, 200)) : null];
      }
      case 'field':
      case 'cell':
        return [s.now !== undefined && s.status === 'open' ? del(valueText(t, s.now)) : null, ' → ', ins(valueText(t, s.value))];
      case 'node':
        return ins(t('review.newNode', { kind: t(`kind.${s.node_kind}`), title: s.text || '' }));
      case 'move':
        return [t('review.moveTo', { node: nodeLabel(this.panel, s.node) }), ' ', ins(nodeLabel(this.panel, s.parent))];
      case 'delete':
        return del(nodeLabel(this.panel, s.node));
      default:
        return '';
    }
  }

  // ------------------------------------------------------------ bulk

  _bulk(box, open) {
    const { t } = this;
    const panel = this.panel;
    const ed = panel.editor;
    const ctx = { index: ed.index || new Map(), user: ed.user };
    if (!open.some((s) => canDecide(ed.user, ctx.index, s).ok)) return;
    const authors = [...new Set(open.map((s) => s.author && s.author.user).filter(Boolean))].sort();
    const authorId = nextId('bulk-author');
    const reasonId = nextId('bulk-reason');
    const authorSel = h('select', { id: authorId, 'data-testid': 'bulk-author', 'data-keep': '', 'data-key': 'bulk-author' },
      authors.map((a) => h('option', { value: a }, a)));
    const reason = h('input', { type: 'text', id: reasonId, 'data-testid': 'bulk-reason', 'data-keep': '', 'data-key': 'bulk-reason' });
    const run = (targets, accept) => {
      let done = 0;
      let failed = 0;
      for (const s of targets) {
        const ok = panel.run(accept ? { op: 'accept', suggestion: s.id } : { op: 'reject', suggestion: s.id, reason: reason.value.trim() });
        if (ok) done++; else failed++;
      }
      panel.say(t(accept ? 'review.bulkAccepted' : 'review.bulkRejected', { n: done, failed }));
    };
    const byAuthor = () => bulkTargets(open, { ...ctx, author: authorSel.value });
    const inPart = () => bulkTargets(open, { ...ctx, root: ed.selected });
    const stale = open.filter((s) => s.stale).length;
    box.append(h('fieldset', { class: 'bulk-box', 'data-testid': 'bulk' },
      h('legend', {}, t('review.bulk')),
      authors.length ? h('div', { class: 'bulk-row' },
        h('label', { for: authorId }, t('review.bulkAuthor')), authorSel,
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'bulk-accept-author', 'data-key': 'baa',
          onclick: () => run(byAuthor(), true) }, t('review.acceptAll')),
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'bulk-reject-author', 'data-key': 'bra',
          onclick: () => run(byAuthor(), false) }, t('review.rejectAll'))) : null,
      h('div', { class: 'bulk-row' },
        h('span', {}, t('review.bulkSubtree', { node: ed.selected ? nodeLabel(panel, ed.selected.split(':').map(Number)) : '' })),
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'bulk-accept-subtree', 'data-key': 'bas',
          onclick: () => run(inPart(), true) }, t('review.acceptAll')),
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'bulk-reject-subtree', 'data-key': 'brs',
          onclick: () => run(inPart(), false) }, t('review.rejectAll'))),
      h('div', { class: 'bulk-row' }, h('label', { for: reasonId }, t('review.bulkReason')), reason),
      stale ? h('p', { class: 'hint' }, t('review.bulkSkipsStale', { n: stale })) : null));
  }
}
