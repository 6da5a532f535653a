// Every screen (login, plan list, editor) at 1280×800 and 390 px wide in
// Chromium against a real server: axe-core finds no WCAG 2.1 A/AA violation,
// a screenshot of each lands in build/screenshots/, nothing overflows
// sideways on the phone; and the bokmål and Swedish interfaces load from the
// browser's language, with the switch to change it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import en from '../../web-client/app/js/locales/en.js';
import nb from '../../web-client/app/js/locales/nb.js';
import sv from '../../web-client/app/js/locales/sv.js';
import {
  DEMO_PLAN,
  T,
  assertNoProblems,
  axeViolations,
  fixture,
  login,
  newPage,
  nodeKey,
  openDemo,
  pickNode,
  screenshot,
  selectNode,
  serverState,
  tid,
} from './harness.mjs';

const fx = fixture();
before(fx.setUp, { timeout: T.test });
after(fx.tearDown, { timeout: T.test });

const SIZES = [
  { name: '1280', width: 1280, height: 800 },
  { name: '390', width: 390, height: 844 },
];

/** No element wider than the viewport (a 390 px screen must not scroll sideways). */
async function noSidewaysScroll(page, screen) {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(over <= 1, `the ${screen} screen scrolls sideways by ${over} px`);
}

describe('screens', { timeout: T.test * 4 }, () => {
  for (const size of SIZES) {
    test(`login, plan list and editor at ${size.width} px: axe clean, screenshots`, { timeout: T.test }, async (t) => {
      const browser = await fx.browser(t);
      const { page } = await newPage(browser, { locale: 'nb-NO', width: size.width, height: size.height });
      // Every screen is checked and photographed; the failures are told
      // together at the end.
      const failures = [];
      const checkA11y = async (p, screen) => failures.push(...(await axeViolations(p, screen)));
      const assertNoSidewaysScroll = async (p, screen) => {
        try {
          await noSidewaysScroll(p, `${screen} (${size.width} px)`);
        } catch (e) {
          failures.push(e.message);
        }
      };

      await page.goto(`${fx.base}/`, { waitUntil: 'domcontentloaded' });
      await tid(page, 'login-ola').waitFor();
      await screenshot(page, `login-${size.name}`);
      await checkA11y(page, `login (${size.width} px)`);
      await assertNoSidewaysScroll(page, 'login');

      await tid(page, 'login-ola').click();
      await tid(page, `plan-${DEMO_PLAN}`).waitFor();
      await screenshot(page, `plans-${size.name}`);
      await checkA11y(page, `plan list (${size.width} px)`);
      await assertNoSidewaysScroll(page, 'plan list');

      await openDemo(page);
      const state = await serverState(fx.base);
      const goal = nodeKey(pickNode(state, (n) => n.kind === 'goal', 'goal').id);
      await selectNode(page, goal);
      await screenshot(page, `editor-${size.name}`);
      await checkA11y(page, `editor (${size.width} px)`);
      await assertNoSidewaysScroll(page, 'editor');

      // The editor on an indicator: its table and the regional total.
      const ind = nodeKey(pickNode(state, (n) => n.kind === 'indicator' && n.tables?.values, 'indicator').id);
      await selectNode(page, ind);
      await tid(page, 'table-values').waitFor();
      await tid(page, 'table-values').scrollIntoViewIfNeeded();
      await screenshot(page, `editor-table-${size.name}`);
      await checkA11y(page, `editor with a table (${size.width} px)`);
      await assertNoSidewaysScroll(page, 'editor with a table');

      // A node ola may not edit: the read-only state is a screen too.
      const moss = nodeKey(pickNode(state, (n) => (n.fields?.owner?.value ?? []).join() === 'Moss', 'Moss node').id);
      await selectNode(page, moss);
      await tid(page, 'readonly-reason').waitFor();
      await screenshot(page, `editor-readonly-${size.name}`);
      await checkA11y(page, `editor, read-only node (${size.width} px)`);
      assert.deepEqual(failures, [], `${failures.length} problem(s):\n${failures.join('\n')}`);
      assertNoProblems(page);
    });
  }

  const LANGS = [
    { locale: 'nb-NO', lang: 'nb', strings: nb, other: 'sv', otherStrings: sv },
    { locale: 'sv-SE', lang: 'sv', strings: sv, other: 'nb', otherStrings: nb },
  ];
  for (const l of LANGS) {
    test(`the ${l.locale} browser gets the ${l.lang} interface, and the switch changes it`, { timeout: T.test }, async (t) => {
      assert.notEqual(l.strings['login.title'], en['login.title'], 'the locale has its own login title');
      const browser = await fx.browser(t);
      const { page } = await newPage(browser, { locale: l.locale });
      await page.goto(`${fx.base}/`, { waitUntil: 'domcontentloaded' });
      await tid(page, 'login-ola').waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.lang), l.lang);
      await page.getByRole('heading', { name: l.strings['login.title'], exact: true }).waitFor();

      await login(page, fx.base, 'ola');
      await page.getByRole('heading', { name: l.strings['plans.title'], exact: true }).waitFor();
      await openDemo(page);
      await screenshot(page, `editor-${l.lang}`);
      const conn = tid(page, 'conn-state');
      assert.equal((await conn.innerText()).trim(), l.strings['conn.online']);

      // The switch: the other language at once, kept over a reload.
      const sw = tid(page, 'lang-switch');
      if ((await sw.evaluate((el) => el.tagName)) === 'SELECT') await sw.selectOption(l.other);
      else {
        await sw.click();
        await page.locator(`[data-lang="${l.other}"]`).click();
      }
      await page.waitForFunction((lang) => document.documentElement.lang === lang, l.other, { timeout: T.step });
      assert.equal((await conn.innerText()).trim(), l.otherStrings['conn.online']);
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForFunction((lang) => document.documentElement.lang === lang, l.other, { timeout: T.step });
      assertNoProblems(page);
    });
  }
});
