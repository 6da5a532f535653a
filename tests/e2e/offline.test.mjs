// Offline editing and permissions in Chromium against a real server: an edit
// made without a connection is kept across a page reload (IndexedDB) and sent
// after reconnecting; a node another municipality owns is read-only and the
// page says why.
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
  pickNode,
  selectNode,
  serverState,
  shownText,
  tid,
  until,
  waitConnState,
  waitOnline,
} from './harness.mjs';

const fx = fixture();
before(fx.setUp, { timeout: T.test });
after(fx.tearDown, { timeout: T.test });

const title = (state, key) => findNode(state, key).texts.title;

/**
 * Counts the page's WebSockets and collects the error codes the server sent
 * on them (playwright sees the frames, whatever the page does with them).
 */
function watchSockets(page) {
  const seen = { opened: 0, errors: [] };
  page.on('websocket', (ws) => {
    seen.opened += 1;
    ws.on('framereceived', ({ payload }) => {
      try {
        const m = JSON.parse(String(payload));
        if (m.type === 'error') seen.errors.push(m.code);
      } catch { /* not JSON: not ours to judge here */ }
    });
  });
  return seen;
}

/**
 * The text this user's tabs typed and keep in IndexedDB
 * (samplan/<plan>/<user>, store `ops`: docs/web-client.md, OfflineStore):
 * every stored insert_text op's text, in counter order per replica.
 */
function storedTyping(page, plan, user) {
  return page.evaluate(([name]) => new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('ops')) { db.close(); resolve(''); return; }
      const req = db.transaction('ops', 'readonly').objectStore('ops').getAll();
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        db.close();
        resolve(req.result.filter((r) => r.op && r.op.kind === 'insert_text').map((r) => r.op.text).join(''));
      };
    };
  }), [`samplan/${plan}/${user}`]);
}

describe('offline and permissions', { timeout: T.test * 2 }, () => {
  test('an edit made offline survives a reload and syncs after reconnect', { timeout: T.test }, async (t) => {
    const browser = await fx.browser(t);
    const { context, page } = await newPage(browser);
    // Every WebSocket of this context goes through the test (see below).
    // The route is set before the page loads: playwright routes the sockets
    // of documents loaded after routeWebSocket only, and a page loaded
    // before it would reconnect past the route.
    let letSocketsThrough = true;
    let refused = 0;
    await context.routeWebSocket(/\/ws$/, (ws) => {
      if (letSocketsThrough) ws.connectToServer();
      else {
        refused += 1;
        ws.close({ code: 1001, reason: 'test: offline' }).catch(() => {});
      }
    });
    await loginAndOpen(page, fx.base, 'ola');
    const start = await serverState(fx.base);
    const goal = nodeKey(pickNode(start, (n) => n.kind === 'goal', 'goal').id);
    const original = title(start, goal);
    await selectNode(page, goal);

    // How "offline" is made, and why this way:
    // - context.setOffline(true) is Chromium's network emulation: new
    //   requests and sockets fail, the window gets its `offline` event, and
    //   the page drops its socket (sync.js, _watchNetwork) as it must when
    //   a laptop loses its network. The edit below is made like that.
    // - It would also fail the reload itself: the app has no service worker,
    //   so a real browser without network cannot reload it either. What
    //   does happen to people is a page reloaded (or a laptop woken) while
    //   the server's WebSocket is unreachable — a proxy that drops upgrades,
    //   a server restarting. So for the reload the network comes back for
    //   HTTP while every WebSocket to /ws is refused by the test
    //   (routeWebSocket: the page sees a real close and backs off). Nothing
    //   can then reach the page from the server, so the edit shown after
    //   the reload can only come from the page's IndexedDB. Sockets are
    //   refused from here on, so the page's reconnect on the `online` event
    //   (before the reload) cannot send the edit either.
    letSocketsThrough = false;
    await context.setOffline(true);
    await waitConnState(page, ['offline', 'reconnecting']);

    const added = ' — skrevet uten nett';
    await tid(page, 'node-title').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(added, { delay: 10 });
    await until(async () => (await connState(page)).pending > 0 || null, 'the edit to be counted as waiting');
    // The store writes an edit in the task after it (store.js); the reload
    // comes once the typed text is in the database, so what is tested is
    // that IndexedDB keeps it, not how fast a write beats a reload.
    await until(async () => (await storedTyping(page, 'demo', 'ola')).includes(added) || null,
      'the offline edit to be in IndexedDB');

    await context.setOffline(false);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await tid(page, 'outline').locator(`[role="treeitem"][data-node="${goal}"]`).waitFor();
    await selectNode(page, goal);
    await until(async () => (await shownText(tid(page, 'node-title'))) === original + added || null,
      'the offline edit to be shown after the reload');
    assert.ok((await connState(page)).pending > 0, 'the edit is still waiting to be sent');
    assert.notEqual((await connState(page)).state, 'online', 'the reloaded page knows it is not connected');
    await until(() => refused > 0 || null, 'the reloaded page to try to connect (and be refused)');
    assert.equal(title(await serverState(fx.base), goal), original, 'the server has not seen it yet');

    // Reconnect: the socket gets through; toggling the network fires the
    // `online` event, which makes the page retry at once, not after its
    // backoff.
    letSocketsThrough = true;
    await context.setOffline(true);
    await context.setOffline(false);
    await waitOnline(page, { settled: true });
    await until(async () => title(await serverState(fx.base), goal) === original + added || null,
      'the server to store the offline edit');
    // The page ends with the server's plan.
    const server = await serverState(fx.base);
    await until(async () => {
      assert.deepEqual((await clientState(page)).root, server.root);
      return true;
    }, 'the replica to equal GET /api/plans/demo');
    assert.equal(await shownText(tid(page, 'node-title')), original + added);
    assertNoProblems(page, 'ola');
  });

  test('a second tab of the same user works', { timeout: T.test }, async (t) => {
    const browser = await fx.browser(t);
    // One context: the same profile (localStorage, IndexedDB, Web Locks) as
    // two tabs of one browser.
    const { context, page: tab1 } = await newPage(browser);
    const frames1 = watchSockets(tab1);
    await loginAndOpen(tab1, fx.base, 'ola');
    const tab2 = await context.newPage();
    tab2.problems = [];
    tab2.on('pageerror', (e) => tab2.problems.push(`pageerror: ${e.message}`));
    const frames2 = watchSockets(tab2);
    // Logged in already (the token is the profile's); straight to the plan.
    await tab2.goto(`${fx.base}/#/plans/demo`, { waitUntil: 'domcontentloaded' });
    await waitOnline(tab2);
    await tid(tab2, 'outline').locator('[role="treeitem"]').first().waitFor();
    await waitOnline(tab1);

    // Two replicas: the tabs never share one (the server would refuse it).
    const replica = (p) => p.evaluate(() => window.samplan.doc.replicaId);
    const [r1, r2] = [await replica(tab1), await replica(tab2)];
    assert.notEqual(r1, r2, 'each tab edits with a replica of its own');

    const start = await serverState(fx.base);
    const goals = start.root.children.filter((n) => n.kind === 'goal' && !n.fields?.owner);
    const key = nodeKey(goals[1].id);
    const original = title(start, key);
    await selectNode(tab1, key);
    await selectNode(tab2, key);
    // Both tabs edit the same title, one at each end.
    await tid(tab1, 'node-title').click();
    await tab1.keyboard.press('Control+End');
    await tab1.keyboard.type(' (fane 1)', { delay: 10 });
    await tid(tab2, 'node-title').click();
    await tab2.keyboard.press('Control+Home');
    await tab2.keyboard.type('Fane 2: ', { delay: 10 });
    const want = `Fane 2: ${original} (fane 1)`;
    for (const p of [tab1, tab2]) await waitOnline(p, { settled: true });
    let seen;
    await until(async () => (seen = title(await serverState(fx.base), key)) === want || null,
      () => `the server to have both tabs' edits: want ${JSON.stringify(want)}, server has ${JSON.stringify(seen)}`);
    const server = await serverState(fx.base);
    for (const p of [tab1, tab2]) {
      await until(async () => {
        assert.deepEqual((await clientState(p)).root, server.root);
        return (await shownText(tid(p, 'node-title'))) === want || null;
      }, 'both tabs to show both edits');
      assert.equal(await tid(p, 'edit-error').innerText(), '', 'no error shown');
    }
    for (const f of [frames1, frames2]) {
      assert.deepEqual(f.errors.filter((e) => e === 'replica_in_use'), [], 'no replica_in_use from the server');
    }
    assertNoProblems(tab1, 'tab 1');
    assertNoProblems(tab2, 'tab 2');
  });

  test('a node another municipality owns is read-only and says why', { timeout: T.test }, async (t) => {
    const browser = await fx.browser(t);
    const { page } = await newPage(browser);
    await loginAndOpen(page, fx.base, 'ola'); // Vestby
    const start = await serverState(fx.base);
    const moss = pickNode(start, (n) => (n.fields?.owner?.value ?? []).join() === 'Moss', 'node owned by Moss');
    const key = nodeKey(moss.id);
    await selectNode(page, key);

    const field = tid(page, 'node-title');
    const readOnly = await field.evaluate(
      (el) => el.readOnly === true || el.disabled === true || el.getAttribute('aria-readonly') === 'true' || el.isContentEditable === false && !('value' in el),
    );
    assert.ok(readOnly, 'the title of a Moss node is read-only for a Vestby editor');
    const reason = tid(page, 'readonly-reason');
    await reason.waitFor({ state: 'visible' });
    assert.match(await reason.innerText(), /Moss/, 'the reason names the owning municipality');
    // The reason is tied to the field for screen readers.
    const described = await field.evaluate((el) => {
      const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
      return ids.map((id) => document.getElementById(id)?.textContent || '').join(' ');
    });
    assert.match(described, /Moss/, 'the field is described by the reason (aria-describedby)');

    // Typing changes nothing, locally or on the server, and sends nothing.
    await field.click({ force: true });
    await page.keyboard.type('xyz');
    assert.equal(await shownText(field), moss.texts.title);
    await waitOnline(page, { settled: true });
    assert.equal(title(await serverState(fx.base), key), moss.texts.title);
    // The structure buttons are not offered either.
    for (const id of ['delete-node', 'move-up', 'move-down', 'indent', 'outdent']) {
      const b = tid(page, id);
      if (await b.count()) assert.ok(await b.isDisabled(), `${id} is disabled on a node ola may not change`);
    }
    assertNoProblems(page, 'ola');
  });
});
