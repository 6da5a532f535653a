// ui/values.js — checks and parses what a user types into typed fields and
// table cells, by the schema's value types (null bool int number string date
// string_list). Owned by the UI helper. Pure; tested in ui-logic.test.mjs.
//
// Numbers may be typed the Norwegian/Swedish way ("1 234,5", with spaces or
// non-breaking spaces as thousands separators) or the English way ("1234.5").

export function parseNumber(text) {
  let s = String(text).trim().replace(/[\s\u00a0\u202f]/g, '');
  if (s === '') return { ok: true, value: null };
  // A single comma is a decimal comma ("73,9"); "1,234.5" uses it as a
  // thousands separator.
  if (s.includes(',') && s.includes('.')) s = s.replace(/,/g, '');
  else if ((s.match(/,/g) || []).length === 1) s = s.replace(',', '.');
  s = s.replace(/^\u2212/, '-');  // typographic minus
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return { ok: false };
  const n = Number(s);
  return Number.isFinite(n) ? { ok: true, value: n } : { ok: false };
}

export function isValidDate(s) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const [y, m, d] = s.split('-').map(Number);
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

// Text typed for a field of `type` → {ok, value}. Empty means "unset" (null).
export function parseValue(type, text) {
  const s = String(text ?? '').trim();
  if (s === '' && type !== 'string') return { ok: true, value: null };
  switch (type) {
    case 'string': return { ok: true, value: String(text ?? '') };
    case 'number': return parseNumber(s);
    case 'int': {
      const r = parseNumber(s);
      return r.ok && Number.isSafeInteger(r.value) ? r : { ok: false };
    }
    case 'date': return isValidDate(s) ? { ok: true, value: s } : { ok: false };
    case 'bool': return s === 'true' || s === 'false' ? { ok: true, value: s === 'true' } : { ok: false };
    case 'string_list':
      return { ok: true, value: s.split(',').map((x) => x.trim()).filter(Boolean) };
    default: return { ok: false };
  }
}

// Does a JavaScript value fit the schema type (what doc.setField accepts)?
export function valueFits(type, v) {
  if (v === null) return true;
  switch (type) {
    case 'bool': return typeof v === 'boolean';
    case 'int': return Number.isSafeInteger(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'string': return typeof v === 'string';
    case 'date': return typeof v === 'string' && isValidDate(v);
    case 'string_list': return Array.isArray(v) && v.every((x) => typeof x === 'string');
    default: return false;
  }
}

// A field/cell value of doc.state() ({type, value} or a plain value) → value.
export function plain(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && !Array.isArray(v) && 'value' in v) return v.value;
  return v;
}

export function sameValue(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
