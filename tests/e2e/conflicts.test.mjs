// Concurrent values in Chromium against a real server: two editors of
// different municipalities (ola, Vestby; anne, Moss) set the same fields of
// one joint measure while both are offline; after reconnecting both pages
// show the conflict marker and the chooser, and choosing a value resolves
// it in both browsers and on the server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  T,
  assertNoProblems,
  clientState,
  connState,
  findNode,
  fixture,
  loginAndOpen,
  newPage,
  nodeKey,
  screenshot,
  selectNode,
  serverState,
  tid,
  treeItem,
  until,
  waitConnState,
  waitOnline,
} from './harness.mjs';

const fx = fixture();
before(fx.setUp, { timeout: T.test });
after(fx.tearDown, { timeout: T.test });

/** Both pages' replicas equal the server's stored plan; returns the server's state. */
async function converged(pages) {
  for (const p of pages) await waitOnline(p, { settled: true });
  let server;
  await until(async () => {
    server = await serverState(fx.base);
    for (const p of pages) assert.deepEqual((await clientState(p)).root, server.root);
    return true;
  }, 'both replicas to equal GET /api/plans/demo');
  return server;
}

/** The values a field control's checkboxes have ticked (responsible, owner). */
const ticked = (page, name) => tid(page, `field-${name}`).evaluate(
  (fs) => [...fs.querySelectorAll('input[type="checkbox"]')].filter((b) => b.checked).map((b) => b.dataset.value),
);

describe('concurrent values', { timeout: T.test * 2 }, () => {
  test('two editors set the same fields offline: both see the conflict, a choice resolves it everywhere', { timeout: T.test }, async (t) => {
    const browser = await fx.browser(t);
    const a = await newPage(browser);
    const b = await newPage(browser);
    const [ola, anne] = [a.page, b.page];
    await loginAndOpen(ola, fx.base, 'ola');
    await loginAndOpen(anne, fx.base, 'anne');

    // Every measure of the demo plan belongs to one municipality, so ola
    // adds a joint one (no owner: both may edit it) under a joint sub-goal.
    const start = await serverState(fx.base);
    const goal = start.root.children.filter((n) => n.kind === 'goal' && !n.fields?.owner).at(-1);
    const sub = goal.children.filter((n) => n.kind === 'subgoal' && !n.fields?.owner).at(-1);
    const subKey = nodeKey(sub.id);
    await selectNode(ola, subKey);
    await tid(ola, 'new-kind').selectOption('measure');
    await tid(ola, 'add-child').click();
    const key = await until(async () => {
      const k = await ola.locator('[data-testid="outline"] [role="treeitem"][aria-selected="true"]').getAttribute('data-node');
      return k && k !== subKey ? k : null;
    }, 'the new measure to be selected');
    assert.equal(await treeItem(ola, key).getAttribute('data-kind'), 'measure');
    await tid(ola, 'node-title').pressSequentially('Felles tiltak', { delay: 10 });
    await converged([ola, anne]);
    assert.equal(findNode(await serverState(fx.base), key).fields?.owner, undefined, 'the new measure is joint');
    await treeItem(anne, key).waitFor();
    await selectNode(ola, key);
    await selectNode(anne, key);

    // Both go offline (the page drops its socket on the window's `offline`
    // event) and set status and responsible municipalities differently:
    // neither has seen the other's value, so the core keeps both.
    for (const { context, page } of [a, b]) {
      await context.setOffline(true);
      await waitConnState(page, ['offline', 'reconnecting']);
    }
    await tid(ola, 'field-status').selectOption('in progress');
    await tid(anne, 'field-status').selectOption('done');
    await tid(ola, 'field-responsible').locator('input[data-value="Vestby"]').check();
    await tid(anne, 'field-responsible').locator('input[data-value="Moss"]').check();
    for (const p of [ola, anne]) {
      await until(async () => (await connState(p)).pending >= 2 || null, 'both edits to wait for the network');
    }
    // Offline, each page shows its own value and no conflict yet.
    assert.equal(await tid(ola, 'field-status').inputValue(), 'in progress');
    assert.equal(await tid(anne, 'field-status').inputValue(), 'done');
    assert.equal(await tid(ola, 'conflict-status').count(), 0);

    // Back online: both reconnect, send, and receive the other's value.
    for (const { context } of [a, b]) await context.setOffline(false);
    let server = await converged([ola, anne]);
    const fields = findNode(server, key).fields;
    const values = (f) => [f.value, ...(f.conflicts || []).map((c) => c.value)];
    assert.deepEqual(values(fields.status).sort(), ['done', 'in progress'], 'the server keeps both statuses');
    assert.deepEqual(values(fields.responsible).map((v) => v.join()).sort(), ['Moss', 'Vestby'], 'and both lists');

    // Both pages mark both fields and offer one choice per value, the
    // current winner first.
    for (const p of [ola, anne]) {
      for (const name of ['status', 'responsible']) {
        await tid(p, `conflict-${name}`).waitFor({ state: 'visible' });
        const choices = tid(p, `conflict-${name}-choice`);
        assert.equal(await choices.count(), 2, `${name}: a choice per value`);
        assert.equal(await choices.first().getAttribute('data-choice'), '0');
        assert.equal(await choices.first().isEnabled(), true, 'an editor of a joint node may choose');
      }
    }
    await screenshot(ola, 'editor-conflict');
    // The winner as the pages show it is the server's.
    assert.equal(await tid(ola, 'field-status').inputValue(), fields.status.value);
    assert.equal(await tid(anne, 'field-status').inputValue(), fields.status.value);

    // ola chooses the value that is not winning for status, anne for
    // responsible: each resolution reaches the other browser and the server.
    const statusPick = fields.status.conflicts[0].value;
    const responsiblePick = fields.responsible.conflicts[0].value;
    await tid(ola, 'conflict-status-choice').and(ola.locator('[data-choice="1"]')).click();
    await tid(anne, 'conflict-responsible-choice').and(anne.locator('[data-choice="1"]')).click();
    server = await converged([ola, anne]);
    const resolved = findNode(server, key).fields;
    assert.equal(resolved.status.value, statusPick);
    assert.deepEqual(resolved.responsible.value, responsiblePick);
    assert.ok(!resolved.status.conflicts?.length, 'no status conflict left on the server');
    assert.ok(!resolved.responsible.conflicts?.length, 'no responsible conflict left on the server');
    for (const p of [ola, anne]) {
      for (const name of ['status', 'responsible']) {
        await until(async () => (await tid(p, `conflict-${name}`).count()) === 0 || null, `the ${name} marker to go`);
      }
      assert.equal(await tid(p, 'field-status').inputValue(), statusPick);
      assert.deepEqual(await ticked(p, 'responsible'), responsiblePick);
    }
    assertNoProblems(ola, 'ola');
    assertNoProblems(anne, 'anne');
  });
});
