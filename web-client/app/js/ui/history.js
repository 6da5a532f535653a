// ui/history.js — the history view (issue 10; docs/web-client.md,
// "History"): a screen inside the editor, in place of the outline and node,
// with four tabs: the timeline (a slider over the plan's stored operations
// showing the plan as it was, and the named versions), a diff between two
// points, blame (who wrote what, coloured by municipality) and the list of
// changes with filters and CSV export.
//
// Everything comes from the server's `history` queries (docs/protocol.md,
// "History") through HistoryChannel (../history.js) over the editor's
// Connection: the page's own replica has the ops but not the server's
// sequence numbers and times, and history is the server's record, not the
// replica's. Auditors and above may use it; a viewer gets the button
// greyed out and the reason (the server refuses anyway).
//
// The view outlives the editor's renders (a language switch keeps the tab,
// the slider position, the diff's points and the filters).
import { h, announce } from './dom.js';
import { HistoryChannel, canSeeHistory } from '../history.js';
import { TimelineTab } from './historytimeline.js';
import { DiffTab } from './historydiff.js';
import { BlameTab } from './historyblame.js';
import { ChangesTab } from './historychanges.js';

const TABS = ['timeline', 'diff', 'blame', 'changes'];

export class HistoryView {
  constructor({ app, editor }) {
    this.app = app;
    this.editor = editor;
    this.open = /\/history$/.test(location.hash);
    this.tab = 'timeline';
    this.versions = null;       // named versions (oldest first), once asked
    this.lastSeq = null;        // the head's seq, as the server last said
    this.channel = null;
    this._channelConn = null;
    this.tabs = {
      timeline: new TimelineTab(this),
      diff: new DiffTab(this),
      blame: new BlameTab(this),
      changes: new ChangesTab(this),
    };
    this.el = null;
    this.workspace = null;
  }

  get t() { return this.app.t; }
  get planId() { return this.editor.planId; }
  get role() { return this.editor.user.role; }
  get allowed() { return canSeeHistory(this.role); }

  destroy() {
    if (this.channel) this.channel.cancel();
    for (const id of TABS) if (this.tabs[id].destroy) this.tabs[id].destroy();
  }

  // The request channel over the editor's current Connection.
  ask(slot, msg) {
    const conn = this.editor.conn;
    if (!conn || !conn.request) {
      return Promise.reject(Object.assign(new Error('not connected'), { code: 'offline' }));
    }
    if (this._channelConn !== conn) {
      if (this.channel) this.channel.cancel();
      this.channel = new HistoryChannel((m) => conn.request(m));
      this._channelConn = conn;
    }
    // Every answer carries the head's seq: the slider's end follows it.
    return this.channel.ask(slot, msg).then((r) => {
      if (r && typeof r.last_seq === 'number') this.noteHead(r.last_seq);
      return r;
    });
  }

  // The server's message for a failed request, in the user's language.
  errorText(err) {
    const { t } = this;
    const code = err && err.code;
    if (code === 'forbidden') return t('history.error.forbidden');
    if (code === 'offline' || code === 'disconnected') return t('history.error.offline');
    if (code === 'bad_message' && /type|history|unknown/i.test(err.message || '')) return t('history.error.unsupported');
    return t('history.error', { message: String(err && err.message || err) });
  }

  // ------------------------------------------------------------ header

  // The header's "Historikk" button (a new one per editor render). For a
  // role without access it stays visible but aria-disabled, described by
  // the reason, and says it when pressed.
  button() {
    const { t } = this;
    const may = this.allowed;
    const reasonId = 'history-button-reason';
    const label = this.open ? t('history.close') : t('history.open');
    const b = h('button', { type: 'button', class: 'btn history-button',
      'data-testid': 'history-button', 'aria-pressed': this.open ? 'true' : 'false',
      'aria-disabled': may.ok ? null : 'true', 'aria-describedby': may.ok ? null : reasonId,
      onclick: () => {
        if (!this.allowed.ok) {
          announce(t(this.allowed.reason.key, this.reasonParams()));
          this.editor.reportReason(this.allowed.reason && { key: this.allowed.reason.key, params: this.reasonParams() });
          return;
        }
        this.setOpen(!this.open);
      } }, label);
    if (may.ok) return b;
    return h('span', { class: 'history-button-wrap' }, b,
      h('span', { id: reasonId, class: 'visually-hidden', 'data-testid': 'history-denied-reason' },
        t(may.reason.key, this.reasonParams())));
  }

  reasonParams() {
    return { role: this.t(`role.${this.role}`) };
  }

  setOpen(on) {
    if (on && !this.allowed.ok) on = false;
    this.open = on;
    const base = `#/plans/${encodeURIComponent(this.planId)}`;
    const url = on ? `${base}/history` : (this.editor.selected ? `${base}/node/${this.editor.selected}` : base);
    if (location.hash !== url) history.replaceState(null, '', url);
    this._applyOpen();
    // The header's button changes label and pressed state.
    const old = document.querySelector('[data-testid="history-button"]');
    if (old) {
      const fresh = this.button();
      (old.closest('.history-button-wrap') || old).replaceWith(fresh);
      const b = fresh.matches('button') ? fresh : fresh.querySelector('button');
      if (!on && b) b.focus();
    }
    if (on) {
      this.refresh();
      const heading = this.el && this.el.querySelector('#history-heading');
      if (heading) heading.focus();
    }
  }

  _applyOpen() {
    if (this.workspace) this.workspace.hidden = this.open;
    if (this.el) this.el.hidden = !this.open;
  }

  // ------------------------------------------------------------ render

  // The view's element; `workspace` (the editor's outline + node) is
  // hidden while the view is open.
  render(workspace) {
    const { t } = this;
    this.workspace = workspace;
    this.tabButtons = new Map();
    this.tabPanels = new Map();
    const list = h('div', { class: 'history-tabs', role: 'tablist', 'aria-label': t('history.title'),
      onkeydown: (e) => this._tabKey(e) });
    for (const id of TABS) {
      const button = h('button', { type: 'button', role: 'tab', id: `history-tab-${id}`, class: 'history-tab',
        'data-testid': `history-tab-${id}`, 'aria-controls': `history-panel-${id}`,
        onclick: () => this.showTab(id) }, t(`history.tab.${id}`));
      const panel = h('section', { role: 'tabpanel', id: `history-panel-${id}`, class: 'history-tabpanel',
        'aria-labelledby': `history-tab-${id}`, 'data-testid': `history-tabpanel-${id}`, tabindex: '-1' },
      this.tabs[id].render());
      this.tabButtons.set(id, button);
      this.tabPanels.set(id, panel);
      list.append(button);
    }
    this.errorEl = h('p', { class: 'error history-error', role: 'alert', 'data-testid': 'history-error' });
    const may = this.allowed;
    const body = may.ok ? [list, ...this.tabPanels.values()]
      : [h('p', { class: 'history-denied', 'data-testid': 'history-denied' }, t(may.reason.key, this.reasonParams()))];
    // A labelled region, not a second <main>: the editor's stays (hidden).
    this.el = h('section', { id: 'history', class: 'history-view', tabindex: '-1', 'data-testid': 'history-view',
      'aria-labelledby': 'history-heading' },
    h('div', { class: 'history-head' },
      h('h2', { id: 'history-heading', tabindex: '-1' }, t('history.title')),
      h('p', { class: 'hint history-intro' }, t('history.intro')),
      h('button', { type: 'button', class: 'btn', 'data-testid': 'history-close',
        onclick: () => this.setOpen(false) }, `← ${t('history.back')}`)),
    this.errorEl, ...body);
    this._renderTabs();
    this._applyOpen();
    if (this.open) queueMicrotask(() => this.refresh());
    return this.el;
  }

  _renderTabs() {
    for (const id of TABS) {
      const b = this.tabButtons.get(id);
      const on = id === this.tab;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
      this.tabPanels.get(id).hidden = !on;
    }
  }

  showTab(id, { focus = false } = {}) {
    this.tab = id;
    this._renderTabs();
    this.tabs[id].shown();
    if (focus) this.tabButtons.get(id).focus();
  }

  _tabKey(e) {
    const i = TABS.indexOf(this.tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    this.showTab(TABS[(next + TABS.length) % TABS.length], { focus: true });
  }

  // ------------------------------------------------------------- data

  // Called when the view opens (or the connection joins while open):
  // the named versions and the head, then the tab shown.
  async refresh() {
    if (!this.open || !this.allowed.ok || !this.el) return;
    this.error(null);
    await this.loadVersions();
    this.tabs[this.tab].shown();
  }

  // The connection (re)joined: ask again what failed for want of it.
  joined() {
    if (this.open) this.refresh();
  }

  async loadVersions() {
    try {
      const r = await this.ask('versions', { query: 'versions' });
      this.versions = (r.versions || []).slice().sort((a, b) => a.seq - b.seq || a.created_ms - b.created_ms);
      if (typeof r.last_seq === 'number') this.noteHead(r.last_seq);
      for (const id of TABS) if (this.tabs[id].versionsChanged) this.tabs[id].versionsChanged();
    } catch (err) {
      if (err.code !== 'replaced') this.error(err);
    }
  }

  noteHead(seq) {
    if (typeof seq === 'number' && (this.lastSeq === null || seq > this.lastSeq)) {
      this.lastSeq = seq;
      this.tabs.timeline.headChanged();
    }
  }

  error(err) {
    if (!this.errorEl) return;
    this.errorEl.textContent = err ? this.errorText(err) : '';
  }
}
