// main.js — the app's entry point: language, login state and the hash
// router (#/login, #/plans, #/plans/<id>[/node/<r:c>]) that shows one screen
// at a time. Owned by the UI helper.
//
// Screens: ui/login.js, ui/plans.js, ui/editor.js. The editor loads the wasm
// core (served at /core/samplan_core_web.mjs, which streams its .wasm) only
// when a plan is opened, once
// per page.
import Factory from '/core/samplan_core_web.mjs';
import { loadCore, PlanDoc } from './doc.js';
import { Connection } from './sync.js';
import { OfflineStore } from './store.js';
import { UndoManager } from './undo.js';
import { chooseLanguage, translator, LANGUAGES } from './i18n.js';
import { loadAuth, saveAuth, clearAuth } from './ui/auth.js';
import { renderLogin } from './ui/login.js';
import { renderPlans } from './ui/plans.js';
import { EditorScreen } from './ui/editor.js';
import { h } from './ui/dom.js';

const LANG_KEY = 'samplan.lang';
const root = document.getElementById('app');

let corePromise = null;
const deps = {
  loadCore: () => (corePromise ||= loadCore(Factory)),
  Connection, OfflineStore, PlanDoc, UndoManager,
};

function initialLanguage() {
  const stored = localStorage.getItem(LANG_KEY);
  if (stored && LANGUAGES.includes(stored)) return stored;
  return chooseLanguage(navigator.languages && navigator.languages.length
    ? navigator.languages : [navigator.language]);
}

const app = {
  t: translator(initialLanguage()),
  auth: loadAuth(),
  screen: null,       // the EditorScreen while a plan is open
  screenKey: null,

  setLanguage(lang) {
    localStorage.setItem(LANG_KEY, lang);
    this.t = translator(lang);
    applyLanguage();
    // Re-render the current screen in the new language, keeping its state.
    if (this.screen) {
      const focusedTestId = document.activeElement && document.activeElement.dataset.testid;
      this.screen.render();
      const again = focusedTestId && document.querySelector(`[data-testid="${focusedTestId}"]`);
      if (again) again.focus();
    } else {
      route(true);
      const sw = document.querySelector('[data-testid="lang-switch"]');
      if (sw) sw.focus();
    }
  },

  login(auth) {
    this.auth = auth;
    saveAuth(auth);
    if (location.hash.startsWith('#/plans/')) route(true);
    else location.hash = '#/plans';
  },

  logout() {
    clearAuth();
    this.auth = null;
    location.hash = '#/login';
    route(true);
  },
};

function applyLanguage() {
  document.documentElement.lang = app.t.lang === 'nb' ? 'nb' : app.t.lang;
  const skip = document.querySelector('.skip');
  if (skip) skip.textContent = app.t('app.skip');
}

async function route(force = false) {
  const hash = location.hash.startsWith('#/') ? location.hash : '#/plans';
  let key;
  let planId = null;
  const m = /^#\/plans\/([^/]+)/.exec(hash);
  if (!app.auth) key = 'login';
  else if (m) { planId = decodeURIComponent(m[1]); key = `plan:${planId}`; } else key = 'plans';
  if (!force && key === app.screenKey) return;  // e.g. #/plans/demo/node/… within the editor
  if (app.screen) {
    const old = app.screen;
    app.screen = null;
    await old.stop();
  }
  app.screenKey = key;
  document.title = 'Samplan';
  if (key === 'login') {
    if (hash !== '#/login') history.replaceState(null, '', '#/login');
    renderLogin(root, app);
  } else if (key === 'plans') {
    if (hash !== '#/plans') history.replaceState(null, '', '#/plans');
    await renderPlans(root, app);
  } else {
    const screen = new EditorScreen(root, app, planId, deps);
    app.screen = screen;
    await screen.start();
  }
  // Move focus to the new screen's main landmark for keyboard and screen
  // reader users (not on first load, where the browser's default is right).
  if (routed && !(app.screen && root.contains(document.activeElement))) {
    const main = document.getElementById('main');
    if (main) main.focus({ preventScroll: true });
  }
  routed = true;
}
let routed = false;

// A debug hook for the console and the end-to-end tests: the open plan's
// doc and connection (read-only use; nothing in the app depends on it).
window.samplan = {
  get doc() { return app.screen ? app.screen.doc : null; },
  get conn() { return app.screen ? app.screen.conn : null; },
  get editor() { return app.screen; },
  get lang() { return app.t.lang; },
};

window.addEventListener('hashchange', () => route());
// Another tab logged in or out.
window.addEventListener('storage', (e) => {
  if (e.key === 'samplan.auth') {
    app.auth = loadAuth();
    route(true);
  }
});

applyLanguage();
if (!document.querySelector('.skip')) {
  // The skip link must not touch location.hash: that is the router's.
  document.body.prepend(h('a', { class: 'skip', href: '#main', onclick: (e) => {
    e.preventDefault();
    const main = document.getElementById('main');
    if (main) main.focus();
  } }, app.t('app.skip')));
}
route();
