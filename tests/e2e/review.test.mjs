// Live review in two browsers against a real `samplan serve` (issue 9): a
// reviewer (per) comments on a text selection and, in suggest mode,
// suggests a text replacement and a field value; both appear live in an
// editor's browser (anne, Moss, on a joint goal), who accepts the one and
// rejects the other with a reason, and approves the goal for Moss. Both
// browsers end identical to each other and to the server (plan state and
// review views), and axe-core finds no WCAG 2.1 A/AA violation on the
// review screens (comments, suggestions, conflicts, sign-off, inbox, suggest
// mode). Screenshots land in build/screenshots/review-*.png. The demo plan
// carries review items of its own (threads, suggestions, approvals), so the
// test finds its own items by their text and counts relative to the start.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  T,
  assertNoProblems,
  axeViolations,
  clientState,
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

/** A review view of the page's replica (window.samplan.doc.reviewView). */
async function pageView(page, query, viewer) {
  return page.evaluate(([q, v]) => window.samplan.doc.reviewView({ query: q, viewer: v }), [query, viewer]);
}

/** A review view from the server (GET /api/plans/demo/{view}). */
async function serverView(view, user = 'vera') {
  const token = await demoToken(fx.base, user);
  const r = await fetch(`${fx.base}/api/plans/demo/${view}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(T.step),
  });
  if (!r.ok) throw new Error(`GET /api/plans/demo/${view}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

/**
 * A view's items as comparable across replicas: without the page's UTF-16
 * twins, and without authors' times (the server stamps the time on the ops
 * it stores; the replica that made an op keeps its own, unstamped, author).
 */
function withoutUtf16(items) {
  return JSON.parse(JSON.stringify(items, (k, v) => (k === 'from16' || k === 'to16' || k === 'time' ? undefined : v)));
}

/** Selects [from, to) of a textarea as a user would, firing the events the app follows. */
async function selectText(locator, from, to) {
  await locator.evaluate((ta, [a, b]) => {
    ta.focus();
    ta.setSelectionRange(a, b);
    ta.dispatchEvent(new Event('select'));
  }, [from, to]);
}

/** Opens a review tab and waits for its panel. */
async function showTab(page, id) {
  await tid(page, `review-tab-${id}`).click();
  await page.locator(`[data-testid="review-tabpanel-${id}"]:not([hidden])`).waitFor({ timeout: T.step });
}

describe('live review', { timeout: T.test * 2 }, () => {
  test('a reviewer comments and suggests, an editor accepts one and rejects the other, both end identical', { timeout: T.test * 2 }, async (t) => {
    const browser = await fx.browser(t);
    const { page: per } = await newPage(browser);
    const { page: anne } = await newPage(browser);
    await loginAndOpen(per, fx.base, 'per');
    await loginAndOpen(anne, fx.base, 'anne');
    const start = await serverState(fx.base);
    // A joint goal (no owner), with a body and a target year: anne (Moss)
    // may edit it, so she may accept into it.
    const goal = pickNode(start, (n) => n.kind === 'goal' && !n.fields?.owner?.value?.length &&
      /\p{L}{6,}/u.test(n.texts?.body || ''), 'joint goal with a body');
    const key = nodeKey(goal.id);
    const body = goal.texts.body;
    const word = /\p{L}{6,}/u.exec(body);
    const from = word.index;
    const to = from + word[0].length;
    await selectNode(per, key);
    await selectNode(anne, key);
    const failures = [];
    const a11y = async (page, screen) => failures.push(...(await axeViolations(page, screen)));

    const inboxCount = async () => Number(await tid(anne, 'review-tab-inbox').getAttribute('data-count'));
    const unread0 = await inboxCount();

    // --- per comments on a text selection, mentioning Moss.
    const comment = 'E2E: kan dette konkretiseres? @Moss';
    await selectText(tid(per, 'node-body'), from, to);
    await until(async () => (await tid(per, 'thread-anchor').inputValue()) === 'text' || null, 'the comment to take the selection');
    await tid(per, 'thread-body').fill(comment);
    await tid(per, 'thread-submit').click();
    await per.locator('[data-testid="thread"][data-anchor="text"]', { hasText: 'E2E: kan dette' }).waitFor({ timeout: T.step });
    await waitOnline(per, { settled: true });

    // It appears live for anne: the thread, the highlight in the body, and
    // her inbox (Moss is mentioned) with an unread count.
    const thread = anne.locator('[data-testid="thread"][data-anchor="text"]', { hasText: 'E2E: kan dette' });
    await thread.waitFor({ timeout: T.sync });
    assert.equal(await thread.getAttribute('data-node'), key);
    await anne.locator('.textwrap.has-marks mark.review-hl').first().waitFor({ state: 'attached', timeout: T.step });
    const highlighted = await anne.locator('[data-testid="node-body"]').evaluate((ta) =>
      [...ta.parentElement.querySelectorAll('mark.review-hl')].map((m) => m.textContent).join(''));
    assert.ok(highlighted.includes(word[0]), `the anchored text is highlighted (${highlighted})`);
    await until(async () => (await inboxCount()) === unread0 + 1 || null, 'anne\'s inbox to count the unread comment');
    await showTab(anne, 'inbox');
    const item = anne.locator('[data-testid="inbox-item"]', { hasText: 'E2E: kan dette' });
    await item.waitFor();
    assert.equal(await item.getAttribute('data-unread'), '1');
    await screenshot(anne, 'review-inbox');
    await a11y(anne, 'inbox');
    // Opening it from the inbox opens the thread and marks it read.
    await item.locator('[data-testid="inbox-open"]').click();
    const opened = anne.locator('[data-testid="thread"][open]', { hasText: 'E2E: kan dette' });
    await opened.locator('[data-testid="comment"]').first().waitFor();
    await until(async () => (await inboxCount()) === unread0 || null, 'the thread to be marked read');
    await opened.locator('[data-testid="reply-body"]').fill('Ja, vi foreslår 20 % innen 2030.');
    await opened.locator('[data-testid="reply-submit"]').click();
    await until(async () => (await opened.locator('[data-testid="comment"]').count()) === 2 || null,
      'anne\'s reply in the thread');
    await screenshot(anne, 'review-thread');
    await a11y(anne, 'comment thread');

    // --- per turns on suggest mode: a text replacement and a field value.
    await tid(per, 'suggest-mode').click();
    await tid(per, 'suggest-note').waitFor();
    assert.equal(await tid(per, 'node-body').getAttribute('readonly'), null, 'a reviewer types in suggest mode');
    await selectText(tid(per, 'node-body'), from, to);
    await per.keyboard.type('bedriftene', { delay: 10 });
    const submit = per.locator('[data-testid="draft-bar"][data-field="body"] [data-testid="suggest-submit"]');
    await submit.waitFor({ state: 'visible' });
    await screenshot(per, 'review-suggest-draft');
    await a11y(per, 'suggest mode with a draft');
    await submit.click();
    assert.equal(await tid(per, 'node-body').inputValue(), body, 'the plan text is unchanged by a suggestion');
    const year = tid(per, 'field-target_year');
    const oldYear = findNode(start, key).fields?.target_year?.value ?? null;
    await year.fill('2031');
    await year.press('Enter');
    await year.blur();
    await waitOnline(per, { settled: true });

    // Both appear live for anne, struck through / underlined in per's colour.
    await showTab(anne, 'suggestions');
    const textSg = anne.locator('[data-testid="suggestion"][data-kind="text"][data-status="open"]', { hasText: 'bedriftene' });
    const fieldSg = anne.locator('[data-testid="suggestion"][data-kind="field"][data-field="target_year"][data-status="open"]',
      { hasText: '2031' });
    await until(async () => (await textSg.count()) === 1 && (await fieldSg.count()) === 1 || null,
      'both suggestions in anne\'s browser');
    assert.equal(await textSg.locator('del.sg-del').textContent(), word[0]);
    assert.equal(await textSg.locator('ins.sg-ins-text').textContent(), 'bedriftene');
    await anne.locator('.textwrap.has-marks del.sg-strike').first().waitFor({ state: 'attached' });
    await tid(anne, 'field-suggestion-target_year').waitFor();
    await screenshot(anne, 'review-suggestions');
    await a11y(anne, 'suggestions');

    // --- anne accepts the text, rejects the year with a reason.
    await textSg.locator('[data-testid="suggestion-accept"]').click();
    await fieldSg.locator('[data-testid="suggestion-reject"]').click();
    await fieldSg.locator('[data-testid="reject-reason"]').fill('Målåret følger planperioden');
    await fieldSg.locator('[data-testid="reject-confirm"]').click();
    await until(async () => (await textSg.count()) + (await fieldSg.count()) === 0 || null, 'both decided');

    // --- sign-off: anne approves the goal for Moss.
    await showTab(anne, 'signoff');
    const part = anne.locator(`[data-testid="signoff-part"][data-node="${key}"]`);
    // (The demo may have approved it already: revoke first, then approve.)
    if ((await part.locator('[data-testid="approve"]').count()) === 0) {
      await part.locator('[data-testid="revoke"]').click();
      await part.locator('[data-testid="approve"]').waitFor();
    }
    await part.locator('[data-testid="approve"]').click();
    await part.locator('[data-testid="approval"][data-municipality="Moss"][data-outdated="false"]').waitFor();
    await until(async () => (await part.locator('[data-testid="approve"]').count()) === 0 || null, 'the approval to be current');
    await screenshot(anne, 'review-signoff');
    await a11y(anne, 'sign-off');
    await showTab(anne, 'conflicts');
    await screenshot(anne, 'review-conflicts');
    await a11y(anne, 'conflicts');

    // --- both browsers and the server agree.
    for (const p of [per, anne]) await waitOnline(p, { settled: true });
    const expected = body.slice(0, from) + 'bedriftene' + body.slice(to);
    let server;
    await until(async () => {
      server = await serverState(fx.base);
      for (const p of [per, anne]) assert.deepEqual((await clientState(p)).root, server.root);
      return true;
    }, 'both replicas to equal GET /api/plans/demo');
    assert.equal(findNode(server, key).texts.body, expected, 'the accepted replacement is in the plan');
    assert.equal(findNode(server, key).fields?.target_year?.value ?? null, oldYear, 'the rejected value is not');
    const viewer = { user: 'vera', municipality: '' };
    await until(async () => {
      for (const view of ['suggestions', 'threads', 'signoff']) {
        const [a, b] = [await pageView(per, view, viewer), await pageView(anne, view, viewer)];
        assert.deepEqual(withoutUtf16(a.items), withoutUtf16(b.items), `${view}: per and anne`);
        const s = await serverView(view);
        assert.deepEqual(withoutUtf16(a.items), withoutUtf16(s.items), `${view}: the pages and the server`);
      }
      return true;
    }, 'the review views to agree in both browsers and on the server');
    const sugg = (await serverView('suggestions')).items.filter((s) => s.author?.user === 'per' &&
      nodeKey(s.node || [0, 0]) === key && (s.text === 'bedriftene' || s.field === 'target_year'));
    assert.deepEqual(sugg.map((s) => [s.kind, s.status]).sort(), [['field', 'rejected'], ['text', 'accepted']]);
    assert.equal(sugg.find((s) => s.kind === 'field').reason, 'Målåret følger planperioden');
    assert.equal(sugg.find((s) => s.kind === 'text').decided_by.user, 'anne');
    const approvals = (await serverView('signoff')).items.find((p) => nodeKey(p.node) === key).approvals;
    assert.ok(approvals.some((a) => a.municipality === 'Moss' && !a.outdated && a.author.user === 'anne'));

    // per sees the decisions live.
    await showTab(per, 'suggestions');
    await tid(per, 'suggestion-status').selectOption('rejected');
    await per.locator('[data-testid="suggestion"][data-status="rejected"][data-field="target_year"] [data-testid="suggestion-decided"]',
      { hasText: 'Målåret følger planperioden' }).waitFor();
    await screenshot(per, 'review-decided');
    await a11y(per, 'decided suggestions');
    assert.deepEqual(failures, [], failures.join('\n'));
    assertNoProblems(per, 'per');
    assertNoProblems(anne, 'anne');
  });
});
