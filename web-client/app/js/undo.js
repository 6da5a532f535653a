// undo.js — UndoManager: undo and redo of the local user's own edits, with
// the semantics users of Yjs-based editors expect (Y.UndoManager):
// - consecutive edits within `captureTimeout` (500 ms) form one step, so a
//   typed word undoes at once; stopCapturing() ends a step (caret jumps);
// - remote edits are never undone; undoing an insert deletes exactly the
//   characters this user inserted, by id, wherever they are now, even if
//   others typed in between; undoing a delete re-inserts the text where the
//   deleted characters are now;
// - field and cell changes restore the value they replaced; a created node
//   is deleted; a deleted node is moved back from the trash to its former
//   parent and index; a move is moved back;
// - a step that no longer changes anything (its node is gone, its text was
//   deleted by others) is skipped and dropped.
// Owned by the sync/store/undo helper.
//
// How it hooks in: the manager wraps the edit methods of the one PlanDoc
// instance it is given (setField, insertText, ...), so every local edit the
// UI makes through the doc is recorded with what it replaced (the state
// before the edit, which the 'change' event cannot give any more). Remote
// ops never pass through these methods. destroy() (or setDoc) unwraps.
// Table-line deletions are not undoable (the cells of a deleted line cannot
// come back with their ids); such an edit just ends the current step.

import { Emitter } from './emitter.js';

const key = (r, c) => `${r}:${c}`;

// Per-character ids of wire id spans, in text order.
function expandSpans(spans) {
  const ids = [];
  for (const [r, c, len, back] of spans) {
    for (let i = 0; i < len; i++) ids.push([r, back ? c + len - 1 - i : c + i]);
  }
  return ids;
}

// Wire spans of per-character ids (runs of ascending counters).
function compressIds(ids) {
  const spans = [];
  for (const [r, c] of ids) {
    const last = spans[spans.length - 1];
    if (last && last[0] === r && last[1] + last[2] === c) last[2]++;
    else spans.push([r, c, 1]);
  }
  return spans;
}

// The characters an insert_text op made: one span per op.
function insertedSpans(ops) {
  const spans = [];
  for (const op of ops) {
    if (op.kind !== 'insert_text') continue;
    spans.push([op.id[0], op.id[1], [...op.text].length]);
  }
  return spans;
}

// t1 is t0 with some characters removed: the removed runs, as
// {pos16 (in t1), text}. Equal neighbouring characters make the split
// ambiguous, but every valid split gives the same text back.
function removedRuns(t0, t1) {
  const runs = [];
  let i = 0;
  let j = 0;
  while (i < t0.length) {
    if (j < t1.length && t0[i] === t1[j]) {
      i++;
      j++;
      continue;
    }
    const start = i;
    while (i < t0.length && !(j < t1.length && t0[i] === t1[j])) i++;
    runs.push({ pos16: j, text: t0.slice(start, i) });
  }
  return runs;
}

export class UndoManager extends Emitter {
  constructor(doc, { captureTimeout = 500, now = () => Date.now() } = {}) {
    super();
    this.captureTimeout = captureTimeout;
    this.now = now;
    this.undoStack = [];
    this.redoStack = [];
    this._open = false;     // the top undo step may still grow
    this._lastAt = -Infinity;
    this._running = false;  // performing an undo/redo: do not record
    this._remap = new Map();  // deleted char key → the char that replaced it on undo
    this.doc = null;
    this._orig = null;
    this.setDoc(doc);
  }

  get canUndo() { return this.undoStack.length > 0; }
  get canRedo() { return this.redoStack.length > 0; }

  // A new doc of the same replica (e.g. rebuilt from a server snapshot)
  // keeps the stacks; a doc of another replica clears them.
  setDoc(doc) {
    const sameReplica = this.doc && doc && this.doc.replicaId === doc.replicaId;
    this._unwrap();
    if (!sameReplica) this.clear();
    this.doc = doc;
    if (doc) this._wrap(doc);
  }

  destroy() { this.setDoc(null); }

  clear() {
    this.undoStack = [];
    this.redoStack = [];
    this._remap.clear();
    this._open = false;
    this._emitState();
  }

  // The next edit starts a new step.
  stopCapturing() { this._open = false; }

  undo() { return this._replay(this.undoStack, this.redoStack, 'undo'); }
  redo() { return this._replay(this.redoStack, this.undoStack, 'redo'); }

  // ------------------------------------------------------------ recording

  _wrap(doc) {
    const orig = {};
    const names = ['setField', 'setCell', 'insertText', 'deleteText', 'createNode', 'deleteNode',
                   'moveNode', 'insertTableLine', 'deleteTableLine', 'deleteTextIds'];
    for (const name of names) orig[name] = doc[name];
    this._orig = orig;
    const self = this;
    doc.setField = function (node, name, value) {
      return self._record({ t: 'field', node, name, value });
    };
    doc.setCell = function (node, table, row, column, value) {
      return self._record({ t: 'cell', node, table, row, column, value });
    };
    doc.insertText = function (node, field, pos16, text) {
      return self._record({ t: 'insert', node, field, pos16, text });
    };
    doc.deleteText = function (node, field, pos16, len16) {
      return self._record({ t: 'delete', node, field, pos16, len16 });
    };
    doc.deleteTextIds = function (node, field, spans) {
      return self._record({ t: 'deleteIds', node, field, spans });
    };
    doc.createNode = function (parent, index, kind) {
      return self._record({ t: 'create', parent, index, kind });
    };
    doc.deleteNode = function (node) { return self._record({ t: 'deleteNode', node }); };
    doc.moveNode = function (node, parent, index) {
      return self._record({ t: 'move', node, parent, index });
    };
    doc.insertTableLine = function (node, table, axis, index) {
      return self._record({ t: 'insertLine', node, table, axis, index });
    };
    doc.deleteTableLine = function (...args) {
      self.stopCapturing();
      return orig.deleteTableLine.apply(doc, args);
    };
  }

  _unwrap() {
    if (!this.doc || !this._orig) return;
    // The wrappers are own properties: deleting them uncovers the class's.
    for (const name of Object.keys(this._orig)) delete this.doc[name];
    this._orig = null;
  }

  // A local edit from the UI: run it, push its inverse onto the open step.
  _record(action) {
    const { result, inverse, ops } = this._exec(action);
    if (this._running || !ops || ops.length === 0) return result;
    const t = this.now();
    if (!this._open || t - this._lastAt > this.captureTimeout || this.undoStack.length === 0) {
      this.undoStack.push([]);
    }
    this.undoStack[this.undoStack.length - 1].push(inverse);
    this._open = true;
    this._lastAt = t;
    this.redoStack = [];
    this._emitState();
    return result;
  }

  // ------------------------------------------------------------ executing

  // Runs one action on the doc (through the original methods) and returns
  // {result (what the doc method returns), ops, inverse}.
  _exec(a) {
    const doc = this.doc;
    const o = this._orig;
    switch (a.t) {
      case 'field': {
        const before = doc.field(a.node, a.name).value;
        const ops = o.setField.call(doc, a.node, a.name, a.value);
        return { result: ops, ops, inverse: { t: 'field', node: a.node, name: a.name, value: before } };
      }
      case 'cell': {
        const before = this._cell(a.node, a.table, a.row, a.column);
        const ops = o.setCell.call(doc, a.node, a.table, a.row, a.column, a.value);
        return { result: ops, ops, inverse: { ...a, value: before } };
      }
      case 'insert': {
        let pos16 = a.pos16;
        if (a.replaces) {
          // A re-insert: where the anchor (the character before the deleted
          // run, or the first one after it) is now.
          if (!doc.hasNode(a.node)) return { result: [], ops: [] };
          pos16 = a.anchor ? doc.resolve(a.anchor).pos16 : 0;
        }
        const ops = o.insertText.call(doc, a.node, a.field, pos16, a.text);
        const spans = insertedSpans(ops);
        if (a.replaces) {
          // The re-inserted characters stand for the deleted ones, so an
          // older step that deletes those ids deletes these.
          const fresh = expandSpans(spans);
          a.replaces.forEach((id, i) => {
            if (fresh[i]) this._remap.set(key(id[0], id[1]), fresh[i]);
          });
        }
        return { result: ops, ops, inverse: { t: 'deleteIds', node: a.node, field: a.field, spans } };
      }
      case 'delete':
      case 'deleteIds': {
        const t0 = doc.text(a.node, a.field);
        const ops = a.t === 'delete'
          ? o.deleteText.call(doc, a.node, a.field, a.pos16, a.len16)
          : o.deleteTextIds.call(doc, a.node, a.field, this._remapSpans(a.spans));
        if (ops.length === 0) return { result: ops, ops };
        const t1 = doc.text(a.node, a.field);
        const deleted = expandSpans(ops.flatMap((op) => op.spans || []));
        const inverse = [];
        let k = 0;
        for (const run of removedRuns(t0, t1)) {
          const n = [...run.text].length;
          inverse.push({
            t: 'insert', node: a.node, field: a.field, text: run.text,
            anchor: this._anchorAt(a.node, a.field, run.pos16, t1.length),
            pos16: run.pos16, replaces: deleted.slice(k, k + n),
          });
          k += n;
        }
        // Re-inserted last run first, so earlier anchors are not disturbed.
        return { result: ops, ops, inverse: { t: 'group', actions: inverse.reverse() } };
      }
      case 'group': {
        const inverses = [];
        const all = [];
        for (const act of a.actions) {
          const r = this._exec(act);
          if (r.ops && r.ops.length) {
            all.push(...r.ops);
            inverses.unshift(r.inverse);
          }
        }
        return { result: all, ops: all, inverse: { t: 'group', actions: inverses } };
      }
      case 'create': {
        const res = o.createNode.call(doc, a.parent, a.index, a.kind);
        return { result: res, ops: res.ops, inverse: { t: 'deleteNode', node: res.id } };
      }
      case 'deleteNode': {
        if (!doc.hasNode(a.node) || doc.isDeleted(a.node)) return { result: [], ops: [] };
        const parent = doc.parentOf(a.node);
        const index = this._indexIn(parent, a.node);
        const ops = o.deleteNode.call(doc, a.node);
        return { result: ops, ops, inverse: { t: 'move', node: a.node, parent, index } };
      }
      case 'move': {
        if (!doc.hasNode(a.node) || !doc.hasNode(a.parent)) return { result: [], ops: [] };
        const wasDeleted = doc.isDeleted(a.node);
        const parent = doc.parentOf(a.node);
        const index = this._indexIn(parent, a.node);
        const count = doc.children(a.parent).filter((c) => !(c[0] === a.node[0] && c[1] === a.node[1])).length;
        const ops = o.moveNode.call(doc, a.node, a.parent, Math.min(a.index, count));
        // Undoing the restore of a deleted node deletes it again.
        const inverse = wasDeleted ? { t: 'deleteNode', node: a.node } : { t: 'move', node: a.node, parent, index };
        return { result: ops, ops, inverse };
      }
      case 'insertLine': {
        const res = o.insertTableLine.call(doc, a.node, a.table, a.axis, a.index);
        return { result: res, ops: res.ops, inverse: { t: 'deleteLine', node: a.node, table: a.table, axis: a.axis, line: res.id } };
      }
      case 'deleteLine': {
        const ops = o.deleteTableLine.call(doc, a.node, a.table, a.axis, a.line);
        // Not redoable (see the header); an empty group does nothing.
        return { result: ops, ops, inverse: { t: 'group', actions: [] } };
      }
      default:
        throw new Error(`UndoManager: unknown action ${a.t}`);
    }
  }

  // Follows the remap (characters re-inserted by undo) from each id.
  _remapSpans(spans) {
    if (this._remap.size === 0) return spans;
    const out = [];
    for (let id of expandSpans(spans)) {
      out.push(id);
      for (let n = 0; n < 64; n++) {  // bounded: a chain per undo/redo cycle
        const next = this._remap.get(key(id[0], id[1]));
        if (!next) break;
        out.push(next);
        id = next;
      }
    }
    out.sort((x, y) => (x[0] - y[0]) || (x[1] - y[1]));
    return compressIds(out);
  }

  // An anchor for "here" in the text after a deletion: after the character
  // before it, so text typed later at that place stays after the re-insert.
  _anchorAt(node, field, pos16, length) {
    if (length === 0) return null;
    return pos16 > 0
      ? this.doc.textAnchor(node, field, pos16, 'after')
      : this.doc.textAnchor(node, field, 0, 'before');
  }

  _indexIn(parent, node) {
    const kids = this.doc.children(parent);
    const i = kids.findIndex((c) => c[0] === node[0] && c[1] === node[1]);
    return i < 0 ? kids.length : i;
  }

  _cell(node, table, row, column) {
    const n = findState(this.doc.state().root, node);
    const t = n && n.tables && n.tables[table];
    if (!t) return null;
    return cellValue(t, row, column);
  }

  // ------------------------------------------------------------- replay

  _replay(from, to, kind) {
    this._open = false;
    while (from.length > 0) {
      const step = from.pop();
      const inverses = [];
      this._running = true;
      try {
        for (let i = step.length - 1; i >= 0; i--) {
          let r;
          try {
            r = this._exec(step[i]);
          } catch {
            continue;  // impossible now (e.g. its node was deleted): skip
          }
          if (r.ops && r.ops.length) inverses.push(r.inverse);
        }
      } finally {
        this._running = false;
      }
      if (inverses.length === 0) continue;  // changed nothing: drop the step
      to.push(inverses);
      this._emitState();
      this.emit(kind, { step: inverses });
      return true;
    }
    this._emitState();
    return false;
  }

  _emitState() {
    this.emit('stack', { canUndo: this.canUndo, canRedo: this.canRedo });
  }
}

function findState(n, id) {
  if (n.id[0] === id[0] && n.id[1] === id[1]) return n;
  for (const c of n.children || []) {
    const f = findState(c, id);
    if (f) return f;
  }
  return null;
}

// A cell's value in doc.state()'s table form: {columns: [{id, header}],
// rows: [{id, header, cells: [value per column]}]}, values as {type, value}.
// A null row is the column header, a null column the row header.
function cellValue(table, row, column) {
  const same = (a, b) => a[0] === b[0] && a[1] === b[1];
  const plain = (v) => (v && typeof v === 'object' && 'value' in v ? v.value : v ?? null);
  if (row == null) {
    const col = (table.columns || []).find((c) => same(c.id, column));
    return col ? plain(col.header) : null;
  }
  const r = (table.rows || []).find((x) => same(x.id, row));
  if (!r) return null;
  if (column == null) return plain(r.header);
  const i = (table.columns || []).findIndex((c) => same(c.id, column));
  return i < 0 || !r.cells ? null : plain(r.cells[i]);
}
