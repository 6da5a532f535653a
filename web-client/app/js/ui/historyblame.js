// ui/historyblame.js — the history view's blame tab: the plan at a point
// (now, or the timeline's point) with every stretch of text coloured by the
// municipality of the user who wrote it, the author, time and operation on
// hover (title) and in the legend; for fields and cells who set the value;
// per part who changed it last. Two queries for one point: `at` (the
// texts) and `blame` (spans in code points over those texts, converted to
// UTF-16 by blameRuns before they cut the strings).
import { h, clear } from './dom.js';
import { renderState } from './historystate.js';
import { authorChip, authorLabel, authorTitle, munClass, pointLabel } from './historydom.js';
import { blameRuns } from '../history.js';

function key(id) { return Array.isArray(id) ? `${id[0]}:${id[1]}` : String(id || ''); }

export class BlameTab {
  constructor(view) {
    this.view = view;
    this.point = 'head';  // "head" or a seq string
    this.data = null;     // {state, blame, seq}
    this._want = null;
  }

  get t() { return this.view.t; }

  render() {
    const { t } = this;
    this.pointEl = h('p', { class: 'history-blame-point', 'data-testid': 'history-blame-point' });
    this.headButton = h('button', { type: 'button', class: 'btn', 'data-testid': 'history-blame-head',
      onclick: () => { this.point = 'head'; this.load(); } }, t('history.blame.now'));
    this.legend = h('ul', { class: 'history-legend plain-list', 'data-testid': 'history-blame-legend',
      'aria-labelledby': 'history-legend-heading' });
    this.status = h('p', { class: 'hint', role: 'status', 'data-testid': 'history-blame-status' });
    this.out = h('div', { class: 'history-blame history-state', 'data-testid': 'history-blame', 'aria-busy': 'false', tabindex: '0',
      'aria-labelledby': 'history-blame-heading' });
    this.el = h('div', { class: 'history-blame-tab' },
      h('p', { class: 'hint' }, t('history.blame.help')),
      h('div', { class: 'row-actions' }, this.pointEl, this.headButton),
      h('div', { class: 'history-columns' },
        h('section', { class: 'history-legend-box', 'aria-labelledby': 'history-legend-heading' },
          h('h3', { id: 'history-legend-heading' }, t('history.blame.legend')), this.legend),
        h('section', { 'aria-labelledby': 'history-blame-heading' },
          h('h3', { id: 'history-blame-heading' }, t('history.blame.title')), this.status, this.out)));
    if (this.data) this._draw();
    return this.el;
  }

  usePoint(seq) {
    this.point = seq == null || seq === this.view.lastSeq ? 'head' : String(seq);
  }

  shown() {
    const want = this.point;
    if (!this.data || this.data.point !== want) this.load();
  }

  async load() {
    const { t } = this;
    const point = this.point;
    this._want = point;
    this.status.textContent = t('history.loading');
    this.out.setAttribute('aria-busy', 'true');
    this.out.dataset.loading = point;
    let state;
    let blame;
    try {
      // The state first: its seq fixes the point (head may move between
      // the two answers), and blame is asked at exactly that seq.
      state = await this.view.ask('blame-state', { query: 'at', at: point });
      blame = await this.view.ask('blame', { query: 'blame', at: String(state.seq) });
    } catch (err) {
      if (err.code === 'replaced' || this._want !== point) return;
      this.status.textContent = '';
      this.out.setAttribute('aria-busy', 'false');
      this.view.error(err);
      return;
    }
    if (this._want !== point) return;
    this.view.error(null);
    if (point === 'head') this.view.noteHead(state.seq);
    this.data = { point, seq: state.seq, time: state.time, state: state.state, blame: blame.blame || blame };
    this.status.textContent = '';
    this._draw();
  }

  _draw() {
    const { t } = this;
    const { state, blame, seq, time } = this.data;
    const byNode = new Map();
    for (const n of blame.nodes || []) byNode.set(key(n.node), n);
    this.pointEl.textContent = t('history.blame.at', { point: pointLabel(t, seq, time) });
    // Who wrote how much: the legend.
    const people = new Map();
    const count = (a, n) => {
      const k = `${a.user}\u0000${a.municipality || ''}`;
      const p = people.get(k) || { author: a, chars: 0 };
      p.chars += n;
      people.set(k, p);
    };
    const tree = renderState(t, state, {
      text: (node, field, value) => {
        const b = byNode.get(key(node.id));
        const spans = b && b.texts && b.texts[field];
        if (!spans) return value;
        const frag = document.createDocumentFragment();
        for (const run of blameRuns(value, spans)) {
          const s = run.span;
          if (!s) { frag.append(run.text); continue; }
          count(s, run.text.length);
          frag.append(h('span', { class: ['blame-run', munClass(this.view, s.municipality)],
            title: authorTitle(t, s, s.seq), 'data-testid': 'blame-run', 'data-user': s.user || '',
            'data-municipality': s.municipality || '', 'data-seq': s.seq ?? '' }, run.text));
        }
        return frag;
      },
      head: (node) => {
        const b = byNode.get(key(node.id));
        const last = b && b.last;
        if (!last || !last.user) return null;
        return h('p', { class: 'hint blame-last', 'data-testid': 'blame-last' },
          t('history.blame.last'), ' ', authorChip(this.view, last, { title: authorTitle(t, last, last.seq) }));
      },
      field: (node, name) => {
        const b = byNode.get(key(node.id));
        const f = b && b.fields && b.fields[name];
        if (!f || !f.user) return null;
        return h('span', { class: ['blame-field', 'author', munClass(this.view, f.municipality)],
          title: authorTitle(t, f, f.seq), 'data-testid': 'blame-field', 'data-user': f.user },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        h('span', { class: 'visually-hidden' }, ` ${t('history.blame.setBy')} `), authorLabel(t, f));
      },
    });
    clear(this.out).append(tree);
    this.out.dataset.seq = String(seq);
    delete this.out.dataset.loading;
    this.out.setAttribute('aria-busy', 'false');
    clear(this.legend);
    const sorted = [...people.values()].sort((a, b) => b.chars - a.chars);
    if (!sorted.length) this.legend.append(h('li', { class: 'hint' }, t('history.blame.noText')));
    for (const p of sorted) {
      this.legend.append(h('li', { 'data-testid': 'blame-legend-item', 'data-user': p.author.user },
        authorChip(this.view, p.author), ' ', h('span', { class: 'hint' }, t('history.blame.chars', { n: p.chars }))));
    }
  }
}
