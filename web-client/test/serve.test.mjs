// samplan serve serves the browser app (server/static_files.h): types,
// caching, the Content-Security-Policy, and nothing outside the web root.
// Needs build/samplan (scripts/test.sh's release stage) and the wasm core.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const repo = new URL('../../', import.meta.url).pathname;
const binary = process.env.SAMPLAN_TEST_BINARY ?? join(repo, 'build/samplan');
let server;
let base;
let data;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'samplan-serve-'));
  server = spawn(binary, ['serve', '--port', '0', '--data', data, '--quiet'],
                 { stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 20 s')), 20000);
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
});

after(() => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(data, { recursive: true, force: true });
});

test('the page and its modules come with types, revalidation and the CSP', async () => {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  const html = await page.text();
  assert.match(html, /<script type="module" src="[^"]+"><\/script>/);
  // No inline script: every <script> has a src.
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');

  const doc = await fetch(`${base}/js/doc.js`);
  assert.equal(doc.status, 200);
  assert.equal(doc.headers.get('content-type'), 'text/javascript; charset=utf-8');
  const core = await fetch(`${base}/core/samplan_core_web.mjs`, { method: 'HEAD' });
  assert.equal(core.status, 200);
  assert.equal(core.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await core.text()).length, 0, 'HEAD has no body');
  const wasm = await fetch(`${base}/core/samplan_core_web.wasm`, { method: 'HEAD' });
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.ok(Number(wasm.headers.get('content-length')) > 100000);
  // Nothing else of the build folder.
  assert.equal((await fetch(`${base}/core/libsamplan_crdt.a`)).status, 404);
});

test('an unchanged file revalidates with 304 and no body', async () => {
  const first = await fetch(`${base}/js/doc.js`);
  const etag = first.headers.get('etag');
  assert.match(etag, /^"\d+-\d+"$/);
  const again = await fetch(`${base}/js/doc.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal((await again.text()).length, 0);
});

test('nothing outside the web root, no hidden files, API routes unaffected', async () => {
  for (const path of ['/../README.md', '/js/../../README.md', '/%2e%2e/README.md',
                      '/.git/config', '/js//doc.js', '/nope.js']) {
    const res = await fetch(`${base}${path}`);
    assert.equal(res.status, 404, path);
  }
  const api = await fetch(`${base}/api/plans`);
  assert.equal(api.status, 401);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});

test('index.html preloads every module of the app, and nothing that is gone', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const app = join(repo, 'web-client/app');
  const modules = readdirSync(join(app, 'js'), { recursive: true })
    .filter((f) => f.endsWith('.js')).map((f) => `/js/${f}`).sort();
  const html = readFileSync(join(app, 'index.html'), 'utf8');
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)]
    .map((m) => m[1]).filter((h) => h.startsWith('/js/')).sort();
  assert.deepEqual(preloaded, modules);
  for (const href of preloaded) {
    assert.equal((await fetch(`${base}${href}`, { method: 'HEAD' })).status, 200, href);
  }
});
