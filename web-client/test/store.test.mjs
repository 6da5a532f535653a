// Tests of OfflineStore (web-client/app/js/store.js): the memory backend and,
// when the npm package fake-indexeddb is installed, the IndexedDB backend
// through the same cases; replica locking between "tabs"; and restoring a
// doc of the real wasm core from what the store kept.
//   node --test web-client/test/store.test.mjs
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdbBackend, MemoryBackend, MemoryLocks, OfflineStore, opEnd, restoreDoc }
  from '../app/js/store.js';
import { loadTestCore } from './helpers/core.mjs';

const R1 = 2 ** 32 + 11;
const R2 = 2 ** 32 + 12;

// A stand-in doc: snapshot() = JSON of its counter (only restoreDoc needs a
// real one).
class FakeDoc {
  constructor(replicaId, counter = 0) { this.replicaId = replicaId; this.counter = counter; }
  snapshot() { return new TextEncoder().encode(JSON.stringify({ counter: this.counter })); }
}

function op(replica, counter, kind = 'set_field', text) {
  const o = { id: [replica, counter], lamport: counter, deps: [], kind, node: [0, 1], name: 'status' };
  if (text !== undefined) o.text = text;
  return o;
}

// fake-indexeddb (npm, test-only): IndexedDB for node. SAMPLAN_FAKE_INDEXEDDB
// may name its module file when it is installed elsewhere.
let fakeIndexedDB = null;
try {
  const mod = await import(process.env.SAMPLAN_FAKE_INDEXEDDB || 'fake-indexeddb');
  fakeIndexedDB = mod.indexedDB;
  globalThis.IDBKeyRange ??= mod.IDBKeyRange;
} catch {
  fakeIndexedDB = null;
}

const backends = [['memory', () => new MemoryBackend()]];
backends.push(['indexeddb', fakeIndexedDB ? () => new IdbBackend(fakeIndexedDB) : null]);

let dbSeq = 0;

for (const [name, makeBackend] of backends) {
  describe(`OfflineStore (${name})`, { skip: !makeBackend && 'npm package fake-indexeddb not installed' }, () => {
    // Every test gets its own plan name (fake-indexeddb is one global).
    const setup = () => {
      const backend = makeBackend();
      const locks = new MemoryLocks();
      const plan = `p${++dbSeq}`;
      const open = () => OfflineStore.open({ plan, user: 'ola', backend, locks, window: null });
      return { backend, locks, open };
    };

    test('a fresh store has nothing to claim; bound ops and acks survive a reopen', async () => {
      const { open } = setup();
      const a = await open();
      assert.equal(await a.claim(), null);
      await a.bind(R1);
      a.setDoc(new FakeDoc(R1, 0));
      a.addOps([op(R1, 1), op(R1, 2, 'insert_text', 'Blå'), op(R1, 5)]);
      await a.flush();
      a.ack(1);
      await a.close();

      const b = await open();
      const rec = await b.claim();
      assert.equal(rec.replicaId, R1);
      assert.equal(rec.acked, 1);
      assert.deepEqual(rec.ops.map((o) => o.id[1]), [1, 2, 5],
                       'the snapshot (counter 0) lacks them all, so all are kept');
      assert.ok(rec.snapshot instanceof Uint8Array);
      await b.close();
    });

    test('an op is dropped once it is both acknowledged and in the snapshot', async () => {
      const { open } = setup();
      const a = await open();
      await a.claim();
      await a.bind(R1);
      const doc = new FakeDoc(R1, 0);
      a.setDoc(doc);
      a.addOps([op(R1, 1), op(R1, 2, 'insert_text', 'æøå'), op(R1, 5)]);
      doc.counter = 5;
      await a.flush({ snapshot: true });   // snapshot holds 1..5
      a.ack(4);                             // the server stored 1..4
      await a.flush();
      await a.close();

      const b = await open();
      const rec = await b.claim();
      assert.deepEqual(rec.ops.map((o) => o.id[1]), [5]);
      assert.deepEqual(JSON.parse(new TextDecoder().decode(rec.snapshot)), { counter: 5 });
      await b.close();
    });

    test('an edit reaches the database within flushMs without an explicit flush', async () => {
      const { backend, open } = setup();
      const a = await open();
      await a.bind(R1);
      a.setDoc(new FakeDoc(R1, 0));
      a.addOps([op(R1, 1)]);
      // Read the database directly (not through `a`) until the op is there;
      // bounded, and flushMs is at most 300 ms.
      const db = await backend.open(a.name);
      let rec = null;
      for (let i = 0; i < 100 && !(rec && rec.ops.length); i++) {
        await new Promise((r) => setTimeout(r, 20));
        rec = await db.load(R1);
      }
      assert.deepEqual(rec.ops.map((o) => o.id[1]), [1]);
      await a.close();
    });

    test('a second tab cannot take a held replica; it gets its own', async () => {
      const { open } = setup();
      const tab1 = await open();
      await tab1.bind(R1);
      tab1.setDoc(new FakeDoc(R1, 3));
      tab1.addOps([op(R1, 1)]);
      await tab1.flush();

      const tab2 = await open();
      assert.equal(await tab2.claim(), null, 'R1 is held by tab 1');
      await tab2.bind(R2);
      tab2.setDoc(new FakeDoc(R2, 0));
      tab2.addOps([op(R2, 1)]);
      await tab2.flush();
      await assert.rejects(tab2.bind(R1), /already holds/);

      // Tab 1 closes with its op unacknowledged: the next tab adopts it.
      await tab1.close();
      const tab3 = await open();
      const rec = await tab3.claim();
      assert.equal(rec.replicaId, R1);
      assert.deepEqual(rec.ops.map((o) => o.id[1]), [1]);
      await tab2.close();
      await tab3.close();
    });

    test('claim prefers a replica with unsent ops and removes free, fully acked ones', async () => {
      const { backend, open } = setup();
      const a = await open();
      await a.bind(R1);
      a.setDoc(new FakeDoc(R1, 1));
      a.addOps([op(R1, 1)]);
      a.ack(1);
      await a.close();   // R1: everything acked
      const b = await open();
      await b.bind(R2);
      b.setDoc(new FakeDoc(R2, 1));
      b.addOps([op(R2, 1)]);
      await b.close();   // R2: one unsent op, older than... well, newer; still preferred

      const c = await open();
      const rec = await c.claim();
      assert.equal(rec.replicaId, R2);
      const db = await backend.open(c.name);
      assert.deepEqual((await db.metas()).map((m) => m.replicaId), [R2], 'R1 was a spare cache');
      await c.close();
    });

    test('drop forgets the replica and frees it', async () => {
      const { open } = setup();
      const a = await open();
      await a.bind(R1);
      a.setDoc(new FakeDoc(R1, 1));
      a.addOps([op(R1, 1)]);
      await a.flush();
      await a.drop();
      assert.equal(a.replicaId, null);
      await a.bind(R2);   // a fresh replica after the reset
      a.setDoc(new FakeDoc(R2, 0));
      await a.close();
      const b = await open();
      const rec = await b.claim();
      assert.equal(rec.replicaId, R2);
      await b.close();
    });
  });
}

describe('restoreDoc with the wasm core', () => {
  test('snapshot + own ops past it rebuild the doc; the outbox is what is not acked', async () => {
    const { core, PlanDoc } = await loadTestCore();
    const doc = PlanDoc.create(core, R1);
    const { id: chapter } = doc.createNode([0, 1], 0, 'chapter');
    const snap = doc.snapshot();
    doc.insertText(chapter, 'title', 0, 'Grønn');
    doc.insertText(chapter, 'title', 5, ' vekst 😀');
    const all = doc.ownOpsAfter(0);
    const later = all.filter((o) => o.id[1] > 1);
    const record = { replicaId: R1, snapshot: snap, ops: all, acked: 1 };
    const { doc: back, outbox } = restoreDoc(record, (r, s) => PlanDoc.fromSnapshot(core, s, r));
    assert.equal(back.text(chapter, 'title'), 'Grønn vekst 😀');
    assert.equal(back.counter, doc.counter);
    assert.deepEqual(outbox, later);
    assert.equal(opEnd(later[later.length - 1]), doc.counter, 'an insert_text uses one counter per code point');
    back.dispose();
    doc.dispose();
  });
});
