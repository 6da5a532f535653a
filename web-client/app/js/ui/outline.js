// ui/outline.js — the plan's outline: a WAI-ARIA tree (role=tree/treeitem,
// aria-level, aria-expanded, roving tabindex, arrow keys) with numbers as the
// seeds number them, each node's owning municipality, and the structural
// edits: add child / add sibling / delete / move up / down / indent / outdent
// by keyboard (Alt+arrows …), by buttons and by drag and drop.
// Owned by the UI helper.
//
// It re-renders from doc.state() on every structural change and puts the
// focus back on the same node, so a move made by someone else does not throw
// the keyboard user out of the tree.
import { h, clear, nextId, announce } from './dom.js';
import { displayNumber } from '../numbering.js';
import { idKey, canMove, canCreateUnder, canEditNode } from '../permissions.js';
import { planMove, planDrop, childKinds } from './treeops.js';
import { allows } from './schema.js';
import { municipalityClass } from './colors.js';

const parseKey = (key) => key.split(':').map(Number);

export function nodeTitle(node) {
  const t = node.texts || {};
  return t.title || t.name || t.body || t.note || t.intro || t.description || '';
}

export class Outline {
  // ctx: {app, editor} — editor gives doc, schema, index, user, municipalities,
  // selected key, select(key), reportError(err).
  constructor(ctx) {
    this.app = ctx.app;
    this.editor = ctx.editor;
    this.collapsed = new Set();
    this.dragKey = null;
    const t = this.app.t;
    this.helpId = nextId('outline-help');
    this.tree = h('ul', { role: 'tree', class: 'tree', 'data-testid': 'outline',
      'aria-labelledby': 'outline-heading', 'aria-describedby': this.helpId,
      onkeydown: (e) => this._onKey(e) });
    this.kindSelect = h('select', { id: nextId('new-kind'), 'data-testid': 'new-kind' });
    const btn = (testid, label, fn) => h('button', { type: 'button', class: 'btn btn-small',
      'data-testid': testid, onclick: fn }, label);
    this.buttons = {
      addChild: btn('add-child', t('outline.addChild'), () => this.addChild()),
      addSibling: btn('add-sibling', t('outline.addSibling'), () => this.addSibling()),
      del: btn('delete-node', t('outline.delete'), () => this.remove()),
      up: btn('move-up', t('outline.moveUp'), () => this.move('up')),
      down: btn('move-down', t('outline.moveDown'), () => this.move('down')),
      indent: btn('indent', t('outline.indent'), () => this.move('indent')),
      outdent: btn('outdent', t('outline.outdent'), () => this.move('outdent')),
    };
    this.el = h('nav', { class: 'outline-pane', 'aria-labelledby': 'outline-heading' },
      h('h2', { id: 'outline-heading' }, t('editor.outline')),
      h('div', { class: 'toolbar', role: 'group', 'aria-label': t('outline.actions') },
        Object.values(this.buttons),
        h('span', { class: 'kind-choice' },
          h('label', { for: this.kindSelect.id }, t('outline.newKind')), this.kindSelect)),
      h('p', { id: this.helpId, class: 'hint' }, t('outline.help')),
      this.tree);
  }

  // ------------------------------------------------------------ rendering

  // Keyed reconciliation: each node keeps its <li> across renders (only
  // what changed is rewritten, and items are moved, not recreated), so a
  // concurrent edit elsewhere neither steals focus nor detaches the item a
  // user (or a test) is about to click.
  update() {
    const ed = this.editor;
    const state = ed.state;
    if (!state) return;
    const hadFocus = this.tree.contains(document.activeElement);
    if (!this.byKey) this.byKey = new Map();
    const seen = new Set();
    this.items = [];
    this._renderNode(state.root, 1, 1, 1, seen);
    for (const [key, li] of this.byKey) {
      if (!seen.has(key)) { li.remove(); this.byKey.delete(key); }
    }
    // Put the items in order, touching only the ones out of place.
    this.items.forEach((li, i) => {
      const at = this.tree.children[i];
      if (at !== li) this.tree.insertBefore(li, at || null);
    });
    // Roving tabindex: exactly one item is tabbable, the selected one.
    const sel = this.items.find((li) => li.dataset.node === ed.selected) || this.items[0];
    for (const li of this.items) li.tabIndex = li === sel ? 0 : -1;
    if (hadFocus && sel && !this.tree.contains(document.activeElement)) sel.focus({ preventScroll: true });
    this._updateButtons();
  }

  // A flat tree (ARIA allows it with aria-level/posinset/setsize): each
  // treeitem holds only its own row, so its accessible name is exactly its
  // visible text; collapsed subtrees are not rendered.
  _renderNode(node, level, posinset, setsize, seen) {
    const ed = this.editor;
    const key = idKey(node.id);
    const kids = node.children || [];
    const expanded = !this.collapsed.has(key);
    const number = displayNumber(node.kind, node.number);
    const owner = ed.index.get(key).owner;
    const own = !!(node.fields && node.fields.owner && Array.isArray(node.fields.owner.value) &&
      node.fields.owner.value.length > 0);
    const title = nodeTitle(node);
    const editable = canEditNode(ed.user, ed.index, key).ok;
    const movable = level > 1 && canMove(ed.user, ed.index, key, null).ok;
    let li = this.byKey.get(key);
    if (!li) {
      li = h('li', {
        role: 'treeitem', tabindex: '-1', 'data-node': key,
        onclick: (e) => { e.stopPropagation(); this._activate(key, li); },
        ondragstart: (e) => this._dragStart(e, key),
        ondragover: (e) => this._dragOver(e, key, li),
        ondragleave: () => li.classList.remove('drop-before', 'drop-after', 'drop-inside'),
        ondrop: (e) => this._drop(e, key, li),
        ondragend: () => { this.dragKey = null; },
      });
      this.byKey.set(key, li);
    }
    const attrs = {
      'aria-level': String(level),
      'aria-selected': key === ed.selected ? 'true' : 'false',
      'aria-expanded': kids.length ? String(expanded) : null,
      'aria-posinset': String(posinset), 'aria-setsize': String(setsize),
      'data-number': number, 'data-kind': node.kind,
      'data-parent': ed.index.get(key).parent || '',
      draggable: movable ? 'true' : null,
    };
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null) { if (li.hasAttribute(k)) li.removeAttribute(k); } else if (li.getAttribute(k) !== v) li.setAttribute(k, v);
    }
    const cls = ['treeitem', `lvl-${Math.min(level, 10)}`, key === ed.selected ? 'selected' : '',
      editable ? '' : 'locked'].filter(Boolean).join(' ');
    if (li.className !== cls) li.className = cls;
    const sig = JSON.stringify([kids.length > 0, expanded, number, node.kind, title, owner, own,
      ed.municipalities, this.app.t.lang]);
    if (li.dataset.sig !== sig) {
      li.dataset.sig = sig;
      clear(li).append(this._row(key, node, kids.length > 0, expanded, number, title, owner, own));
    }
    seen.add(key);
    this.items.push(li);
    if (kids.length && expanded) {
      kids.forEach((c, i) => this._renderNode(c, level + 1, i + 1, kids.length, seen));
    }
  }

  _row(key, node, hasKids, expanded, number, title, owner, own) {
    const t = this.app.t;
    const ed = this.editor;
    return h('div', { class: 'row' },
      hasKids ? h('span', { class: 'twisty', 'aria-hidden': 'true',
        onclick: (e) => { e.stopPropagation(); this._toggle(key); } }, expanded ? '▾' : '▸')
        : h('span', { class: 'twisty', 'aria-hidden': 'true' }, ''),
      number ? h('span', { class: 'num' }, number) : null,
      h('span', { class: 'kind' }, t(`kind.${node.kind}`)),
      h('span', { class: ['title', !title && 'untitled'] }, title || t('outline.untitled')),
      h('span', { class: 'owners', title: t('outline.owner', { owners: owner.join(', ') || t('outline.joint') }) },
        owner.length
          ? owner.map((m) => h('span', { class: ['badge', municipalityClass(m, ed.municipalities),
            !own && 'inherited'] }, m))
          : h('span', { class: 'badge badge-joint' }, t('outline.joint'))));
  }

  _toggle(key) {
    if (this.collapsed.has(key)) this.collapsed.delete(key); else this.collapsed.add(key);
    this.update();
  }

  _activate(key, li) {
    this.editor.select(key);
    for (const it of this.items) it.tabIndex = -1;
    const now = this.items.find((x) => x.dataset.node === key) || li;
    now.tabIndex = 0;
    now.focus({ preventScroll: false });
  }

  _updateButtons() {
    const ed = this.editor;
    const key = ed.selected;
    const b = this.buttons;
    const has = key && ed.index.has(key);
    const entry = has ? ed.index.get(key) : null;
    const isRoot = entry && entry.parent === null;
    const ok = (p) => allows(ed.schema, p, this._kindOf(key));
    const set = (button, enabled) => { button.disabled = !enabled; };
    set(b.addChild, has && canCreateUnder(ed.user, ed.index, key).ok &&
      childKinds(ed.schema.get(entry.node.kind)).length > 0);
    set(b.addSibling, has && !isRoot && canCreateUnder(ed.user, ed.index, entry.parent).ok);
    set(b.del, has && !isRoot && canMove(ed.user, ed.index, key, null).ok);
    for (const [button, action] of [[b.up, 'up'], [b.down, 'down'], [b.indent, 'indent'], [b.outdent, 'outdent']]) {
      const target = has && !isRoot ? planMove(ed.index, key, action, (p, c) => allows(ed.schema, p, c)) : null;
      set(button, !!target && canMove(ed.user, ed.index, key, target.parent).ok);
    }
    void ok;
    // Kinds a new child of the selected node may have.
    clear(this.kindSelect);
    const kinds = has ? childKinds(ed.schema.get(entry.node.kind)) : [];
    for (const k of kinds) this.kindSelect.append(h('option', { value: k }, this.app.t(`kind.${k}`)));
    this.kindSelect.disabled = kinds.length === 0 || b.addChild.disabled;
  }

  _kindOf(key) {
    const e = this.editor.index.get(key);
    return e ? e.node.kind : null;
  }

  // ------------------------------------------------------------- editing

  _run(fn, focusKey) {
    const ed = this.editor;
    try {
      fn(ed.doc);
    } catch (err) {
      ed.reportError(err);
      return false;
    }
    if (focusKey) {
      ed.select(focusKey);
      // Re-render now (the change event only schedules) so focus lands.
      ed.flush();
      const li = this.items.find((x) => x.dataset.node === focusKey);
      if (li) { for (const it of this.items) it.tabIndex = -1; li.tabIndex = 0; li.focus(); }
    }
    return true;
  }

  addChild() {
    const ed = this.editor;
    const key = ed.selected;
    if (!key || this.buttons.addChild.disabled) return;
    const kind = this.kindSelect.value || childKinds(ed.schema.get(this._kindOf(key)))[0];
    if (!kind) return;
    const n = (ed.index.get(key).node.children || []).length;
    let created = null;
    this._run((doc) => { created = doc.createNode(parseKey(key), n, kind).id; });
    if (created) {
      this.collapsed.delete(key);
      this._focusNew(idKey(created));
    }
  }

  addSibling() {
    const ed = this.editor;
    const key = ed.selected;
    if (!key || this.buttons.addSibling.disabled) return;
    const entry = ed.index.get(key);
    const parent = ed.index.get(entry.parent).node;
    const i = parent.children.findIndex((c) => idKey(c.id) === key);
    let created = null;
    this._run((doc) => { created = doc.createNode(parent.id, i + 1, entry.node.kind).id; });
    if (created) this._focusNew(idKey(created));
  }

  // A new node: select it and put the caret in its title, ready to type.
  _focusNew(key) {
    const ed = this.editor;
    ed.select(key);
    ed.flush();
    announce(this.app.t(`kind.${this._kindOf(key)}`));
    ed.focusTitle();
  }

  remove() {
    const ed = this.editor;
    const key = ed.selected;
    if (!key || this.buttons.del.disabled) return;
    const entry = ed.index.get(key);
    // Select the neighbour (or the parent) so the keyboard stays in the tree.
    const siblings = ed.index.get(entry.parent).node.children.map((c) => idKey(c.id));
    const i = siblings.indexOf(key);
    const next = siblings[i + 1] || siblings[i - 1] || entry.parent;
    this._run((doc) => doc.deleteNode(parseKey(key)), next);
  }

  move(action) {
    const ed = this.editor;
    const key = ed.selected;
    if (!key) return;
    const target = planMove(ed.index, key, action, (p, c) => allows(ed.schema, p, c));
    if (!target) return;
    const perm = canMove(ed.user, ed.index, key, target.parent);
    if (!perm.ok) { ed.reportReason(perm.reason); return; }
    if (action === 'indent') this.collapsed.delete(target.parent);
    this._run((doc) => doc.moveNode(parseKey(key), parseKey(target.parent), target.index), key);
  }

  // ------------------------------------------------------------ keyboard

  _visible() {
    return this.items.filter((li) => li.offsetParent !== null || li.isConnected);
  }

  _onKey(e) {
    const li = e.target.closest('[role="treeitem"]');
    if (!li) return;
    const key = li.dataset.node;
    const items = this._visible();
    const i = items.indexOf(li);
    const focus = (target) => { if (target) this._activate(target.dataset.node, target); };
    if (e.altKey) {
      const map = { ArrowUp: 'up', ArrowDown: 'down', ArrowRight: 'indent', ArrowLeft: 'outdent' };
      if (map[e.key]) { e.preventDefault(); this.editor.select(key); this.move(map[e.key]); return; }
      if (e.key === 'Enter') {
        e.preventDefault();
        this.editor.select(key);
        if (e.shiftKey) this.addChild(); else this.addSibling();
      }
      return;
    }
    if (e.ctrlKey || e.metaKey) return;
    switch (e.key) {
      case 'ArrowDown': e.preventDefault(); focus(items[i + 1]); break;
      case 'ArrowUp': e.preventDefault(); focus(items[i - 1]); break;
      case 'Home': e.preventDefault(); focus(items[0]); break;
      case 'End': e.preventDefault(); focus(items[items.length - 1]); break;
      case 'ArrowRight':
        e.preventDefault();
        if (li.getAttribute('aria-expanded') === 'false') this._toggle(key);
        else if (li.getAttribute('aria-expanded') === 'true') focus(items[i + 1]);
        break;
      case 'ArrowLeft': {
        e.preventDefault();
        if (li.getAttribute('aria-expanded') === 'true') { this._toggle(key); break; }
        focus(this.items.find((x) => x.dataset.node === li.dataset.parent));
        break;
      }
      case 'Enter':
        e.preventDefault();
        this.editor.select(key);
        this.editor.focusTitle();
        break;
      case 'Delete':
        e.preventDefault();
        this.editor.select(key);
        this.remove();
        break;
      default:
    }
  }

  // --------------------------------------------------------- drag & drop

  _dragStart(e, key) {
    e.stopPropagation();
    this.dragKey = key;
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', key);
  }

  _where(e, li) {
    const row = li.querySelector('.row');
    const r = row.getBoundingClientRect();
    const y = (e.clientY - r.top) / Math.max(1, r.height);
    return y < 0.3 ? 'before' : y > 0.7 ? 'after' : 'inside';
  }

  _dropTarget(e, key, li) {
    const ed = this.editor;
    const from = this.dragKey;
    if (!from || !ed.index.has(from) || !ed.index.has(key)) return null;
    const ok = (p, c) => allows(ed.schema, p, c);
    let where = this._where(e, li);
    let target = planDrop(ed.index, from, key, where, ok);
    if (!target && where === 'inside') { where = 'after'; target = planDrop(ed.index, from, key, where, ok); }
    if (!target || !canMove(ed.user, ed.index, from, target.parent).ok) return null;
    return { where, target };
  }

  _dragOver(e, key, li) {
    e.stopPropagation();
    const d = this._dropTarget(e, key, li);
    li.classList.remove('drop-before', 'drop-after', 'drop-inside');
    if (!d) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    li.classList.add(`drop-${d.where}`);
  }

  _drop(e, key, li) {
    e.stopPropagation();
    li.classList.remove('drop-before', 'drop-after', 'drop-inside');
    const d = this._dropTarget(e, key, li);
    const from = this.dragKey;
    this.dragKey = null;
    if (!d) return;
    e.preventDefault();
    this._run((doc) => doc.moveNode(parseKey(from), parseKey(d.target.parent), d.target.index), from);
  }
}
