// Benchmark of the browser client in Debian's chromium (playwright-core)
// against a real `build/samplan serve` on loopback. A benchmark, not a test:
// it prints figures next to the targets and fails only when it
// cannot measure.
//
//   node bench/web_client_bench.mjs [--open-runs N] [--keys N] [--edits N]
//
// 1. open: navigation to the editor's URL in a tab (from about:blank) → the
//    outline rendered with the connection online (page, wasm load, IndexedDB,
//    join, first render), measured in the page from its navigation start to
//    the first animation frame after both hold; cold (HTTP cache disabled)
//    and warm, median of N runs (≥ 5).
// 2. keystroke: one key in a body field holding the automerge-paper text
//    (~105k characters, ../shared/traces) → the input handled and → the
//    frame that shows it (a task posted from the next animation frame's
//    callback runs after its paint), from the keydown event's timestamp;
//    p50/p99 over N keys (≥ 200).
// 3. remote edit: a key typed in one browser context (ola) → the character
//    in the other context's field (anne), checked after each painted frame;
//    both pages live in one browser process, so performance.timeOrigin +
//    now() is one clock; p50/p99 over N edits (≥ 200), one at a time.
//
// Uses the page's debug hook window.samplan.doc (docs/web-client.md, Test
// hooks) to load the 100k text and to see remote changes arrive.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import {
  T,
  clientState,
  launchBrowser,
  login,
  newPage,
  nodeKey,
  openDemo,
  pickNode,
  selectNode,
  servesApp,
  startServer,
  tid,
  until,
  waitOnline,
} from '../tests/e2e/harness.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const OPEN_RUNS = Math.max(5, arg('open-runs', 7));
const KEYS = Math.max(200, arg('keys', 300));
const EDITS = Math.max(200, arg('edits', 250));
const TRACE = process.env.SAMPLAN_TRACE ?? join(ROOT, '..', 'shared', 'traces', 'sequential', 'automerge-paper.json.gz');

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => (x === undefined ? '-' : `${x.toFixed(1)} ms`);
const rows = [];
const report = (what, xs, target) =>
  rows.push({ what, n: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs), target });

// Installed before any page script runs (CDP, so the CSP does not apply):
// records when the outline has items and the connection is online, at the
// next animation frame (the frame that shows it).
const OPEN_PROBE = `(() => {
  const ready = () => document.querySelector('[data-testid="outline"] [role="treeitem"]') &&
    document.querySelector('[data-testid="conn-state"][data-state="online"]');
  const check = () => {
    // Where the time goes: the outline's first item, the online state.
    if (window.__benchOutline === undefined && document.querySelector('[data-testid="outline"] [role="treeitem"]')) {
      window.__benchOutline = performance.now();
    }
    if (window.__benchOnline === undefined && document.querySelector('[data-testid="conn-state"][data-state="online"]')) {
      window.__benchOnline = performance.now();
    }
    if (window.__benchOpened !== undefined || !ready()) return;
    window.__benchOpened = null;
    requestAnimationFrame(() => { window.__benchOpened = performance.now(); });
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
})();`;

async function benchOpen(browser, base) {
  const { context, page } = await newPage(browser);
  await login(page, base, 'ola');
  await openDemo(page);
  const editorUrl = page.url();
  await page.close();
  await context.addInitScript(OPEN_PROBE);
  const direct = editorUrl !== `${base}/`;
  // One tab, as a planner opening the plan from a link or reloading it: the
  // renderer process exists (starting one is the browser's cost, not the
  // app's), the page, wasm, IndexedDB and the join are all measured.
  const p = await context.newPage();
  const cdp = await context.newCDPSession(p);
  for (const cache of ['cold', 'warm']) {
    const times = [];
    const parts = { core: [], outline: [], online: [] };
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: cache === 'cold' });
    for (let i = 0; i < OPEN_RUNS + 1; i++) {
      await p.goto('about:blank');
      await p.goto(editorUrl, { waitUntil: 'commit' });
      if (!direct) await tid(p, 'plan-demo').click({ timeout: T.step }).catch(() => {});
      await p.waitForFunction(() => typeof window.__benchOpened === 'number', null, { timeout: T.sync });
      const t = await p.evaluate(() => ({
        opened: window.__benchOpened,
        outline: window.__benchOutline,
        online: window.__benchOnline,
        core: performance.getEntriesByType('resource').find((e) => e.name.includes('/core/samplan_core_web.wasm'))?.responseEnd,
      }));
      if (i > 0) {
        // The first run of each fills the cache (warm) or warms the server
        // and the browser up (cold); it is not counted.
        times.push(t.opened);
        for (const k of Object.keys(parts)) if (t[k] !== undefined) parts[k].push(t[k]);
      }
    }
    report(`open the demo plan (${cache} cache${direct ? '' : ', incl. a click'})`, times, '≤ 500 ms (p50)');
    if (parts.core.length) report(`  of which: core wasm downloaded (${cache})`, parts.core, '');
    if (parts.outline.length) report(`  of which: first outline item (${cache})`, parts.outline, '');
    if (parts.online.length) report(`  of which: connection online (${cache})`, parts.online, '');
  }
  await context.close();
}

// Keystroke timing in the page: keydown's timestamp → after the input event
// went through every handler (window, bubbling: after the app's) → the next
// animation frame.
const KEY_PROBE = () => {
  window.__benchKeys = [];
  let cur = null;
  window.addEventListener('keydown', (e) => { cur = { down: e.timeStamp }; }, true);
  window.addEventListener('input', () => {
    if (!cur) return;
    const k = cur;
    cur = null;
    k.handled = performance.now();
    // The frame that shows the key: its rAF callbacks run, then style,
    // layout and paint; a task posted from the callback runs after those.
    requestAnimationFrame(() => {
      setTimeout(() => {
        k.frame = performance.now();
        window.__benchKeys.push(k);
      }, 0);
    });
  });
};

async function benchKeystroke(browser, base, text) {
  const { page } = await newPage(browser);
  await login(page, base, 'ola');
  await openDemo(page);
  const state = await clientState(page);
  if (!state) throw new Error('window.samplan.doc is missing (docs/web-client.md, Test hooks)');
  const goal = pickNode(state, (n) => n.kind === 'goal' && 'body' in (n.texts ?? {}), 'goal with a body');
  const key = nodeKey(goal.id);
  // The whole text in one go through the page's document, as a paste would.
  await page.evaluate(([id, t]) => {
    const doc = window.samplan.doc;
    const len = doc.text(id, 'body').length;
    doc.deleteText(id, 'body', 0, len);
    doc.insertText(id, 'body', 0, t);
  }, [goal.id, text]);
  await waitOnline(page, { settled: true, timeout: 120_000 });
  await selectNode(page, key);
  const body = tid(page, 'node-body');
  await until(async () => (await body.evaluate((el) => (el.value ?? el.textContent).length)) >= text.length || null,
    'the body field to show the 100k text');
  const chars = await body.evaluate((el) => (el.value ?? el.textContent).length);
  // Caret in the middle, where a writer would be.
  await body.click();
  await body.evaluate((el) => {
    const mid = Math.floor((el.value ?? '').length / 2);
    if (el.setSelectionRange) el.setSelectionRange(mid, mid);
  });
  await page.evaluate(KEY_PROBE);
  const letters = 'lorem ipsum dolor sit amet ';
  for (let i = 0; i < KEYS; i++) {
    await page.keyboard.press(letters[i % letters.length] === ' ' ? 'Space' : letters[i % letters.length]);
    // One key per frame or so, as a fast typist; do not queue keys up.
    await page.waitForFunction((n) => window.__benchKeys.length >= n, i + 1, { timeout: T.step, polling: 'raf' });
  }
  const keys = await page.evaluate(() => window.__benchKeys);
  report(`keystroke → input handled (${chars} chars in the body)`, keys.map((k) => k.handled - k.down), '');
  report(`keystroke → next frame (${chars} chars in the body)`, keys.map((k) => k.frame - k.down), '≤ 16 ms');
  await page.context().close();
}

// In the receiving page: at each animation frame, the time the title field
// first shows a given length, after the frame is painted (timeOrigin-based,
// comparable across pages of one browser).
const SEEN_PROBE = () => {
  window.__benchSeen = new Map();
  const el = document.querySelector('[data-testid="node-title"]');
  // Checked after each frame's rAF callbacks and paint (a task posted from
  // a rAF callback), so a frame whose own rAF callback rendered the change
  // counts: checking inside a rAF callback registered earlier than the
  // editor's would see the old value and count one frame too many.
  const tick = () => {
    setTimeout(() => {
      const n = (el.value ?? el.textContent).length;
      if (!window.__benchSeen.has(n)) window.__benchSeen.set(n, performance.timeOrigin + performance.now());
    }, 0);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};

async function benchRemote(browser, base) {
  const a = await newPage(browser);
  const b = await newPage(browser);
  for (const [p, user] of [[a.page, 'ola'], [b.page, 'anne']]) {
    await login(p, base, user);
    await openDemo(p);
  }
  const state = await clientState(a.page);
  const goal = nodeKey(pickNode(state, (n) => n.kind === 'goal', 'goal').id);
  await selectNode(a.page, goal);
  await selectNode(b.page, goal);
  const field = tid(a.page, 'node-title');
  await field.click();
  await a.page.keyboard.press('Control+End');
  await a.page.evaluate(() => {
    window.__benchDown = [];
    window.addEventListener('keydown', (e) => window.__benchDown.push(performance.timeOrigin + e.timeStamp), true);
  });
  await b.page.evaluate(SEEN_PROBE);
  const len0 = await field.evaluate((el) => el.value.length);
  const lat = [];
  for (let i = 1; i <= EDITS; i++) {
    await a.page.keyboard.press('x');
    const seen = await b.page.waitForFunction((n) => window.__benchSeen.get(n), len0 + i, { timeout: T.sync, polling: 'raf' });
    const t1 = await seen.jsonValue();
    const t0 = await a.page.evaluate((k) => window.__benchDown[k], i - 1);
    lat.push(t1 - t0);
  }
  report('edit in one browser → visible in the other', lat, '≤ 50 ms p99');
  await a.context.close();
  await b.context.close();
}

async function main() {
  const text = JSON.parse(gunzipSync(readFileSync(TRACE)).toString('utf8')).endContent;
  const server = await startServer();
  let browser;
  try {
    if (!(await servesApp(server.url))) throw new Error('the server does not serve the web app at /');
    browser = await launchBrowser();
    console.log(`chromium ${browser.version()}, server ${server.url}`);
    await benchOpen(browser, server.url);
    await benchKeystroke(browser, server.url, text);
    await benchRemote(browser, server.url);
  } finally {
    await browser?.close();
    await server.stop();
  }
  const w = Math.max(...rows.map((r) => r.what.length));
  console.log(`\n${'measure'.padEnd(w)}  ${'n'.padStart(4)}  ${'p50'.padStart(9)}  ${'p99'.padStart(9)}  ${'max'.padStart(9)}  target`);
  for (const r of rows) {
    console.log(`${r.what.padEnd(w)}  ${String(r.n).padStart(4)}  ${ms(r.p50).padStart(9)}  ${ms(r.p99).padStart(9)}  ${ms(r.max).padStart(9)}  ${r.target}`);
  }
}

main().catch((e) => {
  console.error(`web_client_bench: ${e.stack || e}`);
  process.exit(1);
});
