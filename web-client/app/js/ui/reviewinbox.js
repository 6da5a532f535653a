// ui/reviewinbox.js — the user's inbox: threads that mention them or their
// municipality, are assigned to them, or sit on parts their municipality
// owns, with unread counts; opening one selects its part and opens the
// thread (which marks it read).
import { h } from './dom.js';
import { idKey } from '../permissions.js';
import { excerpt } from '../reviewtext.js';
import { rebuild, authorChip, nodeLabel } from './reviewdom.js';

export class InboxTab {
  constructor(panel) {
    this.panel = panel;
    this.summary = h('p', { class: 'inbox-status', 'data-testid': 'inbox-status' });
    this.list = h('div', { class: 'inbox-list' });
    this.el = h('div', { class: 'review-inbox' }, this.summary, this.list);
  }

  get t() { return this.panel.app.t; }

  update(views) {
    const { t } = this;
    const inbox = views.inbox || { items: [] };
    const items = inbox.items || [];
    this.summary.dataset.unread = String(inbox.unread || 0);
    this.summary.textContent = t('review.inboxSummary', { n: items.length, unread: inbox.unread || 0,
      threads: inbox.unread_threads || 0 });
    rebuild(this.list, JSON.stringify([items, t.lang]), (box) => {
      if (!items.length) {
        box.append(h('p', { class: 'hint', 'data-testid': 'inbox-empty' }, t('review.inboxEmpty')));
        return;
      }
      box.append(h('ul', { class: 'plain-list' }, items.map((x) => h('li', {}, this._item(x)))));
    });
  }

  _item(x) {
    const { t } = this;
    const panel = this.panel;
    const k = idKey(x.id);
    const first = x.comments && x.comments[0];
    return h('article', { class: ['inbox-item', x.unread ? 'has-unread' : '', x.resolved ? 'resolved' : ''],
      'data-testid': 'inbox-item', 'data-thread': k, 'data-unread': String(x.unread || 0) },
    h('header', {}, authorChip(panel, x.author), ' ',
      (x.reasons || []).map((r) => h('span', { class: 'badge badge-reason' }, t(`review.reason.${r}`))),
      x.unread ? h('span', { class: 'badge badge-unread' }, t('review.unreadCount', { n: x.unread })) : null,
      x.resolved ? h('span', { class: 'badge badge-resolved' }, t('review.resolved')) : null),
    h('p', {}, first && !first.deleted ? excerpt(first.body, 100) : t('review.deleted')),
    h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'inbox-open', 'data-key': `open-${k}`,
      onclick: () => panel.openThread(x) },
    t('review.openThread', { node: x.anchor ? nodeLabel(panel, x.anchor.node) : '' })));
  }
}
