// ui/editor.js — the editor screen: header (plan title, user, role,
// language, connection state, undo/redo), the outline (nav) and the selected
// node's editor (main). Owned by the UI helper.
//
// It wires the modules others own: the Connection (sync.js) builds and swaps
// the PlanDoc (doc.js, 'doc' events) from the OfflineStore (store.js) or the
// server; the UndoManager (undo.js) follows the doc. Doc changes are
// coalesced into one render per animation frame; a change that only touched
// the text being typed skips the outline (keystroke latency with a 100k
// character body).
import { h, clear, announce } from './dom.js';
import { languageSwitch, logoutButton } from './shell.js';
import { indexTree, idKey } from '../permissions.js';
import { normalizeSchema } from './schema.js';
import { Outline, nodeTitle } from './outline.js';
import { NodePanel } from './nodepanel.js';
import { ReviewPanel } from './review.js';
import { HistoryView } from './history.js';
import { roleFor } from './auth.js';
import { mark } from '../marks.js';


const TEXT_OPS = new Set(['insert_text', 'delete_text']);

export class EditorScreen {
  // deps: {loadCore(), Connection, OfflineStore, PlanDoc, UndoManager|null}
  constructor(root, app, planId, deps) {
    this.root = root;
    this.app = app;
    this.planId = planId;
    this.deps = deps;
    this.doc = null;
    this.docVersion = 0;
    this.state = null;
    this.index = null;
    this.schema = new Map();
    this.municipalities = [];
    this.selected = null;
    this.peers = new Map();
    this.conn = null;
    this.store = null;
    this.undo = null;
    this.connState = { state: 'connecting', pending: 0 };
    this.user = { role: roleFor(app.auth, planId) || 'viewer', municipality: app.auth.municipality || '',
      name: app.auth.user };
    this._frame = null;
    this._dirtyOutline = true;
    this._dirtyPanel = true;
    this._dirtyTextOps = [];
    this._onDocChange = (e) => this._changed(e);
    this._onKey = (e) => this._globalKey(e);
    // The review panel (ui/review.js) outlives renders: suggest mode, the
    // open tab and threads survive a language switch.
    this.review = new ReviewPanel({ app, editor: this });
    // The history view (ui/history.js) in place of the workspace while open.
    this.history = new HistoryView({ app, editor: this });
    const m = /^#\/plans\/[^/]+\/node\/(\d+:\d+)$/.exec(location.hash);
    if (m) this.selected = m[1];
  }

  // ---------------------------------------------------------- lifecycle

  async start() {
    this.render();
    const { loadCore, Connection, OfflineStore, PlanDoc } = this.deps;
    try {
      const core = await loadCore();
      mark('core-ready');
      if (this.stopped) return;
      try {
        this.store = await OfflineStore.open({ plan: this.planId, user: this.app.auth.user });
      } catch (err) {
        // Private windows may refuse IndexedDB: edit without offline copy.
        console.warn('offline store unavailable', err);
        this.store = null;
      }
      mark('store-open');
      if (this.stopped) { if (this.store) this.store.close(); return; }
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      this.conn = new Connection({
        url: `${scheme}://${location.host}/ws`,
        token: this.app.auth.token,
        plan: this.planId,
        store: this.store,
        makeDoc: (replica, snapshot) => {
          const doc = snapshot ? PlanDoc.fromSnapshot(core, snapshot, replica) : PlanDoc.create(core, replica);
          // Own review items (comments, read marks) are ours at once.
          if (doc.setAuthor) doc.setAuthor(this.app.auth.user, this.app.auth.municipality || '');
          return doc;
        },
      });
      this.conn.on('doc', ({ doc }) => this.setDoc(doc));
      this.conn.on('state', (s) => this._setConnState(s));
      this.conn.on('joined', ({ role, user, municipality }) => {
        const changed = role !== this.user.role || municipality !== this.user.municipality;
        this.user = { role, municipality: municipality || '', name: user };
        if (changed) this.render(); else this._renderHeaderInfo();
        this.history.joined();
      });
      this.conn.on('presence', (peers) => { this.peers = new Map(peers); this._presenceChanged(); });
      this.conn.on('error', (e) => this._serverError(e));
      this.conn.on('rejected', (e) => this._serverError(e));
      this.conn.on('reset', () => this.setDoc(null));
      await this.conn.start();
    } catch (err) {
      this._fatal(err);
    }
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this._connTimer);
    document.removeEventListener('keydown', this._onKey);
    if (this._frame) cancelAnimationFrame(this._frame);
    if (this.panel) this.panel.destroy();
    this.review.destroy();
    this.history.destroy();
    this.setDoc(null, { keep: true });
    if (this.conn) await this.conn.stop().catch(() => {});
    if (this.store && this.store.close) await this.store.close().catch(() => {});
  }

  setDoc(doc, { keep = false } = {}) {
    if (this.doc === doc) return;
    if (this.doc) this.doc.off('change', this._onDocChange);
    this.doc = doc;
    this.docVersion += 1;
    if (keep) {
      if (this.undo) this.undo.destroy();
      this.undo = null;
      return;
    }
    // One UndoManager for the screen: a new doc of the same replica (rebuilt
    // from a snapshot) keeps the stacks, another replica's clears them.
    if (this.undo) this.undo.setDoc(doc);
    else if (doc && this.deps.UndoManager) {
      this.undo = new this.deps.UndoManager(doc);
      this.undo.on('stack', () => this._renderUndo());
    }
    if (doc) {
      doc.on('change', this._onDocChange);
      this.schema = normalizeSchema(doc.schema());
    }
    this._readState();
    // Rendered at the next frame, not now: the doc arrives inside the
    // connection's restore or join handling, which then sends its join (or
    // applies the server's answer) without waiting for the DOM to be built.
    this._needsRender = true;
    this._scheduleFrame();
  }

  // ------------------------------------------------------------- state

  _readState() {
    if (!this.doc) { this.state = null; this.index = null; return; }
    this.state = this.doc.state();
    this.index = indexTree(this.state.root);
    const m = this.state.root.fields && this.state.root.fields.municipalities;
    this.municipalities = m && Array.isArray(m.value) ? m.value : [];
    if (this.selected && !this.index.has(this.selected)) this.selected = null;
    if (!this.selected) this.selected = idKey(this.state.root.id);
  }

  _changed(e) {
    // Only texts changed, none of them a title shown in the outline: the
    // outline and the index need no rebuild now (the panel's textareas do).
    const ops = (e && e.ops) || [];
    const textOnly = ops.length > 0 && ops.every((op) => TEXT_OPS.has(op.kind) &&
      !this._outlineShows(op.node, op.name));
    if (!textOnly) this._dirtyOutline = true;
    this.review.docChanged(e, textOnly);
    if (e && e.local && textOnly && this.panel) {
      // A local text edit is made by the textarea that shows it (or by undo,
      // which refreshes the texts it touched): nothing else on screen
      // changes, and refreshing the fields and tables on every keystroke
      // costs more than the keystroke itself in a long text.
      this.panel.refreshTexts(ops);
      this._renderUndo();
      return;
    }
    // Remote text edits refresh only the texts they touched; anything else
    // refreshes the whole panel (fields, tables, conflicts).
    if (textOnly && !this._dirtyPanel) this._dirtyTextOps.push(...ops);
    else this._dirtyPanel = true;
    this._scheduleFrame();
  }

  // Pending changes are rendered once, at the next animation frame.
  _scheduleFrame() {
    if (this._frame == null) {
      this._frame = requestAnimationFrame(() => { this._frame = null; this._flushFrame(); });
    }
  }

  _flushFrame() {
    if (this._needsRender) {
      this._needsRender = false;
      mark('render-start');
      this._readState();
      this.render();
      this._dirtyOutline = false;
      this._dirtyPanel = false;
      this._dirtyTextOps = [];
      mark('rendered');
      return;
    }
    if (!this._dirtyPanel && !this._dirtyOutline && this.doc && this.panel) {
      const ops = this._dirtyTextOps;
      this._dirtyTextOps = [];
      this.panel.refreshTexts(ops);
      this._renderUndo();
      return;
    }
    this.flush();
  }

  // Does the outline show text `field` of `node`? (its title, or for kinds
  // without one, the text the outline uses instead).
  _outlineShows(node, field) {
    if (!this.index || !node) return true;
    const e = this.index.get(idKey(node));
    if (!e) return true;
    const texts = (this.schema.get(e.node.kind) || { texts: [] }).texts;
    if (texts.includes('title')) return field === 'title';
    if (texts.includes('name')) return field === 'name';
    return true;
  }

  // Render pending changes now.
  flush() {
    if (this._frame != null) { cancelAnimationFrame(this._frame); this._frame = null; }
    if (this._needsRender) { this._flushFrame(); return; }
    this._dirtyPanel = false;
    this._dirtyTextOps = [];
    if (!this.doc) return;
    if (this._dirtyOutline) {
      this._dirtyOutline = false;
      this._readState();
      this._renderTitle();
      if (this.outline) this.outline.update();
    }
    this.review.update();
    if (this.panel) this.panel.update();
    this._renderUndo();
  }

  select(key) {
    if (this.selected === key) return;
    this.selected = key;
    const url = `#/plans/${encodeURIComponent(this.planId)}/node/${key}`;
    if (location.hash !== url) history.replaceState(null, '', url);
    if (this.outline) {
      for (const li of this.outline.items || []) {
        const on = li.dataset.node === key;
        li.setAttribute('aria-selected', on ? 'true' : 'false');
        li.classList.toggle('selected', on);
      }
      this.outline._updateButtons();
    }
    this.review.selectionChanged();
    if (this.panel) this.panel.update();
    this.setPresence(null, key);
  }

  focusTitle() {
    if (this.panel) this.panel.focusTitle();
  }

  // Own presence: a text anchor (from LiveText) or just the selected node.
  setPresence(p, key = this.selected) {
    if (!this.conn || !this.conn.setPresence) return;
    if (p) this.conn.setPresence(p);
    else if (key) this.conn.setPresence({ anchor: { node: key.split(':').map(Number) }, typing: false });
  }

  // ------------------------------------------------------------ render

  render() {
    const { t } = this.app;
    if (this.panel) this.panel.destroy();
    document.removeEventListener('keydown', this._onKey);
    document.addEventListener('keydown', this._onKey);
    this.titleEl = h('h1', { class: 'plan-title' }, this.state ? nodeTitle(this.state.root) || this.planId : this.planId);
    this.infoEl = h('p', { class: 'who' });
    this.connEl = h('p', { class: 'conn', 'data-testid': 'conn-state', role: 'status', 'aria-live': 'polite',
      'aria-label': t('conn.label') });
    this.undoBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'undo',
      'aria-keyshortcuts': 'Control+Z', onclick: () => this.runUndo('undo') }, '↶ ', t('editor.undo'));
    this.redoBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'redo',
      'aria-keyshortcuts': 'Control+Shift+Z', onclick: () => this.runUndo('redo') }, '↷ ', t('editor.redo'));
    this.errorEl = h('p', { class: 'error edit-error', role: 'alert', 'data-testid': 'edit-error' });
    const header = h('header', { class: 'topbar editor-top' },
      h('div', { class: 'title-block' },
        h('a', { href: '#/plans', class: 'back' }, `← ${t('plans.back')}`),
        this.titleEl, this.infoEl),
      h('div', { class: 'topbar-tools' },
        this.connEl,
        h('div', { class: 'undo-redo', role: 'group', 'aria-label': `${t('editor.undo')} / ${t('editor.redo')}` },
          this.undoBtn, this.redoBtn),
        this.history.button(), languageSwitch(this.app), logoutButton(this.app)));
    const main = h('main', { id: 'main', class: 'node-main', tabindex: '-1' });
    clear(this.root);
    if (!this.doc) {
      this.outline = null;
      this.panel = null;
      main.append(h('p', { class: 'loading', role: 'status' }, this.fatal
        ? t('editor.failed', { message: this.fatal }) : t('editor.loading')));
      const workspace = h('div', { class: 'workspace' }, main);
      this.root.append(header, workspace, this.history.render(workspace));
    } else {
      this.outline = new Outline({ app: this.app, editor: this });
      this.panel = new NodePanel({ app: this.app, editor: this });
      main.append(this.errorEl, this.panel.el);
      const workspace = h('div', { class: 'workspace' }, this.outline.el, main, this.review.render());
      this.root.append(header, workspace, this.history.render(workspace));
      this.outline.update();
      this.review.update();
      this.panel.update();
    }
    this._renderHeaderInfo();
    this._setConnState(this.connState);
    this._renderUndo();
  }

  _renderTitle() {
    if (this.titleEl && this.state) {
      const title = nodeTitle(this.state.root) || this.planId;
      if (this.titleEl.textContent !== title) this.titleEl.textContent = title;
      document.title = `${title} — Samplan`;
    }
  }

  _renderHeaderInfo() {
    if (!this.infoEl) return;
    const { t } = this.app;
    const u = this.user;
    clear(this.infoEl).append(
      h('span', { class: 'user' }, u.municipality
        ? t('editor.user', { user: u.name, municipality: u.municipality }) : u.name),
      ' · ',
      h('span', { class: 'role', 'data-testid': 'role' }, t('editor.role', { role: t(`role.${u.role}`) })));
  }

  _setConnState(s) {
    this.connState = { state: s.state, pending: s.pending || 0 };
    if (!this.connEl) return;
    // The attributes follow at once (tests and assistive tech read them);
    // the visible text shows "syncing" only once it lasts 300 ms, so typing
    // (each key is syncing for a few milliseconds) neither flickers the
    // header nor lays it out again on every key.
    this.connEl.dataset.state = s.state;
    this.connEl.dataset.pending = String(this.connState.pending);
    clearTimeout(this._connTimer);
    if (s.state === 'syncing' && this._shownConn !== 'syncing' && this.connEl.textContent) {
      this._connTimer = setTimeout(() => this._showConnState(), 300);
    } else {
      this._showConnState();
    }
  }

  _showConnState() {
    if (!this.connEl) return;
    const { state, pending } = this.connState;
    const { t } = this.app;
    const key = { online: 'conn.online', syncing: 'conn.syncing', offline: 'conn.offline',
      reconnecting: 'conn.reconnecting', connecting: 'conn.connecting' }[state] || 'conn.connecting';
    this._shownConn = state;
    const cls = `conn conn-${state}`;
    if (this.connEl.className !== cls) this.connEl.className = cls;
    const text = t(key, { n: pending });
    if (this.connEl.textContent !== text) this.connEl.textContent = text;
  }

  _renderUndo() {
    if (!this.undoBtn) return;
    const u = this.undo;
    const can = (name) => !!u && (typeof u[name] === 'function' ? u[name]() : !!u[name]);
    this.undoBtn.disabled = !can('canUndo');
    this.redoBtn.disabled = !can('canRedo');
  }

  runUndo(which) {
    if (!this.undo) return;
    try {
      this.undo[which]();
    } catch (err) {
      this.reportError(err);
    }
    this.flush();
  }

  _globalKey(e) {
    // Ctrl/Cmd+Z and Ctrl+Shift+Z / Ctrl+Y: our own undo, never the
    // textarea's (which would undo other users' text too).
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    const k = e.key.toLowerCase();
    if (k === 'z' || k === 'y') {
      if (!this.doc) return;
      e.preventDefault();
      this.runUndo(k === 'y' || e.shiftKey ? 'redo' : 'undo');
    }
  }

  _presenceChanged() {
    if (this.panel) this.panel.updatePresence();
  }

  // --------------------------------------------------------- messages

  reportError(err) {
    const message = String(err && err.message || err);
    if (this.errorEl) this.errorEl.textContent = this.app.t('editor.error', { message });
    clearTimeout(this._errTimer);
    this._errTimer = setTimeout(() => { if (this.errorEl) this.errorEl.textContent = ''; }, 8000);
  }

  reportReason(reason) {
    if (!reason) return;
    const message = this.app.t(reason.key, reason.params);
    if (this.errorEl) this.errorEl.textContent = message;
    announce(message);
  }

  _serverError(e) {
    if (!e || e.code === 'bad_message' && /presence/.test(e.message || '')) return;
    if (['forbidden', 'invalid_op', 'quota_exceeded', 'auth_failed', 'plan_not_found'].includes(e.code)) {
      this.reportError(`${e.code}: ${e.message}`);
    }
    if (e.code === 'auth_failed') this.app.logout();
  }

  _fatal(err) {
    this.fatal = String(err && err.message || err);
    console.error(err);
    if (!this.doc) this.render();
    else this.reportError(err);
  }
}
