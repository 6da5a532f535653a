// ui/reviewthreads.js — the review panel's comment threads: a new thread on
// what the user last pointed at (a text selection, a field, a cell, or the
// whole part), and the threads of the selected part, its subtree or the
// whole plan: replies, editing and deleting one's own comments, resolve and
// reopen, assignee and due date. Opening a thread marks it read.
import { h, nextId } from './dom.js';
import { idKey } from '../permissions.js';
import { canComment, canAssign, canResolve, canEditComment } from '../reviewrights.js';
import { parseMentions, excerpt } from '../reviewtext.js';
import { rebuild, authorChip, when, partyLabel, nodeLabel, showNodeButton } from './reviewdom.js';
import { tableOf } from './reviewmarks.js';

// Is node `key` in the subtree of `root` (both "r:c")?
export function inSubtree(index, key, root) {
  for (let k = key; k; k = index.get(k) ? index.get(k).parent : null) if (k === root) return true;
  return false;
}

export class ThreadsTab {
  constructor(panel) {
    this.panel = panel;
    this.scope = 'node';
    this.status = 'open';
    this.editing = null;        // comment id key being edited
    this.markedRead = new Map(); // thread key → unread count asked to mark (once)
    const { t } = panel.app;
    this.form = this._form();
    this.list = h('div', { class: 'thread-list' });
    this.el = h('div', { class: 'review-threads' }, this._filters(), this.form, this.list);
  }

  get t() { return this.panel.app.t; }

  _filters() {
    const { t } = this;
    const scopeId = nextId('thread-scope');
    const statusId = nextId('thread-status');
    const scope = h('select', { id: scopeId, 'data-testid': 'thread-scope',
      onchange: () => { this.scope = scope.value; this.update(this.panel.views); } },
    ['node', 'subtree', 'all'].map((v) => h('option', { value: v, selected: v === this.scope }, t(`review.scope.${v}`))));
    const status = h('select', { id: statusId, 'data-testid': 'thread-status',
      onchange: () => { this.status = status.value; this.update(this.panel.views); } },
    ['open', 'resolved', 'all'].map((v) => h('option', { value: v, selected: v === this.status }, t(`review.status.${v}`))));
    this.scopeSelect = scope;
    this.statusSelect = status;
    return h('div', { class: 'review-filters' },
      h('label', { for: scopeId }, t('review.scope')), scope,
      h('label', { for: statusId }, t('review.statusLabel')), status);
  }

  // ------------------------------------------------------- new thread

  _form() {
    const { t } = this;
    const anchorId = nextId('thread-anchor');
    const bodyId = nextId('thread-body');
    const hintId = nextId('thread-hint');
    this.anchorSelect = h('select', { id: anchorId, 'data-testid': 'thread-anchor' });
    this.body = h('textarea', { id: bodyId, class: 'comment-input', rows: 3, 'data-testid': 'thread-body',
      'aria-describedby': hintId, oninput: () => this._preview() });
    this.mentionsEl = h('p', { class: 'mentions-preview', 'data-testid': 'thread-mentions', 'aria-live': 'polite' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'thread-submit' },
      t('review.addComment'));
    return h('form', { class: 'new-thread', 'data-testid': 'new-thread',
      onsubmit: (e) => { e.preventDefault(); this._add(); } },
    h('h3', {}, t('review.newThread')),
    h('label', { for: anchorId }, t('review.anchor')), this.anchorSelect,
    h('label', { for: bodyId }, t('review.comment')), this.body,
    h('p', { id: hintId, class: 'hint' }, t('review.mentionHint')), this.mentionsEl, submit);
  }

  _preview() {
    const m = parseMentions(this.body.value, this.panel.editor.municipalities);
    this.mentionsEl.textContent = m.length ? this.t('review.mentions', { list: m.map((p) => partyLabel(this.t, p)).join(', ') }) : '';
  }

  // The anchor choices for the selected part: the whole part, the last
  // text selection, field or cell the user pointed at, and every field.
  anchorChanged() {
    const { t } = this;
    const ed = this.panel.editor;
    const key = ed.selected;
    const sel = this.anchorSelect;
    const prev = sel.value;
    sel.replaceChildren();
    this.anchors = new Map();
    if (!key || !ed.index || !ed.index.has(key)) return;
    const add = (value, label, spec) => {
      this.anchors.set(value, spec);
      sel.append(h('option', { value }, label));
    };
    const a = this.panel.marks.anchor;
    const here = a && a.node === key ? a : null;
    if (here && here.kind === 'text') {
      add('text', t('review.anchorText', { quote: excerpt(here.quote, 40) }), here);
    }
    if (here && here.kind === 'cell') add('cell', t('review.anchorCell', { cell: here.label }), here);
    add('node', t('review.anchorNode', { node: nodeLabel(this.panel, ed.index.get(key).node.id) }), { kind: 'node' });
    const kind = ed.schema.get(ed.index.get(key).node.kind);
    for (const name of Object.keys((kind && kind.fields) || {})) {
      const label = t.has(`field.${name}`) ? t(`field.${name}`) : name;
      add(`field:${name}`, t('review.anchorField', { field: label }), { kind: 'field', field: name });
    }
    const want = here ? (here.kind === 'field' ? `field:${here.field}` : here.kind) : prev;
    sel.value = this.anchors.has(want) ? want : 'node';
  }

  _add() {
    const panel = this.panel;
    const key = panel.editor.selected;
    const body = this.body.value.trim();
    if (!key || !body) {
      panel.error(this.t('review.emptyComment'));
      this.body.focus();
      return;
    }
    const spec = this.anchors && this.anchors.get(this.anchorSelect.value) || { kind: 'node' };
    const node = key.split(':').map(Number);
    const req = { op: 'add_thread', node, body, mentions: parseMentions(body, panel.editor.municipalities) };
    if (spec.kind === 'text') Object.assign(req, { field: spec.field, from: spec.from16, to: spec.to16 });
    if (spec.kind === 'field') req.field = spec.field;
    if (spec.kind === 'cell') {
      Object.assign(req, { field: spec.table, row: spec.row.split(':').map(Number),
        column: spec.column.split(':').map(Number) });
    }
    const r = panel.run(req);
    if (!r) return;
    this.body.value = '';
    this._preview();
    if (r.id) {
      panel.openThreads.add(idKey(r.id));
      this.markedRead.set(idKey(r.id), 0);
    }
    if (this.status === 'resolved') this.status = 'open';
    panel.say(this.t('review.commentAdded'));
  }

  // ------------------------------------------------------------ list

  _visible(threads) {
    const ed = this.panel.editor;
    const key = ed.selected;
    return threads.filter((x) => {
      if (this.status === 'open' && x.resolved) return false;
      if (this.status === 'resolved' && !x.resolved) return false;
      if (this.scope === 'all') return true;
      const k = x.anchor && idKey(x.anchor.node);
      if (this.scope === 'node') return k === key;
      return !!ed.index && ed.index.has(k) && inSubtree(ed.index, k, key);
    });
  }

  update(views) {
    const panel = this.panel;
    const ed = panel.editor;
    const may = canComment(ed.user).ok && !!ed.selected;
    this.form.hidden = !may;
    if (may && (!this.anchors || this.anchorsFor !== ed.selected)) {
      this.anchorsFor = ed.selected;
      this.anchorChanged();
    }
    const threads = this._visible(views.threads);
    // An open thread with comments unread (just opened, or a reply came in
    // while it is open) is marked read, once per count.
    for (const x of threads) {
      const k = idKey(x.id);
      if (panel.openThreads.has(k) && x.unread > 0 && this.markedRead.get(k) !== x.unread) {
        this.markedRead.set(k, x.unread);
        panel.markRead(x);
      }
    }
    const sig = JSON.stringify([threads, [...panel.openThreads], this.editing, ed.user, ed.selected,
      this.scope, this.status, this.t.lang]);
    rebuild(this.list, sig, (box) => {
      if (!threads.length) {
        box.append(h('p', { class: 'hint', 'data-testid': 'threads-empty' }, this.t('review.noThreads')));
        return;
      }
      box.append(h('ul', { class: 'plain-list' }, threads.map((x) => h('li', {}, this._thread(x)))));
    });
  }

  _anchorLabel(x) {
    const { t } = this;
    const a = x.anchor || {};
    switch (a.kind) {
      case 'text': return t('review.onText', { quote: excerpt(x.quote, 50) });
      case 'field': return t('review.onField', { field: t.has(`field.${a.field}`) ? t(`field.${a.field}`) : a.field });
      case 'cell': return t('review.onCell', { table: tableOf(a) });
      default: return t('review.onNode');
    }
  }

  _thread(x) {
    const { t } = this;
    const panel = this.panel;
    const ed = panel.editor;
    const k = idKey(x.id);
    const open = panel.openThreads.has(k);
    const live = x.comments.filter((c) => !c.deleted);
    const first = x.comments[0];
    const details = h('details', { class: ['thread', x.resolved ? 'resolved' : '', x.place && x.place.orphaned ? 'orphaned' : ''],
      'data-testid': 'thread', 'data-thread': k, 'data-node': x.anchor ? idKey(x.anchor.node) : '',
      'data-anchor': x.anchor ? x.anchor.kind : '', 'data-resolved': String(!!x.resolved),
      'data-unread': String(x.unread || 0), open });
    details.addEventListener('toggle', () => {
      if (details.open && !panel.openThreads.has(k)) {
        panel.openThreads.add(k);
        this.markedRead.set(k, x.unread || 0);
        panel.markRead(x);
        panel._decorate();
      } else if (!details.open && panel.openThreads.has(k)) {
        panel.openThreads.delete(k);
        panel._decorate();
      }
    });
    details.append(h('summary', { 'data-key': `sum-${k}` },
      h('span', { class: 'thread-anchor' }, this._anchorLabel(x)),
      ' ', authorChip(panel, x.author),
      h('span', { class: 'thread-excerpt' }, first && !first.deleted ? excerpt(first.body, 70) : t('review.deleted')),
      h('span', { class: 'thread-meta' },
        t('review.commentCount', { n: live.length }),
        x.resolved ? h('span', { class: 'badge badge-resolved' }, t('review.resolved')) : null,
        x.unread ? h('span', { class: 'badge badge-unread', 'data-testid': 'thread-unread' },
          t('review.unreadCount', { n: x.unread })) : null)));
    if (!open) return details;

    const body = h('div', { class: 'thread-body' });
    if (this.scope !== 'node' && x.anchor) body.append(h('p', { class: 'thread-where' }, showNodeButton(panel, x.anchor.node)));
    if (x.place && (x.place.orphaned || x.place.node_deleted)) {
      body.append(h('p', { class: 'orphaned-note', 'data-testid': 'thread-orphaned' },
        t(x.place.node_deleted ? 'review.nodeDeleted' : 'review.orphaned'),
        x.quote ? h('q', {}, x.quote) : null));
    }
    if (x.assignee || x.due) {
      body.append(h('p', { class: 'assign-line', 'data-testid': 'thread-assigned' },
        x.assignee ? t('review.assignedTo', { who: partyLabel(t, x.assignee) }) : '',
        x.assignee && x.due ? ' · ' : '', x.due ? t('review.dueOn', { date: x.due }) : ''));
    }
    if (x.conflicted) body.append(h('p', { class: 'hint' }, t('review.threadConflicted')));
    body.append(h('ol', { class: 'comments' }, x.comments.map((c) => h('li', {}, this._comment(x, c)))));
    if (canComment(ed.user).ok) body.append(this._replyForm(x));
    body.append(this._actions(x));
    details.append(body);
    return details;
  }

  _comment(x, c) {
    const { t } = this;
    const panel = this.panel;
    const ck = idKey(c.id);
    const mine = canEditComment(panel.editor.user, c).ok;
    const art = h('article', { class: ['comment', c.deleted ? 'deleted' : ''], 'data-testid': 'comment',
      'data-comment': ck, 'data-author': c.author ? c.author.user : '' },
    h('header', {}, authorChip(panel, c.author), ' ', h('time', {}, when(t, c.author && c.author.time)),
      c.edited ? h('span', { class: 'edited' }, ` · ${t('review.edited')}`) : null));
    if (this.editing === ck && mine) {
      const id = nextId('edit');
      const ta = h('textarea', { id, class: 'comment-input', rows: 3, 'data-testid': 'comment-edit-body',
        'data-keep': '', 'data-key': `edit-${ck}`, value: c.body });
      art.append(h('label', { for: id, class: 'visually-hidden' }, t('review.editComment')), ta,
        h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'comment-save',
            'data-key': `save-${ck}`, onclick: () => {
              const bodyText = ta.value.trim();
              if (!bodyText) return;
              if (panel.run({ op: 'edit_comment', comment: c.id, body: bodyText,
                mentions: parseMentions(bodyText, panel.editor.municipalities) })) {
                this.editing = null;
                this.update(panel.views);
              }
            } }, t('review.save')),
          h('button', { type: 'button', class: 'btn btn-small', 'data-key': `cancel-${ck}`,
            onclick: () => { this.editing = null; this.update(panel.views); } }, t('review.cancel'))));
      return art;
    }
    art.append(h('p', { class: 'comment-body' }, c.deleted ? t('review.deleted') : c.body));
    if (c.mentions && c.mentions.length && !c.deleted) {
      art.append(h('p', { class: 'mention-list' }, c.mentions.map((m) => h('span', { class: 'mention' }, `@${partyLabel(t, m)}`))));
    }
    if (mine) {
      art.append(h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'comment-edit', 'data-key': `edit-btn-${ck}`,
          onclick: () => { this.editing = ck; this.update(panel.views); } }, t('review.edit')),
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'comment-delete', 'data-key': `del-${ck}`,
          onclick: () => panel.run({ op: 'delete_comment', comment: c.id }) }, t('review.delete'))));
    }
    return art;
  }

  _replyForm(x) {
    const { t } = this;
    const panel = this.panel;
    const k = idKey(x.id);
    const id = nextId('reply');
    const ta = h('textarea', { id, class: 'comment-input', rows: 2, 'data-testid': 'reply-body',
      'data-keep': '', 'data-key': `reply-${k}` });
    return h('form', { class: 'reply', onsubmit: (e) => {
      e.preventDefault();
      const body = ta.value.trim();
      if (!body) return;
      if (panel.run({ op: 'reply', thread: x.id, body, mentions: parseMentions(body, panel.editor.municipalities) })) {
        ta.value = '';
        this.markedRead.set(k, 0);
      }
    } },
    h('label', { for: id }, t('review.reply')), ta,
    h('button', { type: 'submit', class: 'btn btn-small btn-primary', 'data-testid': 'reply-submit',
      'data-key': `reply-btn-${k}` }, t('review.send')));
  }

  // Resolve/reopen (editors) and assignee/due (reviewers and editors).
  _actions(x) {
    const { t } = this;
    const panel = this.panel;
    const ed = panel.editor;
    const k = idKey(x.id);
    const row = h('div', { class: 'thread-actions' });
    if (canResolve(ed.user).ok) {
      row.append(h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'thread-resolve',
        'data-key': `resolve-${k}`, 'data-resolved': String(!!x.resolved),
        onclick: () => panel.run({ op: 'set_thread', thread: x.id, attribute: 'resolved', value: !x.resolved }) },
      t(x.resolved ? 'review.reopen' : 'review.resolve')));
    }
    if (canAssign(ed.user).ok) {
      const selId = nextId('assignee');
      const dueId = nextId('due');
      const parties = this._parties(x);
      const sel = h('select', { id: selId, 'data-testid': 'thread-assignee', 'data-key': `assignee-${k}` },
        h('option', { value: '' }, t('review.nobody')),
        parties.map((p) => h('option', { value: p, selected: p === x.assignee }, partyLabel(t, p))));
      const due = h('input', { type: 'date', id: dueId, 'data-testid': 'thread-due', 'data-key': `due-${k}`,
        value: x.due || '' });
      row.append(h('div', { class: 'assign' },
        h('label', { for: selId }, t('review.assignee')), sel,
        h('label', { for: dueId }, t('review.due')), due,
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'thread-assign', 'data-key': `assign-${k}`,
          onclick: () => {
            const who = sel.value || null;
            const date = due.value || null;
            if (who !== (x.assignee || null)) panel.run({ op: 'set_thread', thread: x.id, attribute: 'assignee', value: who });
            if (date !== (x.due || null)) panel.run({ op: 'set_thread', thread: x.id, attribute: 'due', value: date });
          } }, t('review.assign'))));
    }
    return row;
  }

  // Who a thread may be assigned to: the plan's municipalities and the
  // users the plan's review has seen (authors, mentions, the viewer).
  _parties(x) {
    const ed = this.panel.editor;
    const users = new Set([ed.user.name]);
    for (const th of this.panel.views.threads) {
      for (const c of th.comments) {
        if (c.author && c.author.user) users.add(c.author.user);
        for (const m of c.mentions || []) if (m.startsWith('user:')) users.add(m.slice(5));
      }
    }
    for (const p of (ed.peers || new Map()).values()) if (p.user) users.add(p.user);
    const out = [...ed.municipalities.map((m) => `municipality:${m}`), ...[...users].sort().map((u) => `user:${u}`)];
    if (x.assignee && !out.includes(x.assignee)) out.push(x.assignee);
    return out;
  }
}
