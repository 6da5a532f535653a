// ui/reviewmarks.js — review in the node editor itself: the anchored text
// of comment threads highlighted, suggested deletions struck through and
// insertions shown in the suggesting author's colour (in the live text's
// mirror, ui/livetext.js setMarks), notes on fields, cells and the node
// that carry threads or suggestions; and suggest mode: the doc the
// node panel's fields and tables write through, whose edits become
// suggestions, and the draft bar of a text typed in suggest mode.
//
// It also remembers what the user last pointed at in the editor (a text
// selection, a field, a cell): the anchor a new comment gets.
import { h } from './dom.js';
import { idKey } from '../permissions.js';
import { excerpt } from '../reviewtext.js';
import { authorClass, authorChip, valueText } from './reviewdom.js';

const sameKey = (id, key) => !!id && idKey(id) === key;
// A cell anchor's or suggestion's table name (the op's `name`).
export const tableOf = (x) => x.table ?? x.field;

export class Marks {
  constructor(panel) {
    this.panel = panel;
    this.marked = new Set();      // "node/field" with marks drawn
    this.bars = new WeakMap();    // LiveText → its draft bar
    this.hooked = new WeakSet();  // elements whose focus/selection we follow
    this.anchor = null;           // what a new comment hangs on, see below
  }

  get t() { return this.panel.app.t; }

  fieldHasMarks(key, field) { return this.marked.has(`${key}/${field}`); }

  // ------------------------------------------------------- the anchor

  // {kind: 'text', node, field, from16, to16, quote} | {kind: 'field',
  // node, field} | {kind: 'cell', node, table, row, column, label} | null.
  forgetAnchor() { this.anchor = null; }

  _follow(el, fn) {
    if (this.hooked.has(el)) return;
    this.hooked.add(el);
    for (const type of ['select', 'mouseup', 'keyup', 'focus']) el.addEventListener(type, () => fn(el));
  }

  _hookAnchors(np) {
    const node = np.el.dataset.node;
    for (const lt of np.texts) {
      this._follow(lt.textarea, (ta) => {
        if (ta.selectionStart === ta.selectionEnd || ta.value !== lt.value) return;
        this.anchor = { kind: 'text', node, field: lt.field, from16: ta.selectionStart, to16: ta.selectionEnd,
          quote: ta.value.slice(ta.selectionStart, ta.selectionEnd) };
        this.panel.tabs.threads.anchorChanged();
      });
    }
    for (const f of np.fields) {
      for (const el of f.el.querySelectorAll('input, select')) {
        this._follow(el, () => {
          this.anchor = { kind: 'field', node, field: f.name };
          this.panel.tabs.threads.anchorChanged();
        });
      }
    }
    for (const tb of np.tables) {
      for (const input of tb.el.querySelectorAll('input[data-row][data-col]')) {
        if (input.dataset.row === 'header' || input.dataset.col === 'header') continue;
        this._follow(input, () => {
          this.anchor = { kind: 'cell', node, table: tb.name, row: input.dataset.row, column: input.dataset.col,
            label: input.getAttribute('aria-label') || '' };
          this.panel.tabs.threads.anchorChanged();
        });
      }
    }
  }

  // ------------------------------------------------------------ marks

  decorate(np) {
    const key = np.key;
    if (!key) return;
    const { threads, suggestions } = this.panel.views;
    const open = this.panel.openThreads;
    const here = threads.filter((x) => !x.resolved && x.anchor && sameKey(x.anchor.node, key) &&
      !(x.place && (x.place.node_deleted || x.place.orphaned)));
    const sugg = suggestions.filter((s) => s.status === 'open' && sameKey(s.node, key));
    this._hookAnchors(np);

    // Texts: highlights, strike-throughs, insertions.
    for (const lt of np.texts) {
      const marks = [];
      for (const x of here) {
        if (x.anchor.kind !== 'text' || x.anchor.field !== lt.field || !x.place) continue;
        if (typeof x.place.from16 !== 'number') continue;
        marks.push({ from: x.place.from16, to: x.place.to16,
          cls: `review-hl${open.has(idKey(x.id)) ? ' active' : ''}` });
      }
      for (const s of sugg) {
        if (s.kind !== 'text' || s.field !== lt.field || !s.place || typeof s.place.from16 !== 'number') continue;
        const cls = authorClass(this.panel, s.author);
        if (s.place.to16 > s.place.from16) marks.push({ from: s.place.from16, to: s.place.to16, cls: `sg-strike ${cls}` });
        if (s.text) {
          marks.push({ from: s.place.to16, to: s.place.to16, insert: true, cls: `sg-ins ${cls}`,
            label: excerpt(s.text, 40) });
        }
      }
      const tag = `${key}/${lt.field}`;
      if (marks.length) this.marked.add(tag); else this.marked.delete(tag);
      lt.setMarks(marks);
    }

    // Fields: a note under each with threads or suggestions.
    for (const f of np.fields) {
      for (const old of f.el.querySelectorAll(':scope > .review-note')) old.remove();
      const ts = here.filter((x) => x.anchor.kind === 'field' && x.anchor.field === f.name);
      const ss = sugg.filter((s) => s.kind === 'field' && s.field === f.name);
      f.el.classList.toggle('has-thread', ts.length > 0);
      f.el.classList.toggle('has-suggestion', ss.length > 0);
      if (ts.length) f.el.append(this._threadNote(ts, `field-threads-${f.name}`));
      for (const s of ss) {
        f.el.append(h('p', { class: ['review-note', 'sg-note', authorClass(this.panel, s.author)],
          'data-testid': `field-suggestion-${f.name}`, 'data-suggestion': idKey(s.id) },
        authorChip(this.panel, s.author), ' ', this.t('review.suggests'), ' ',
        h('del', { class: ['sg-del', authorClass(this.panel, s.author)] }, valueText(this.t, s.now ?? f.doc.field(f.node, f.name).value)),
        ' → ',
        h('ins', { class: ['sg-ins-text', authorClass(this.panel, s.author)] }, valueText(this.t, s.value))));
      }
    }

    // Cells: classes and a title on the inputs.
    for (const tb of np.tables) {
      for (const input of tb.el.querySelectorAll('input[data-row][data-col]')) {
        const ts = here.filter((x) => x.anchor.kind === 'cell' && tableOf(x.anchor) === tb.name &&
          sameKey(x.anchor.row, input.dataset.row) && sameKey(x.anchor.column, input.dataset.col));
        const ss = sugg.filter((s) => s.kind === 'cell' && tableOf(s) === tb.name &&
          sameKey(s.row, input.dataset.row) && sameKey(s.column, input.dataset.col));
        input.classList.toggle('has-thread', ts.length > 0);
        input.classList.toggle('has-suggestion', ss.length > 0);
        if (ss.length) input.dataset.suggested = valueText(this.t, ss[ss.length - 1].value);
        else delete input.dataset.suggested;
      }
    }

    // The node itself.
    const old = np.el.querySelector(':scope > .review-node-note');
    if (old) old.remove();
    const nodeThreads = here.filter((x) => x.anchor.kind === 'node');
    const nodeSugg = sugg.filter((s) => s.kind === 'delete' || s.kind === 'move');
    if ((nodeThreads.length || nodeSugg.length) && np.heading) {
      const note = h('div', { class: 'review-node-note review-note' });
      if (nodeThreads.length) note.append(this._threadNote(nodeThreads, 'node-threads'));
      for (const s of nodeSugg) {
        note.append(h('p', { class: ['sg-note', authorClass(this.panel, s.author)], 'data-testid': 'node-suggestion',
          'data-suggestion': idKey(s.id) }, authorChip(this.panel, s.author), ' ',
        this.t(s.kind === 'delete' ? 'review.suggestsDelete' : 'review.suggestsMove')));
      }
      np.heading.after(note);
    }
  }

  _threadNote(threads, testid) {
    const unread = threads.reduce((n, x) => n + (x.unread || 0), 0);
    return h('p', { class: 'review-note thread-note' },
      h('button', { type: 'button', class: 'linkish', 'data-testid': testid,
        onclick: () => this.panel.openThread(threads[0]) },
      this.t('review.threadCount', { n: threads.length }),
      unread ? ` · ${this.t('review.unreadCount', { n: unread })}` : ''));
  }

  // ------------------------------------------------------ suggest mode

  // The doc the node panel's fields and tables get in suggest mode: reads
  // go to the real doc; setField and setCell make suggestions.
  suggestDoc() {
    const panel = this.panel;
    const doc = panel.doc;
    const t = this.t;
    const overrides = {
      setField: (node, field, value) => doc.review({ op: 'suggest_field', node, field, value }).ops,
      setCell: (node, table, row, column, value) =>
        doc.review({ op: 'suggest_cell', node, table, row, column, value }).ops,
      insertTableLine: () => { throw new Error(t('review.notInSuggest')); },
      deleteTableLine: () => { throw new Error(t('review.notInSuggest')); },
    };
    return new Proxy(doc, {
      get(target, prop) {
        if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop];
        const v = target[prop];
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }

  draftBar(lt) {
    const t = this.t;
    const submit = () => {
      const edit = lt.takeDraft();
      if (!edit) return;
      const r = this.panel.run({ op: 'suggest_text', node: lt.node, field: lt.field,
        pos: edit.pos, length: edit.del, text: edit.ins });
      if (r) this.panel.say(t('review.suggested'));
    };
    const bar = h('div', { class: 'draft-bar', 'data-testid': 'draft-bar', 'data-field': lt.field, hidden: true },
      h('span', { class: 'draft-label' }, t('review.draft')),
      h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'suggest-submit',
        onclick: submit }, t('review.submitSuggestion')),
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'suggest-discard',
        onclick: () => lt.discardDraft() }, t('review.discard')));
    lt.textarea.addEventListener('keydown', (e) => {
      if (!lt.hasDraft()) return;
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
      if (e.key === 'Escape') { e.preventDefault(); lt.discardDraft(); }
    });
    this.bars.set(lt, bar);
    return bar;
  }

  draftChanged(lt, has) {
    const bar = this.bars.get(lt);
    if (bar) bar.hidden = !has;
  }
}
