// The page as Chromium gets it from a real `samplan serve`: the app and the
// wasm core with their content types, the Content-Security-Policy enforced
// (an inline script is refused, and the harness sees the refusal), and
// axe-core still injectable under that policy. Checks the harness itself as
// much as the server: the other e2e files rely on both.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { T, assertNoProblems, fixture, newPage, tid } from './harness.mjs';

const fx = fixture();
before(fx.setUp, { timeout: T.test });
after(fx.tearDown, { timeout: T.test });

describe('serving', { timeout: T.test }, () => {
  test('the app, its modules and the wasm core come with types and a CSP without inline script', async () => {
    const page = await fetch(`${fx.base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    const csp = page.headers.get('content-security-policy') || '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const html = await page.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script> in index.html');
    assert.doesNotMatch(html, /\sstyle="/i, 'no inline style attributes in index.html');

    const core = await fetch(`${fx.base}/core/samplan_core_web.mjs`);
    assert.equal(core.status, 200);
    assert.match(core.headers.get('content-type'), /^(text|application)\/javascript/);
    await core.arrayBuffer();
    // The wasm streams as application/wasm (compileStreaming needs it).
    const wasm = await fetch(`${fx.base}/core/samplan_core_web.wasm`);
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    await wasm.arrayBuffer();
    // Every module the page names is served as JavaScript.
    for (const m of html.matchAll(/<script[^>]*\bsrc="([^"]+)"/gi)) {
      const r = await fetch(new URL(m[1], `${fx.base}/`));
      assert.equal(r.status, 200, m[1]);
      assert.match(r.headers.get('content-type'), /javascript/, m[1]);
      await r.arrayBuffer();
    }
  });

  test('Chromium enforces the CSP, and axe-core still runs under it', { timeout: T.test }, async (t) => {
    const browser = await fx.browser(t);
    const { page } = await newPage(browser);
    await page.goto(`${fx.base}/`, { waitUntil: 'domcontentloaded' });
    await tid(page, 'login-ola').waitFor();
    assertNoProblems(page, 'the login screen');

    // An inline script is refused (and reported); nothing it does happens.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true;';
      document.head.append(s);
    });
    await page.waitForFunction(() => true);
    assert.equal(await page.evaluate(() => window.__inlineRan ?? false), false);
    const deadline = Date.now() + T.step;
    while (!page.problems.some((p) => p.startsWith('csp:')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(page.problems.some((p) => p.startsWith('csp:')), 'the refusal is reported');

    // axe through CDP evaluation works all the same.
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const src = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await page.evaluate(src);
    assert.equal(await page.evaluate(() => typeof window.axe?.run), 'function');
  });
});
