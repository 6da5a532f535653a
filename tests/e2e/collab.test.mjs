// Two editors of different municipalities (ola, Vestby; anne, Moss) in two
// browser contexts of one Chromium against one real server: concurrent
// typing into the same text and concurrent edits of the same indicator table
// end identical in both browsers, in both replicas and on the server; a move
// by one appears in the other's outline; undo undoes only one's own edit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  T,
  assertNoProblems,
  cellInput,
  clientState,
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
  treeItem,
  until,
  waitOnline,
} from './harness.mjs';

const fx = fixture();
before(fx.setUp, { timeout: T.test });
after(fx.tearDown, { timeout: T.test });

/** ola and anne, each in a context of their own, on the open demo plan. */
async function twoEditors(t) {
  const browser = await fx.browser(t);
  const ola = await newPage(browser);
  const anne = await newPage(browser);
  await loginAndOpen(ola.page, fx.base, 'ola');
  await loginAndOpen(anne.page, fx.base, 'anne');
  return { browser, ola: ola.page, anne: anne.page };
}

/**
 * Waits until both pages have nothing unacknowledged, then until both
 * replicas equal the server's stored plan; returns the server's state.
 */
async function converged(pages) {
  for (const p of pages) await waitOnline(p, { settled: true });
  let server;
  await until(async () => {
    server = await serverState(fx.base);
    for (const p of pages) {
      const mine = await clientState(p);
      assert.ok(mine, 'the page exposes window.samplan.doc (docs/web-client.md, Test hooks)');
      assert.deepEqual(mine.root, server.root);
    }
    return true;
  }, 'both replicas to equal GET /api/plans/demo');
  return server;
}

const title = (state, key) => findNode(state, key).texts.title;

describe('two editors at once', { timeout: T.test * 2 }, () => {
  test('type into the same text and edit the same table, and end identical to the server', { timeout: T.test }, async (t) => {
    const { ola, anne } = await twoEditors(t);
    const start = await serverState(fx.base);
    // The first goal: a joint node (no owner), so both may edit it.
    const goal = nodeKey(pickNode(start, (n) => n.kind === 'goal' && !n.fields?.owner, 'joint goal').id);
    const original = title(start, goal);
    await selectNode(ola, goal);
    await selectNode(anne, goal);

    // Both type at the same time: ola at the end, anne at the start, so
    // the expected text is exact whatever the interleaving in time.
    const olaText = ' (Vestby skriver her)';
    const anneText = 'Moss skriver her: ';
    const olaTitle = tid(ola, 'node-title');
    const anneTitle = tid(anne, 'node-title');
    await olaTitle.click();
    await ola.keyboard.press('Control+End');
    await anneTitle.click();
    await anne.keyboard.press('Control+Home');
    await Promise.all([
      olaTitle.pressSequentially(olaText, { delay: 15 }),
      anneTitle.pressSequentially(anneText, { delay: 15 }),
    ]);

    // The same indicator table at once: each sets their own row, and both
    // set one shared cell (the core picks one winner; all must agree).
    const ind = pickNode(start, (n) => n.kind === 'indicator' && n.tables?.values, 'indicator with a table');
    const indKey = nodeKey(ind.id);
    const rows = ind.tables.values.rows;
    const cols = ind.tables.values.columns;
    const rowOf = (name) => nodeKey(rows.find((r) => r.header.value === name).id);
    const col0 = nodeKey(cols[0].id);
    const col1 = nodeKey(cols[1].id);
    await selectNode(ola, indKey);
    await selectNode(anne, indKey);
    const edits = [
      [ola, rowOf('Vestby'), col0, '20001'],
      [anne, rowOf('Moss'), col0, '52002'],
      [ola, rowOf('Råde'), col1, '111'],
      [anne, rowOf('Råde'), col1, '222'],
    ];
    await Promise.all(
      [ola, anne].map(async (page) => {
        for (const [p, row, col, value] of edits) {
          if (p !== page) continue;
          const input = cellInput(page, 'values', row, col);
          await input.fill(value);
          await input.press('Enter');
        }
      }),
    );

    const server = await converged([ola, anne]);
    // The text: exactly both insertions around the original, in the
    // server's state (the replicas equal it, converged() checked) and in
    // both title fields. The indicator is selected now, so the goal is
    // selected again first: node-title is the selected node's title.
    assert.equal(title(server, goal), anneText + original + olaText);
    for (const p of [ola, anne]) {
      await selectNode(p, goal);
      await until(async () => (await shownText(tid(p, 'node-title'))) === title(server, goal) || null,
        'the title field to show the merged text');
    }
    // The table: own rows as typed, the shared cell one of the two.
    const table = findNode(server, indKey).tables.values;
    const cell = (row, col) => {
      const r = table.rows.find((x) => nodeKey(x.id) === row);
      return r.cells[table.columns.findIndex((c) => nodeKey(c.id) === col)].value;
    };
    assert.equal(cell(rowOf('Vestby'), col0), 20001);
    assert.equal(cell(rowOf('Moss'), col0), 52002);
    assert.ok([111, 222].includes(cell(rowOf('Råde'), col1)), `shared cell is ${cell(rowOf('Råde'), col1)}`);
    // What the two browsers show is the same, cell by cell, and each cell's
    // stored value (data-value) is the server's.
    const expected = table.rows.flatMap((r) => r.cells.map((c) => (c.value === null || c.value === undefined ? '' : String(c.value))));
    const shown = async (p) => {
      const text = [];
      const stored = [];
      for (const r of table.rows) {
        for (const c of table.columns) {
          const input = cellInput(p, 'values', nodeKey(r.id), nodeKey(c.id));
          text.push(await shownText(input));
          stored.push(await input.getAttribute('data-value'));
        }
      }
      return { text, stored };
    };
    for (const p of [ola, anne]) await selectNode(p, indKey);
    await until(async () => {
      const [a, b] = [await shown(ola), await shown(anne)];
      assert.deepEqual(a.text, b.text);
      assert.deepEqual(a.stored, expected);
      assert.deepEqual(b.stored, expected);
      return true;
    }, 'both browsers to show the server\'s table');
    assertNoProblems(ola, 'ola');
    assertNoProblems(anne, 'anne');
  });

  test("a move by one appears in the other's outline", { timeout: T.test }, async (t) => {
    const { ola, anne } = await twoEditors(t);
    const start = await serverState(fx.base);
    // The second sub-goal of a joint goal moves up: it becomes the first.
    const goal = pickNode(start, (n) => n.kind === 'goal' && n.children.filter((c) => c.kind === 'subgoal').length >= 2, 'goal with two sub-goals');
    const [first, second] = goal.children.filter((c) => c.kind === 'subgoal');
    const a = nodeKey(first.id);
    const b = nodeKey(second.id);
    assert.equal(await treeItem(anne, b).getAttribute('data-number'), second.number);

    await selectNode(ola, b);
    await tid(ola, 'move-up').click();

    // anne's outline renumbers: b takes a's number and comes before it.
    await until(async () => (await treeItem(anne, b).getAttribute('data-number')) === first.number || null,
      `anne's outline to show ${b} as ${first.number}`);
    assert.equal(await treeItem(anne, a).getAttribute('data-number'), second.number);
    const order = await anne.evaluate(
      ([x, y]) => {
        const items = [...document.querySelectorAll('[data-testid="outline"] [role="treeitem"]')].map((e) => e.dataset.node);
        return items.indexOf(x) < items.indexOf(y);
      },
      [b, a],
    );
    assert.ok(order, 'the moved node is listed before its former predecessor');

    // And back, by keyboard in anne's browser this time (the outline's
    // move shortcut, docs/web-client.md), which ola sees.
    await selectNode(anne, b);
    await treeItem(anne, b).focus();
    await anne.keyboard.press('Alt+ArrowDown');
    await until(async () => (await treeItem(ola, b).getAttribute('data-number')) === second.number || null,
      `ola's outline to show ${b} back as ${second.number}`);
    const server = await converged([ola, anne]);
    assert.deepEqual(
      findNode(server, nodeKey(goal.id)).children.filter((c) => c.kind === 'subgoal').slice(0, 2).map((c) => nodeKey(c.id)),
      [a, b],
    );
    assertNoProblems(ola, 'ola');
    assertNoProblems(anne, 'anne');
  });

  test('drag and drop moves a node and Delete removes one, in the other outline too', { timeout: T.test }, async (t) => {
    const { ola, anne } = await twoEditors(t);
    const start = await serverState(fx.base);
    const goal = pickNode(start, (n) => n.kind === 'goal' && n.children.filter((c) => c.kind === 'subgoal').length >= 3, 'goal with three sub-goals');
    const [first, second, third] = goal.children.filter((c) => c.kind === 'subgoal');
    const a = nodeKey(first.id);
    const b = nodeKey(second.id);
    const c = nodeKey(third.id);

    // ola drags the first sub-goal onto the lower part of the second's row:
    // it lands after it (HTML5 drag and drop, as a mouse user does it).
    const target = treeItem(ola, b).locator(':scope > .row');
    const box = await target.boundingBox();
    await treeItem(ola, a).locator(':scope > .row').dragTo(target, {
      targetPosition: { x: Math.min(40, box.width / 2), y: box.height * 0.85 },
    });
    await until(async () => (await treeItem(anne, a).getAttribute('data-number')) === second.number || null,
      `anne's outline to show ${a} as ${second.number} after the drop`);
    assert.equal(await treeItem(anne, b).getAttribute('data-number'), first.number);

    // anne deletes the third one with the keyboard; it leaves ola's outline.
    await selectNode(anne, c);
    await treeItem(anne, c).focus();
    await anne.keyboard.press('Delete');
    await until(async () => (await treeItem(ola, c).count()) === 0 || null,
      `ola's outline to drop ${c}`);
    const server = await converged([ola, anne]);
    const subgoals = findNode(server, nodeKey(goal.id)).children.filter((n) => n.kind === 'subgoal').map((n) => nodeKey(n.id));
    assert.deepEqual(subgoals.slice(0, 2), [b, a]);
    assert.ok(!subgoals.includes(c), 'the deleted sub-goal is gone on the server');
    assertNoProblems(ola, 'ola');
    assertNoProblems(anne, 'anne');
  });

  test("undo undoes only one's own edit", { timeout: T.test }, async (t) => {
    const { ola, anne } = await twoEditors(t);
    const start = await serverState(fx.base);
    const goals = [];
    for (const n of start.root.children) if (n.kind === 'goal') goals.push(n);
    const key = nodeKey(goals[goals.length - 1].id);
    const original = title(start, key);
    await selectNode(ola, key);
    await selectNode(anne, key);

    const olaText = ' ola';
    const anneText = 'anne ';
    await tid(ola, 'node-title').click();
    await ola.keyboard.press('Control+End');
    await ola.keyboard.type(olaText, { delay: 10 });
    await waitOnline(ola, { settled: true });
    await tid(anne, 'node-title').click();
    await anne.keyboard.press('Control+Home');
    await anne.keyboard.type(anneText, { delay: 10 });
    await converged([ola, anne]);
    const both = anneText + original + olaText;
    await until(async () => (await shownText(tid(ola, 'node-title'))) === both || null, 'ola to see both edits');

    // ola undoes (as often as her typing needs: undo may group keystrokes)
    // until her text is gone; anne's insertion, made after ola's, stays.
    for (let i = 0; i < 20 && (await shownText(tid(ola, 'node-title'))).includes(olaText); i++) {
      await tid(ola, 'undo').click();
      assert.ok((await shownText(tid(ola, 'node-title'))).startsWith(anneText), "undo never removes anne's text");
    }
    let server = await converged([ola, anne]);
    assert.equal(title(server, key), anneText + original);
    await until(async () => (await shownText(tid(anne, 'node-title'))) === anneText + original || null, 'anne to see the undo');

    // Redo brings ola's text back, still leaving anne's alone.
    for (let i = 0; i < 20 && !(await shownText(tid(ola, 'node-title'))).includes(olaText); i++) {
      await tid(ola, 'redo').click();
    }
    server = await converged([ola, anne]);
    assert.equal(title(server, key), both);
    assertNoProblems(ola, 'ola');
    assertNoProblems(anne, 'anne');
  });
});
