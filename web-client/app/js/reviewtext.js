// reviewtext.js — pure helpers of the review panel: UTF-16 ↔ code point
// positions (the core and its review views count code points, a <textarea>
// counts UTF-16 units), mentions typed as "@name" in a comment, and the
// "user:<name>" / "municipality:<name>" parties of mentions and assignees.
// No DOM; tested in web-client/test/review-logic.test.mjs.

const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;
const hasSurrogates = (s) => /[\ud800-\udfff]/.test(s);

// Code points in text.slice(0, pos16); a position inside a surrogate pair
// counts the pair (it cannot be split).
export function utf16ToCodePoint(text, pos16) {
  const end = Math.max(0, Math.min(pos16, text.length));
  if (!hasSurrogates(text)) return end;
  let cp = 0;
  for (let i = 0; i < end; i++) {
    cp++;
    if (isHigh(text.charCodeAt(i)) && i + 1 < text.length) i++;
  }
  return cp;
}

// A converter of code point positions to UTF-16 for one text: identity when
// it has no astral characters, else a table built once (a view may place
// many threads in one long text).
export function codePointMapper(text) {
  if (!hasSurrogates(text)) return (cp) => Math.max(0, Math.min(cp, text.length));
  const offsets = [];
  for (let i = 0; i < text.length; i++) {
    offsets.push(i);
    if (isHigh(text.charCodeAt(i)) && i + 1 < text.length) i++;
  }
  offsets.push(text.length);
  return (cp) => offsets[Math.max(0, Math.min(cp, offsets.length - 1))];
}

export function codePointToUtf16(text, cp) {
  return codePointMapper(text)(cp);
}

// "@ola" or "@Moss" in a comment → ["user:ola", "municipality:Moss"]; a
// name that is one of the plan's municipalities is the municipality
// (case-insensitive), anything else a user. Unique, in order of appearance.
export function parseMentions(body, municipalities = []) {
  const out = [];
  const re = /(^|[^\p{L}\p{N}_@])@([\p{L}\p{N}_][\p{L}\p{N}_.-]*)/gu;
  for (const m of String(body || '').matchAll(re)) {
    const name = m[2].replace(/[.-]+$/, '');
    const mun = municipalities.find((x) => x.toLowerCase() === name.toLowerCase());
    const party = mun ? `municipality:${mun}` : `user:${name}`;
    if (!out.includes(party)) out.push(party);
  }
  return out;
}

// "user:ola" → {type: 'user', name: 'ola'}; null for anything else.
export function parseParty(s) {
  const m = /^(user|municipality):(.+)$/.exec(String(s || ''));
  return m ? { type: m[1], name: m[2] } : null;
}

// Does party `p` ("user:x" / "municipality:y") name this viewer?
export function partyIsMe(p, viewer) {
  const x = parseParty(p);
  if (!x || !viewer) return false;
  return x.type === 'user' ? x.name === viewer.name : !!viewer.municipality && x.name === viewer.municipality;
}

// A short excerpt for lists: at most `max` characters, on a word boundary.
export function excerpt(text, max = 80) {
  const s = String(text || '').replace(/\s+/g, ' ').trim();
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  const sp = cut.lastIndexOf(' ');
  return `${(sp > max / 2 ? cut.slice(0, sp) : cut).trimEnd()}…`;
}
