// End-to-end harness: a real `build/samplan serve` on 127.0.0.1 with a fresh
// data directory, Debian's chromium driven by playwright-core, and the
// helpers every e2e test shares (log in, open the demo plan, wait for the
// connection state, read the server's state, screenshots, axe-core).
//
// Owned by the e2e tests (tests/e2e/); the page it drives is web-client/app/
// and its data-testid hooks are listed in docs/web-client.md ("Test hooks").
// Every wait here is bounded: a hung server or browser fails a test, it never
// hangs the run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// SAMPLAN_TEST_BINARY: another build of samplan (e.g. a helper's build dir).
export const SERVER = process.env.SAMPLAN_TEST_BINARY || join(ROOT, 'build', 'samplan');
export const CORE_DIR = join(ROOT, 'build-wasm');
export const WEB_ROOT = join(ROOT, 'web-client', 'app');
export const CHROMIUM = process.env.SAMPLAN_CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'build', 'screenshots');

// Timeouts (ms). Generous, because two Chromiums and a server share two
// cores in CI; they bound waits, nothing asserts a duration.
export const T = {
  server: 20_000, // server prints its listening line
  launch: 60_000, // chromium starts
  step: 20_000, // one UI step: a click, a screen, a state
  sync: 30_000, // edits reach the server and the other browser
  test: 180_000, // one test, all in
};

// The demo plan's nodes the tests use (seeded by `samplan serve` on an empty
// data directory; ids are the wire form "replica:counter" the outline puts in
// data-node). Looked up by kind and number at run time where they may move.
export const DEMO_PLAN = 'demo';

// ---------------------------------------------------------------------------
// The server

/** Whether this build of `samplan serve` knows the static-file flags. */
function serveHelp() {
  try {
    const r = require('node:child_process').spawnSync(SERVER, ['serve', '--help'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    return `${r.stdout}${r.stderr}`;
  } catch {
    return '';
  }
}

/**
 * Starts `samplan serve --port 0` on a fresh data directory and resolves
 * once it listens. Returns {url, port, pid, dataDir, output(), stop()}.
 * stop() kills exactly this PID (SIGTERM, then SIGKILL after 5 s) and removes
 * the data directory.
 */
export async function startServer({ args = [] } = {}) {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: build the release tree first`);
  const dataDir = mkdtempSync(join(tmpdir(), 'samplan-e2e-data-'));
  const help = serveHelp();
  const web = [];
  // The server serves web-client/app and the wasm core; pass the paths
  // explicitly so the test does not depend on the working directory.
  if (help.includes('--web-root')) web.push('--web-root', WEB_ROOT);
  if (help.includes('--core-dir')) web.push('--core-dir', CORE_DIR);
  const quiet = help.includes('--quiet') ? ['--quiet'] : [];
  const child = spawn(
    SERVER,
    ['serve', '--port', '0', '--bind', '127.0.0.1', '--data', dataDir, ...quiet, ...web, ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
  const port = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not listen within ${T.server} ms:\n${out}`)), T.server);
    const onData = (chunk) => {
      out += chunk;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`server exited (${code ?? signal}) before listening:\n${out}`));
    });
  }).catch((e) => {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    pid: child.pid,
    dataDir,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGTERM');
        const killer = setTimeout(() => {
          if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
        }, 5_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A demo token from the server (POST /api/demo-login). */
export async function demoToken(base, user) {
  const r = await fetch(`${base}/api/demo-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
    signal: AbortSignal.timeout(T.step),
  });
  if (!r.ok) throw new Error(`demo-login ${user}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()).token;
}

/** The plan as the server has stored it (GET /api/plans/{id}). */
export async function serverState(base, plan = DEMO_PLAN, user = 'vera') {
  const token = await demoToken(base, user);
  const r = await fetch(`${base}/api/plans/${plan}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(T.step),
  });
  if (!r.ok) throw new Error(`GET /api/plans/${plan}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

/** Whether the server serves the web app at / (an HTML page). */
export async function servesApp(base) {
  try {
    const r = await fetch(`${base}/`, { signal: AbortSignal.timeout(T.step) });
    return r.ok && (r.headers.get('content-type') || '').startsWith('text/html');
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Plan state helpers (the JSON of GET /api/plans/{id} and of doc.state())

/** "r:c" for an id in wire form [r, c]. */
export const nodeKey = (id) => `${id[0]}:${id[1]}`;

/** Every node of a plan state, in plan order, with its parent. */
export function allNodes(state) {
  const out = [];
  const walk = (n, parent) => {
    out.push({ node: n, parent });
    for (const c of n.children || []) walk(c, n);
  };
  walk(state.root, null);
  return out;
}

/** The node with this "r:c" key, or undefined. */
export function findNode(state, key) {
  return allNodes(state).find(({ node }) => nodeKey(node.id) === key)?.node;
}

/** The first node matching a predicate, or throws. */
export function pickNode(state, pred, what) {
  const hit = allNodes(state).find(({ node, parent }) => pred(node, parent));
  if (!hit) throw new Error(`demo plan has no ${what}`);
  return hit.node;
}

/** A node's winning owner list ([] = joint), not inherited. */
export const ownerOf = (n) => n.fields?.owner?.value ?? [];

// ---------------------------------------------------------------------------
// The browser

export const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/**
 * Launches Debian's chromium. playwright's launch() gives the browser a
 * fresh temporary --user-data-dir of its own (removed on close); each
 * newContext() is then a separate profile-like storage (IndexedDB, cookies),
 * so two contexts are two independent users.
 */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/install-deps.sh installs it`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: BROWSER_ARGS,
    timeout: T.launch,
  });
}

/**
 * A new browser context and page. Collects the page's errors and CSP
 * violations (page.problems) so a test can assert there were none.
 */
export async function newPage(browser, { locale = 'nb-NO', width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({
    locale,
    viewport: { width, height },
    deviceScaleFactor: 1,
    // Tests type with real keys; reduced motion keeps screenshots stable.
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(T.step);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    // Chromium reports CSP violations as console errors ("Refused to ...").
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(text)) {
      page.problems.push(`csp: ${text}`);
    }
  });
  return { context, page };
}

/** Fails when the page logged an uncaught error or a CSP violation. */
export function assertNoProblems(page, what = 'page') {
  if (page.problems.length) {
    throw new Error(`${what} had errors:\n  ${page.problems.join('\n  ')}`);
  }
}

/** Shortcut for a data-testid locator. */
export const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

/** Goes to the app and logs in with a demo account's button. */
export async function login(page, base, user) {
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded', timeout: T.step });
  await tid(page, `login-${user}`).click({ timeout: T.step });
  await tid(page, `plan-${DEMO_PLAN}`).waitFor({ state: 'visible', timeout: T.step });
}

/** Opens the demo plan from the plan list and waits until it is online. */
export async function openDemo(page) {
  await tid(page, `plan-${DEMO_PLAN}`).click({ timeout: T.step });
  await waitOnline(page);
  await tid(page, 'outline').locator('[role="treeitem"]').first().waitFor({ timeout: T.step });
}

/** Logs in and opens the demo plan. */
export async function loginAndOpen(page, base, user) {
  await login(page, base, user);
  await openDemo(page);
}

/**
 * Waits until the connection state is online; with settled, also until no
 * own edit waits for an ack (data-pending="0").
 */
export async function waitOnline(page, { settled = false, timeout = T.sync } = {}) {
  const sel = settled
    ? '[data-testid="conn-state"][data-state="online"][data-pending="0"]'
    : '[data-testid="conn-state"][data-state="online"]';
  await page.locator(sel).waitFor({ state: 'attached', timeout });
}

/** The connection state shown: {state, pending}. */
export async function connState(page) {
  const el = tid(page, 'conn-state');
  return {
    state: await el.getAttribute('data-state'),
    pending: Number(await el.getAttribute('data-pending')),
  };
}

/** Waits until the connection state is one of `states`. */
export async function waitConnState(page, states, timeout = T.sync) {
  const sel = states.map((s) => `[data-testid="conn-state"][data-state="${s}"]`).join(', ');
  await page.locator(sel).first().waitFor({ state: 'attached', timeout });
}

/** The outline's tree item of a node ("r:c"). */
export const treeItem = (page, key) => tid(page, 'outline').locator(`[role="treeitem"][data-node="${key}"]`);

/** Selects a node in the outline (click) and waits for its editor. */
export async function selectNode(page, key) {
  const item = treeItem(page, key);
  await item.scrollIntoViewIfNeeded();
  // The item's own row, not the whole <li>: the middle of a parent's box
  // may be one of its children.
  await item.locator(':scope > .row').first().click({ timeout: T.step });
  await page.locator(`[data-testid="outline"] [role="treeitem"][data-node="${key}"][aria-selected="true"]`)
    .waitFor({ state: 'attached', timeout: T.step });
  await until(async () => {
    const shown = await page.evaluate(() => document.querySelector('[data-testid="node-title"]')?.closest('[data-node]')?.dataset.node
      ?? document.querySelector('[data-testid="node-title"]')?.dataset.node ?? null);
    // Where the editor names its node, it must be this one.
    return shown === null || shown === key;
  }, `the editor to show node ${key}`, T.step);
}

/** The editable element of a cell (the cell itself or an input in it). */
export function cellInput(page, table, row, col) {
  const cell = tid(page, `table-${table}`).locator(`[data-row="${row}"][data-col="${col}"]`).first();
  return cell.locator('xpath=self::input | self::textarea | .//input | .//textarea').first();
}

/** The value of an input/textarea or the text of any other element. */
export async function shownText(locator) {
  return locator.evaluate((el) => ('value' in el && typeof el.value === 'string' ? el.value : el.textContent));
}

/**
 * The client's replica state as the page's debug hook shows it
 * (window.samplan.doc.state(), the same JSON shape as GET /api/plans/{id}).
 */
export async function clientState(page) {
  return page.evaluate(() => {
    const s = window.samplan?.doc?.state?.();
    return s ? JSON.parse(JSON.stringify(s)) : null;
  });
}

/** Waits until fn() resolves truthy, polling; throws with `what` on timeout. */
export async function until(fn, what, timeout = T.sync, every = 100) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === 'function' ? what() : what} (last: ${last?.message ?? JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// ---------------------------------------------------------------------------
// Artifacts and accessibility

/** Saves a screenshot to build/screenshots/<name>.png; returns its path. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false, timeout: T.step, animations: 'disabled' });
  return path;
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const WCAG21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core on the page; returns the WCAG 2.1 A/AA violations, each as
 * readable text (rule, impact, help, where). axe is injected through CDP
 * evaluation (page.evaluate), which the page's CSP does not govern; a
 * <script> tag with inline content would be refused by it, and rightly so.
 */
export async function axeViolations(page, screen) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    WCAG21_AA,
  );
  return result.violations.map(
    (x) =>
      `${screen}: ${x.id} (${x.impact}): ${x.help}\n    ${x.helpUrl}\n` +
      x.nodes
        .slice(0, 5)
        .map((n) => `    at ${n.target.join(' ')}: ${n.failureSummary?.replace(/\n/g, ' ')}`)
        .join('\n'),
  );
}

/** Fails on any WCAG 2.1 A/AA violation axe-core finds on the page. */
export async function checkA11y(page, screen) {
  const v = await axeViolations(page, screen);
  if (v.length) throw new Error(`axe: ${v.length} WCAG 2.1 A/AA violation(s):\n${v.join('\n')}`);
}

/**
 * A test fixture: one server for a file (before/after), browsers closed
 * after each test even when it fails. Usage:
 *   const fx = fixture(); before(fx.setUp); after(fx.tearDown);
 *   test('...', async (t) => { const b = await fx.browser(t); ... });
 */
export function fixture() {
  const fx = {
    server: null,
    base: null,
    async setUp() {
      fx.server = await startServer();
      fx.base = fx.server.url;
      if (!(await servesApp(fx.base))) {
        throw new Error(`${SERVER} serve does not serve the web app at / (needs --web-root/--core-dir)`);
      }
    },
    async tearDown() {
      await fx.server?.stop();
    },
    /** A browser closed when test `t` ends. */
    async browser(t) {
      const b = await launchBrowser();
      t.after(() => b.close().catch(() => {}));
      return b;
    },
  };
  return fx;
}
