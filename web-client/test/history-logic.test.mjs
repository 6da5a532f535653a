// The history view's logic without a browser (web-client/app/js/history.js):
// code points → UTF-16 for diff pieces and blame spans, the request channel
// (one in flight, the slider's latest position asked last, retries of
// superseded / rate-limited answers), the changes filters as a WS query and
// as export URL parameters, the CSV download through a Blob, who may see
// history, and the view's strings in nb, sv and en.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  HistoryChannel, blameRuns, canSeeHistory, changesQuery, codePointLength, cpToUtf16, diffSegments,
  downloadWithToken, elideSame, exportFileName, mergeSegments, exportParams, exportUrl, flattenState, pieceKind,
  plainValue, pointOptions, queryString, versionAt,
} from '../app/js/history.js';
import { translator, localeKeys } from '../app/js/i18n.js';
import { Connection } from '../app/js/sync.js';
import nbHistory from '../app/js/locales/history-nb.js';
import svHistory from '../app/js/locales/history-sv.js';
import enHistory from '../app/js/locales/history-en.js';
import { NEW_BODY, OLD_BODY, blameReply, diffReply, entriesReply, versionsReply } from './helpers/history-fixtures.mjs';

describe('code points and UTF-16', () => {
  test('cpToUtf16 counts astral characters as one code point, two units', () => {
    const s = 'a🌍b𝔸c';
    assert.equal(cpToUtf16(s, 0), 0);
    assert.equal(cpToUtf16(s, 1), 1);
    assert.equal(cpToUtf16(s, 2), 3);
    assert.equal(cpToUtf16(s, 3), 4);
    assert.equal(cpToUtf16(s, 4), 6);
    assert.equal(cpToUtf16(s, 5), 7);
    assert.equal(cpToUtf16(s, 99), 7, 'clamped to the end');
    assert.equal(codePointLength(s), 5);
  });

  test('blame spans cut the text at code points and cover it exactly', () => {
    const spans = blameReply.blame.nodes[0].texts.body;
    const runs = blameRuns(NEW_BODY, spans);
    assert.equal(runs.map((r) => r.text).join(''), NEW_BODY);
    assert.deepEqual(runs.map((r) => r.text), ['Grønn ', 'og 𝔸 rettferdig ', '🌍 vekst i ', 'hele ', 'regionen.']);
    assert.deepEqual(runs.map((r) => r.span.user), ['kari', 'ola', 'kari', 'siri', 'kari']);
    // UTF-16 offsets for a textarea or a Range.
    assert.equal(runs[2].from16, NEW_BODY.indexOf('🌍'));
    assert.equal(runs[2].to16, NEW_BODY.indexOf('hele'));
    for (const r of runs) assert.equal(NEW_BODY.slice(r.from16, r.to16), r.text);
  });

  test('blame with gaps or unsorted spans still shows the whole text once', () => {
    const runs = blameRuns('abc🌍def', [{ start: 4, length: 3, user: 'b' }, { start: 0, length: 2, user: 'a' }]);
    assert.deepEqual(runs.map((r) => [r.text, r.span && r.span.user]), [['ab', 'a'], ['c🌍', null], ['def', 'b']]);
    const overlap = blameRuns('abcdef', [{ start: 0, length: 4, user: 'a' }, { start: 2, length: 4, user: 'b' }]);
    assert.equal(overlap.map((r) => r.text).join(''), 'abcdef');
    assert.deepEqual(blameRuns('', []), []);
    assert.deepEqual(blameRuns('xy', []).map((r) => r.text), ['xy']);
  });

  test('diff pieces with lengths are cut out of the older text by code points', () => {
    const pieces = diffReply.diff.changes[0].texts[0].pieces;
    const segs = diffSegments(pieces, OLD_BODY);
    assert.equal(segs.filter((s) => s.kind !== 'del').map((s) => s.text).join(''), NEW_BODY);
    assert.equal(segs.filter((s) => s.kind !== 'ins').map((s) => s.text).join(''), OLD_BODY);
    const ins = segs.filter((s) => s.kind === 'ins');
    assert.deepEqual(ins.map((s) => [s.text, s.author.municipality, s.seq, s.seqLast]),
      [['og 𝔸 rettferdig ', 'Vestby', 44, 47], ['hele ', 'Råde', 52, undefined]]);
  });

  test('diff pieces: deletions, carried texts, start offsets and the keyed spelling', () => {
    const old = '🌍abc𝔸def';
    const segs = diffSegments([
      { op: 'retain', length: 2 },
      { op: 'delete', length: 3, author: { user: 'ola', municipality: 'Vestby' }, seq: 9 },
      { op: 'insert', text: 'X', author: { user: 'anne', municipality: 'Moss' }, seq: 10 },
      { op: 'retain', start: 5, length: 3 },
    ], old);
    assert.deepEqual(segs.map((s) => [s.kind, s.text]), [['same', '🌍a'], ['del', 'bc𝔸'], ['ins', 'X'], ['same', 'def']]);
    assert.equal(segs[1].author.user, 'ola');
    // A piece carrying its own text needs no older text.
    const carried = diffSegments([{ retain: 'Hei ' }, { delete: 'du', author: { user: 'a' } }, { insert: 'dere' }]);
    assert.deepEqual(carried.map((s) => [s.kind, s.text]), [['same', 'Hei '], ['del', 'du'], ['ins', 'dere']]);
    assert.equal(pieceKind({ kind: 'ins' }), 'insert');
    assert.equal(pieceKind({ type: 'equal' }), 'retain');
  });

  test('typing (one op per key) merges into one insertion per author', () => {
    const a = { user: 'ola', municipality: 'Vestby', time: 1 };
    const b = { user: 'anne', municipality: 'Moss', time: 2 };
    const segs = mergeSegments(diffSegments([
      { op: 'retain', length: 2 },
      { op: 'insert', text: 'H', author: a, seq: 10 },
      { op: 'insert', text: 'e', author: { ...a, time: 5 }, seq: 11 },
      { op: 'insert', text: 'i', author: b, seq: 12 },
      { op: 'delete', length: 1, author: a, seq: 13 },
      { op: 'delete', length: 1, author: a, seq: 14 },
      { op: 'retain', length: 1 },
    ], 'abcde'));
    assert.deepEqual(segs.map((s) => [s.kind, s.text, s.seq, s.seqLast]),
      [['same', 'ab', null, undefined], ['ins', 'He', 10, 11], ['ins', 'i', 12, undefined], ['del', 'cd', 13, 14], ['same', 'e', null, undefined]]);
    assert.equal(segs[1].author.time, 5, 'the latest time of the run');
  });

  test('long unchanged runs are shortened around the change', () => {
    const long = 'x'.repeat(500);
    const out = elideSame([{ kind: 'same', text: long }, { kind: 'ins', text: 'NY' }, { kind: 'same', text: long }], 20);
    assert.equal(out[1].text, 'NY');
    assert.ok(out[0].text.startsWith('… ') && out[0].text.length === 22);
    assert.ok(out[2].text.endsWith(' …') && out[2].elided);
    const short = [{ kind: 'same', text: 'kort' }];
    assert.deepEqual(elideSame(short), short);
  });
});

// A fake Connection.request: records messages, answers when told.
function fakeServer() {
  const calls = [];
  const request = (msg) => new Promise((resolve, reject) => calls.push({ msg, resolve, reject }));
  return { calls, request };
}

// A manual clock for the channel's spacing.
function manualClock() {
  let now = 0;
  const timers = [];
  return {
    now: () => now,
    setTimer: (fn, ms) => { const t = { at: now + ms, fn }; timers.push(t); return t; },
    clearTimer: (t) => { const i = timers.indexOf(t); if (i >= 0) timers.splice(i, 1); },
    advance(ms) {
      now += ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers.splice(timers.indexOf(due), 1);
        due.fn();
      }
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('HistoryChannel', () => {
  test('a dragged slider: one request in flight, the last position always asked', async () => {
    const server = fakeServer();
    const clock = manualClock();
    const ch = new HistoryChannel(server.request, { minIntervalMs: 50, ...clock });
    const results = [];
    const ask = (seq) => ch.ask('at', { query: 'at', at: String(seq) })
      .then((r) => results.push(['ok', seq, r.seq]), (e) => results.push([e.code, seq]));
    ask(100);
    assert.equal(server.calls.length, 1, 'the first position goes out at once');
    for (const seq of [99, 98, 97, 96]) ask(seq);
    await tick();
    assert.equal(server.calls.length, 1, 'nothing more while one is in flight');
    assert.deepEqual(results, [['replaced', 99], ['replaced', 98], ['replaced', 97]]);
    server.calls[0].resolve({ seq: 100 });
    await tick();
    assert.equal(server.calls.length, 1, 'the next waits for the spacing');
    clock.advance(50);
    assert.equal(server.calls.length, 2);
    assert.deepEqual(server.calls[1].msg, { type: 'history', query: 'at', at: '96' }, 'the latest position, not the ones between');
    server.calls[1].resolve({ seq: 96 });
    await tick();
    assert.deepEqual(results.slice(-2), [['ok', 100, 100], ['ok', 96, 96]]);
    assert.equal(ch.busy, false);
  });

  test('slots wait side by side; a newer request replaces only its own slot', async () => {
    const server = fakeServer();
    const clock = manualClock();
    const ch = new HistoryChannel(server.request, { minIntervalMs: 0, ...clock });
    const got = [];
    ch.ask('versions', { query: 'versions' }).then((r) => got.push(r.q));
    ch.ask('changes', { query: 'changes', user: 'ola' }).then((r) => got.push(r.q), (e) => got.push(e.code));
    ch.ask('at', { query: 'at', at: '5' }).then((r) => got.push(r.q));
    ch.ask('changes', { query: 'changes', user: 'anne' }).then((r) => got.push(r.q));
    for (let i = 0; i < 3; i++) {
      await tick();
      clock.advance(0);
      server.calls[i].resolve({ q: server.calls[i].msg.query + (server.calls[i].msg.user || '') });
    }
    await tick();
    assert.deepEqual(server.calls.map((c) => c.msg.query + (c.msg.user || '')), ['versions', 'at', 'changesanne']);
    assert.deepEqual(got, ['replaced', 'versions', 'at', 'changesanne']);
  });

  test('superseded and rate_limited answers are retried after a pause; other errors reach the caller', async () => {
    const server = fakeServer();
    const clock = manualClock();
    const ch = new HistoryChannel(server.request, { minIntervalMs: 10, retryMs: 300, retries: 2, ...clock });
    let result = null;
    ch.ask('diff', { query: 'diff', from: 'version:A', to: 'head' }).then((r) => { result = r; });
    server.calls[0].reject(Object.assign(new Error('superseded'), { code: 'superseded' }));
    await tick();
    clock.advance(299);
    assert.equal(server.calls.length, 1, 'not before the pause');
    clock.advance(1);
    assert.equal(server.calls.length, 2);
    server.calls[1].reject(Object.assign(new Error('slow down'), { code: 'rate_limited' }));
    await tick();
    clock.advance(300);
    server.calls[2].resolve({ diff: {} });
    await tick();
    assert.deepEqual(result, { diff: {} });

    let error = null;
    ch.ask('blame', { query: 'blame' }).catch((e) => { error = e; });
    clock.advance(10);
    server.calls[3].reject(Object.assign(new Error('forbidden: role viewer'), { code: 'forbidden' }));
    await tick();
    assert.equal(error.code, 'forbidden');
    assert.equal(ch.busy, false);
  });

  test('a request that throws at once is an error of that request only', async () => {
    const ch = new HistoryChannel(() => { throw Object.assign(new Error('offline'), { code: 'offline' }); }, { minIntervalMs: 0 });
    await assert.rejects(ch.ask('at', { query: 'at', at: 'head' }), (e) => e.code === 'offline');
    assert.equal(ch.busy, false);
  });
});

describe('Connection.request', () => {
  // A Connection on a fake open socket, as if joined.
  function joinedConnection() {
    const sent = [];
    const conn = new Connection({ url: 'ws://x', token: 't', plan: 'demo', WebSocket: class {} });
    conn.ws = { readyState: 1, send: (s) => sent.push(JSON.parse(s)), close() {} };
    conn.joined = { type: 'joined' };
    const errors = [];
    conn.on('error', (e) => errors.push(e));
    return { conn, sent, errors };
  }

  test('replies are matched by ref; error replies reject with their code and are not emitted', async () => {
    const { conn, sent, errors } = joinedConnection();
    const a = conn.request({ type: 'history', query: 'at', at: '5' });
    const b = conn.request({ type: 'history', query: 'changes' });
    assert.deepEqual(sent.map((m) => [m.v, m.type, m.query]), [[1, 'history', 'at'], [1, 'history', 'changes']]);
    assert.notEqual(sent[0].ref, sent[1].ref);
    // Answers out of order.
    conn._onMessage({ v: 1, type: 'error', code: 'forbidden', message: 'auditor or above', ref: sent[1].ref });
    conn._onMessage({ v: 1, type: 'history', query: 'at', seq: 5, ref: sent[0].ref });
    assert.equal((await a).seq, 5);
    await assert.rejects(b, (e) => e.code === 'forbidden' && /auditor/.test(e.message));
    assert.deepEqual(errors, [], 'a request\'s error is its caller\'s, not the editor\'s');
    // An error for something else is still emitted.
    conn._onMessage({ v: 1, type: 'error', code: 'bad_message', message: 'x', ref: 'presence' });
    assert.equal(errors.length, 1);
  });

  test('not joined: rejects at once; a closed socket rejects what is waiting', async () => {
    const { conn } = joinedConnection();
    const waiting = conn.request({ type: 'history', query: 'versions' });
    conn._closeSocket();
    await assert.rejects(waiting, (e) => e.code === 'disconnected');
    await assert.rejects(conn.request({ type: 'history', query: 'versions' }), (e) => e.code === 'offline');
    await conn.stop();
  });

  test('no answer: times out', async () => {
    const { conn } = joinedConnection();
    await assert.rejects(conn.request({ type: 'history', query: 'at', at: 'head' }, { timeoutMs: 5 }), (e) => e.code === 'timeout');
    conn._closeSocket();
  });
});

describe('filters and export', () => {
  test('the changes filters become the members of a `changes` query', () => {
    assert.deepEqual(changesQuery({}), {});
    const q = changesQuery({ user: ' ola ', municipality: 'Vestby', kind: 'text', node: [1, 20], subtree: false,
      since: '2026-06-01', until: '2026-06-21' });
    assert.deepEqual(q, { user: 'ola', municipality: 'Vestby', kinds: ['insert_text', 'delete_text'], node: [1, 20],
      subtree: false, since: '2026-06-01', until: `time:${Date.UTC(2026, 5, 21, 23, 59, 59, 999)}` });
    assert.equal(changesQuery({ kind: 'nonsense' }).kinds, undefined);
  });

  test('the same filters as export URL parameters (node R:C, kinds comma separated)', () => {
    const p = exportParams({ user: 'ola', kind: 'field', node: [3, 7] });
    assert.equal(p.get('format'), 'csv');
    assert.equal(p.get('user'), 'ola');
    assert.equal(p.get('kinds'), 'set_field');
    assert.equal(p.get('node'), '3:7');
    assert.equal(p.get('subtree'), 'true');
    assert.equal(exportUrl('demo plan', { user: 'å b' }), '/api/plans/demo%20plan/history/export?format=csv&user=%C3%A5%20b');
    assert.equal(queryString(new URLSearchParams({ from: 'version:Vedtatt i rådet', to: 'a+b' })),
      'from=version%3AVedtatt%20i%20r%C3%A5det&to=a%2Bb', 'spaces as %20, never "+"');
    assert.equal(exportFileName('demo', new Date(Date.UTC(2026, 5, 21))), 'historikk-demo-2026-06-21.csv');
    assert.equal(exportFileName('a/b', new Date(0)), 'historikk-a_b-1970-01-01.csv');
  });

  test('the CSV download fetches with the token and saves a Blob through an object URL', async () => {
    const csv = '\uFEFFseq,seq_last,time_utc,user,name,municipality,kinds,number,title,field,before,after,summary\r\n';
    const seen = {};
    const clicked = [];
    const env = {
      fetch: async (url, init) => { seen.url = url; seen.auth = init.headers.Authorization; return new Response(csv, { headers: { 'content-type': 'text/csv' } }); },
      URL: { createObjectURL: (b) => { seen.blob = b; return 'blob:x'; }, revokeObjectURL: (u) => { seen.revoked = u; } },
      document: {
        body: { append: () => {} },
        createElement: () => ({ click() { clicked.push({ href: this.href, download: this.download }); }, remove() {} }),
      },
    };
    const r = await downloadWithToken('/api/plans/demo/history/export?format=csv', 'TOKEN', 'h.csv', env);
    assert.equal(seen.auth, 'Bearer TOKEN');
    assert.deepEqual(clicked, [{ href: 'blob:x', download: 'h.csv' }]);
    assert.equal(r.bytes, new TextEncoder().encode(csv).length);
    assert.ok((await seen.blob.text()).includes('seq,seq_last,time_utc,user'));
    await new Promise((res) => setTimeout(res, 5));
    assert.equal(seen.revoked, 'blob:x');

    const refuse = { ...env, fetch: async () => new Response(JSON.stringify({ error: { code: 'forbidden', message: 'role viewer' } }), { status: 403 }) };
    await assert.rejects(downloadWithToken('/x', 'T', 'h.csv', refuse), (e) => e.code === 'forbidden' && e.status === 403);
  });
});

describe('points, rights and fixtures', () => {
  test('auditor and above may see history; a viewer gets the reason', () => {
    for (const role of ['auditor', 'reviewer', 'editor', 'admin']) assert.ok(canSeeHistory(role).ok, role);
    const v = canSeeHistory('viewer');
    assert.equal(v.ok, false);
    assert.equal(v.reason.key, 'history.denied.role');
    assert.equal(canSeeHistory(undefined).ok, false);
    const nb = translator('nb');
    assert.match(nb(v.reason.key, { role: nb('role.viewer') }), /revisor.*Din rolle er leser/);
  });

  test('the diff pickers list the versions, the slider point and now', () => {
    const versions = [...versionsReply.versions].sort((a, b) => a.seq - b.seq);
    const opts = pointOptions(versions, { sliderSeq: 47, lastSeq: 55 });
    assert.deepEqual(opts.map((o) => o.value), ['version:Høringsutkast', 'version:Vedtatt', '47', 'head']);
    assert.deepEqual(pointOptions([], { sliderSeq: 55, lastSeq: 55 }).map((o) => o.value), ['head']);
    assert.equal(versionAt(versions, 40).name, 'Høringsutkast');
    assert.equal(versionAt(versions, 41), null);
  });

  test('state helpers', () => {
    const root = { id: [0, 1], kind: 'plan', children: [{ id: [1, 2], kind: 'goal', children: [{ id: [1, 3], kind: 'measure' }] }] };
    assert.deepEqual(flattenState(root).map((x) => [x.node.id[1], x.depth]), [[1, 0], [2, 1], [3, 2]]);
    assert.equal(plainValue({ type: 'string_list', value: ['Moss', 'Råde'] }), 'Moss, Råde');
    assert.equal(plainValue(null), '');
    assert.equal(plainValue({ type: 'int', value: 2026 }), '2026');
    assert.equal(entriesReply.entries[0].erased, true);
  });

  test('the history strings exist in nb, sv and en, and the tables merge them', () => {
    const en = Object.keys(enHistory).sort();
    assert.deepEqual(Object.keys(nbHistory).sort(), en);
    assert.deepEqual(Object.keys(svHistory).sort(), en);
    for (const lang of ['nb', 'sv', 'en']) {
      const keys = new Set(localeKeys(lang));
      for (const k of en) assert.ok(keys.has(k), `${lang} lacks ${k}`);
    }
    assert.equal(translator('nb')('history.open'), 'Historikk');
    assert.equal(translator('sv')('history.open'), 'Historik');
    assert.equal(translator('en')('history.tab.blame'), 'Who wrote what');
    // Same placeholders in every language.
    const params = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
    for (const k of en) {
      assert.equal(params(nbHistory[k]), params(enHistory[k]), `nb ${k}`);
      assert.equal(params(svHistory[k]), params(enHistory[k]), `sv ${k}`);
    }
  });
});
