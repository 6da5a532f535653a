// ui/shell.js — the parts every screen shares: the language switch, the
// logout button, the page header. Owned by the UI helper.
import { h, nextId } from './dom.js';
import { LANGUAGES } from '../i18n.js';

export function languageSwitch(app) {
  const id = nextId('lang');
  const select = h('select', { id, 'data-testid': 'lang-switch',
    onchange: (e) => app.setLanguage(e.target.value) },
  LANGUAGES.map((l) => h('option', { value: l, selected: l === app.t.lang, lang: l }, app.t(`lang.${l}`))));
  return h('div', { class: 'lang' }, h('label', { for: id }, app.t('lang.label')), select);
}

export function logoutButton(app) {
  return h('button', { type: 'button', class: 'btn', 'data-testid': 'logout',
    onclick: () => app.logout() }, app.t('logout'));
}

// A simple header for the login and plan list screens.
export function simpleHeader(app, { withLogout = false } = {}) {
  return h('header', { class: 'topbar' },
    h('p', { class: 'brand' }, app.t('app.name')),
    h('div', { class: 'topbar-tools' },
      app.auth ? h('span', { class: 'who' }, app.auth.municipality
        ? app.t('editor.user', { user: app.auth.user, municipality: app.auth.municipality })
        : app.auth.user) : null,
      languageSwitch(app),
      withLogout ? logoutButton(app) : null));
}
