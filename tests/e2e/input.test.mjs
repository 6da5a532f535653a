// Text input as people type it, in Chromium against a real server: IME
// composition (a Japanese IME through CDP, as Chromium's own IME tests drive
// it), dead-key letters (ä, ö composed from a dead key and a letter, as a
// Swedish or Norwegian layout makes them) and the layout letters æ, ø, å;
// and the whole path from login to editing by keyboard alone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DEMO_PLAN,
  T,
  assertNoProblems,
  findNode,
  fixture,
  loginAndOpen,
  newPage,
  nodeKey,
  pickNode,
  selectNode,
  serverState,
  shownText,
  tid,
  until,
  waitOnline,
} from './harness.mjs';

const fx = fixture();
before(fx.setUp, { timeout: T.test });
after(fx.tearDown, { timeout: T.test });

/** A dead key pressed, then a letter: the browser composes the pair. */
async function deadKey(cdp, mark, letter, composed) {
  await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', key: 'Dead', code: 'BracketRight', windowsVirtualKeyCode: 221 });
  await cdp.send('Input.imeSetComposition', { text: mark, selectionStart: 1, selectionEnd: 1 });
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Dead', code: 'BracketRight', windowsVirtualKeyCode: 221 });
  await cdp.send('Input.dispatchKeyEvent', {
    type: 'rawKeyDown', key: letter, code: `Key${letter.toUpperCase()}`, windowsVirtualKeyCode: letter.toUpperCase().charCodeAt(0),
  });
  await cdp.send('Input.insertText', { text: composed });
  await cdp.send('Input.dispatchKeyEvent', {
    type: 'keyUp', key: letter, code: `Key${letter.toUpperCase()}`, windowsVirtualKeyCode: letter.toUpperCase().charCodeAt(0),
  });
}

/**
 * A letter key of the Norwegian layout (æ on Quote, ø on Semicolon, å on
 * BracketLeft): keydown with the text, as Chromium gets it from the OS.
 */
async function layoutKey(cdp, letter, code) {
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: letter, code, text: letter, unmodifiedText: letter });
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: letter, code });
}

/** The element that has focus: its test id, node and role. */
const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el ? { testid: el.dataset?.testid ?? null, node: el.dataset?.node ?? null, role: el.getAttribute('role'), tag: el.tagName } : null;
  });

/** Presses Tab until `pred(focused)` holds (at most `max` times). */
async function tabTo(page, pred, what, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f && pred(f)) return f;
  }
  throw new Error(`Tab never reached ${what} in ${max} presses`);
}

describe('typing', { timeout: T.test * 2 }, () => {
  test('IME composition and dead-key letters land in the text', { timeout: T.test }, async (t) => {
    const browser = await fx.browser(t);
    const { page } = await newPage(browser);
    await loginAndOpen(page, fx.base, 'ola');
    const start = await serverState(fx.base);
    const goal = pickNode(start, (n) => n.kind === 'goal', 'goal');
    const key = nodeKey(goal.id);
    await selectNode(page, key);
    const field = tid(page, 'node-title');
    await field.click();
    await page.keyboard.press('Control+End');
    const cdp = await page.context().newCDPSession(page);

    // A Japanese IME: preedit "に", "にほ", "にほん", then the committed
    // conversion. Only the committed text may become the plan's text.
    await page.keyboard.press('Space');
    for (const preedit of ['に', 'にほ', 'にほん']) {
      await cdp.send('Input.imeSetComposition', { text: preedit, selectionStart: preedit.length, selectionEnd: preedit.length });
    }
    await cdp.send('Input.insertText', { text: '日本' });
    // Layout letters of a Norwegian keyboard, then dead keys.
    await page.keyboard.press('Space');
    await layoutKey(cdp, 'æ', 'Quote');
    await layoutKey(cdp, 'ø', 'Semicolon');
    await layoutKey(cdp, 'å', 'BracketLeft');
    await deadKey(cdp, '¨', 'a', 'ä');
    await deadKey(cdp, '¨', 'o', 'ö');
    await cdp.detach();

    const expected = `${goal.texts.title} 日本 æøåäö`;
    await until(async () => (await shownText(field)) === expected || null, 'the field to show the composed text');
    await waitOnline(page, { settled: true });
    await until(async () => findNode(await serverState(fx.base), key).texts.title === expected || null,
      'the server to store exactly the composed text');
    assertNoProblems(page, 'ola');
  });

  test('keyboard alone: log in, open the plan, walk the outline, edit', { timeout: T.test }, async (t) => {
    const browser = await fx.browser(t);
    const { page } = await newPage(browser);
    await page.goto(`${fx.base}/`, { waitUntil: 'domcontentloaded' });
    await tid(page, 'login-ola').waitFor();

    await tabTo(page, (f) => f.testid === 'login-ola', 'the login-ola button');
    await page.keyboard.press('Enter');
    await tid(page, `plan-${DEMO_PLAN}`).waitFor();
    await tabTo(page, (f) => f.testid === `plan-${DEMO_PLAN}`, 'the demo plan');
    await page.keyboard.press('Enter');
    await waitOnline(page);

    // Into the outline: one tab stop (roving tabindex) on a tree item.
    const first = await tabTo(page, (f) => f.role === 'treeitem', 'the outline');
    const items = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="outline"] [role="treeitem"]')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => e.dataset.node),
    );
    assert.ok(items.length > 2, 'the outline lists the plan');
    const at = (f) => items.indexOf(f.node);
    await page.keyboard.press('ArrowDown');
    const second = await focused(page);
    assert.equal(second.role, 'treeitem');
    assert.equal(at(second), at(first) + 1, 'ArrowDown goes to the next item');
    await page.keyboard.press('ArrowUp');
    assert.equal((await focused(page)).node, first.node, 'ArrowUp goes back');
    await page.keyboard.press('End');
    const last = await focused(page);
    await page.keyboard.press('Home');
    const home = await focused(page);
    assert.notEqual(last.node, home.node, 'Home and End reach both ends of the outline');

    // Pick a joint goal by keyboard and edit its title.
    const state = await serverState(fx.base);
    const goal = nodeKey(pickNode(state, (n) => n.kind === 'goal', 'goal').id);
    for (let i = 0; i < items.length && (await focused(page)).node !== goal; i++) await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page)).node, goal, 'ArrowDown reaches the first goal');
    // Enter opens the node and puts the caret in its title.
    await page.keyboard.press('Enter');
    if ((await focused(page)).testid !== 'node-title') {
      await tabTo(page, (f) => f.testid === 'node-title', 'the title field', 30);
    }
    await page.keyboard.press('Control+End');
    await page.keyboard.type('!');
    await waitOnline(page, { settled: true });
    await until(async () => findNode(await serverState(fx.base), goal).texts.title.endsWith('!') || null,
      'the keyboard edit to reach the server');
    assertNoProblems(page, 'ola');
  });
});
