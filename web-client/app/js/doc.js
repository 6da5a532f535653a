// PlanDoc: one plan's replica, the C++ core compiled to WebAssembly.
//
// The browser never re-implements the CRDT: every edit goes through the
// core, and operations cross in the wire's JSON form produced and parsed by
// the protocol's own codec (compiled in with the core), so what a browser
// sends is byte for byte what the server's decoder reads.
//
// Ownership: a PlanDoc owns its wasm Replica; call dispose() when done (wasm
// memory is not garbage collected). Single-threaded, like the page.
//
// Positions are UTF-16 code units (what <textarea> reports); ids are the wire
// form [replica, counter]. See docs/web-client.md.
import { Emitter } from './emitter.js';
import { utf16ToCodePoint, codePointMapper } from './reviewtext.js';

// Instantiates the wasm core once per page (or test process).
export async function loadCore(Factory) {
  const core = await Factory();
  const features = core.features();
  if (!features.includes('protocol')) {
    throw new Error('samplan_core.mjs was built without the protocol codec');
  }
  return core;
}

const kMaxInsertUnits = 32768;
const isHighSurrogate = (c) => c >= 0xd800 && c <= 0xdbff;

// A field value in the wire's typed form {type, value} (json_codec
// ValueToJson); `type` is the schema's type when known (int vs number,
// string vs date), as the setField binding decides.
export function typedValue(v, type) {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.type === 'string') return v;
  if (v === null || v === undefined) return { type: 'null', value: null };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (typeof v === 'number') return { type: type === 'int' ? 'int' : type === 'number' || !Number.isInteger(v) ? 'number' : 'int', value: v };
  if (Array.isArray(v)) return { type: 'string_list', value: v.map(String) };
  return { type: type === 'date' ? 'date' : 'string', value: String(v) };
}

const sameId = (a, b) => a != null && b != null && a[0] === b[0] && a[1] === b[1];
export const idKey = (id) => `${id[0]}:${id[1]}`;
export const parseIdKey = (key) => key.split(':').map(Number);
export { sameId };

export class PlanDoc extends Emitter {
  // An empty replica with id `replicaId` (as assigned by the server's join).
  static create(core, replicaId) {
    return new PlanDoc(core, new core.Replica(replicaId));
  }

  // A replica loaded from a core snapshot (Uint8Array), e.g. from the
  // server's join or from IndexedDB.
  static fromSnapshot(core, bytes, replicaId) {
    return new PlanDoc(core, new core.Replica(bytes, replicaId));
  }

  constructor(core, replica) {
    super();
    this.core = core;
    this._r = replica;
    this._state = null;
    this._schema = null;
  }

  get replicaId() { return this._r.id; }
  // Highest counter of this replica's own operations.
  get counter() { return this._r.counter(); }
  version() { return this._r.version(); }

  dispose() {
    if (this._r) this._r.delete();
    this._r = null;
  }

  // ---- Remote operations.

  // Applies wire ops from the server. Throws on malformed or inconsistent
  // input; the shape of the whole batch is checked before anything applies.
  applyRemote(ops) {
    if (!ops || ops.length === 0) return;
    this._r.applyOpsJson(JSON.stringify(ops));
    this._changed(false, ops);
  }

  // Applies a joined message's `ops_binary` (base64 of the core's binary op
  // list, docs/protocol.md), handed to the wasm as the string it came in.
  // The 'change' event carries no ops then: listeners refresh everything.
  applyRemoteBase64(base64) {
    if (this._r.applyOpsBase64(base64) > 0) this._changed(false, []);
  }

  // Wire ops this replica has beyond `version` (null = all).
  opsSince(version, withAuthor = true) {
    return JSON.parse(this._r.opsSinceJson(version ?? null, withAuthor));
  }

  // This replica's own ops with a counter above `counter`.
  ownOpsAfter(counter) {
    return JSON.parse(this._r.ownOpsAfterJson(counter));
  }

  snapshot() { return this._r.encodeSnapshot(); }
  pendingCount() { return this._r.pendingCount(); }
  checkInvariants() { return this._r.checkInvariants(); }
  canonicalDump() { return this._r.canonicalDump(); }

  // ---- Local edits: each returns the new wire ops and emits 'change'.

  // Runs one core edit and collects the ops it made. An edit the core
  // refuses throws and changes nothing.
  _edit(fn) {
    const before = this._r.counter();
    const result = fn(this._r);
    const ops = this._r.counter() === before ? [] : this.ownOpsAfter(before);
    if (ops.length > 0) this._changed(true, ops);
    return { result, ops };
  }

  createNode(parent, index, kind) {
    const { result, ops } = this._edit((r) => r.createNode(parent, index, kind));
    return { id: [result.replica, result.counter], ops };
  }
  moveNode(node, parent, index) { return this._edit((r) => r.moveNode(node, parent, index)).ops; }
  deleteNode(node) { return this._edit((r) => r.deleteNode(node)).ops; }
  setField(node, name, value) { return this._edit((r) => r.setField(node, name, value)).ops; }
  // A long text (a paste) becomes several ops of at most kMaxInsertUnits
  // UTF-16 units: one op must fit in one message to the server (1 MiB, and
  // JSON may escape a character into six bytes), or it could never be sent.
  insertText(node, field, pos16, text) {
    if (text === '') return [];
    if (text.length <= kMaxInsertUnits) {
      return this._edit((r) => r.insertTextUtf16(node, field, pos16, text)).ops;
    }
    const ops = [];
    for (let at = 0; at < text.length;) {
      let end = Math.min(text.length, at + kMaxInsertUnits);
      // Never split a surrogate pair.
      if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
      const chunk = text.slice(at, end);
      ops.push(...this._edit((r) => r.insertTextUtf16(node, field, pos16 + at, chunk)).ops);
      at = end;
    }
    return ops;
  }
  deleteText(node, field, pos16, len16) {
    if (len16 === 0) return [];
    return this._edit((r) => r.deleteTextUtf16(node, field, pos16, len16)).ops;
  }
  // Deletes the still visible characters of wire id spans [[r, c, len], ...].
  deleteTextIds(node, field, spans) {
    return this._edit((r) => r.deleteTextSpans(node, field, JSON.stringify(spans))).ops;
  }
  insertTableLine(node, table, axis, index) {
    const { result, ops } = this._edit((r) => r.insertTableLine(node, table, axis, index));
    return { id: result, ops };
  }
  deleteTableLine(node, table, axis, line) {
    return this._edit((r) => r.deleteTableLine(node, table, axis, line)).ops;
  }
  setCell(node, table, row, column, value) {
    return this._edit((r) => r.setCell(node, table, row, column, value)).ops;
  }

  // ---- Reads.

  // The plan in the shape of GET /api/plans/{id} (without plan and seq).
  state() {
    if (this._state === null) this._state = JSON.parse(this._r.stateJson());
    return this._state;
  }
  schema() {
    if (this._schema === null) this._schema = this._r.schema();
    return this._schema;
  }
  text(node, field) { return this._r.text(node, field); }
  field(node, name) {
    const f = this._r.fieldWithConflicts(node, name);
    return {
      value: f.value,
      winner: f.winner ? [f.winner.replica, f.winner.counter] : null,
      conflicts: f.conflicts.map((c) => ({ id: [c.id.replica, c.id.counter], value: c.value })),
    };
  }
  hasNode(node) { return this._r.hasNode(node); }
  isDeleted(node) { return this._r.isDeleted(node); }
  kindOf(node) { return this._r.kindOf(node); }
  parentOf(node) { const p = this._r.parentOf(node); return [p.replica, p.counter]; }
  children(node) { return this._r.children(node).map((c) => [c.replica, c.counter]); }
  numbering(node) { return this._r.numbering(node); }
  static root() { return [0, 1]; }

  // ---- Anchors (wire form).
  textAnchor(node, field, pos16, side = 'before') {
    return JSON.parse(this._r.textAnchorJson(node, field, pos16, side));
  }
  // {node, parent, index, deleted, pos16?, charDeleted?}
  resolve(anchor) { return this._r.resolveAnchorJson(JSON.stringify(anchor)); }

  // ---- Review (comments, suggestions, sign-off; docs/web-client.md
  // "Review"). One request of the core's reviewEditJson binding, with text
  // positions in UTF-16 units (converted here to the core's code points);
  // the ops it makes are emitted like any local edit, so the Connection
  // sends them. Returns {id, ops} (id: the new thread, comment or
  // suggestion, else null); throws Error(code: message) when refused.
  review(request) {
    const req = { ...request };
    const text = () => this._r.text(req.node, req.field);
    if (req.op === 'add_thread' && req.field && req.from !== undefined && req.to !== undefined) {
      const s = text();
      [req.from, req.to] = [utf16ToCodePoint(s, req.from), utf16ToCodePoint(s, req.to)];
    } else if (req.op === 'suggest_text') {
      const s = text();
      const from = utf16ToCodePoint(s, req.pos);
      req.length = utf16ToCodePoint(s, req.pos + (req.length || 0)) - from;
      req.pos = from;
    }
    // Values cross in the wire's typed form {type, value}; plain values
    // (what the field controls give) are typed by the schema as setField
    // types them.
    if (req.op === 'suggest_field' && 'value' in req) {
      const kind = this._schemaKind(this.kindOf(req.node));
      req.value = typedValue(req.value, kind && kind.fields ? kind.fields[req.field] : undefined);
    } else if (req.op === 'suggest_cell' && 'value' in req) {
      req.value = typedValue(req.value, 'number');
    } else if (req.op === 'set_thread' && 'value' in req) {
      req.value = typedValue(req.value, { resolved: 'bool', due: 'date', assignee: 'string' }[req.attribute]);
    }
    // Stamped with the time now, so one's own new comment shows when it was
    // made before the server's copy comes back in a later join; typing
    // keeps time 0 (a changing author would split its ops).
    const who = this._author;
    if (who) this._r.setAuthor(who.user, who.municipality, Date.now());
    let edited;
    try {
      edited = this._edit((r) => r.reviewEditJson(JSON.stringify(req)));
    } finally {
      if (who) this._r.setAuthor(who.user, who.municipality, 0);
    }
    const { result, ops } = edited;
    const res = typeof result === 'string' ? JSON.parse(result) : result;
    if (!res || !res.ok) throw new Error((res && res.error) || 'review edit refused');
    return { id: res.id ?? null, ops };
  }

  // Who this replica's local ops are by (the server stamps what it stores;
  // the local review state needs it at once: own comments, read marks).
  // A no-op with a core that lacks the binding.
  setAuthor(user, municipality = '') {
    if (typeof this._r.setAuthor !== 'function') return;
    this._author = { user, municipality };
    this._r.setAuthor(user, municipality, 0);
  }

  // A review view (query: "threads" | "inbox" | "suggestions" | "conflicts"
  // | "signoff" and the review_query filters, plus viewer {user,
  // municipality}) → {items, ...extras}, as the server's review reply.
  // Text places get UTF-16 twins: place.from16/to16 next to from/to.
  reviewView(query) {
    const raw = JSON.parse(this._r.reviewJson(JSON.stringify(query)));
    const view = Array.isArray(raw) ? { items: raw } : raw;
    const mappers = new Map();
    const mapper = (node, field) => {
      const key = `${node[0]}:${node[1]}/${field}`;
      let m = mappers.get(key);
      if (!m) {
        let s = '';
        try { s = this._r.text(node, field); } catch { /* gone */ }
        m = codePointMapper(s);
        mappers.set(key, m);
      }
      return m;
    };
    const convert = (place, node, field) => {
      if (!place || !node || !field || typeof place.from !== 'number') return;
      const m = mapper(node, field);
      place.from16 = m(place.from);
      place.to16 = typeof place.to === 'number' ? m(place.to) : place.from16;
    };
    if (query.query === 'threads' || query.query === 'inbox') {
      for (const t of view.items || []) if (t.anchor) convert(t.place, t.anchor.node, t.anchor.field);
    } else if (query.query === 'suggestions') {
      for (const s of view.items || []) if (s.kind === 'text') convert(s.place, s.node, s.field);
    }
    return view;
  }

  // The schema entry of one kind: {fields: {name: type}, ...} (tolerant of
  // the shapes schema() may give, as ui/schema.js).
  _schemaKind(kind) {
    const raw = this.schema();
    const kinds = raw && raw.kinds ? raw.kinds : raw;
    const k = Array.isArray(kinds) ? kinds.find((x) => x.name === kind) : kinds && kinds[kind];
    if (!k) return null;
    if (!Array.isArray(k.fields)) return k;
    const fields = {};
    for (const f of k.fields) fields[f.name] = f.type;
    return { ...k, fields };
  }

  _changed(local, ops) {
    this._state = null;
    this.emit('change', { local, ops });
  }
}
