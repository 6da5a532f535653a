// ui/plans.js — the plan list (GET /api/plans). Owned by the UI helper.
import { h, clear } from './dom.js';
import { simpleHeader } from './shell.js';
import { api } from './auth.js';

export async function renderPlans(root, app) {
  const { t } = app;
  const status = h('p', { role: 'status' }, t('plans.loading'));
  const list = h('ul', { class: 'plans' });
  clear(root).append(
    simpleHeader(app, { withLogout: true }),
    h('main', { id: 'main', class: 'page narrow', tabindex: '-1' },
      h('h1', {}, t('plans.title')), status, list));
  try {
    const body = await api('/api/plans', app.auth);
    const plans = body.plans || [];
    status.textContent = plans.length ? '' : t('plans.empty');
    for (const p of plans) {
      list.append(h('li', { class: 'plan-card' },
        h('a', { href: `#/plans/${encodeURIComponent(p.id)}`, 'data-testid': `plan-${p.id}`,
          class: 'plan-link' }, p.title || p.id),
        h('span', { class: 'plan-role' }, t('plans.role', { role: t(`role.${p.role}`) }))));
    }
  } catch (err) {
    if (err.status === 401) { app.logout(); return; }
    status.textContent = t('plans.failed', { message: err.message });
    status.classList.add('error');
  }
}
