// ui/nodepanel.js — the editor of the selected node: its texts (live
// textareas with other users' carets), its typed fields and its tables,
// read-only with the reason when the user may not change it.
// Owned by the UI helper.
//
// The panel is built once per selected node (and rebuilt when the node's
// editability changes); every doc change then updates its controls in place,
// so typing, IME composition and focus survive remote edits.
//
// Review hooks (ui/review.js, through editor.review): in suggest mode the
// controls are editable for whoever may suggest, texts draft and fields and
// cells write through a doc whose edits are suggestions; decorate() marks
// comments and suggestions on the controls after every update.
import { h, clear, nextId } from './dom.js';
import { idKey, canEditNode, canEditField } from '../permissions.js';
import { displayNumber } from '../numbering.js';
import { LiveText } from './livetext.js';
import { FieldControl, fieldOrder } from './fields.js';
import { TableEditor } from './table.js';
import { municipalityClass } from './colors.js';
import { nodeTitle } from './outline.js';

const TITLE_TEXTS = ['title', 'name'];
const BODY_TEXTS = ['body', 'intro', 'description', 'note'];

export class NodePanel {
  constructor({ app, editor }) {
    this.app = app;
    this.editor = editor;
    this.el = h('section', { class: 'node-pane', 'aria-labelledby': 'node-heading' });
    this.key = null;
    this.texts = [];
    this.fields = [];
    this.tables = [];
    this.signature = '';
  }

  destroy() {
    for (const lt of this.texts) lt.destroy();
    this.texts = [];
  }

  // Called after every doc change (and on selection change).
  update() {
    const ed = this.editor;
    const key = ed.selected && ed.index && ed.index.has(ed.selected) ? ed.selected : null;
    const perm = key ? canEditNode(ed.user, ed.index, key) : null;
    const suggesting = !!(ed.review && ed.review.suggesting());
    const signature = key ? `${key}|${perm.ok}|${JSON.stringify(ed.index.get(key).owner)}|${ed.user.role}|${suggesting}` : '';
    if (signature !== this.signature || ed.docVersion !== this.docVersion) {
      this.signature = signature;
      this.docVersion = ed.docVersion;
      this._build(key, perm, suggesting);
      if (key && ed.review) ed.review.decorate(this);
      return;
    }
    if (!key) return;
    this._refreshHeading();
    for (const lt of this.texts) lt.refresh();
    for (const f of this.fields) f.update();
    for (const tb of this.tables) tb.update();
    this.updatePresence();
    if (ed.review) ed.review.decorate(this);
  }

  // Only the live texts that `ops` touched (a local text edit: the typing
  // textarea is already up to date and skips the refresh as unchanged).
  refreshTexts(ops) {
    for (const lt of this.texts) {
      if (ops.some((op) => op.node && op.node[0] === lt.node[0] && op.node[1] === lt.node[1] &&
                           op.name === lt.field)) {
        lt.refresh();
      }
    }
  }

  _build(key, perm, suggesting = false) {
    const ed = this.editor;
    const { t } = this.app;
    const hadFocus = this.el.contains(document.activeElement) ? document.activeElement : null;
    const focusSpec = hadFocus ? { testid: hadFocus.dataset.testid, id: hadFocus.id,
      start: hadFocus.selectionStart, end: hadFocus.selectionEnd } : null;
    this.destroy();
    this.fields = [];
    this.tables = [];
    clear(this.el);
    this.key = key;
    if (!key) {
      delete this.el.dataset.node;
      this.el.append(h('h2', { id: 'node-heading' }, t('editor.node')),
        h('p', { class: 'hint' }, t('editor.noSelection')));
      return;
    }
    const entry = ed.index.get(key);
    const node = entry.node;
    const kind = ed.schema.get(node.kind) || { fields: {}, texts: [], tables: [] };
    const id = node.id;
    this.heading = h('h2', { id: 'node-heading' });
    this.el.append(this.heading);
    this._refreshHeading();

    // Owner line and, when read-only, why.
    const owner = entry.owner;
    this.el.append(h('p', { class: 'owner-line' },
      t('node.owner'), ' ',
      owner.length ? owner.map((m) => h('span', { class: ['badge', municipalityClass(m, ed.municipalities)] }, m))
        : h('span', { class: 'badge badge-joint' }, t('outline.joint'))));
    this.el.dataset.node = key;
    const reasonId = nextId('readonly-reason');
    this.reasonId = perm.ok ? null : reasonId;
    // Suggest mode: whoever may suggest types into the controls, and what
    // they change becomes suggestions (the doc the controls get says so).
    const writable = perm.ok || suggesting;
    const doc = suggesting ? ed.review.suggestDoc() : ed.doc;
    if (suggesting) {
      this.reasonId = reasonId;
      this.el.append(h('p', { id: reasonId, class: 'suggest-note', 'data-testid': 'suggest-note', role: 'note' },
        t('review.suggestingNote')));
    } else if (!perm.ok) {
      this.el.append(h('p', { id: reasonId, class: 'readonly-reason', 'data-testid': 'readonly-reason', role: 'note' },
        t(perm.reason.key, { ...perm.reason.params, role: t(`role.${perm.reason.params.role}`) })));
    }

    // Texts: the title-like one first, then the body-like one, then others.
    const textNames = [...kind.texts].sort((a, b) => rankText(a) - rankText(b));
    const titleName = textNames.find((n) => TITLE_TEXTS.includes(n));
    const bodyName = textNames.find((n) => BODY_TEXTS.includes(n));
    for (const name of textNames) {
      const testid = name === titleName ? 'node-title' : name === bodyName ? 'node-body' : `text-${name}`;
      const taId = nextId(`text-${name}`);
      const ta = h('textarea', {
        id: taId, class: ['live', name === titleName ? 'title-text' : 'body-text'],
        'data-testid': testid, 'data-field': name, rows: name === titleName ? 2 : 6,
        spellcheck: 'true', lang: this.app.t.lang === 'sv' ? 'sv' : 'nb',
        readOnly: !writable, 'aria-readonly': writable ? null : 'true',
        'aria-describedby': this.reasonId,
      });
      const lt = new LiveText({
        doc: ed.doc, node: id, field: name, textarea: ta, editable: perm.ok, t,
        drafting: suggesting, onDraft: (has) => ed.review.draftChanged(lt, has),
        municipalities: ed.municipalities,
        onPresence: (p) => ed.setPresence(p, key),
        onError: (err) => ed.reportError(err),
        onJump: () => { if (ed.undo) ed.undo.stopCapturing(); },
      });
      this.texts.push(lt);
      this.el.append(h('div', { class: ['text-field', `text-${name}`] },
        h('label', { for: taId }, t.has(`text.${name}`) ? t(`text.${name}`) : name),
        lt.wrap, lt.peerList, suggesting ? ed.review.draftBar(lt) : null));
    }

    // Fields.
    const names = fieldOrder(Object.keys(kind.fields));
    if (names.length) {
      const grid = h('div', { class: 'fields' });
      for (const name of names) {
        const fp = suggesting ? { ok: true } : canEditField(ed.user, ed.index, key, name);
        const f = new FieldControl({ t, doc, node: id, kind: node.kind, name,
          type: kind.fields[name], editable: fp.ok, municipalities: ed.municipalities,
          reasonId: this.reasonId,
          onError: (err) => ed.reportError(err) });
        if (!fp.ok && perm.ok) {
          f.el.append(h('p', { class: 'field-note' }, t(fp.reason.key, fp.reason.params)));
        }
        this.fields.push(f);
        grid.append(f.el);
      }
      this.el.append(h('h3', { class: 'visually-hidden' }, t('editor.node')), grid);
    }

    // Tables.
    for (const name of kind.tables) {
      const tb = new TableEditor({ t, doc, node: id, name, editable: writable,
        title: nodeTitle(node), municipalities: ed.municipalities,
        getTable: () => {
          const e = ed.index.get(key);
          return e && e.node.tables ? e.node.tables[name] : null;
        },
        onError: (err) => ed.reportError(err) });
      this.tables.push(tb);
      this.el.append(tb.el);
    }
    this.updatePresence();

    if (focusSpec) {
      const again = (focusSpec.testid && this.el.querySelector(`[data-testid="${focusSpec.testid}"]`));
      if (again) {
        again.focus();
        if (typeof focusSpec.start === 'number' && again.setSelectionRange) {
          try { again.setSelectionRange(focusSpec.start, focusSpec.end); } catch { /* not text */ }
        }
      }
    }
  }

  _refreshHeading() {
    const ed = this.editor;
    const node = ed.index.get(this.key).node;
    const { t } = this.app;
    const number = displayNumber(node.kind, node.number);
    this.heading.textContent = `${t(`kind.${node.kind}`)}${number ? ` ${number}` : ''}`;
  }

  // Other users' carets in this node's texts.
  updatePresence() {
    const ed = this.editor;
    for (const lt of this.texts) {
      const here = [];
      for (const [session, p] of ed.peers || []) {
        const a = p.anchor;
        if (!a || !a.node || !a.field) continue;
        if (idKey(a.node) !== this.key || a.field !== lt.field) continue;
        here.push({ session, ...p });
      }
      lt.setPeers(here);
    }
  }

  focusTitle() {
    const ta = this.el.querySelector('[data-testid="node-title"]') || this.el.querySelector('textarea');
    if (ta) ta.focus();
  }
}

function rankText(name) {
  if (TITLE_TEXTS.includes(name)) return 0;
  if (BODY_TEXTS.includes(name)) return 1;
  return 2;
}
