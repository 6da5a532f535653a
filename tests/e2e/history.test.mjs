// The history view in Chromium against a real `samplan serve` (issue 10):
// between two named versions an editor (ola, Vestby) types into a joint
// goal's body and changes its target year; then an auditor (arne) opens the
// history and
//  - drags the timeline slider with the keyboard (Home, End, ←, →) and the
//    mouse and sees the plan as it was (the goal absent at the start, the
//    old target year one step back, the typed text gone halfway) and back;
//  - compares the two named versions: the typed text is an insertion in
//    Vestby's colour naming ola on hover, the year a change old → new;
//  - sees blame: the typed text coloured for ola (Vestby), the author on
//    hover, the year set by ola;
//  - filters the changes by user and downloads them as CSV (the header
//    line of the spec);
//  - finds the view's strings in bokmål and Swedish;
// and axe-core finds no WCAG 2.1 A/AA violation on any of its screens.
// A viewer (vera) gets no history: the button says why, the view says why
// when reached by its address, and the server refuses her queries.
// Screenshots land in build/screenshots/history-*.png.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  T,
  assertNoProblems,
  axeViolations,
  demoToken,
  findNode,
  fixture,
  loginAndOpen,
  newPage,
  nodeKey,
  pickNode,
  screenshot,
  selectNode,
  serverState,
  tid,
  until,
  waitOnline,
} from './harness.mjs';

const fx = fixture();
before(fx.setUp, { timeout: T.test });
after(fx.tearDown, { timeout: T.test });

const CSV_HEADER = 'seq,seq_last,time_utc,user,name,municipality,kinds,number,title,field,before,after,summary';
const TYPED = ' E2E-historikk';

/**
 * A user's token: the admin (kari) has no HTTP demo login, the server
 * prints its token at start-up ("  kari  admin  Moss  <token>").
 */
async function tokenOf(user) {
  if (user !== 'kari') return demoToken(fx.base, user);
  const m = /^\s*kari\s+admin\s+.*\s(\S+)\s*$/m.exec(fx.server.output());
  if (!m) throw new Error(`no admin token in the server's output:\n${fx.server.output()}`);
  return m[1];
}

async function api(method, path, user, body) {
  const token = await tokenOf(user);
  const r = await fetch(`${fx.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(T.step),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

/** RFC 4180 rows (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/** The history view's plan drawing: the node's item, and a text of it. */
const stateNode = (page, key) => tid(page, 'history-state').locator(`li.hs-node[data-node="${key}"]`);

/** Waits until the timeline has drawn point `seq` and is not loading another. */
async function drawn(page, seq) {
  await page.locator(`[data-testid="history-state"][data-seq="${seq}"][aria-busy="false"]:not([data-loading])`)
    .waitFor({ state: 'attached', timeout: T.sync });
}

async function sliderValue(page) {
  return Number(await tid(page, 'history-slider').inputValue());
}

describe('history view', { timeout: T.test * 3 }, () => {
  test('an auditor travels in time, compares versions, sees blame and exports the changes', { timeout: T.test * 3 }, async (t) => {
    const browser = await fx.browser(t);
    const failures = [];
    const a11y = async (page, screen) => failures.push(...(await axeViolations(page, screen)));

    // --- the demo's named versions, then our own around ola's edits.
    const demo = await api('GET', '/api/plans/demo/versions', 'arne');
    assert.equal(demo.status, 200, demo.text);
    const demoNames = (demo.json.versions || []).map((v) => v.name);
    assert.ok(demoNames.includes('Høringsutkast'), `the demo plan has its named versions (${demoNames})`);

    const start = await serverState(fx.base);
    const goal = pickNode(start, (n) => n.kind === 'goal' && !n.fields?.owner?.value?.length && n.texts?.body,
      'joint goal with a body');
    const key = nodeKey(goal.id);
    const oldYear = goal.fields?.target_year?.value ?? null;
    const newYear = oldYear === 2031 ? 2032 : 2031;
    const before1 = await api('POST', '/api/plans/demo/versions', 'kari', { name: 'E2E før', reference: 'E2E-1' });
    assert.ok(before1.status === 200 || before1.status === 201, `POST version: ${before1.status} ${before1.text}`);

    const { page: ola } = await newPage(browser);
    await loginAndOpen(ola, fx.base, 'ola');
    await selectNode(ola, key);
    await tid(ola, 'node-body').click();
    await ola.keyboard.press('Control+End');
    await tid(ola, 'node-body').pressSequentially(TYPED, { delay: 10 });
    await waitOnline(ola, { settled: true });
    // The year last: one step back from the head is the old year.
    const year = tid(ola, 'field-target_year');
    await year.fill(String(newYear));
    await year.press('Enter');
    await year.blur();
    await waitOnline(ola, { settled: true });
    await until(async () => findNode(await serverState(fx.base), key)?.fields?.target_year?.value === newYear || null,
      'the year to be stored');
    const after1 = await api('POST', '/api/plans/demo/versions', 'kari', { name: 'E2E etter', reference: 'E2E-2' });
    assert.ok(after1.status === 200 || after1.status === 201, `POST version: ${after1.status} ${after1.text}`);
    await ola.context().close();

    // --- arne opens the history: the timeline at the head.
    const { page } = await newPage(browser);
    await loginAndOpen(page, fx.base, 'arne');
    const button = tid(page, 'history-button');
    assert.equal(await button.textContent(), 'Historikk');
    await button.click();
    await tid(page, 'history-view').waitFor();
    assert.match(page.url(), /#\/plans\/demo\/history$/);
    await page.locator('[data-testid="history-state"][data-seq]').waitFor({ state: 'attached' });
    const head = Number(await tid(page, 'history-slider').getAttribute('max'));
    assert.ok(head > 10, `the head's seq (${head})`);
    await drawn(page, head);
    assert.equal(await sliderValue(page), head);
    const body = () => stateNode(page, key).locator(':scope > .hs-text[data-field="body"]');
    const bodyText = async () => ((await body().count()) ? body().textContent() : '');
    const yearShown = () => stateNode(page, key).locator(':scope > dl .hs-field[data-field="target_year"] dd');
    assert.ok((await body().textContent()).includes(TYPED.trim()), 'the head has the typed text');
    assert.equal(await yearShown().textContent(), String(newYear));
    // The versions are listed, ours included.
    for (const name of [...demoNames, 'E2E før', 'E2E etter']) {
      await page.locator(`[data-testid="history-version"][data-version="${name}"]`).waitFor({ state: 'attached' });
    }
    await screenshot(page, 'history-timeline');
    await a11y(page, 'history timeline');

    // Keyboard: a step or two back is before the year change (the field
    // may have been written more than once), Home the first op (no goal
    // yet), End the head again.
    const slider = tid(page, 'history-slider');
    await slider.focus();
    let back = head;
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('ArrowLeft');
      back -= 1;
      await drawn(page, back);
      if ((await yearShown().textContent()) !== String(newYear)) break;
    }
    assert.equal(await yearShown().textContent(), String(oldYear), `${head - back} step(s) back: the old year`);
    assert.ok((await bodyText()).includes(TYPED.trim()), 'the text was typed before the year');
    assert.match(await tid(page, 'history-position').textContent(), new RegExp(`#${back}\\b`));
    await page.keyboard.press('Home');
    await drawn(page, 1);
    assert.equal(await stateNode(page, key).count(), 0, 'the goal does not exist at the first op');
    await page.keyboard.press('End');
    await drawn(page, head);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowRight');
    await drawn(page, head);
    assert.equal(await yearShown().textContent(), String(newYear));

    // The version list moves the slider: "E2E før" lacks the typed text.
    const before1Seq = before1.json.seq ?? before1.json.version?.seq;
    await page.locator('[data-testid="history-version"][data-version="E2E før"]').click();
    await drawn(page, before1Seq);
    assert.equal(await sliderValue(page), before1Seq);
    assert.ok(!(await bodyText()).includes(TYPED.trim()), 'E2E før has no typed text');

    // Mouse: drag the thumb from the right end to the middle and back.
    await page.keyboard.press('End');
    await drawn(page, head);
    const box = await slider.boundingBox();
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width - 4, y);
    await page.mouse.down();
    for (let x = box.width - 4; x >= box.width / 2; x -= 8) await page.mouse.move(box.x + x, y, { steps: 2 });
    await page.mouse.up();
    const mid = await sliderValue(page);
    assert.ok(mid < head && mid > 1, `the drag moved the slider (${mid} of ${head})`);
    await drawn(page, mid);
    assert.ok(mid < before1Seq, 'the middle is before our edits');
    assert.ok(!(await bodyText()).includes(TYPED.trim()), 'the plan as it was at the middle');
    const sent = await page.evaluate(() => window.samplan.editor.history.channel.sent.filter((m) => m.query === 'at').length);
    assert.ok(sent >= 2, `the drag asked for points along the way (${sent})`);
    await page.mouse.move(box.x + box.width / 2, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width + 20, y, { steps: 8 });
    await page.mouse.up();
    await drawn(page, head);
    assert.ok((await body().textContent()).includes(TYPED.trim()), 'back at the head');
    await screenshot(page, 'history-timeline-dragged');

    // --- the diff between our two versions.
    await tid(page, 'history-tab-diff').click();
    await tid(page, 'history-diff-from').selectOption('version:E2E før');
    await tid(page, 'history-diff-to').selectOption('version:E2E etter');
    await tid(page, 'history-diff-run').click();
    const node = page.locator(`[data-testid="history-diff-node"][data-node="${key}"]`);
    await node.waitFor({ timeout: T.sync });
    const ins = node.locator('[data-testid="history-diff-text"][data-field="body"] ins[data-testid="history-diff-ins"]');
    const inserted = (await ins.allTextContents()).join('');
    assert.ok(inserted.includes(TYPED.trim()), `the typed text is an insertion (${inserted})`);
    const first = ins.filter({ hasText: 'E2E' }).first();
    assert.equal(await first.getAttribute('data-user'), 'ola');
    assert.equal(await first.getAttribute('data-municipality'), 'Vestby');
    assert.match(await first.getAttribute('title'), /ola \(Vestby\)/);
    // Vestby is the plan's second municipality: palette colour mun-1.
    const munIndex = (start.root.fields?.municipalities?.value || []).indexOf('Vestby');
    assert.ok(munIndex >= 0);
    assert.ok((await first.getAttribute('class')).split(' ').includes(`mun-${munIndex % 8}`));
    const colour = await first.evaluate((el) => getComputedStyle(el).color);
    const expected = await page.evaluate((cls) => {
      const probe = document.createElement('span');
      probe.className = cls;
      document.body.append(probe);
      const c = getComputedStyle(probe).getPropertyValue('--mun').trim();
      probe.remove();
      return c;
    }, `mun-${munIndex % 8}`);
    const hex = (rgb) => `#${rgb.match(/\d+/g).slice(0, 3).map((n) => Number(n).toString(16).padStart(2, '0')).join('')}`;
    assert.equal(hex(colour), expected.toLowerCase(), 'the insertion is written in Vestby\'s colour');
    const field = node.locator('[data-testid="history-diff-field"][data-field="target_year"]');
    assert.equal(await field.locator('[data-testid="history-diff-old"]').textContent(), String(oldYear));
    assert.equal(await field.locator('[data-testid="history-diff-new"]').textContent(), String(newYear));
    assert.match(await field.textContent(), /ola/);
    await screenshot(page, 'history-diff');
    await a11y(page, 'history diff');
    // The council report of the same diff, as Markdown.
    const [report] = await Promise.all([
      page.waitForEvent('download', { timeout: T.step }),
      tid(page, 'history-diff-markdown').click(),
    ]);
    assert.match(report.suggestedFilename(), /\.md$/);
    const md = readFileSync(await report.path(), 'utf8');
    assert.match(md, /^#/, 'a Markdown heading first');
    assert.ok(md.includes('E2E-historikk'), 'the report has the inserted text');
    // The demo's own versions compare too.
    if (demoNames.length >= 2) {
      await tid(page, 'history-diff-from').selectOption(`version:${demoNames[0]}`);
      await tid(page, 'history-diff-to').selectOption(`version:${demoNames[1]}`);
      await tid(page, 'history-diff-run').click();
      await until(async () => (await tid(page, 'history-diff').getAttribute('aria-busy')) === 'false' &&
        (await tid(page, 'history-diff-stats').count()) === 1, 'the demo versions\' diff');
      await screenshot(page, 'history-diff-demo');
      await a11y(page, 'history diff of the demo versions');
    }

    // --- blame at the head.
    await tid(page, 'history-tab-blame').click();
    const blameNode = tid(page, 'history-blame').locator(`li.hs-node[data-node="${key}"]`);
    const olaRun = blameNode.locator(':scope > .hs-text[data-field="body"] [data-testid="blame-run"][data-user="ola"]');
    await olaRun.first().waitFor({ timeout: T.sync });
    assert.ok((await olaRun.allTextContents()).join('').includes(TYPED.trim()), 'ola\'s text is blamed on ola');
    assert.equal(await olaRun.first().getAttribute('data-municipality'), 'Vestby');
    assert.ok((await olaRun.first().getAttribute('class')).split(' ').includes(`mun-${munIndex % 8}`));
    await olaRun.first().hover();
    // "Ola Berg (ola, Vestby) · <time> · #<seq>" (the name from the
    // server's people table, when it has one).
    assert.match(await olaRun.first().getAttribute('title'), /^(?:[^(]+ \(ola, Vestby\)|ola \(Vestby\)) · .+ · #\d+$/);
    const others = blameNode.locator(':scope > .hs-text[data-field="body"] [data-testid="blame-run"]:not([data-user="ola"])');
    assert.ok((await others.count()) >= 1, 'the seeded text is someone else\'s');
    const yearBy = blameNode.locator(':scope > dl .hs-field[data-field="target_year"] [data-testid="blame-field"]');
    assert.equal(await yearBy.getAttribute('data-user'), 'ola');
    await page.locator('[data-testid="blame-legend-item"][data-user="ola"]').waitFor();
    await screenshot(page, 'history-blame');
    await a11y(page, 'history blame');

    // --- the changes, filtered by user, and the CSV.
    await tid(page, 'history-tab-changes').click();
    await tid(page, 'history-entry').first().waitFor({ timeout: T.sync });
    await tid(page, 'history-filter-user').fill('ola');
    await tid(page, 'history-filter-apply').click();
    await until(async () => {
      const users = await page.locator('[data-testid="history-entry"]').evaluateAll((rows) => rows.map((r) => r.dataset.user));
      return users.length > 0 && users.every((u) => u === 'ola') || null;
    }, 'only ola\'s changes');
    const yearEntry = page.locator('[data-testid="history-entry"]', { hasText: String(newYear) });
    assert.ok((await yearEntry.count()) >= 1, 'ola\'s year change is listed');
    await screenshot(page, 'history-changes');
    await a11y(page, 'history changes');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: T.step }),
      tid(page, 'history-csv').click(),
    ]);
    assert.match(download.suggestedFilename(), /^historikk-demo-\d{4}-\d\d-\d\d\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.equal(csv.charCodeAt(0), 0xfeff, 'UTF-8 with BOM');
    assert.equal(csv.slice(1).split(/\r?\n/)[0], CSV_HEADER);
    const rows = parseCsv(csv.slice(1));
    assert.ok(rows.length >= 2, 'rows after the header');
    for (const row of rows.slice(1)) {
      assert.equal(row.length, 13, `13 cells: ${row}`);
      assert.equal(row[3], 'ola', `a row of ola's: ${row}`);
    }
    assert.ok(rows.some((r) => r[9] === 'target_year' && r[11].includes(String(newYear))), 'the year change is exported');
    await tid(page, 'history-changes-status').filter({ hasText: 'Lastet ned' }).waitFor();

    // --- bokmål, then Swedish.
    const tabs = async () => page.locator('[role="tab"][data-testid^="history-tab-"]').allTextContents();
    assert.deepEqual(await tabs(), ['Tidslinje', 'Sammenlign', 'Hvem skrev hva', 'Endringer']);
    await tid(page, 'lang-switch').selectOption('sv');
    await until(async () => (await tabs()).join('|') === 'Tidslinje|Jämför|Vem skrev vad|Ändringar' || null,
      () => 'Swedish tab labels');
    assert.equal(await tid(page, 'history-button').textContent(), 'Stäng historik');
    assert.equal(await tid(page, 'history-csv').textContent(), 'Ladda ner CSV');
    // The view kept its state: the changes tab, the filter.
    assert.equal(await tid(page, 'history-filter-user').inputValue(), 'ola');
    await screenshot(page, 'history-sv');
    await a11y(page, 'history in Swedish');
    await tid(page, 'lang-switch').selectOption('nb');

    // Closing returns to the editor.
    await tid(page, 'history-close').click();
    await tid(page, 'outline').waitFor();
    assert.ok(!(await tid(page, 'history-view').isVisible()));

    assert.deepEqual(failures, [], failures.join('\n'));
    assertNoProblems(page, 'arne');
  });

  test('a viewer has no history, and is told why', { timeout: T.test }, async (t) => {
    const browser = await fx.browser(t);
    const { page } = await newPage(browser);
    await loginAndOpen(page, fx.base, 'vera');
    const button = tid(page, 'history-button');
    assert.equal(await button.getAttribute('aria-disabled'), 'true');
    const reason = await tid(page, 'history-denied-reason').textContent();
    assert.match(reason, /revisor/);
    assert.match(reason, /leser/);
    // (aria-disabled, not disabled: it stays focusable and says why.)
    await button.click({ force: true });
    await tid(page, 'edit-error').filter({ hasText: 'revisor' }).waitFor();
    assert.ok(!(await tid(page, 'history-view').isVisible()), 'the view does not open');
    await screenshot(page, 'history-viewer');

    // By its address: the reason, no tabs.
    await page.goto(`${fx.base}/#/plans/demo/history`);
    await page.reload();
    await tid(page, 'history-denied').waitFor();
    assert.match(await tid(page, 'history-denied').textContent(), /Din rolle er leser/);
    assert.equal(await page.locator('[data-testid^="history-tab-"]').count(), 0);
    await waitOnline(page);
    const failures = await axeViolations(page, 'history refused');
    assert.deepEqual(failures, [], failures.join('\n'));

    // The server refuses her anyway.
    const refused = await page.evaluate(() => window.samplan.conn.request({ type: 'history', query: 'changes' })
      .then(() => 'answered', (e) => e.code));
    assert.equal(refused, 'forbidden');
    const csv = await api('GET', '/api/plans/demo/history/export?format=csv', 'vera');
    assert.equal(csv.status, 403);
    // The list of named versions is for every role.
    assert.equal((await api('GET', '/api/plans/demo/versions', 'vera')).status, 200);
    assertNoProblems(page, 'vera');
  });
});
