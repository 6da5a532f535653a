// ui/review.js — the review panel beside the node editor (issue 9): comment
// threads, suggestions, conflicts, sign-off and the inbox as tabs, and the
// suggest-mode switch. docs/web-client.md, "Review".
//
// Everything it shows comes from the core's review views over the doc
// (doc.reviewView: the same JSON the server's review queries answer), and
// everything it does is one doc.review request, whose ops the Connection
// sends like any local edit; the server checks the rights, the panel only
// hides what reviewrights.js says the user may not do.
//
// The views are read again after every doc change (at the editor's frame,
// or shortly after local typing when it moves no mark), and each tab
// rebuilds its DOM only when what it shows changed.
import { h, clear } from './dom.js';
import { idKey } from '../permissions.js';
import { canSuggest } from '../reviewrights.js';
import { ThreadsTab } from './reviewthreads.js';
import { SuggestionsTab } from './reviewsuggest.js';
import { ConflictsTab } from './reviewconflicts.js';
import { SignoffTab } from './reviewsignoff.js';
import { InboxTab } from './reviewinbox.js';
import { Marks } from './reviewmarks.js';
import { StructureSuggest } from './reviewstructure.js';

const TABS = ['threads', 'suggestions', 'conflicts', 'signoff', 'inbox'];
const EMPTY = { threads: [], suggestions: [], conflicts: [], signoff: { items: [], complete: true },
  inbox: { items: [], unread: 0, unread_threads: 0 } };

export class ReviewPanel {
  constructor({ app, editor }) {
    this.app = app;
    this.editor = editor;
    this.tab = 'threads';
    this.suggestMode = false;
    this.views = EMPTY;
    this.available = true;
    this.openThreads = new Set();
    this.marks = new Marks(this);
    this.el = null;
    this._timer = null;
    this._frame = null;
  }

  destroy() {
    clearTimeout(this._timer);
    if (this._frame) cancelAnimationFrame(this._frame);
    this._frame = null;
  }

  get t() { return this.app.t; }
  get doc() { return this.editor.doc; }
  get user() { return this.editor.user; }
  get viewer() { return { user: this.user.name, municipality: this.user.municipality || '' }; }
  selectedKey() { return this.editor.selected; }

  suggesting() { return this.suggestMode && canSuggest(this.user).ok; }

  // ------------------------------------------------------------- render

  // The panel's element (a new one per editor render: the language may
  // have changed).
  render() {
    const { t } = this;
    this.tabButtons = new Map();
    this.tabPanels = new Map();
    this.tabs = {
      threads: new ThreadsTab(this),
      suggestions: new SuggestionsTab(this),
      conflicts: new ConflictsTab(this),
      signoff: new SignoffTab(this),
      inbox: new InboxTab(this),
    };
    const list = h('div', { class: 'review-tabs', role: 'tablist', 'aria-labelledby': 'review-heading',
      onkeydown: (e) => this._tabKey(e) });
    for (const id of TABS) {
      const button = h('button', { type: 'button', role: 'tab', id: `review-tab-${id}`,
        class: 'review-tab', 'data-testid': `review-tab-${id}`, 'aria-controls': `review-panel-${id}`,
        onclick: () => this.showTab(id) });
      const panel = h('div', { role: 'tabpanel', id: `review-panel-${id}`, class: 'review-tabpanel',
        'aria-labelledby': `review-tab-${id}`, 'data-testid': `review-tabpanel-${id}`, tabindex: '0' },
      this.tabs[id].el);
      this.tabButtons.set(id, button);
      this.tabPanels.set(id, panel);
      list.append(button);
    }
    this.modeButton = h('button', { type: 'button', class: 'btn suggest-toggle', 'data-testid': 'suggest-mode',
      'aria-pressed': 'false', onclick: () => this.setSuggestMode(!this.suggestMode) }, t('review.suggestMode'));
    this.modeHelp = h('p', { class: 'hint', id: 'suggest-mode-help' }, t('review.suggestHelp'));
    this.modeButton.setAttribute('aria-describedby', 'suggest-mode-help');
    this.structure = new StructureSuggest(this);
    this.status = h('p', { class: 'review-status', role: 'status', 'data-testid': 'review-status' });
    this.errorEl = h('p', { class: 'error review-error', role: 'alert', 'data-testid': 'review-error' });
    this.el = h('aside', { class: 'review-pane', 'aria-labelledby': 'review-heading', 'data-testid': 'review-panel' },
      h('h2', { id: 'review-heading' }, t('review.title')),
      h('div', { class: 'suggest-bar' }, this.modeButton, this.modeHelp, this.structure.el),
      this.errorEl, this.status,
      list, ...this.tabPanels.values());
    this._renderChrome();
    return this.el;
  }

  _renderChrome() {
    if (!this.el) return;
    const { t } = this;
    const may = canSuggest(this.user).ok;
    this.modeButton.hidden = !may;
    this.modeHelp.hidden = !may;
    this.modeButton.setAttribute('aria-pressed', this.suggesting() ? 'true' : 'false');
    this.modeButton.classList.toggle('on', this.suggesting());
    this.el.classList.toggle('suggesting', this.suggesting());
    this.structure.update();
    const counts = {
      threads: this.views.threads.filter((x) => !x.resolved).length,
      suggestions: this.views.suggestions.filter((x) => x.status === 'open').length,
      conflicts: this.views.conflicts.length,
      signoff: this.views.signoff.items.filter((p) => p.missing && p.missing.length).length,
      inbox: this.views.inbox.unread || 0,
    };
    for (const id of TABS) {
      const b = this.tabButtons.get(id);
      const on = id === this.tab;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
      b.classList.toggle('selected', on);
      this.tabPanels.get(id).hidden = !on;
      const n = counts[id];
      const label = t(`review.tab.${id}`);
      const text = n ? `${label} (${n})` : label;
      if (b.textContent !== text) {
        clear(b).append(label, n ? h('span', { class: ['count', id === 'inbox' ? 'unread' : ''],
          'data-testid': `review-count-${id}`, 'data-count': n }, ` (${n})`) : '');
      }
      b.dataset.count = String(n);
    }
    this.status.classList.toggle('hint', !this.available);
    if (!this.available) this.status.textContent = t('review.unavailable');
    else if (this.status.textContent === t('review.unavailable')) this.status.textContent = '';
  }

  showTab(id, { focus = false } = {}) {
    this.tab = id;
    this._renderChrome();
    this.tabs[id].update(this.views);
    if (focus) this.tabButtons.get(id).focus();
  }

  // ARIA tabs: arrows move between tabs, Home/End to the ends.
  _tabKey(e) {
    const i = TABS.indexOf(this.tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    this.showTab(TABS[(next + TABS.length) % TABS.length], { focus: true });
  }

  setSuggestMode(on) {
    if (on && !canSuggest(this.user).ok) return;
    this.suggestMode = on;
    this._renderChrome();
    // The node panel rebuilds its controls writable (or not) and drafting.
    if (this.editor.panel) this.editor.panel.update();
  }

  // ------------------------------------------------------------ updates

  docChanged(e, textOnly) {
    if (!textOnly) return;  // the editor's frame calls update()
    // Typing moves the marks of its own text only; elsewhere nothing the
    // panel shows depends on it soon.
    const ops = (e && e.ops) || [];
    const marked = ops.some((op) => op.node && this.marks.fieldHasMarks(idKey(op.node), op.name));
    if (marked) {
      if (this._frame == null) {
        this._frame = requestAnimationFrame(() => { this._frame = null; this.update(); this._decorate(); });
      }
    } else {
      clearTimeout(this._timer);
      this._timer = setTimeout(() => { this.update(); this._decorate(); }, 400);
    }
  }

  selectionChanged() {
    this.marks.forgetAnchor();
    this.update();
  }

  _decorate() {
    if (this.editor.panel && this.editor.panel.key) this.decorate(this.editor.panel);
  }

  // Reads the views and refreshes the tab shown.
  update() {
    if (!this.el) return;
    this.views = this._read();
    this._renderChrome();
    this.tabs[this.tab].update(this.views);
  }

  _read() {
    const doc = this.doc;
    if (!doc) return EMPTY;
    const viewer = this.viewer;
    try {
      const q = (query) => doc.reviewView({ query, viewer });
      const v = {
        threads: q('threads').items || [],
        suggestions: q('suggestions').items || [],
        conflicts: q('conflicts').items || [],
        signoff: q('signoff'),
        inbox: q('inbox'),
      };
      this.available = true;
      return v;
    } catch (err) {
      // A core built without the review bindings: the editor still works.
      if (this.available) console.warn('review views unavailable', err);
      this.available = false;
      return EMPTY;
    }
  }

  // ------------------------------------------------------------ actions

  // One review request through the doc; errors are shown, never thrown.
  run(request) {
    try {
      const r = this.doc.review(request);
      this.errorEl.textContent = '';
      return r;
    } catch (err) {
      this.error(err);
      return null;
    }
  }

  // An ordinary edit (conflict resolution) through the doc.
  edit(fn) {
    try {
      fn(this.doc);
      this.errorEl.textContent = '';
      return true;
    } catch (err) {
      this.error(err);
      return false;
    }
  }

  error(err) {
    const message = String(err && err.message || err);
    this.errorEl.textContent = this.t('review.error', { message });
  }

  say(message) {
    this.status.textContent = message;
  }

  // Opens a thread: its node selected, the threads tab shown, the thread
  // expanded (and so marked read).
  openThread(thread) {
    this.openThreads.add(idKey(thread.id));
    const key = thread.anchor && idKey(thread.anchor.node);
    if (key && this.editor.index && this.editor.index.has(key)) this.editor.select(key);
    const tab = this.tabs.threads;
    tab.scope = 'node';
    tab.scopeSelect.value = 'node';
    if (thread.resolved && tab.status === 'open') tab.status = 'all';
    tab.statusSelect.value = tab.status;
    tab.markedRead.set(idKey(thread.id), thread.unread || 0);
    this.markRead(thread);
    this.showTab('threads');
    const el = this.el.querySelector(`[data-testid="thread"][data-thread="${idKey(thread.id)}"] summary`);
    if (el) el.focus();
  }

  markRead(thread) {
    if (thread.unread > 0) this.run({ op: 'mark_read', thread: thread.id });
  }

  // ------------------------------------------------- editor hooks (marks)

  decorate(nodePanel) { this.marks.decorate(nodePanel); }
  suggestDoc() { return this.marks.suggestDoc(); }
  draftBar(lt) { return this.marks.draftBar(lt); }
  draftChanged(lt, has) { this.marks.draftChanged(lt, has); }
}
