// history.js — the history view's logic without the DOM (issue 10; docs/
// web-client.md, "History"): who may see it, the request channel over the
// Connection (one history request in flight, the slider's latest position
// always asked last), code points → UTF-16 for the diff pieces and blame
// spans the server sends, and the CSV export (fetch with the token, saved
// through a Blob). Pure functions and small classes, so node --test covers
// them.
//
// The server's JSON is docs/protocol.md ("History"): positions in texts are
// Unicode code points; a JavaScript string is UTF-16, so every position is
// converted here before it slices a string.

// ---------------------------------------------------------------- rights

// Roles in the server's order (server/auth.h). History queries need auditor
// or above; the list of named versions any role; naming one admin.
const ROLE_RANK = { viewer: 0, auditor: 1, reviewer: 2, editor: 3, admin: 4 };

export function canSeeHistory(role) {
  const r = ROLE_RANK[role];
  if (r === undefined) return { ok: false, reason: { key: 'history.denied.unknown', params: { role: String(role || '') } } };
  if (r < ROLE_RANK.auditor) return { ok: false, reason: { key: 'history.denied.role', params: { role } } };
  return { ok: true };
}

// --------------------------------------------------------- code points

// The UTF-16 offset of code point `cp` in `text` (clamped to the end).
export function cpToUtf16(text, cp) {
  let i = 0;
  let n = 0;
  while (n < cp && i < text.length) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
    n++;
  }
  return i;
}

export function codePointLength(text) {
  let n = 0;
  for (const _ of text) n++;  // eslint-disable-line no-unused-vars
  return n;
}

// A cursor over a string that hands out consecutive code point runs as
// UTF-16 slices: O(total length) for a sequence of pieces in order.
class CpCursor {
  constructor(text) {
    this.text = text;
    this.i = 0;  // UTF-16 offset
    this.cp = 0; // code point offset
  }

  // Moves to code point `cp` (forward or back).
  seek(cp) {
    if (cp < this.cp) { this.i = 0; this.cp = 0; }
    this.take(cp - this.cp);
  }

  // The next `n` code points as a string.
  take(n) {
    const start = this.i;
    const t = this.text;
    while (n > 0 && this.i < t.length) {
      const c = t.charCodeAt(this.i);
      this.i += c >= 0xd800 && c <= 0xdbff && this.i + 1 < t.length ? 2 : 1;
      this.cp++;
      n--;
    }
    return t.slice(start, this.i);
  }
}

// Blame spans (code points, covering the visible text) → runs of the text
// as UTF-16 strings: [{text, from16, to16, span}] in order. Text no span
// covers (a server that left a gap) comes as runs with span null, so the
// whole text is always shown.
export function blameRuns(text, spans) {
  const cur = new CpCursor(text || '');
  const out = [];
  const sorted = [...(spans || [])].sort((a, b) => a.start - b.start);
  const push = (s, span) => {
    if (!s) return;
    const to16 = cur.i;
    out.push({ text: s, from16: to16 - s.length, to16, span });
  };
  for (const span of sorted) {
    if (span.start > cur.cp) push(cur.take(span.start - cur.cp), null);
    else if (span.start < cur.cp) {
      // Overlap (never from a correct server): show the rest once.
      const skip = Math.min(span.length, cur.cp - span.start);
      push(cur.take(span.length - skip), span);
      continue;
    }
    push(cur.take(span.length), span);
  }
  if (cur.i < cur.text.length) push(cur.text.slice(cur.i), null);
  return out;
}

// The kind of a diff piece: 'retain' | 'insert' | 'delete'. Accepts
// {"op": k}, {"kind": k}, {"type": k} or a piece keyed by its kind
// ({"retain": 12}, {"insert": "text"}, {"delete": 3}).
export function pieceKind(p) {
  const k = p.op || p.kind || p.type;
  if (k) return { keep: 'retain', same: 'retain', equal: 'retain', ins: 'insert', del: 'delete' }[k] || k;
  for (const key of ['retain', 'insert', 'delete']) if (key in p) return key;
  return 'retain';
}

// How many code points of the older text a retain or delete piece covers.
function pieceLength(p, kind) {
  if (typeof p.length === 'number') return p.length;
  if (typeof p.count === 'number') return p.count;
  if (typeof p[kind] === 'number') return p[kind];
  if (typeof p.text === 'string') return codePointLength(p.text);
  if (typeof p[kind] === 'string') return codePointLength(p[kind]);
  return 0;
}

function pieceText(p, kind) {
  if (typeof p.text === 'string') return p.text;
  if (typeof p[kind] === 'string') return p[kind];
  return null;
}

// Who made a piece: {author, seq, seqLast} from its "by" ({user,
// municipality, time, seq}; protocol/diff_json.h) or "author" + "seq".
function pieceWho(p) {
  const by = p.by || p.author || null;
  const seq = (by && by.seq) ?? p.seq ?? null;
  const last = p.seq_last ?? p.seqLast;
  return { author: by, seq, ...(last != null && last !== seq ? { seqLast: last } : {}) };
}

// A text diff's pieces (in the older text's coordinates: retain and delete
// walk the older text, insert adds new text) → segments to render:
// [{kind: 'same'|'ins'|'del', text, author, seq}]. A piece carrying its text
// is used as it is; one carrying only a length (or a start) is cut out of
// `oldText` by code points.
export function diffSegments(pieces, oldText = '') {
  const cur = new CpCursor(oldText || '');
  const out = [];
  for (const p of pieces || []) {
    const kind = pieceKind(p);
    if (kind === 'insert') {
      const text = pieceText(p, 'insert') ?? '';
      if (text) out.push({ kind: 'ins', text, ...pieceWho(p) });
      continue;
    }
    if (typeof p.start === 'number') cur.seek(p.start);
    const n = pieceLength(p, kind);
    const own = pieceText(p, kind);
    const cut = cur.take(n);
    const text = own ?? cut;
    if (!text) continue;
    if (kind === 'delete') out.push({ kind: 'del', text, ...pieceWho(p) });
    else out.push({ kind: 'same', text, author: null, seq: null });
  }
  return out;
}

// Adjacent insertions (or deletions) by the same user in the same
// municipality become one segment (typing is one op per key, so one word is
// many pieces); seq keeps the first op, seqLast the last.
export function mergeSegments(segments) {
  const out = [];
  for (const s of segments) {
    const prev = out[out.length - 1];
    const same = prev && prev.kind === s.kind && (s.kind === 'same' ||
      (prev.author && s.author && prev.author.user === s.author.user &&
       (prev.author.municipality || '') === (s.author.municipality || '')));
    if (same) {
      prev.text += s.text;
      if (s.seq != null) {
        prev.seqLast = Math.max(prev.seqLast ?? prev.seq ?? s.seq, s.seqLast ?? s.seq);
        if (prev.seq == null || s.seq < prev.seq) prev.seq = s.seq;
      }
      if (s.author && s.author.time && prev.author && (!prev.author.time || s.author.time > prev.author.time)) {
        prev.author = { ...prev.author, time: s.author.time };
      }
    } else {
      out.push({ ...s });
    }
  }
  return out;
}

// Long unchanged runs shortened to their ends ("…" between), so a diff of
// one word in a long text shows the word with some context.
export function elideSame(segments, context = 60) {
  return segments.map((s, i) => {
    if (s.kind !== 'same') return s;
    const first = i === 0;
    const last = i === segments.length - 1;
    const chars = [...s.text];
    const keep = (first || last) ? context : 2 * context;
    if (chars.length <= keep + 10) return s;
    if (first) return { ...s, text: `… ${chars.slice(-context).join('')}`, elided: true };
    if (last) return { ...s, text: `${chars.slice(0, context).join('')} …`, elided: true };
    return { ...s, text: `${chars.slice(0, context).join('')} … ${chars.slice(-context).join('')}`, elided: true };
  });
}

// ------------------------------------------------------------- requests

// One history request at a time over a Connection's request() (the server
// keeps at most one queued per session and answers an older queued one
// `superseded`, and it rate-limits at 20/s): requests wait in slots (at,
// diff, blame, changes, versions, ...); a newer request for a slot replaces
// the one waiting there, whose promise rejects with code 'replaced'.
// Requests start at least `minIntervalMs` apart. `superseded` and
// `rate_limited` answers are retried (after `retryMs`) while no newer
// request for the slot has come.
export class HistoryChannel {
  constructor(request, { minIntervalMs = 60, retryMs = 300, retries = 3,
                         now = () => Date.now(), setTimer = (fn, ms) => setTimeout(fn, ms),
                         clearTimer = (t) => clearTimeout(t) } = {}) {
    this._request = request;    // (msg) → Promise<reply>
    this.minIntervalMs = minIntervalMs;
    this.retryMs = retryMs;
    this.retries = retries;
    this._now = now;
    this._setTimer = setTimer;
    this._clearTimer = clearTimer;
    this._waiting = new Map();  // slot → {msg, resolve, reject, tries}
    this._busy = false;
    this._lastStart = -Infinity;
    this._timer = null;
    this.sent = [];             // every message started (tests, debugging)
  }

  // Resolves with the reply to `msg` (without v/type/ref: the channel adds
  // type "history").
  ask(slot, msg) {
    const prev = this._waiting.get(slot);
    if (prev) {
      this._waiting.delete(slot);
      prev.reject(Object.assign(new Error('replaced by a newer request'), { code: 'replaced' }));
    }
    return new Promise((resolve, reject) => {
      this._waiting.set(slot, { slot, msg, resolve, reject, tries: 0 });
      this._kick();
    });
  }

  // Drops every waiting request (they reject 'replaced'); one in flight
  // still settles.
  cancel(slot = null) {
    for (const [s, w] of [...this._waiting]) {
      if (slot !== null && s !== slot) continue;
      this._waiting.delete(s);
      w.reject(Object.assign(new Error('cancelled'), { code: 'replaced' }));
    }
  }

  get busy() { return this._busy; }

  _kick() {
    if (this._busy || this._timer != null || this._waiting.size === 0) return;
    const wait = this._lastStart + this.minIntervalMs - this._now();
    if (wait > 0) {
      this._timer = this._setTimer(() => { this._timer = null; this._kick(); }, wait);
      return;
    }
    // Oldest waiting first (Map keeps insertion order; a replaced slot
    // goes to the back, which keeps a fast slider from starving the rest).
    const [slot, w] = this._waiting.entries().next().value;
    this._waiting.delete(slot);
    this._busy = true;
    this._lastStart = this._now();
    const msg = { type: 'history', ...w.msg };
    this.sent.push(msg);
    let settled;
    try {
      settled = Promise.resolve(this._request(msg));
    } catch (err) {
      settled = Promise.reject(err);
    }
    settled.then((reply) => {
      this._busy = false;
      w.resolve(reply);
      this._kick();
    }, (err) => {
      this._busy = false;
      const code = err && err.code;
      if ((code === 'superseded' || code === 'rate_limited') && w.tries < this.retries &&
          !this._waiting.has(slot)) {
        w.tries += 1;
        this._waiting.set(slot, w);
        this._lastStart = this._now() + this.retryMs - this.minIntervalMs;
      } else {
        w.reject(err);
      }
      this._kick();
    });
  }
}

// ------------------------------------------------------------- filters

export const KIND_GROUPS = {
  text: ['insert_text', 'delete_text'],
  field: ['set_field'],
  table: ['insert_table_line', 'delete_table_line', 'set_cell'],
  structure: ['create_node', 'move_node', 'delete_node'],
  review: ['add_comment', 'edit_comment', 'delete_comment', 'set_thread', 'suggest_text', 'suggest_field',
    'suggest_cell', 'suggest_node', 'suggest_move', 'suggest_delete', 'accept_suggestion',
    'reject_suggestion', 'approve', 'revoke_approval'],
};

// The changes-list filters of the UI → the members of a `changes` query.
// filters: {user, municipality, kind (a KIND_GROUPS key or ''), node ([r,c]
// or null), subtree, since, until ("YYYY-MM-DD" dates, until inclusive of
// its whole day)}.
export function changesQuery(filters = {}) {
  const q = {};
  if (filters.user) q.user = filters.user.trim();
  if (filters.municipality) q.municipality = filters.municipality.trim();
  if (filters.kind && KIND_GROUPS[filters.kind]) q.kinds = KIND_GROUPS[filters.kind];
  if (filters.node) {
    q.node = filters.node;
    q.subtree = filters.subtree !== false;
  }
  if (filters.since) q.since = filters.since;
  if (filters.until) q.until = endOfDay(filters.until);
  return q;
}

// "2026-06-21" → "time:<ms of 23:59:59.999 UTC that day>" (until is
// inclusive; the server reads a bare date as midnight).
function endOfDay(date) {
  const ms = Date.parse(`${date}T23:59:59.999Z`);
  return Number.isFinite(ms) ? `time:${ms}` : date;
}

// A query string with spaces as %20, not URLSearchParams' "+": the server
// reads "+" as a plus sign (RFC 3986), and a version name has spaces.
export function queryString(params) {
  return [...params].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

// The same filters as URL parameters of GET /api/plans/{id}/history/export
// (node "R:C", kinds comma separated).
export function exportParams(filters = {}, format = 'csv') {
  const q = changesQuery(filters);
  const p = new URLSearchParams();
  p.set('format', format);
  for (const [k, v] of Object.entries(q)) {
    if (k === 'node') p.set('node', `${v[0]}:${v[1]}`);
    else if (k === 'kinds') p.set('kinds', v.join(','));
    else if (k === 'subtree') p.set('subtree', v ? 'true' : 'false');
    else p.set(k, String(v));
  }
  return p;
}

export function exportUrl(planId, filters, format = 'csv') {
  return `/api/plans/${encodeURIComponent(planId)}/history/export?${queryString(exportParams(filters, format))}`;
}

// "historikk-demo-2026-06-21.csv"
export function exportFileName(planId, now = new Date(), ext = 'csv') {
  const safe = String(planId).replace(/[^\p{L}\p{N}_-]+/gu, '_');
  return `historikk-${safe}-${now.toISOString().slice(0, 10)}.${ext}`;
}

// Fetches `url` with the bearer token and saves the body as a file through
// a Blob and an object URL: the export needs the token in a header, which a
// plain link cannot send (and a token in the URL would land in logs).
// Returns {bytes, type, name}. env: {fetch, document, URL} for tests.
export async function downloadWithToken(url, token, name, env = globalThis) {
  const res = await env.fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    const err = new Error((body.error && body.error.message) || `HTTP ${res.status}`);
    err.code = (body.error && body.error.code) || `http_${res.status}`;
    err.status = res.status;
    throw err;
  }
  const blob = await res.blob();
  const href = env.URL.createObjectURL(blob);
  try {
    const a = env.document.createElement('a');
    a.href = href;
    a.download = name;
    a.rel = 'noopener';
    a.hidden = true;
    env.document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // After the click the browser has the blob; revoke on the next turn.
    setTimeout(() => env.URL.revokeObjectURL(href), 0);
  }
  return { bytes: blob.size, type: blob.type, name };
}

// --------------------------------------------------------------- points

// The options of the diff's "from"/"to" pickers: the named versions
// (oldest first), the slider's position and the head.
export function pointOptions(versions, { sliderSeq = null, lastSeq = null } = {}) {
  const out = [];
  for (const v of versions || []) out.push({ value: `version:${v.name}`, kind: 'version', version: v, seq: v.seq });
  if (sliderSeq != null && sliderSeq !== lastSeq) out.push({ value: String(sliderSeq), kind: 'seq', seq: sliderSeq });
  out.push({ value: 'head', kind: 'head', seq: lastSeq });
  return out;
}

// The named version at exactly `seq` (the first named, when several name
// the same point), or null: the slider's and the diff's labels.
export function versionAt(versions, seq) {
  for (const v of versions || []) if (v.seq === seq) return v;
  return null;
}

// The nodes of a state tree in plan order with depth: [{node, depth}].
export function flattenState(root) {
  const out = [];
  const walk = (n, depth) => {
    out.push({ node: n, depth });
    for (const c of n.children || []) walk(c, depth + 1);
  };
  if (root) walk(root, 0);
  return out;
}

// A compact text of a field value as the state or diff JSON carries it
// ({type, value} or plain; null → '').
export function plainValue(v) {
  const x = v !== null && typeof v === 'object' && !Array.isArray(v) && 'value' in v ? v.value : v;
  if (x === null || x === undefined) return '';
  if (Array.isArray(x)) return x.join(', ');
  return String(x);
}
