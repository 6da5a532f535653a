// Other users in a text, in Chromium against a real server: anne's caret
// and selection in a title show in ola's page with her name and her
// municipality's colour while she types, and anne's typing before ola's
// caret does not move ola's caret off the character it was at.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  T,
  assertNoProblems,
  findNode,
  fixture,
  loginAndOpen,
  newPage,
  nodeKey,
  screenshot,
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

const title = (state, key) => findNode(state, key).texts.title;

/** ola (Vestby) and anne (Moss), each in a context of their own, on the demo plan. */
async function twoEditors(t) {
  const browser = await fx.browser(t);
  const ola = await newPage(browser);
  const anne = await newPage(browser);
  await loginAndOpen(ola.page, fx.base, 'ola');
  await loginAndOpen(anne.page, fx.base, 'anne');
  return { ola: ola.page, anne: anne.page };
}

/** The joint goals of the demo plan (no owner: every editor may edit them). */
const jointGoals = (state) => state.root.children.filter((n) => n.kind === 'goal' && !n.fields?.owner);

/** The caret (selection) of the focused text field of a page. */
const selection = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return el && 'selectionStart' in el
    ? { testid: el.dataset.testid ?? null, start: el.selectionStart, end: el.selectionEnd, value: el.value }
    : null;
});

describe('other users in a text', { timeout: T.test * 2 }, () => {
  test("anne's caret and selection show in ola's page with her name and colour", { timeout: T.test }, async (t) => {
    const { ola, anne } = await twoEditors(t);
    const start = await serverState(fx.base);
    const key = nodeKey(jointGoals(start)[0].id);
    const original = title(start, key);
    await selectNode(ola, key);
    await selectNode(anne, key);
    // Moss's colour class, as the app gives it (ui/colors.js: the plan's
    // own municipality order fixes the colours).
    const municipalities = start.root.fields.municipalities.value;
    const mossClass = `mun-${municipalities.indexOf('Moss') % 8}`;

    // anne puts her caret after the 6th character and types.
    await tid(anne, 'node-title').click();
    await anne.keyboard.press('Control+Home');
    for (let i = 0; i < 6; i++) await anne.keyboard.press('ArrowRight');
    const typed = 'ny ';
    await tid(anne, 'node-title').pressSequentially(typed, { delay: 20 });
    const caret = (await selection(anne)).start;
    assert.equal(caret, 6 + typed.length);

    // ola (not in the field) sees anne's caret where it is, named and
    // coloured as Moss, in the list beside the field and in the overlay.
    // The title's own box (label, field, overlay, peer list): the body
    // field below has its own list.
    const titleBox = tid(ola, 'node-title').locator('xpath=ancestor::*[contains(concat(" ", @class, " "), " text-field ")][1]');
    const chip = titleBox.locator('[data-testid="peer-cursor"][data-user="anne"]');
    await until(async () => (await chip.count()) === 1 && Number(await chip.getAttribute('data-pos')) === caret || null,
      `ola's page to show anne's caret at ${caret}`);
    await until(async () => (await shownText(tid(ola, 'node-title'))) === original.slice(0, 6) + typed + original.slice(6) || null,
      "ola's page to show anne's typing");
    const chipText = await chip.innerText();
    assert.match(chipText, /anne/, 'the caret is labelled with her name');
    assert.match(chipText, /Moss/, 'and her municipality');
    assert.ok((await chip.getAttribute('class')).split(/\s+/).includes(mossClass), `the label has Moss's colour (${mossClass})`);
    const overlayCaret = titleBox.locator('.peer-caret[data-user="anne"]');
    await overlayCaret.waitFor({ state: 'attached' });
    assert.ok((await overlayCaret.getAttribute('class')).split(/\s+/).includes(mossClass), "the caret has Moss's colour");
    assert.match(await overlayCaret.innerText(), /anne/, 'the caret carries her name');

    // A selection: anne selects the next four characters; ola sees them
    // marked in Moss's colour.
    for (let i = 0; i < 4; i++) await anne.keyboard.press('Shift+ArrowRight');
    const sel = await selection(anne);
    const selected = sel.value.slice(sel.start, sel.end);
    assert.equal(selected.length, 4);
    const mark = titleBox.locator('mark.peer-sel');
    await until(async () => (await mark.count()) === 1 && (await mark.textContent()) === selected || null,
      `ola's page to mark anne's selection "${selected}"`);
    assert.ok((await mark.getAttribute('class')).split(/\s+/).includes(mossClass), "the selection has Moss's colour");

    await screenshot(ola, 'editor-peer-selection');
    // anne moves to the body: her caret leaves ola's title and shows there.
    await tid(anne, 'node-body').click();
    const bodyBox = tid(ola, 'node-body').locator('xpath=ancestor::*[contains(concat(" ", @class, " "), " text-field ")][1]');
    await until(async () => (await chip.count()) === 0 && (await overlayCaret.count()) === 0
      && (await bodyBox.locator('[data-testid="peer-cursor"][data-user="anne"]').count()) === 1 || null,
    "anne's caret to move from ola's title to the body");
    assertNoProblems(ola, 'ola');
    assertNoProblems(anne, 'anne');
  });

  test("another user's typing before the local caret does not move it", { timeout: T.test }, async (t) => {
    const { ola, anne } = await twoEditors(t);
    const start = await serverState(fx.base);
    const key = nodeKey(jointGoals(start)[1].id);
    const original = title(start, key);
    await selectNode(ola, key);
    await selectNode(anne, key);

    // ola's caret in the middle of the title, before character k.
    const k = 10;
    await tid(ola, 'node-title').click();
    await ola.keyboard.press('Control+Home');
    for (let i = 0; i < k; i++) await ola.keyboard.press('ArrowRight');
    assert.deepEqual(await selection(ola), { testid: 'node-title', start: k, end: k, value: original });

    // anne types at the start and at the end, i.e. before and after ola's
    // caret, while ola's caret stays put.
    const before = 'Moss først: ';
    const afterText = ' (Moss)';
    await tid(anne, 'node-title').click();
    await anne.keyboard.press('Control+Home');
    await tid(anne, 'node-title').pressSequentially(before, { delay: 20 });
    await anne.keyboard.press('Control+End');
    await tid(anne, 'node-title').pressSequentially(afterText, { delay: 20 });
    const merged = before + original + afterText;
    await until(async () => (await shownText(tid(ola, 'node-title'))) === merged || null, "ola's page to show anne's typing");

    // Still in the field, still before the same character: moved right by
    // exactly what anne inserted before it.
    const s = await selection(ola);
    assert.equal(s.testid, 'node-title', 'ola still has the title focused');
    assert.equal(s.start, k + before.length, 'the caret moved with the text before it');
    assert.equal(s.end, s.start, 'and is still a caret, not a selection');
    assert.equal(s.value.slice(s.start), original.slice(k) + afterText, 'before the same character as before');

    // And ola's next keystroke lands there.
    await ola.keyboard.type('X');
    const want = before + original.slice(0, k) + 'X' + original.slice(k) + afterText;
    await waitOnline(ola, { settled: true });
    await waitOnline(anne, { settled: true });
    await until(async () => title(await serverState(fx.base), key) === want || null, 'the server to have the merged title');
    await until(async () => (await shownText(tid(anne, 'node-title'))) === want || null, "anne's page to show ola's X");
    assertNoProblems(ola, 'ola');
    assertNoProblems(anne, 'anne');
  });
});
