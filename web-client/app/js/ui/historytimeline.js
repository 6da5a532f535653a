// ui/historytimeline.js — the history view's timeline tab: a slider over
// the plan's stored operations (1 … the head's seq) and the plan as it was
// after the operation under it, asked with `at` queries as the slider
// moves. The channel keeps one request in flight and replaces the waiting
// one, so a drag asks for a few points along the way and always ends on
// where the slider stopped. The named versions are listed (and marked on
// the track); choosing one moves the slider there.
import { h, clear } from './dom.js';
import { renderState } from './historystate.js';
import { pointLabel, when } from './historydom.js';
import { versionAt } from '../history.js';

export class TimelineTab {
  constructor(view) {
    this.view = view;
    this.seq = null;       // the slider's position (null: the head, not yet known)
    this.shownSeq = null;  // the point drawn
    this.state = null;     // the `at` reply drawn
    this.el = null;
  }

  get t() { return this.view.t; }

  render() {
    const { t } = this;
    this.slider = h('input', { type: 'range', id: 'history-slider', class: 'history-slider',
      'data-testid': 'history-slider', min: '1', max: '1', step: '1', value: '1', disabled: true,
      'aria-describedby': 'history-position',
      oninput: () => this.moved(Number(this.slider.value)),
      onchange: () => this.moved(Number(this.slider.value)) });
    this.marks = h('div', { class: 'history-marks', 'aria-hidden': 'true' });
    this.position = h('output', { id: 'history-position', class: 'history-position', for: 'history-slider',
      'data-testid': 'history-position', 'aria-live': 'polite' });
    this.headButton = h('button', { type: 'button', class: 'btn', 'data-testid': 'history-to-head',
      onclick: () => this.jump(this.view.lastSeq) }, t('history.toHead'));
    this.blameButton = h('button', { type: 'button', class: 'btn', 'data-testid': 'history-blame-here',
      onclick: () => { this.view.tabs.blame.usePoint(this.seq); this.view.showTab('blame', { focus: true }); } },
    t('history.blameHere'));
    this.versionsEl = h('ul', { class: 'history-versions plain-list', 'data-testid': 'history-versions',
      'aria-labelledby': 'history-versions-heading' });
    this.status = h('p', { class: 'hint history-loading', role: 'status', 'data-testid': 'history-status' });
    // Focusable: it scrolls, and keyboard users must be able to scroll it.
    this.stateEl = h('div', { class: 'history-state', 'data-testid': 'history-state', 'aria-busy': 'false', tabindex: '0',
      'aria-labelledby': 'history-state-heading' });
    this.el = h('div', { class: 'history-timeline' },
      h('div', { class: 'history-slider-box' },
        h('label', { for: 'history-slider', class: 'history-slider-label' }, t('history.slider')),
        h('div', { class: 'history-track' }, this.slider, this.marks),
        h('p', { class: 'history-position-line' }, this.position),
        h('p', { class: 'hint', id: 'history-slider-help' }, t('history.sliderHelp')),
        h('div', { class: 'row-actions' }, this.headButton, this.blameButton)),
      h('div', { class: 'history-columns' },
        h('section', { class: 'history-versions-box', 'aria-labelledby': 'history-versions-heading' },
          h('h3', { id: 'history-versions-heading' }, t('history.versions')),
          this.versionsEl),
        h('section', { class: 'history-state-box', 'aria-labelledby': 'history-state-heading' },
          h('h3', { id: 'history-state-heading' }, t('history.stateTitle')),
          this.status, this.stateEl)));
    this.slider.setAttribute('aria-describedby', 'history-position history-slider-help');
    this.headChanged();
    this.versionsChanged();
    if (this.state) this._draw(this.state);
    return this.el;
  }

  // The tab is shown (or the view opened): draw the slider's point, asking
  // for the head first when it is not known.
  shown() {
    if (this.seq === null || this.view.lastSeq === null) {
      this._ask('head');
    } else if (this.shownSeq !== this.seq) {
      this._ask(String(this.seq));
    }
  }

  headChanged() {
    if (!this.slider) return;
    const last = this.view.lastSeq;
    if (last === null) return;
    // The slider stays where it is when the head moves on (others edit
    // meanwhile); only its end follows.
    this.slider.max = String(Math.max(1, last));
    this.slider.disabled = last < 1;
    if (this.seq === null) this.seq = last;
    this.slider.value = String(this.seq);
    this._label();
    this.versionsChanged();
  }

  versionsChanged() {
    if (!this.versionsEl) return;
    const { t } = this;
    const versions = this.view.versions || [];
    clear(this.versionsEl);
    clear(this.marks);
    if (!versions.length) {
      this.versionsEl.append(h('li', { class: 'hint', 'data-testid': 'history-versions-empty' },
        this.view.versions === null ? t('history.loading') : t('history.noVersions')));
    }
    const last = this.view.lastSeq || 1;
    for (const v of versions) {
      const on = v.seq === this.seq;
      this.versionsEl.append(h('li', { class: ['history-version', on ? 'current' : ''] },
        h('button', { type: 'button', class: 'linkish', 'data-testid': 'history-version', 'data-version': v.name,
          'data-seq': v.seq, 'aria-current': on ? 'true' : null, onclick: () => this.jump(v.seq) }, v.name),
        h('span', { class: 'hint' }, ` ${pointLabel(t, v.seq, v.time)}`,
          v.reference ? ` · ${v.reference}` : '',
          v.created_by ? ` · ${t('history.versionBy', { user: v.created_by, when: when(t, v.created_ms) })}` : ''),
        v.signature ? h('span', { class: 'history-signed', title: t('history.signedTitle', { key: v.key_id || '' }) },
          ` ✓ ${t('history.signed')}`) : null));
      const mark = h('span', { class: 'history-mark', title: v.name });
      mark.style.setProperty('--at', `${last > 1 ? ((v.seq - 1) / (last - 1)) * 100 : 0}%`);
      this.marks.append(mark);
    }
  }

  // Moves the slider to `seq` and draws that point.
  jump(seq) {
    if (seq === null || seq === undefined) return;
    this.slider.value = String(seq);
    this.moved(Number(this.slider.value));
    this.slider.focus();
  }

  moved(seq) {
    if (!Number.isFinite(seq) || seq === this.seq && this.shownSeq === seq) return;
    this.seq = seq;
    this._label();
    this._ask(String(seq));
  }

  usePoint(seq) { if (seq != null) this.seq = seq; }

  _label() {
    const { t } = this;
    if (this.seq === null) return;
    const v = versionAt(this.view.versions, this.seq);
    const time = this.state && this.state.seq === this.seq ? this.state.time : null;
    const atHead = this.seq === this.view.lastSeq;
    const text = `${pointLabel(t, this.seq, time, v && v.name)}${atHead ? ` (${t('history.head')})` : ''}`;
    this.slider.setAttribute('aria-valuetext', text);
    this.position.textContent = t('history.position', { point: text, last: this.view.lastSeq ?? '?' });
    this.position.dataset.seq = String(this.seq);
    for (const b of this.versionsEl.querySelectorAll('[data-testid="history-version"]')) {
      const on = Number(b.dataset.seq) === this.seq;
      if (on) b.setAttribute('aria-current', 'true'); else b.removeAttribute('aria-current');
      b.parentElement.classList.toggle('current', on);
    }
  }

  async _ask(at) {
    this.stateEl.setAttribute('aria-busy', 'true');
    this.stateEl.dataset.loading = at;
    this.status.textContent = this.t('history.loading');
    let r;
    try {
      r = await this.view.ask('at', { query: 'at', at });
    } catch (err) {
      if (err.code === 'replaced') return;  // a newer position is asked
      this.stateEl.setAttribute('aria-busy', 'false');
      this.status.textContent = '';
      this.view.error(err);
      return;
    }
    this.view.error(null);
    if (at === 'head') {
      this.view.noteHead(r.seq);
      if (this.seq === null) this.seq = r.seq;
    }
    this.state = r;
    this._draw(r);
  }

  _draw(r) {
    const { t } = this;
    // Still moving: a reply for a point the slider has left is drawn (it is
    // on the way), but the view stays busy until the last point arrives.
    const current = r.seq === this.seq;
    this.shownSeq = r.seq;
    const tree = renderState(t, r.state);
    clear(this.stateEl).append(tree);
    this.stateEl.dataset.seq = String(r.seq);
    if (current) {
      delete this.stateEl.dataset.loading;
      this.stateEl.setAttribute('aria-busy', 'false');
      this.status.textContent = '';
      this._label();
    }
  }
}
