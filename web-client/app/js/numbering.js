// numbering.js — how an outline number is shown. Owned by the UI helper.
//
// The core numbers every node by its position among siblings of the same
// kind ("1", "1.2", "1.2.3"; Replica::Numbering). The real plans in the seeds
// number goals and sub-goals that way but letter the measures under a goal:
// "1.1 MÅL ... TILTAK a) b) c)". So a measure shows the letter of its last
// component; every other kind shows the core's number as is.
export function letters(n) {
  // 1 → a, 26 → z, 27 → aa (bijective base 26).
  let s = '';
  while (n > 0) {
    n -= 1;
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  }
  return s;
}

// Kinds that carry no number in the plans (free text, lists, footnotes ...).
const UNNUMBERED = new Set(['text_block', 'list', 'list_item', 'footnote',
  'stakeholder', 'adoption', 'plan']);

export function displayNumber(kind, number) {
  if (!number || UNNUMBERED.has(kind)) return '';
  if (kind === 'measure') {
    const last = Number(String(number).split('.').pop());
    return Number.isInteger(last) && last > 0 ? `${letters(last)})` : '';
  }
  return String(number);
}
