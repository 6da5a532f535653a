// store.js — OfflineStore: what a tab keeps in IndexedDB so that edits made
// without a connection survive a reload and reach the server later.
// Owned by the sync/store/undo helper; used only by sync.js (Connection).
//
// One database per plan and user (`samplan/<plan>/<user>`). In it, per
// client replica id:
//   meta      {replicaId, acked, snapshotCounter, updated}
//   snapshot  the core's snapshot (Uint8Array) of this replica's doc
//   ops       this replica's own wire ops, one record each, keyed
//             [replicaId, counter]
// `acked` is the own counter the server is known to have stored (acks and
// joined.version); `snapshotCounter` the own counter the snapshot holds.
// An own op is kept until it is both acknowledged and in the snapshot: the
// ops past the snapshot rebuild the doc on load, and the ops past `acked`
// are the outbox to re-send. Snapshots are large, so they are written
// rarely (after a join, every `snapshotEveryOps` own ops, on pagehide);
// ops are small and reach the database in the task after the edit.
//
// Tabs: two tabs must never use one replica id at once (the server would
// refuse the second with `replica_in_use`), so a tab holds a Web Lock
// (`navigator.locks`, or an in-process registry in node) named after the
// replica for as long as it uses it. `claim()` takes the replica of this
// plan+user that no tab holds — preferring one with unacknowledged ops, so
// an outbox orphaned by a closed tab is adopted and re-sent — or returns
// null, and the tab joins for a fresh replica and `bind()`s it.

const DB_VERSION = 1;

// The own-counter range an op uses: an insert_text of n code points uses
// counters id..id+n-1; every other op one counter.
export function opEnd(op) {
  if (op.kind === 'insert_text') {
    let n = 0;
    for (const _ of op.text) n++;  // code points, as the core counts them
    return op.id[1] + Math.max(n, 1) - 1;
  }
  return op.id[1];
}

// ---------------------------------------------------------------- locks

// In-process lock registry: what navigator.locks gives a browser, for node
// tests (every OfflineStore of one process shares it, like tabs of one
// browser profile).
export class MemoryLocks {
  constructor() { this.held = new Set(); }
  async acquire(name) {
    if (this.held.has(name)) return null;
    this.held.add(name);
    return () => this.held.delete(name);
  }
}

const sharedMemoryLocks = new MemoryLocks();

// Web Locks: the lock is held until the callback's promise settles, so we
// hand out a release function that settles it. `ifAvailable` makes a held
// lock answer null at once instead of queueing.
export class WebLocks {
  constructor(locks) { this.locks = locks; }
  acquire(name) {
    return new Promise((resolve, reject) => {
      this.locks.request(name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        return new Promise((release) => resolve(() => release()));
      }).catch(reject);
    });
  }
}

function defaultLocks() {
  const nav = globalThis.navigator;
  if (nav && nav.locks && typeof nav.locks.request === 'function') {
    return new WebLocks(nav.locks);
  }
  return sharedMemoryLocks;
}

// ------------------------------------------------------------- backends
// A backend stores one database's three kinds of records. `write` is
// atomic: meta, snapshot and ops of one flush land together or not at all.

export class MemoryBackend {
  constructor() { this.dbs = new Map(); }
  async open(name) {
    let db = this.dbs.get(name);
    if (!db) {
      db = { meta: new Map(), snapshots: new Map(), ops: new Map() };
      this.dbs.set(name, db);
    }
    return new MemoryDatabase(db);
  }
}

class MemoryDatabase {
  constructor(db) { this.db = db; }
  async metas() { return [...this.db.meta.values()].map((m) => ({ ...m })); }
  async load(replicaId) {
    const meta = this.db.meta.get(replicaId);
    if (!meta) return null;
    const ops = (this.db.ops.get(replicaId) || []).map((r) => r.op);
    const snap = this.db.snapshots.get(replicaId);
    return { meta: { ...meta }, snapshot: snap ? snap.slice() : null, ops: structuredClone(ops) };
  }
  async write(replicaId, { meta, snapshot, putOps, dropOpsUpTo }) {
    if (meta) this.db.meta.set(replicaId, { ...meta });
    if (snapshot) this.db.snapshots.set(replicaId, snapshot.slice());
    let list = this.db.ops.get(replicaId) || [];
    if (dropOpsUpTo != null) list = list.filter((r) => r.end > dropOpsUpTo);
    if (putOps && putOps.length) {
      const have = new Set(list.map((r) => r.counter));
      for (const op of putOps) {
        if (!have.has(op.id[1])) list.push({ counter: op.id[1], end: opEnd(op), op: structuredClone(op) });
      }
      list.sort((a, b) => a.counter - b.counter);
    }
    this.db.ops.set(replicaId, list);
  }
  async remove(replicaId) {
    this.db.meta.delete(replicaId);
    this.db.snapshots.delete(replicaId);
    this.db.ops.delete(replicaId);
  }
  close() {}
}

export class IdbBackend {
  constructor(indexedDB = globalThis.indexedDB) { this.idb = indexedDB; }
  open(name) {
    return new Promise((resolve, reject) => {
      const req = this.idb.open(name, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore('meta', { keyPath: 'replicaId' });
        db.createObjectStore('snapshots');
        db.createObjectStore('ops', { keyPath: ['replica', 'counter'] });
      };
      req.onsuccess = () => resolve(new IdbDatabase(req.result));
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('IndexedDB open blocked'));
    });
  }
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
  });
}

function result(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

// Keys of one replica's ops: [replica, 0] .. [replica, upTo].
function opsRange(replicaId, upTo = Number.MAX_SAFE_INTEGER) {
  return IDBKeyRange.bound([replicaId, 0], [replicaId, upTo]);
}

class IdbDatabase {
  constructor(db) {
    this.db = db;
    // Another tab upgrading the schema: let it.
    db.onversionchange = () => db.close();
  }
  async metas() {
    const tx = this.db.transaction('meta', 'readonly');
    return result(tx.objectStore('meta').getAll());
  }
  async load(replicaId) {
    const tx = this.db.transaction(['meta', 'snapshots', 'ops'], 'readonly');
    const [meta, snapshot, ops] = await Promise.all([
      result(tx.objectStore('meta').get(replicaId)),
      result(tx.objectStore('snapshots').get(replicaId)),
      result(tx.objectStore('ops').getAll(opsRange(replicaId))),
    ]);
    if (!meta) return null;
    return {
      meta,
      snapshot: snapshot ? new Uint8Array(snapshot) : null,
      ops: ops.map((r) => r.op),
    };
  }
  async write(replicaId, { meta, snapshot, putOps, dropOpsUpTo }) {
    const tx = this.db.transaction(['meta', 'snapshots', 'ops'], 'readwrite');
    const finished = done(tx);
    if (meta) tx.objectStore('meta').put(meta);
    if (snapshot) tx.objectStore('snapshots').put(snapshot, replicaId);
    const ops = tx.objectStore('ops');
    // An op's key is its first counter; an op ending at or below
    // dropOpsUpTo starts there too, and every op starting at or below it
    // ends at or below it unless it straddles — keep a straddling one.
    if (dropOpsUpTo != null && dropOpsUpTo > 0) {
      const straddle = await result(ops.getAll(opsRange(replicaId, dropOpsUpTo)));
      ops.delete(opsRange(replicaId, dropOpsUpTo));
      for (const r of straddle) if (r.end > dropOpsUpTo) ops.put(r);
    }
    for (const op of putOps || []) {
      ops.put({ replica: replicaId, counter: op.id[1], end: opEnd(op), op });
    }
    await finished;
  }
  async remove(replicaId) {
    const tx = this.db.transaction(['meta', 'snapshots', 'ops'], 'readwrite');
    const finished = done(tx);
    tx.objectStore('meta').delete(replicaId);
    tx.objectStore('snapshots').delete(replicaId);
    tx.objectStore('ops').delete(opsRange(replicaId));
    await finished;
  }
  close() { this.db.close(); }
}

function defaultBackend() {
  if (globalThis.indexedDB) return new IdbBackend(globalThis.indexedDB);
  return new MemoryBackend();
}

// ---------------------------------------------------------- OfflineStore

export class OfflineStore {
  // options: {plan, user, backend (IdbBackend|MemoryBackend; default
  // IndexedDB when the platform has it), locks (WebLocks|MemoryLocks),
  // flushMs (≤ 300: acks and snapshots are in the database by then; edits go
  // in the next task), snapshotEveryOps,
  // window (for pagehide/visibilitychange; default globalThis.window)}
  static async open(options) {
    const s = new OfflineStore(options);
    s.db = await s.backend.open(s.name);
    s._listen();
    return s;
  }

  constructor({ plan, user, backend, locks, flushMs = 200, snapshotEveryOps = 2000,
                window: win = globalThis.window } = {}) {
    this.name = `samplan/${plan}/${user}`;
    this.backend = backend || defaultBackend();
    this.locks = locks || defaultLocks();
    this.flushMs = Math.min(flushMs, 300);
    this.snapshotEveryOps = snapshotEveryOps;
    this.win = win;
    this.db = null;
    this.replicaId = null;
    this._release = null;
    this._doc = null;
    this._acked = 0;
    this._snapshotCounter = 0;
    this._pendingOps = [];
    this._pendingAck = false;
    this._opsSinceSnapshot = 0;
    this._snapshotWanted = false;
    this._timer = null;
    this._chain = Promise.resolve();
    this._onHide = () => { this.flush({ snapshot: true }).catch(() => {}); };
    this._onVisibility = () => {
      if (globalThis.document && globalThis.document.visibilityState === 'hidden') this._onHide();
    };
  }

  _lockName(replicaId) { return `${this.name}/replica/${replicaId}`; }

  _listen() {
    if (!this.win || typeof this.win.addEventListener !== 'function') return;
    this.win.addEventListener('pagehide', this._onHide);
    this.win.addEventListener('visibilitychange', this._onVisibility);
  }

  // Take a stored replica no other tab holds. Returns {replicaId, snapshot,
  // ops, acked} or null (nothing free: join for a fresh replica and bind()).
  // Other free replicas whose ops are all acknowledged are deleted: they are
  // caches nobody needs. Free ones with unacknowledged ops are kept for the
  // next tab (a tab can send for one replica only).
  async claim() {
    if (this.replicaId != null) throw new Error('OfflineStore: already holds a replica');
    const metas = await this.db.metas();
    // Unsent edits first, then the most recently used.
    const unsent = (m) => (m.maxCounter || 0) > (m.acked || 0);
    metas.sort((a, b) => (unsent(b) - unsent(a)) || (b.updated - a.updated));
    let chosen = null;
    for (const m of metas) {
      const release = await this.locks.acquire(this._lockName(m.replicaId));
      if (!release) continue;
      if (!chosen) {
        const rec = await this.db.load(m.replicaId);
        if (rec && rec.snapshot) {
          chosen = rec;
          this._hold(m.replicaId, release, rec.meta);
          continue;
        }
      }
      if (!unsent(m)) await this.db.remove(m.replicaId);
      release();
    }
    if (!chosen) return null;
    return {
      replicaId: chosen.meta.replicaId,
      snapshot: chosen.snapshot,
      ops: chosen.ops,
      acked: chosen.meta.acked || 0,
    };
  }

  // The server assigned `replicaId` to this tab (a fresh join).
  async bind(replicaId) {
    if (this.replicaId === replicaId) return;
    if (this.replicaId != null) throw new Error('OfflineStore: already holds a replica');
    const release = await this.locks.acquire(this._lockName(replicaId));
    if (!release) throw new Error(`OfflineStore: replica ${replicaId} is held by another tab`);
    this._hold(replicaId, release, { acked: 0, snapshotCounter: 0 });
    this._maxCounter = this._pendingOps.reduce((m, op) => Math.max(m, opEnd(op)), 0);
    if (this._pendingOps.length) this._schedule();
  }

  _hold(replicaId, release, meta) {
    this.replicaId = replicaId;
    this._release = release;
    this._acked = meta.acked || 0;
    this._snapshotCounter = meta.snapshotCounter || 0;
    this._maxCounter = meta.maxCounter || 0;
    this._opsSinceSnapshot = 0;
  }

  // The doc whose snapshots this store writes (sync.js sets it whenever it
  // creates or replaces the doc). A new doc is snapshotted at the next flush.
  setDoc(doc) {
    this._doc = doc;
    if (doc) {
      this._snapshotWanted = true;
      this._schedule();
    }
  }

  // Local ops the doc just made (they must survive a reload).
  addOps(ops) {
    // Ops made between a fresh join and bind() wait here for the replica.
    if (ops.length === 0) return;
    for (const op of ops) {
      this._pendingOps.push(op);
      this._maxCounter = Math.max(this._maxCounter, opEnd(op));
    }
    this._opsSinceSnapshot += ops.length;
    if (this._opsSinceSnapshot >= this.snapshotEveryOps) this._snapshotWanted = true;
    // Edits are written in the next task, not after flushMs: a reload right
    // after a keystroke must not lose it (pagehide cannot await a write).
    // Keystrokes of one task share one transaction.
    this._schedule(0);
  }

  // The server has stored every own op up to `counter`.
  ack(counter) {
    if (this.replicaId == null || counter <= this._acked) return;
    this._acked = counter;
    this._pendingAck = true;
    this._schedule();
  }

  get acked() { return this._acked; }

  _schedule(delayMs = this.flushMs) {
    // Not re-armed by later changes, only brought forward: the first
    // unsaved change is written within its delay however fast the user types.
    if (this.replicaId == null) return;
    if (this._timer) {
      if (delayMs >= this._timerDelay) return;
      clearTimeout(this._timer);
    }
    this._timerDelay = delayMs;
    this._timer = setTimeout(() => {
      this._timer = null;
      this.flush().catch(() => {});
    }, delayMs);
  }

  // Write what is pending. Flushes are serialized: each sees the state the
  // previous one left. {snapshot: true} forces a snapshot of the doc.
  flush({ snapshot = false } = {}) {
    if (snapshot) this._snapshotWanted = true;
    const run = this._chain.then(() => this._flushNow());
    this._chain = run.catch(() => {});
    return run;
  }

  async _flushNow() {
    if (this._timer) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    const replicaId = this.replicaId;
    if (replicaId == null || !this.db) return;
    const putOps = this._pendingOps;
    let snapshot = null;
    if (this._snapshotWanted && this._doc && this._doc.replicaId === replicaId) {
      snapshot = this._doc.snapshot();
      this._snapshotCounter = this._doc.counter;
      this._opsSinceSnapshot = 0;
    }
    if (!snapshot && putOps.length === 0 && !this._pendingAck) return;
    this._pendingOps = [];
    this._pendingAck = false;
    this._snapshotWanted = false;
    const meta = {
      replicaId,
      acked: this._acked,
      snapshotCounter: this._snapshotCounter,
      maxCounter: this._maxCounter,
      updated: Date.now(),
    };
    try {
      await this.db.write(replicaId, {
        meta,
        snapshot,
        putOps,
        dropOpsUpTo: Math.min(this._acked, this._snapshotCounter),
      });
    } catch (err) {
      // Keep what failed for the next flush.
      if (this.replicaId === replicaId) {
        this._pendingOps = putOps.concat(this._pendingOps);
        this._pendingAck = true;
        if (snapshot) this._snapshotWanted = true;
      }
      throw err;
    }
  }

  // The server will never take this replica's ops (a rejected batch): forget
  // it and let the next join start from nothing.
  async drop() {
    const replicaId = this.replicaId;
    if (replicaId == null) return;
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
    this._pendingOps = [];
    this._pendingAck = false;
    this._doc = null;
    this.replicaId = null;
    await this._chain;
    await this.db.remove(replicaId);
    if (this._release) this._release();
    this._release = null;
  }

  // Write what is pending and give the replica back for other tabs.
  async close() {
    try {
      await this.flush({ snapshot: !!this._doc });
    } finally {
      if (this.win && typeof this.win.removeEventListener === 'function') {
        this.win.removeEventListener('pagehide', this._onHide);
        this.win.removeEventListener('visibilitychange', this._onVisibility);
      }
      if (this._release) this._release();
      this._release = null;
      this.replicaId = null;
      this._doc = null;
      if (this.db) this.db.close();
      this.db = null;
    }
  }
}

// Rebuild a doc from what claim() returned: the snapshot, then the own ops
// past it (applied as remote ops: they are already in the outbox, and the
// core takes its own replica's ops like anyone's). Returns {doc, outbox}:
// outbox = the own ops the server is not known to have stored.
export function restoreDoc(record, makeDoc) {
  const doc = makeDoc(record.replicaId, record.snapshot);
  const have = doc.counter;
  const missing = record.ops.filter((op) => op.id[1] > have);
  if (missing.length) doc.applyRemote(missing);
  const outbox = record.ops.filter((op) => opEnd(op) > record.acked);
  return { doc, outbox };
}
