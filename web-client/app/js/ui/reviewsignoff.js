// ui/reviewsignoff.js — sign-off by the owning municipalities: every part
// (the plan, its chapters and goals) with who must approve it, the
// approvals (who, when; an approval outdated by a later edit inside the
// part stays visible, marked), and what is missing. An editor approves or
// revokes for its own municipality on parts it co-owns or that are joint.
import { h } from './dom.js';
import { idKey } from '../permissions.js';
import { canApprove } from '../reviewrights.js';
import { municipalityClass } from './colors.js';
import { rebuild, when, showNodeButton } from './reviewdom.js';

export class SignoffTab {
  constructor(panel) {
    this.panel = panel;
    this.onlyMissing = false;
    this.summary = h('p', { class: 'signoff-status', 'data-testid': 'signoff-status' });
    this.list = h('div', { class: 'signoff-list' });
    this.el = h('div', { class: 'review-signoff' }, this.summary, this.list);
  }

  get t() { return this.panel.app.t; }

  update(views) {
    const { t } = this;
    const ed = this.panel.editor;
    const { items = [], complete = false } = views.signoff || {};
    const missing = items.filter((p) => p.missing && p.missing.length);
    this.summary.dataset.complete = String(!!complete);
    this.summary.textContent = complete ? t('review.signoffComplete')
      : t('review.signoffMissing', { n: missing.length, total: items.length });
    rebuild(this.list, JSON.stringify([items, ed.user, t.lang]), (box) => {
      box.append(h('ol', { class: 'plain-list parts' }, items.map((p) => h('li', {}, this._part(p)))));
    });
  }

  _part(p) {
    const { t } = this;
    const panel = this.panel;
    const ed = panel.editor;
    const mun = ed.user.municipality;
    const key = idKey(p.node);
    const mine = (p.approvals || []).find((a) => a.municipality === mun);
    const art = h('article', { class: ['signoff-part', p.missing && p.missing.length ? 'missing' : 'done'],
      'data-testid': 'signoff-part', 'data-node': key, 'data-missing': (p.missing || []).join(','),
      'data-kind': p.kind },
    h('header', {}, showNodeButton(panel, p.node)),
    h('p', { class: 'owners' }, t('review.approvers'), ' ',
      (p.owners || []).map((m) => h('span', { class: ['badge', municipalityClass(m, ed.municipalities)] }, m))));
    if (p.approvals && p.approvals.length) {
      art.append(h('ul', { class: 'approvals plain-list' }, p.approvals.map((a) => h('li', {
        class: ['approval', a.outdated ? 'outdated' : ''], 'data-testid': 'approval',
        'data-municipality': a.municipality, 'data-outdated': String(!!a.outdated) },
      h('span', { 'aria-hidden': 'true' }, a.outdated ? '⚠ ' : '✓ '),
      t('review.approvedBy', { municipality: a.municipality, who: a.author ? a.author.user : '?',
        when: when(t, a.author && a.author.time) }),
      a.outdated ? h('span', { class: 'badge badge-outdated', 'data-testid': 'approval-outdated' },
        t('review.outdated')) : null))));
    }
    if (p.missing && p.missing.length) {
      art.append(h('p', { class: 'missing-line', 'data-testid': 'signoff-missing' },
        t('review.lacks', { list: p.missing.join(', ') })));
    }
    if (mun && canApprove(ed.user, ed.index || new Map(), p, mun).ok) {
      const current = mine && !mine.outdated;
      const row = h('div', { class: 'row-actions' });
      if (!current) {
        row.append(h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'approve',
          'data-key': `approve-${key}`, onclick: () => {
            if (panel.run({ op: 'approve', node: p.node, municipality: mun })) panel.say(t('review.approvedSay'));
          } }, t(mine ? 'review.approveAgain' : 'review.approve', { municipality: mun })));
      }
      if (mine) {
        row.append(h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'revoke',
          'data-key': `revoke-${key}`, onclick: () => panel.run({ op: 'revoke', node: p.node, municipality: mun }) },
        t('review.revoke', { municipality: mun })));
      }
      art.append(row);
    }
    return art;
  }
}
