// ui/textdiff.js — turns a <textarea>'s before/after values into one edit
// (delete then insert at one UTF-16 position) and moves positions through
// edits. Owned by the UI helper. Pure; tested by web-client/test/ui-logic.
//
// Why prefix/suffix and not a full diff: an `input` event is one user action
// (a key, a paste, a cut, an IME commit), which is one contiguous change.
// The caret disambiguates repeated letters ("aa" → "aaa": the new "a" is the
// one before the caret), and no edit boundary may split a surrogate pair,
// because the core counts code points and an emoji is two UTF-16 units.

const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c) => c >= 0xdc00 && c <= 0xdfff;

// → {pos, del, ins} (del: UTF-16 units removed at pos; ins: string inserted
// there) or null when the values are equal. `caret` is the selection end
// after the edit (optional).
export function diffText(before, after, caret) {
  if (before === after) return null;
  return diffAtCaret(before, after, caret) ?? diffWalk(before, after, caret);
}

// The general case: common suffix (not past the caret), then common prefix.
export function diffWalk(before, after, caret) {
  if (before === after) return null;
  const minLen = Math.min(before.length, after.length);
  let suffix = 0;
  let suffixMax = minLen;
  // The edit ends at the caret, so the common suffix cannot reach past it.
  if (Number.isInteger(caret) && caret >= 0 && caret <= after.length) {
    suffixMax = Math.min(suffixMax, after.length - caret);
  }
  while (suffix < suffixMax &&
         before.charCodeAt(before.length - 1 - suffix) ===
         after.charCodeAt(after.length - 1 - suffix)) suffix++;
  let prefix = 0;
  const prefixMax = minLen - suffix;
  while (prefix < prefixMax && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  // Never split a surrogate pair.
  if (prefix > 0 && isHigh(before.charCodeAt(prefix - 1))) prefix--;
  if (suffix > 0 && isLow(before.charCodeAt(before.length - suffix))) suffix--;
  return {
    pos: prefix,
    del: before.length - prefix - suffix,
    ins: after.slice(prefix, after.length - suffix),
  };
}

// A key or a backspace in a long text: the edit ends at the caret, so check
// that guess with two slice comparisons (memcmp in the engine) instead of
// walking the text a character at a time. null when the guess is wrong or
// touches a surrogate pair; diffText then does the general walk, whose
// answer this equals whenever it returns one.
function diffAtCaret(before, after, caret) {
  if (!Number.isInteger(caret) || caret < 0 || caret > after.length) return null;
  const grow = after.length - before.length;
  let pos;
  let del;
  if (grow > 0) {
    pos = caret - grow;
    del = 0;
  } else if (grow < 0) {
    pos = caret;
    del = -grow;
  } else {
    return null;
  }
  if (pos < 0 || pos + del > before.length) return null;
  const ins = after.slice(pos, pos + Math.max(grow, 0));
  // With both ends verified equal, the walk's suffix is everything after
  // the caret and its prefix everything before pos: the same edit.
  if (pos > 0 && isHigh(before.charCodeAt(pos - 1))) return null;
  if (pos + del < before.length && isLow(before.charCodeAt(pos + del))) return null;
  if (after.slice(0, pos) !== before.slice(0, pos)) return null;
  if (after.slice(pos + ins.length) !== before.slice(pos + del)) return null;
  return { pos, del, ins };
}

export function applyEdit(text, edit) {
  if (!edit) return text;
  return text.slice(0, edit.pos) + edit.ins + text.slice(edit.pos + edit.del);
}

// Where position `p` of the text before `edit` is after it. A position inside
// the deleted range collapses to the edit's start. At the edit position
// itself, `stick` 'before' keeps p before the inserted text, 'after' moves it
// past (what a caret wants when the other user types exactly at it is
// 'before': the remote text appears after the local caret).
export function transformPos(p, edit, stick = 'before') {
  if (!edit) return p;
  const { pos, del, ins } = edit;
  if (p < pos) return p;
  if (p === pos && del === 0) return stick === 'after' ? p + ins.length : p;
  if (p < pos + del) return pos + (stick === 'after' ? ins.length : 0);
  return p - del + ins.length;
}

// A local edit made against text A, rebased over a remote edit also made
// against A, so it applies to the remote result (used when remote changes
// arrived during IME composition). The local deletion keeps only what the
// remote edit did not already replace.
export function rebaseEdit(local, remote) {
  if (!local || !remote) return local;
  const start = transformPos(local.pos, remote, 'after');
  const end = Math.max(start, transformPos(local.pos + local.del, remote, 'before'));
  return { pos: start, del: end - start, ins: local.ins };
}
