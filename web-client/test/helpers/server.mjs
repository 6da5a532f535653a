// Test helper: a real `samplan serve` on 127.0.0.1 with a fresh data
// directory (build/samplan, or SAMPLAN_BIN). Every wait is bounded; stop()
// kills only the process this helper started.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../../../', import.meta.url).pathname;

export async function startServer(extraArgs = [], { timeoutMs = 15000 } = {}) {
  const bin = process.env.SAMPLAN_BIN || join(repo, 'build/samplan');
  const data = mkdtempSync(join(tmpdir(), 'samplan-web-test-'));
  const child = spawn(bin, ['serve', '--port', '0', '--data', data, '--quiet', ...extraArgs],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`samplan serve did not start:\n${output}`)), timeoutMs);
    const onData = (chunk) => {
      output += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`samplan serve exited with ${code}:\n${output}`));
    });
  });
  child.stdout.resume();
  child.stderr.resume();

  const server = {
    base,
    wsUrl: base.replace(/^http/, 'ws') + '/ws',
    data,
    async token(user) {
      const res = await fetch(`${base}/api/demo-login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user }),
      });
      if (!res.ok) throw new Error(`demo-login ${user}: ${res.status}`);
      return (await res.json()).token;
    },
    async plan(token, id = 'demo') {
      const res = await fetch(`${base}/api/plans/${id}`, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`GET /api/plans/${id}: ${res.status}`);
      return res.json();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
  return server;
}

// Polls `check` (sync or async) until it returns a truthy value; fails with
// `what` after timeoutMs.
export async function until(check, what, timeoutMs = 10000, everyMs = 10) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// Finds the first node of `root` (a state tree) matching pred.
export function findNode(root, pred) {
  if (pred(root)) return root;
  for (const c of root.children || []) {
    const f = findNode(c, pred);
    if (f) return f;
  }
  return null;
}
