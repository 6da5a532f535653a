// ui/login.js — the login screen: demo accounts (POST /api/demo-login) or a
// pasted token. Owned by the UI helper.
import { h, clear } from './dom.js';
import { simpleHeader } from './shell.js';
import { demoLogin, authFromToken } from './auth.js';

export const DEMO_ACCOUNTS = [
  { user: 'ola', role: 'editor', municipality: 'Vestby' },
  { user: 'anne', role: 'editor', municipality: 'Moss' },
  { user: 'siri', role: 'editor', municipality: 'Råde' },
  { user: 'per', role: 'reviewer' },
  { user: 'arne', role: 'auditor' },
  { user: 'vera', role: 'viewer' },
];

export function renderLogin(root, app) {
  const { t } = app;
  const message = h('p', { class: 'error', role: 'alert', 'data-testid': 'login-error' });
  const fail = (text) => { message.textContent = text; };

  const demoButtons = DEMO_ACCOUNTS.map((a) => h('li', {},
    h('button', { type: 'button', class: 'btn btn-account', 'data-testid': `login-${a.user}`,
      onclick: async (e) => {
        e.currentTarget.disabled = true;
        try {
          app.login(await demoLogin(a.user));
        } catch (err) {
          fail(t('login.failed', { message: err.message }));
          e.target.disabled = false;
        }
      } },
    a.municipality
      ? t('login.as', { user: a.user, role: t(`role.${a.role}`), municipality: a.municipality })
      : t('login.asNoMun', { user: a.user, role: t(`role.${a.role}`) }))));

  const input = h('textarea', { id: 'token-input', 'data-testid': 'token-input', rows: 3,
    autocomplete: 'off', spellcheck: 'false', class: 'token-input' });
  const form = h('form', { class: 'token-form', onsubmit: (e) => {
    e.preventDefault();
    const auth = authFromToken(input.value);
    if (!auth) {
      input.setAttribute('aria-invalid', 'true');
      fail(t('login.badToken'));
      return;
    }
    app.login(auth);
  } },
  h('label', { for: 'token-input' }, t('login.tokenLabel')),
  input,
  h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'token-submit' }, t('login.tokenSubmit')));

  clear(root).append(
    simpleHeader(app),
    h('main', { id: 'main', class: 'page narrow', tabindex: '-1' },
      h('h1', {}, t('login.title')),
      message,
      h('section', { 'aria-labelledby': 'demo-heading' },
        h('h2', { id: 'demo-heading' }, t('login.demo')),
        h('p', { class: 'hint' }, t('login.demoHint')),
        h('ul', { class: 'accounts' }, demoButtons)),
      h('section', { 'aria-labelledby': 'token-heading' },
        h('h2', { id: 'token-heading' }, t('login.token')),
        form)));
}
