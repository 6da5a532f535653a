// Tests of Connection (web-client/app/js/sync.js) against a real
// `samplan serve` (build/samplan) with docs of the real wasm core.
//   node --experimental-websocket --test web-client/test/sync.test.mjs
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Connection } from '../app/js/sync.js';
import { MemoryBackend, MemoryLocks, OfflineStore } from '../app/js/store.js';
import { loadTestCore } from './helpers/core.mjs';
import { findNode, startServer, until } from './helpers/server.mjs';

const haveWebSocket = typeof globalThis.WebSocket === 'function';
const { core, PlanDoc } = await loadTestCore();
const makeDoc = (replica, snapshot) =>
  (snapshot ? PlanDoc.fromSnapshot(core, snapshot, replica) : PlanDoc.create(core, replica));

// A WebSocket that can fail the way networks do: `cutAfterNextOps` closes
// the socket right after the next `ops` message left (the server got it, its
// ack will not arrive); `loseNextOps` closes it instead of sending (the
// batch is lost on the way).
class FlakyWebSocket extends (globalThis.WebSocket || class {}) {
  static cutAfterNextOps = 0;
  static loseNextOps = 0;
  static sentOps = 0;
  send(data) {
    const isOps = data.includes('"type":"ops"');
    if (isOps && FlakyWebSocket.loseNextOps > 0) {
      FlakyWebSocket.loseNextOps--;
      this.close();
      return;
    }
    super.send(data);
    if (isOps) {
      FlakyWebSocket.sentOps++;
      if (FlakyWebSocket.cutAfterNextOps > 0) {
        FlakyWebSocket.cutAfterNextOps--;
        this.close();
      }
    }
  }
}

describe('Connection against samplan serve', { skip: !haveWebSocket && 'run node with --experimental-websocket' }, () => {
  let server;
  const tokens = {};
  const open = [];

  before(async () => {
    server = await startServer();
    for (const user of ['ola', 'anne']) tokens[user] = await server.token(user);
  });

  after(async () => {
    for (const c of open) await c.stop().catch(() => {});
    if (server) await server.stop();
  });

  // A started connection whose doc has joined.
  async function connect(user, extra = {}) {
    const conn = new Connection({
      url: server.wsUrl, token: tokens[user], plan: 'demo', makeDoc,
      backoff: { minMs: 20, maxMs: 200 }, ...extra,
    });
    const states = [];
    conn.on('state', (s) => states.push(s));
    conn.states = states;
    open.push(conn);
    await conn.start();
    await until(() => conn.joined && conn.doc, `${user} joined`);
    return conn;
  }

  async function serverRoot(user = 'ola') {
    return (await server.plan(tokens[user])).root;
  }

  const byTitle = (prefix) => (n) => (n.texts?.title || '').startsWith(prefix);

  test('two editors converge with each other and the server', async () => {
    const ola = await connect('ola');
    const anne = await connect('anne');
    assert.deepEqual(ola.doc.state().root, await serverRoot(), 'joined with the whole plan');
    const goal = findNode(ola.doc.state().root, (n) => n.kind === 'goal').id;  // joint
    // Both type into the same title at once, in several batches each.
    for (let i = 0; i < 20; i++) {
      ola.doc.insertText(goal, 'title', 0, `o${i}`);
      anne.doc.insertText(goal, 'title', anne.doc.text(goal, 'title').length, `a${i}`);
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await ola.whenSynced(10000);
    await anne.whenSynced(10000);
    const expected = await serverRoot();
    await until(() => JSON.stringify(ola.doc.state().root) === JSON.stringify(expected)
                      && JSON.stringify(anne.doc.state().root) === JSON.stringify(expected),
                'both docs equal the server state');
    const title = ola.doc.text(goal, 'title');
    for (let i = 0; i < 20; i++) {
      assert.ok(title.includes(`o${i}`) && title.includes(`a${i}`), title);
    }
    assert.ok(ola.states.some((s) => s.state === 'syncing' && s.pending > 0), 'showed syncing N edits');
    assert.equal(ola.state, 'online');
    await ola.stop();
    await anne.stop();
  });

  test('a batch cut off or lost by a dropped socket is stored exactly once', async () => {
    const ola = await connect('ola', { WebSocket: FlakyWebSocket });
    const node = findNode(ola.doc.state().root, byTitle('Etablere en arena')).id;  // Vestby's
    const drops = () => ola.states.filter((s) => s.state === 'offline').length;

    // 1. The batch reached the server but the socket closed before its ack:
    // the rejoin's version covers it, so it is safe without an ack.
    FlakyWebSocket.cutAfterNextOps = 1;
    ola.doc.insertText(node, 'title', 0, 'Avbrutt: ');
    ola.doc.setField(node, 'status', 'active');
    await until(() => drops() === 1, 'the first drop');
    await ola.whenSynced(10000);

    // 2. The batch never left: it is re-sent after the rejoin.
    FlakyWebSocket.loseNextOps = 1;
    const sent = FlakyWebSocket.sentOps;
    ola.doc.insertText(node, 'title', 0, 'Tapt: ');
    await until(() => drops() === 2, 'the second drop');
    assert.equal(ola.pending, 1, 'kept in the outbox');
    await ola.whenSynced(10000);
    assert.equal(FlakyWebSocket.sentOps, sent + 1, 're-sent once after the reconnect');
    assert.equal(ola.pending, 0);

    const root = await serverRoot();
    const stored = findNode(root, (n) => n.id[0] === node[0] && n.id[1] === node[1]);
    assert.match(stored.texts.title, /^Tapt: Avbrutt: Etablere en arena/);
    assert.equal(stored.texts.title.split('Avbrutt').length, 2, 'stored exactly once');
    assert.equal(stored.fields.status.value, 'active');
    await until(() => JSON.stringify(ola.doc.state().root) === JSON.stringify(root), 'ola equals the server');
    await ola.stop();
  });

  test('edits made offline survive a reload (the store) and sync on reconnect', async () => {
    const backend = new MemoryBackend();
    const locks = new MemoryLocks();
    const openStore = () => OfflineStore.open({ plan: 'demo', user: 'ola', backend, locks, window: null });
    const store1 = await openStore();
    const ola = await connect('ola', { store: store1 });
    const replica = ola.doc.replicaId;
    const node = findNode(ola.doc.state().root, byTitle('Utvikle og gjennomføre')).id;  // Vestby's
    await ola.stop();                                     // offline
    assert.equal(ola.state, 'offline');
    ola.doc.insertText(node, 'title', 0, 'Frakoblet æøå: ');
    ola.doc.setField(node, 'status', 'planned');
    assert.equal(ola.pending, 2);
    const lost = ola.doc;
    await store1.close();                                 // the page goes away
    lost.dispose();

    // The reloaded page: the store gives the doc back before any network.
    const store2 = await openStore();
    const ola2 = new Connection({ url: server.wsUrl, token: tokens.ola, plan: 'demo', makeDoc,
                                  store: store2, backoff: { minMs: 20, maxMs: 200 } });
    open.push(ola2);
    let restored = null;
    ola2.on('doc', (e) => { restored ??= e; });
    await ola2.start();
    assert.equal(restored.reason, 'restored');
    assert.equal(restored.doc.replicaId, replica, 'resumes its replica');
    assert.match(restored.doc.text(node, 'title'), /^Frakoblet æøå: /);
    await ola2.whenSynced(10000);
    const root = await serverRoot();
    const stored = findNode(root, (n) => n.id[1] === node[1] && n.id[0] === node[0]);
    assert.match(stored.texts.title, /^Frakoblet æøå: Utvikle/);
    assert.equal(stored.fields.status.value, 'planned');
    await ola2.stop();
    await store2.close();
  });

  test('a second tab of the same user gets its own replica', async () => {
    const backend = new MemoryBackend();
    const locks = new MemoryLocks();
    const openStore = () => OfflineStore.open({ plan: 'demo', user: 'anne', backend, locks, window: null });
    const s1 = await openStore();
    const tab1 = await connect('anne', { store: s1 });
    await s1.flush();
    const s2 = await openStore();
    const tab2 = await connect('anne', { store: s2 });
    assert.notEqual(tab1.doc.replicaId, tab2.doc.replicaId);
    const node = findNode(tab1.doc.state().root, byTitle('Evaluere dagens')).id;  // Moss's
    tab1.doc.insertText(node, 'title', 0, 'Fane 1 ');
    tab2.doc.insertText(node, 'title', 0, 'Fane 2 ');
    await tab1.whenSynced(10000);
    await tab2.whenSynced(10000);
    const root = await serverRoot();
    await until(() => JSON.stringify(tab1.doc.state().root) === JSON.stringify(root)
                      && JSON.stringify(tab2.doc.state().root) === JSON.stringify(root), 'both tabs converge');
    await tab1.stop();
    await tab2.stop();
    await s1.close();
    await s2.close();
  });

  test('a forbidden edit is rejected and the client recovers to the server state', async () => {
    const ola = await connect('ola');
    const events = [];
    ola.on('rejected', (e) => events.push(['rejected', e]));
    ola.on('reset', (e) => events.push(['reset', e]));
    const docs = [];
    ola.on('doc', (e) => docs.push(e));
    const oldReplica = ola.doc.replicaId;
    const moss = findNode(ola.doc.state().root, byTitle('Omdømmeprosjekt')).id;  // owned by Moss
    const mossTitle = ola.doc.text(moss, 'title');
    ola.doc.insertText(moss, 'title', 0, 'Ola var her ');
    await until(() => docs.length > 0, 'a new doc after the reset');
    assert.equal(events[0][0], 'rejected');
    assert.equal(events[0][1].code, 'forbidden');
    assert.match(events[0][1].message, /Moss/);
    assert.equal(events[1][0], 'reset');
    assert.notEqual(docs[0].doc.replicaId, oldReplica, 'a fresh replica');
    events[1][1].previous.dispose();
    await until(() => ola.state === 'online', 'online again');
    assert.equal(ola.doc.text(moss, 'title'), mossTitle);
    assert.deepEqual(ola.doc.state().root, await serverRoot());
    await ola.stop();
  });

  test('presence reaches the other editor, after the ops it names', async () => {
    const ola = await connect('ola');
    const anne = await connect('anne');
    const goal = findNode(ola.doc.state().root, (n) => n.kind === 'goal').id;
    ola.doc.insertText(goal, 'title', 0, 'Her: ');
    // An anchor on a character ola just typed: sent only after its op.
    const anchor = ola.doc.textAnchor(goal, 'title', 2, 'before');
    assert.equal(anchor.char[0], ola.doc.replicaId);
    ola.setPresence({ anchor, typing: true });
    const [session, seen] = await until(
      () => [...anne.peers.entries()].find(([, p]) => p.user === 'ola' && p.anchor), 'anne sees ola');
    assert.deepEqual(seen.anchor, anchor);
    assert.equal(seen.typing, true);
    assert.equal(anne.doc.resolve(seen.anchor).pos16, 2);
    await ola.stop();
    await until(() => !anne.peers.has(session), 'ola left');
    await anne.stop();
  });

  test('a bad token stops at offline with the reason', async () => {
    const conn = new Connection({ url: server.wsUrl, token: 'not.a.token', plan: 'demo', makeDoc,
                                  backoff: { minMs: 20, maxMs: 200 } });
    open.push(conn);
    await conn.start();
    await until(() => conn.state === 'offline' && /auth_failed/.test(conn.reason || ''), 'auth_failed');
    assert.equal(conn.doc, null);
  });
});

describe('Connection when the server answers a join with a snapshot', { skip: !haveWebSocket && 'run node with --experimental-websocket' }, () => {
  let server;
  after(async () => { if (server) await server.stop(); });

  test('the doc is rebuilt from the snapshot and offline edits are re-applied and sent', async () => {
    server = await startServer(['--snapshot-every', '5', '--snapshot-interval', '1']);
    const tokens = { ola: await server.token('ola'), anne: await server.token('anne') };
    const conn = (user, extra = {}) => new Connection({
      url: server.wsUrl, token: tokens[user], plan: 'demo', makeDoc,
      backoff: { minMs: 20, maxMs: 200 }, ...extra });
    const ola = conn('ola');
    const docs = [];
    ola.on('doc', (e) => docs.push(e));
    await ola.start();
    await until(() => ola.joined, 'ola joined');
    await ola.stop();
    const node = findNode(ola.doc.state().root, (n) => (n.texts?.title || '').startsWith('Tiltak for økt')).id;
    ola.doc.insertText(node, 'title', 0, 'Uten nett: ');   // offline

    // Meanwhile anne makes enough edits for a snapshot, then leaves, so the
    // room unloads and reloads from that snapshot on ola's next join.
    const anne = conn('anne');
    await anne.start();
    await until(() => anne.joined, 'anne joined');
    const goal = findNode(anne.doc.state().root, (n) => n.kind === 'goal').id;
    for (let i = 0; i < 12; i++) {
      anne.doc.insertText(goal, 'body', 0, `${i} `);
      await anne.whenSynced(10000);
    }
    await new Promise((r) => setTimeout(r, 1500));  // past --snapshot-interval
    await anne.stop();
    await new Promise((r) => setTimeout(r, 300));   // the room unloads

    await ola.start();
    await ola.whenSynced(10000);
    const root = (await server.plan(tokens.ola)).root;
    assert.ok(docs.some((e) => e.reason === 'snapshot'),
              `joined with a snapshot (got ${docs.map((e) => e.reason)})`);
    const stored = findNode(root, (n) => n.id[0] === node[0] && n.id[1] === node[1]);
    assert.match(stored.texts.title, /^Uten nett: Tiltak/);
    assert.deepEqual(ola.doc.state().root, root);
    await ola.stop();
  });
});
