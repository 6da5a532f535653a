// sync.js — Connection: the only module that talks to the collaboration
// server (docs/protocol.md). Owned by the sync/store/undo helper.
//
// It owns: auth and join (with the version the doc has and the replica id to
// resume), the outbox of own ops the server has not acknowledged (an ack
// means stored), batching and re-sending them, reconnecting with backoff,
// liveness pings, presence, and the visible connection state. It also owns
// the doc's lifecycle: a fresh client has no replica id until the server
// assigns one in `joined.replica`, a join may answer with a snapshot, and a
// rejected batch means starting over with a fresh replica; in each case the
// Connection builds the doc with the `makeDoc(replicaId, snapshot|null)`
// callback it was given and announces it with a 'doc' event.

import { Emitter } from './emitter.js';
import { mark } from './marks.js';
import { opEnd, restoreDoc } from './store.js';


const MAX_BATCH_OPS = 500;
const MAX_BATCH_BYTES = 512 * 1024;
const PRESENCE_INTERVAL_MS = 100;  // at most 10 presence messages a second

// Codes that mean the server will never take the batch's ops.
const FATAL_BATCH_CODES = new Set(['forbidden', 'invalid_op', 'missing_dependencies', 'quota_exceeded']);
// Codes after which a fresh connection (rejoin and re-send) is the fix.
const RETRY_CODES = new Set(['unavailable', 'rate_limited', 'storage_error', 'not_authenticated',
                             'not_joined', 'batch_too_large']);

const utf8 = new TextEncoder();

export class Connection extends Emitter {
  // options: {url, token, plan, doc (PlanDoc or null), makeDoc(replicaId,
  // snapshot|null) → PlanDoc, store (OfflineStore or null), WebSocket,
  // backoff {minMs, maxMs}, batchMs, maxInFlight, pingMs}
  constructor({ url, token, plan, doc = null, makeDoc = null, store = null,
                WebSocket = globalThis.WebSocket, backoff = {}, batchMs = 4,
                maxInFlight = 4, pingMs = 20000 }) {
    super();
    this.url = url;
    this.token = token;
    this.plan = plan;
    this.makeDoc = makeDoc;
    this.store = store;
    this.WebSocket = WebSocket;
    this.backoff = { minMs: backoff.minMs ?? 250, maxMs: backoff.maxMs ?? 15000 };
    this.batchMs = batchMs;
    this.maxInFlight = maxInFlight;
    this.pingMs = pingMs;

    this.doc = null;
    this._unlistenDoc = null;
    this.outbox = [];        // own wire ops not acknowledged, in counter order
    this._sent = 0;          // outbox[0.._sent) are in flight on this socket
    this._inflight = new Map();  // ref → {end}
    this._acked = 0;         // own counter the server has stored
    this._batchSeq = 0;

    this.ws = null;
    this.joined = null;      // the joined message of the current session
    this.role = null;
    this.state = 'offline';
    this.reason = null;
    this.peers = new Map();
    this._stopped = true;
    this._attempt = 0;
    this._retryTimer = null;
    this._pumpTimer = null;
    this._pingTimer = null;
    this._lastHeard = 0;
    this._presence = null;     // what the user last set
    this._presenceSent = null; // JSON of what the server has
    this._presenceTimer = null;
    this._presenceAt = 0;
    this._syncWaiters = [];
    this._fresh = false;       // next join without a replica (after reset)
    this._onNetwork = null;    // window online/offline listener while started
    this._restored = Promise.resolve();  // the store's doc is restored
    this._lastPumpAt = 0;      // Date.now() of the last batch sent
    this._pumpQueued = false;  // a microtask will send
    this._requests = new Map();  // ref → {resolve, reject, timer}: request() replies
    this._requestSeq = 0;

    if (doc) this._setDoc(doc, 'given');
  }

  // -------------------------------------------------------------- public

  // Restore the doc from the store (when there is one and no doc was given),
  // then connect. Resolves once the connection attempt has started.
  async start() {
    if (!this._stopped) return;
    this._stopped = false;
    this._watchNetwork(true);
    // Connect and authenticate while the store restores the doc: the join
    // waits for it (_restored), the TCP and auth round trips do not.
    let restored = Promise.resolve();
    if (this.store && !this.doc) {
      restored = this.store.claim().then((record) => {
        mark('store-claimed');
        if (record && this.makeDoc && !this.doc) {
          const { doc, outbox } = restoreDoc(record, this.makeDoc);
          this._acked = record.acked;
          this.outbox = outbox;
          this._setDoc(doc, 'restored');
          mark('doc-restored');
        }
      });
    }
    this._restored = restored.catch(() => {});
    this._connect();
    await restored;
  }

  async stop() {
    this._stopped = true;
    this._watchNetwork(false);
    clearTimeout(this._retryTimer);
    this._closeSocket();
    this._setState('offline', 'stopped');
    if (this.store) await this.store.flush();
  }

  // Where this user is: {anchor, head, typing} (anchors in wire form).
  setPresence(presence) {
    this._presence = presence ? {
      anchor: presence.anchor ?? null,
      head: presence.head ?? undefined,
      typing: !!presence.typing,
    } : { anchor: null, typing: false };
    this._schedulePresence();
  }

  get pending() { return this.outbox.length; }

  // One request/reply exchange on the joined session (e.g. a `history`
  // query): sends `msg` with a fresh `ref` and resolves with the server's
  // message carrying that ref, or rejects with an Error whose `code` is the
  // server's error code ('offline' when not joined, 'disconnected' when the
  // socket goes first, 'timeout'). Its errors are not emitted as 'error'.
  request(msg, { timeoutMs = 30000 } = {}) {
    const fail = (code, message) => Object.assign(new Error(`${code}: ${message}`), { code });
    if (!this.joined) return Promise.reject(fail('offline', 'not connected'));
    const ref = `q${++this._requestSeq}`;
    return new Promise((resolve, reject) => {
      const r = { resolve, reject, fail, timer: null };
      r.timer = setTimeout(() => {
        this._requests.delete(ref);
        reject(fail('timeout', `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this._requests.set(ref, r);
      if (!this._send({ ...msg, ref })) {
        clearTimeout(r.timer);
        this._requests.delete(ref);
        reject(fail('offline', 'not connected'));
      }
    });
  }

  _settleRequest(msg) {
    const r = this._requests.get(msg.ref);
    this._requests.delete(msg.ref);
    clearTimeout(r.timer);
    if (msg.type === 'error') {
      r.reject(Object.assign(r.fail(msg.code, msg.message || ''), { code: msg.code }));
    } else {
      r.resolve(msg);
    }
  }

  // Resolves when every own op is acknowledged (for tests and for "wait
  // before closing" UIs). Rejects after timeoutMs when given.
  whenSynced(timeoutMs) {
    if (this.outbox.length === 0 && this.joined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { resolve, reject, timer: null };
      if (timeoutMs != null) {
        w.timer = setTimeout(() => {
          this._syncWaiters = this._syncWaiters.filter((x) => x !== w);
          reject(new Error(`not synced after ${timeoutMs} ms (${this.outbox.length} pending, ${this.state})`));
        }, timeoutMs);
      }
      this._syncWaiters.push(w);
    });
  }

  // --------------------------------------------------------------- doc

  _setDoc(doc, reason) {
    const previous = this.doc;
    if (this._unlistenDoc) this._unlistenDoc();
    this._unlistenDoc = null;
    this.doc = doc;
    if (doc) {
      const onChange = (e) => { if (e && e.local) this._onLocalOps(e.ops); };
      doc.on('change', onChange);
      this._unlistenDoc = () => doc.off('change', onChange);
      if (this.store && this.store.replicaId === doc.replicaId) this.store.setDoc(doc);
    }
    this.emit('doc', { doc, previous, reason });
  }

  _onLocalOps(ops) {
    if (!ops || ops.length === 0) return;
    for (const op of ops) this.outbox.push(op);
    if (this.store) this.store.addOps(ops);
    this._emitState();
    this._schedulePump();
  }

  // Local ops go out at the end of the task that made them (one input
  // event's delete and insert share a batch), not after a timer: a timer
  // waits behind whatever the page renders meanwhile, and was most of an
  // edit's way to the other browsers. Batches are at least batchMs apart,
  // which keeps a client far below the server's message rate limit.
  _schedulePump() {
    if (this._pumpTimer != null || this._pumpQueued) return;
    const run = () => {
      this._lastPumpAt = Date.now();
      this._pump();
    };
    const wait = this._lastPumpAt + this.batchMs - Date.now();
    if (wait <= 0) {
      this._pumpQueued = true;
      queueMicrotask(() => {
        this._pumpQueued = false;
        run();
      });
    } else {
      this._pumpTimer = setTimeout(() => {
        this._pumpTimer = null;
        run();
      }, wait);
    }
  }

  // --------------------------------------------------------- connection

  _connect() {
    if (this._stopped) return;
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._setState(this._attempt === 0 && !this.joinedOnce ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new this.WebSocket(this.url);
    } catch (err) {
      this._scheduleReconnect(String(err && err.message || err));
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      mark('ws-open');
      this._lastHeard = Date.now();
      this._send({ type: 'auth', token: this.token, ref: 'auth' });
      this._startPings();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this._lastHeard = Date.now();
      let msg;
      try {
        msg = JSON.parse(typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data));
      } catch {
        return;
      }
      try {
        this._onMessage(msg);
      } catch (err) {
        this.emit('error', { code: 'client_error', message: String(err && err.message || err) });
        // Our state may be inconsistent with the server's: start over.
        this._dropSocket('client error');
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this._dropSocket(`closed ${ev && ev.code}`);
    };
    ws.onerror = () => {};  // onclose follows
  }

  // The browser's network events: an open WebSocket can outlive the
  // network (Chromium keeps it until TCP gives up), so 'offline' drops it
  // at once and 'online' reconnects without waiting for the backoff.
  _watchNetwork(on) {
    const target = globalThis.window ?? null;
    if (!target || typeof target.addEventListener !== 'function') return;
    if (on && !this._onNetwork) {
      this._onNetwork = (ev) => {
        if (this._stopped) return;
        if (ev.type === 'offline') {
          this._dropSocket('the browser is offline');
        } else {
          clearTimeout(this._retryTimer);
          this._retryTimer = null;
          this._attempt = 0;
          if (!this.ws) this._connect();
        }
      };
      target.addEventListener('offline', this._onNetwork);
      target.addEventListener('online', this._onNetwork);
    } else if (!on && this._onNetwork) {
      target.removeEventListener('offline', this._onNetwork);
      target.removeEventListener('online', this._onNetwork);
      this._onNetwork = null;
    }
  }

  _send(msg) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify({ v: 1, ...msg }));
    return true;
  }

  _closeSocket() {
    const ws = this.ws;
    this.ws = null;
    clearInterval(this._pingTimer);
    this._pingTimer = null;
    clearTimeout(this._pumpTimer);
    this._pumpTimer = null;
    this.joined = null;
    this._inflight.clear();
    this._sent = 0;
    this._presenceSent = null;
    for (const [ref, r] of this._requests) {
      clearTimeout(r.timer);
      r.reject(r.fail('disconnected', 'the connection closed'));
      this._requests.delete(ref);
    }
    if (this.peers.size) {
      this.peers.clear();
      this.emit('presence', this.peers);
    }
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(); } catch { /* already closing */ }
    }
  }

  // The link is gone (closed, dead, or we gave up on it): reconnect later.
  _dropSocket(reason) {
    this._closeSocket();
    if (!this._stopped) this._scheduleReconnect(reason);
  }

  _scheduleReconnect(reason) {
    if (this._stopped || this._retryTimer) return;
    const { minMs, maxMs } = this.backoff;
    const cap = Math.min(maxMs, minMs * 2 ** Math.min(this._attempt, 16));
    // "Full jitter": clients that lost the server together come back spread.
    const delay = Math.round(cap / 2 + Math.random() * cap / 2);
    this._attempt++;
    this._setState('offline', reason, { retryInMs: delay });
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      this._connect();
    }, delay);
  }

  _startPings() {
    clearInterval(this._pingTimer);
    this._pingTimer = setInterval(() => {
      // Nothing heard for two ping periods: the link is dead even if the
      // socket does not know it yet.
      if (Date.now() - this._lastHeard > 2 * this.pingMs) {
        this._dropSocket('no answer to ping');
        return;
      }
      this._send({ type: 'ping', ref: 'ping' });
    }, this.pingMs);
  }

  // ----------------------------------------------------------- messages

  _onMessage(msg) {
    if (typeof msg.ref === 'string' && this._requests.has(msg.ref)) return this._settleRequest(msg);
    switch (msg.type) {
      case 'authenticated': {
        mark('authenticated');
        this.user = msg.user;
        this.municipality = msg.municipality;
        const ws = this.ws;
        return this._restored.then(() => { if (this.ws === ws && ws) this._join(); });
      }
      case 'joined': return this._onJoined(msg);
      case 'ack': return this._onAck(msg);
      case 'ops':
        if (this.doc && Array.isArray(msg.ops) && msg.ops.length) this.doc.applyRemote(msg.ops);
        return undefined;
      case 'presence': {
        const { session, user, municipality, role, anchor, head, typing } = msg;
        this.peers.set(session, { user, municipality, role, anchor: anchor ?? null, head: head ?? null, typing: !!typing });
        this.emit('presence', this.peers);
        return undefined;
      }
      case 'presence_left':
        if (this.peers.delete(msg.session)) this.emit('presence', this.peers);
        return undefined;
      case 'error': return this._onError(msg);
      default: return undefined;  // pong, left: nothing to do
    }
  }

  _join() {
    // The ops we lack come as one base64 string of the core's binary op
    // list, not a JSON array: a plan under review holds thousands of small
    // ops, and as JSON its join is megabytes to parse twice (here, then in
    // the wasm). Live ops stay JSON.
    const msg = { type: 'join', plan: this.plan, ref: 'join', encoding: 'binary' };
    if (this.doc && !this._fresh) {
      // What the doc has: everything it got from the server plus its own
      // ops. Claiming own ops the server may lack is harmless (it sends
      // only what we lack; we re-send what joined.version lacks), and
      // keeps the server from sending our own ops back.
      msg.version = this.doc.version();
      msg.replica = this.doc.replicaId;
    } else {
      msg.version = [];
    }
    this._send(msg);
  }

  _onJoined(msg) {
    mark('joined');
    this.joined = msg;
    this.joinedOnce = true;
    this.role = msg.role;
    this._attempt = 0;
    const replica = msg.replica;
    let doc = this.doc;
    if (this._fresh || !doc || doc.replicaId !== replica) {
      // A fresh replica: build the doc from what the server sent.
      this._fresh = false;
      this.outbox = [];
      this._acked = 0;
      if (!this.makeDoc) throw new Error('Connection: makeDoc is needed to build a doc');
      const bindStore = this.store && this.store.replicaId !== replica
        ? this.store.bind(replica) : Promise.resolve();
      doc = this.makeDoc(replica, msg.snapshot ? base64ToBytes(msg.snapshot) : null);
      if (!msg.snapshot) applyJoinedOps(doc, msg);
      const previous = this.doc;
      bindStore.then(() => this.store && this.store.setDoc(this.doc),
                     (err) => this.emit('error', { code: 'store', message: err.message }));
      this._setDoc(doc, 'joined');
      if (previous && previous !== doc) previous.dispose();
    } else if (msg.snapshot) {
      // The server's history starts after our version: rebuild from its
      // snapshot and re-apply our own ops it has not stored.
      const fresh = this.makeDoc(replica, base64ToBytes(msg.snapshot));
      const own = ownCount(msg.version, replica);
      const mine = this.outbox.filter((op) => opEnd(op) > own);
      if (mine.length) fresh.applyRemote(mine);
      const previous = this.doc;
      this._setDoc(fresh, 'snapshot');
      previous.dispose();
    } else {
      applyJoinedOps(doc, msg);
    }

    // Everything the server stored of ours is safe; re-send the rest.
    this._onStored(ownCount(msg.version, replica));
    this._sent = 0;
    this._inflight.clear();

    this.peers = new Map();
    for (const p of msg.peers || []) {
      this.peers.set(p.session, { user: p.user, municipality: p.municipality, role: p.role,
                                  anchor: p.anchor ?? null, head: p.head ?? null, typing: !!p.typing });
    }
    this.emit('joined', { role: msg.role, user: this.user, municipality: this.municipality,
                          replica, seq: msg.seq });
    this.emit('presence', this.peers);
    this._pump();
    this._schedulePresence();
    this._emitState();
    mark('joined-applied');
  }

  _onAck(msg) {
    const batch = this._inflight.get(msg.ref);
    if (!batch) return;
    this._inflight.delete(msg.ref);
    // Batches are causally ordered: the server cannot have stored this one
    // without every earlier one, so the ack covers everything up to its end.
    this._onStored(batch.end);
    this._pump();
  }

  // The server has stored own ops up to counter `end`.
  _onStored(end) {
    if (end > this._acked) {
      this._acked = end;
      if (this.store) this.store.ack(end);
    }
    let n = 0;
    while (n < this.outbox.length && opEnd(this.outbox[n]) <= this._acked) n++;
    if (n) {
      this.outbox.splice(0, n);
      this._sent = Math.max(0, this._sent - n);
    }
    this._emitState();
    if (this.outbox.length === 0 && this.joined) {
      const waiters = this._syncWaiters;
      this._syncWaiters = [];
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.resolve();
      }
    }
  }

  _onError(msg) {
    const { code, message, ref } = msg;
    this.emit('error', { code, message, ref });
    const isBatch = typeof ref === 'string' && this._inflight.has(ref);
    // replica_taken_over: a newer session of this user joined with our
    // replica (another window of the same browser without Web Locks):
    // that one edits now; rejoining would only take it back and forth.
    if (code === 'auth_failed' || code === 'plan_not_found' || code === 'replica_taken_over') {
      this._stopped = true;
      this._closeSocket();
      this._setState('offline', `${code}: ${message}`);
      return;
    }
    if (code === 'replica_in_use') {
      if (/another user/.test(message || '')) {
        this._reset(code, message);
      } else {
        // Usually our own previous session, not yet closed on the server:
        // it goes away soon.
        this._dropSocket(`${code}: ${message}`);
      }
      return;
    }
    if (isBatch && FATAL_BATCH_CODES.has(code)) {
      this._reset(code, message);
      return;
    }
    if (RETRY_CODES.has(code) && (isBatch || ref == null || ref === 'join')) {
      // Later batches in flight depend on the refused one and will fail
      // too: rejoin, and the re-send starts from what the server stored.
      this._dropSocket(`${code}: ${message}`);
    }
    // Anything else (a refused presence, bad_message ...) leaves the
    // session as it is.
  }

  // Our replica holds ops the server will never take: forget it and join
  // again with an empty version and a fresh replica.
  _reset(code, message) {
    const lost = this.outbox.length;
    this.emit('rejected', { code, message, lost });
    this._closeSocket();
    this.outbox = [];
    this._acked = 0;
    this._fresh = true;
    const previous = this.doc;
    if (this._unlistenDoc) this._unlistenDoc();
    this._unlistenDoc = null;
    this.doc = null;
    this.emit('reset', { code, message, lost, previous });
    const dropped = this.store ? this.store.drop() : Promise.resolve();
    dropped.catch(() => {}).then(() => {
      if (!this._stopped) this._connect();
    });
  }

  // ------------------------------------------------------------ sending

  _pump() {
    if (!this.joined || !this.ws) return;
    while (this._inflight.size < this.maxInFlight && this._sent < this.outbox.length) {
      const ops = [];
      let bytes = 0;
      let i = this._sent;
      while (i < this.outbox.length && ops.length < MAX_BATCH_OPS) {
        const size = utf8.encode(JSON.stringify(this.outbox[i])).length + 1;
        if (ops.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
        ops.push(this.outbox[i]);
        bytes += size;
        i++;
      }
      const ref = `b${++this._batchSeq}`;
      if (!this._send({ type: 'ops', ref, ops })) return;
      this._inflight.set(ref, { end: opEnd(ops[ops.length - 1]) });
      this._sent = i;
    }
    this._schedulePresence();
    this._emitState();
  }

  // ----------------------------------------------------------- presence

  _schedulePresence() {
    if (!this._presence || !this.joined || this._presenceTimer) return;
    const wait = Math.max(0, this._presenceAt + PRESENCE_INTERVAL_MS - Date.now());
    this._presenceTimer = setTimeout(() => {
      this._presenceTimer = null;
      this._sendPresence();
    }, wait);
  }

  _sendPresence() {
    const p = this._presence;
    if (!p || !this.joined) return;
    // The server refuses an anchor naming what it does not have, and it
    // relays presence at once but ops only once stored: wait until the ops
    // creating our own ids in the anchor are acknowledged, so every peer
    // has the characters before it sees the caret on them.
    if (!this._anchorStored(p.anchor) || !this._anchorStored(p.head)) return;  // _onAck reschedules
    const msg = { type: 'presence', anchor: p.anchor, typing: p.typing, ref: 'presence' };
    if (p.head) msg.head = p.head;
    const json = JSON.stringify(msg);
    if (json === this._presenceSent) return;
    if (this._send(msg)) {
      this._presenceSent = json;
      this._presenceAt = Date.now();
    }
  }

  _anchorStored(anchor) {
    if (!anchor || !this.doc) return true;
    const replica = this.doc.replicaId;
    for (const id of [anchor.node, anchor.char]) {
      if (id && id[0] === replica && id[1] > this._acked) return false;
    }
    return true;
  }

  // -------------------------------------------------------------- state

  _setState(state, reason = null, extra = {}) {
    this.state = state;
    this.reason = reason;
    this._stateExtra = extra;
    this._emitState(true);
  }

  _emitState(force = false) {
    let state = this.state;
    if (this.joined) state = this.outbox.length ? 'syncing' : 'online';
    const key = `${state}/${this.outbox.length}/${this.reason}`;
    if (!force && key === this._lastStateKey) return;
    this._lastStateKey = key;
    this.state = state;
    this.emit('state', { state, pending: this.outbox.length, reason: this.reason, ...this._stateExtra });
  }
}

// The ops a joined message carries: `ops_binary` when the server took our
// "encoding": "binary", else (an older server) the JSON `ops`.
function applyJoinedOps(doc, msg) {
  if (typeof msg.ops_binary === 'string') {
    doc.applyRemoteBase64(msg.ops_binary);
  } else if (msg.ops && msg.ops.length) {
    doc.applyRemote(msg.ops);
  }
}

export function ownCount(version, replica) {
  for (const [r, c] of version || []) if (r === replica) return c;
  return 0;
}

export function base64ToBytes(b64) {
  if (typeof atob === 'function') {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  return new Uint8Array(Buffer.from(b64, 'base64'));
}
