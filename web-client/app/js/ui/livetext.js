// ui/livetext.js — binds one <textarea> to one collaborative text field of
// the PlanDoc, live, character by character. Owned by the UI helper.
//
// - Local typing: on `input` the textarea's new value is diffed against the
//   last value it shared with the doc (common prefix/suffix in UTF-16, the
//   caret breaking ties; ui/textdiff.js) and sent as deleteText/insertText.
// - Remote edits (and undo/redo) replace the textarea's value WITHOUT moving
//   the local caret: the selection is held as anchors on characters
//   (doc.textAnchor; they survive any concurrent edit) taken whenever the
//   selection moves, and resolved after the change.
// - IME composition and dead keys (æ ø å ä ö): between compositionstart and
//   compositionend the textarea belongs to the input method; remote changes
//   are not written into it (that would cancel the composition) but queued,
//   and the composed text is committed on compositionend, rebased over
//   whatever arrived meanwhile.
// - Presence: the caret (and the other end of a selection) as anchors, sent
//   through `onPresence`; other users' carets and selections are drawn by a
//   mirror <div> laid over the textarea (same font, padding and wrapping) in
//   which the peers' positions are <span>s, plus a list of names beside it.
// - Review (ui/reviewmarks.js): setMarks() draws comment highlights,
//   suggested deletions (struck through) and insertions in the same mirror;
//   with `drafting` (suggest mode) typing stays a draft in the textarea,
//   remote changes wait as during a composition, and takeDraft() hands the
//   draft over as one edit rebased on the doc's text.
import { h, clear } from './dom.js';
import { diffText, rebaseEdit, transformPos } from './textdiff.js';
import { municipalityClass } from './colors.js';

export class LiveText {
  // opts: {doc, node (wire id), field, textarea, editable, municipalities,
  //        onPresence(presence|null), onError(err), t,
  //        drafting (suggest mode), onDraft(hasDraft)}
  constructor(opts) {
    Object.assign(this, opts);
    const ta = this.textarea;
    this.value = this.doc.text(this.node, this.field);
    ta.value = this.value;
    this.composing = false;
    this.pendingRemote = false;
    this.applying = false;
    this.anchors = null;   // {start, end, dir} wire anchors of the selection
    this.sel = null;       // {start, end, dir} positions in this.value
    this.peers = [];
    this.marks = [];       // review marks: {from, to, cls, label?, insert?}

    // Same classes as the textarea (font weight of a title ...), so the
    // mirror wraps its text at exactly the same places.
    this.mirror = h('div', { class: ['mirror', ...ta.classList], 'aria-hidden': 'true' });
    this.wrap = h('div', { class: 'textwrap' }, ta, this.mirror);
    this.peerList = h('ul', { class: 'peer-list', 'aria-live': 'polite' });

    const on = (type, fn) => { ta.addEventListener(type, fn); };
    on('compositionstart', () => { this.composing = true; });
    on('compositionend', () => {
      this.composing = false;
      this._commit();
      if (this.pendingRemote) { this.pendingRemote = false; this.refresh(); }
    });
    on('input', (e) => {
      if (this.composing || e.isComposing) return;
      this._commit();
    });
    for (const type of ['select', 'keyup', 'mouseup', 'focus']) on(type, () => this._selectionMoved());
    on('blur', () => { if (this.onPresence) this.onPresence(null); });
    on('scroll', () => this._syncScroll());
    // Any doc change this binding did not make itself means the textarea
    // may be behind the doc until the next render; a keystroke in that
    // window must be rebased, not applied at a stale position.
    this._onDocChange = () => { if (!this.applying) this.remoteDirty = true; };
    this.doc.on('change', this._onDocChange);
    this._onSelectionChange = () => {
      if (document.activeElement === ta) this._selectionMoved();
    };
    document.addEventListener('selectionchange', this._onSelectionChange);
  }

  destroy() {
    this.doc.off('change', this._onDocChange);
    document.removeEventListener('selectionchange', this._onSelectionChange);
  }

  // ------------------------------------------------------------ local

  _commit() {
    const ta = this.textarea;
    const typed = ta.value;
    const base = this.value;
    if (this.drafting) { if (this.onDraft) this.onDraft(typed !== base); return; }
    if (typed === base) return;
    if (!this.editable) { ta.value = base; return; }
    let edit = diffText(base, typed, ta.selectionEnd);
    let rebased = false;
    if (this.remoteDirty) {
      // Other changes arrived since the textarea last matched the doc (during
      // a composition, or between a remote op and the next render): the doc
      // may no longer hold `base`. Rebase the local edit over them.
      const now = this.doc.text(this.node, this.field);
      if (now !== base) {
        edit = rebaseEdit(edit, diffText(base, now));
        rebased = true;
      }
      this.remoteDirty = false;
    }
    this.applying = true;
    let inserted = null;
    try {
      if (edit.del) this.doc.deleteText(this.node, this.field, edit.pos, edit.del);
      if (edit.ins) inserted = this.doc.insertText(this.node, this.field, edit.pos, edit.ins);
    } catch (err) {
      this.applying = false;
      // Refused (e.g. the part became read-only): show the doc's text again.
      this.value = this.doc.text(this.node, this.field);
      ta.value = this.value;
      if (this.onError) this.onError(err);
      return;
    }
    this.applying = false;
    if (rebased) {
      this.value = this.doc.text(this.node, this.field);
      ta.value = this.value;
      const caret = edit.pos + edit.ins.length;
      ta.setSelectionRange(caret, caret);
    } else {
      this.value = typed;
    }
    this._selectionMoved(true, rebased ? null : { edit, ops: inserted });
    this.renderPeers();
  }

  // The caret right after text this replica just inserted sticks to the
  // last inserted character, whose id the insert op names: no need to ask
  // the core (which would walk a 100k-character text on every keystroke).
  _caretAfterInsert(hint, start, end) {
    if (!hint || start !== end || !hint.ops || hint.ops.length === 0) return null;
    if (start !== hint.edit.pos + hint.edit.ins.length) return null;
    const op = hint.ops[hint.ops.length - 1];
    if (op.kind !== 'insert_text' || typeof op.text !== 'string') return null;
    const n = [...op.text].length;
    return { node: this.node, field: this.field, char: [op.id[0], op.id[1] + n - 1], side: 'after' };
  }

  // The selection moved (or the text changed locally): remember it as
  // anchors and tell the others.
  _selectionMoved(typing = false, hint = null) {
    const ta = this.textarea;
    if (this.composing || ta.value !== this.value) return;
    const start = ta.selectionStart;
    const end = ta.selectionEnd;
    const dir = ta.selectionDirection;
    if (this.sel && this.sel.start === start && this.sel.end === end && !typing &&
        this.anchors) return;
    // A caret that jumped ends the current undo step (as in Yjs editors).
    if (!typing && this.sel && this.onJump) this.onJump();
    this.sel = { start, end, dir };
    try {
      const a = (pos, side) => this.doc.textAnchor(this.node, this.field, pos, side);
      if (start === end) {
        // A caret sticks to the character before it, so text others type
        // right at it lands after it and the caret does not move.
        const c = this._caretAfterInsert(hint, start, end) || a(start, 'after');
        this.anchors = { start: c, end: c, dir };
      } else {
        this.anchors = { start: a(start, 'before'), end: a(end, 'after'), dir };
      }
    } catch {
      this.anchors = null;
    }
    if (this.onPresence && this.anchors) {
      const backward = dir === 'backward';
      const caret = backward ? this.anchors.start : this.anchors.end;
      const other = backward ? this.anchors.end : this.anchors.start;
      this.onPresence({ anchor: caret, head: start === end ? undefined : other, typing });
    }
  }

  // ----------------------------------------------------------- remote

  // The doc changed (remote ops, undo/redo, a doc swap): show its text and
  // keep the caret where it was relative to the characters around it.
  refresh() {
    if (this.applying) return;
    if (this.composing || this.hasDraft()) {
      this.pendingRemote = true;
      return;
    }
    const ta = this.textarea;
    let next;
    try {
      next = this.doc.text(this.node, this.field);
    } catch {
      return;  // the node is gone; the panel re-renders
    }
    this.remoteDirty = false;
    if (next === this.value) { this.renderPeers(); return; }
    const old = this.value;
    const focused = document.activeElement === ta;
    // A caret moved by a key (Ctrl+Home, arrows) whose selectionchange event
    // has not run yet: take the anchors from where it is now, or the stale
    // ones would put it back where it was.
    if (focused && ta.value === old) this._selectionMoved();
    let start = ta.selectionStart;
    let end = ta.selectionEnd;
    const dir = ta.selectionDirection;
    const resolved = this._resolveSelection();
    if (resolved) {
      ({ start, end } = resolved);
    } else {
      const edit = diffText(old, next);
      start = transformPos(start, edit, 'before');
      end = transformPos(end, edit, 'before');
    }
    const scroll = ta.scrollTop;
    ta.value = next;
    this.value = next;
    if (end < start) end = start;
    ta.setSelectionRange(start, end, dir);
    ta.scrollTop = scroll;
    if (focused) this._selectionMoved();
    else this.sel = null;
    this.renderPeers();
  }

  // ---------------------------------------------------- suggest mode

  hasDraft() { return !!this.drafting && this.textarea.value !== this.value; }

  // The draft as one edit {pos, del, ins} (UTF-16) on the doc's text now,
  // or null; the textarea shows the doc's text again.
  takeDraft() {
    const ta = this.textarea;
    const base = this.value;
    let edit = diffText(base, ta.value, ta.selectionEnd);
    const now = this.doc.text(this.node, this.field);
    if (edit && now !== base) edit = rebaseEdit(edit, diffText(base, now));
    this.discardDraft();
    return edit && (edit.del || edit.ins) ? edit : null;
  }

  discardDraft() {
    this.pendingRemote = false;
    this.textarea.value = this.value;
    this.refresh();
    if (this.onDraft) this.onDraft(false);
  }

  // Review marks in UTF-16 positions of the doc's text: ranges {from, to,
  // cls} (highlighted, or struck through with cls 'sg-strike') and
  // insertion points {from, to: from, insert: true, label, cls}.
  setMarks(marks) {
    const same = JSON.stringify(marks) === JSON.stringify(this.marks);
    this.marks = marks;
    if (!same) this.renderPeers();
  }

  _resolveSelection() {
    if (!this.anchors) return null;
    try {
      const s = this.doc.resolve(this.anchors.start);
      const e = this.anchors.end === this.anchors.start ? s : this.doc.resolve(this.anchors.end);
      if (s.pos16 === undefined || e.pos16 === undefined) return null;
      return { start: s.pos16, end: Math.max(s.pos16, e.pos16) };
    } catch {
      return null;
    }
  }

  // --------------------------------------------------------- presence

  // peers: [{session, user, municipality, anchor, head, typing}] already
  // filtered to this node and field.
  setPeers(peers) {
    this.peers = peers;
    this.renderPeers();
  }

  renderPeers() {
    const list = this.peerList;
    clear(list);
    clear(this.mirror);
    this.wrap.classList.toggle('has-peers', this.peers.length > 0);
    this.wrap.classList.toggle('has-marks', this.marks.length > 0);
    if (this.peers.length === 0 && this.marks.length === 0) return;
    const text = this.value;
    const review = this.marks.filter((m) => m.from <= text.length)
      .map((m) => ({ ...m, to: Math.min(m.to, text.length) }));
    const marks = [];
    for (const p of this.peers) {
      let caret = null;
      let head = null;
      try {
        const a = this.doc.resolve(p.anchor);
        caret = a.pos16;
        if (p.head) head = this.doc.resolve(p.head).pos16;
      } catch {
        continue;
      }
      if (caret === undefined || caret === null) continue;
      caret = Math.min(caret, text.length);
      if (head === undefined || head === null) head = caret;
      head = Math.min(head, text.length);
      marks.push({ p, caret, from: Math.min(caret, head), to: Math.max(caret, head) });
      const cls = municipalityClass(p.municipality, this.municipalities);
      list.append(h('li', { class: ['peer-chip', cls], 'data-testid': 'peer-cursor',
        'data-user': p.user, 'data-pos': caret },
      this.t(p.typing ? 'presence.typing' : 'presence.here',
        { user: p.user, municipality: p.municipality || '—' })));
    }
    // The mirror: the text split at every peer's selection ends and carets.
    const cuts = new Set([0, text.length]);
    for (const m of marks) { cuts.add(m.from); cuts.add(m.to); cuts.add(m.caret); }
    for (const m of review) { cuts.add(m.from); cuts.add(m.to); }
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i < points.length; i++) {
      const at = points[i];
      for (const m of review) {
        if (!m.insert || m.from !== at) continue;
        this.mirror.append(h('span', { class: ['sg-point', m.cls] },
          h('ins', { class: ['sg-label', m.cls] }, m.label || '')));
      }
      for (const m of marks) {
        if (m.caret !== at) continue;
        const cls = municipalityClass(m.p.municipality, this.municipalities);
        this.mirror.append(h('span', { class: ['peer-caret', cls], 'data-user': m.p.user },
          h('span', { class: ['peer-label', cls] }, m.p.user)));
      }
      if (i + 1 >= points.length) break;
      const seg = text.slice(at, points[i + 1]);
      const selBy = marks.find((m) => m.from <= at && points[i + 1] <= m.to && m.from !== m.to);
      let node = selBy
        ? h('mark', { class: ['peer-sel', municipalityClass(selBy.p.municipality, this.municipalities)] }, seg)
        : document.createTextNode(seg);
      for (const m of review) {
        if (!m.insert && m.from <= at && points[i + 1] <= m.to && m.from !== m.to) {
          node = h(m.cls.includes('sg-strike') ? 'del' : 'mark', { class: m.cls }, node);
        }
      }
      this.mirror.append(node);
    }
    // A trailing newline needs a character after it to take up a line.
    this.mirror.append('\u200b');
    this._syncScroll();
  }

  _syncScroll() {
    const ta = this.textarea;
    this.mirror.style.setProperty('width', `${ta.offsetWidth}px`);
    this.mirror.style.setProperty('height', `${ta.offsetHeight}px`);
    this.mirror.scrollTop = ta.scrollTop;
    // Keep the mirror's content box as wide as the textarea's (a vertical
    // scrollbar narrows the latter).
    const sb = ta.offsetWidth - ta.clientWidth - 2 * parseFloat(getComputedStyle(ta).borderLeftWidth || '0');
    this.mirror.style.setProperty('padding-right', `calc(var(--field-pad) + ${Math.max(0, sb)}px)`);
  }
}
