// ui/reviewdom.js — what the review panel's tabs share: rebuilding a list
// without losing what the user is typing or where the focus is, and the
// labels of authors, parties, times and parts.
//
// The tabs rebuild their DOM from the review views when those change (a
// remote comment, a decision); a reply half typed, an open reason box and
// the focused button must survive that. Elements carry data-key (unique in
// the tab); inputs with data-keep keep their value across a rebuild.
import { h, clear } from './dom.js';
import { municipalityClass } from './colors.js';
import { idKey } from '../permissions.js';
import { displayNumber } from '../numbering.js';
import { parseParty, excerpt } from '../reviewtext.js';
import { nodeTitle } from './outline.js';

// Rebuilds `container` with build() when `signature` differs from the last
// one; keeps the values of [data-keep] inputs and the focus by data-key.
export function rebuild(container, signature, build) {
  if (container.dataset.signature === signature) return false;
  const kept = new Map();
  for (const el of container.querySelectorAll('[data-keep][data-key]')) {
    kept.set(el.dataset.key, el.type === 'checkbox' ? el.checked : el.value);
  }
  const active = document.activeElement;
  const focusKey = active && container.contains(active) ? active.dataset.key : null;
  const sel = focusKey && typeof active.selectionStart === 'number'
    ? [active.selectionStart, active.selectionEnd] : null;
  clear(container);
  build(container);
  container.dataset.signature = signature;
  for (const el of container.querySelectorAll('[data-keep][data-key]')) {
    if (!kept.has(el.dataset.key)) continue;
    if (el.type === 'checkbox') el.checked = kept.get(el.dataset.key);
    else el.value = kept.get(el.dataset.key);
  }
  if (focusKey) {
    const again = [...container.querySelectorAll('[data-key]')].find((el) => el.dataset.key === focusKey);
    if (again) {
      again.focus({ preventScroll: true });
      if (sel && again.setSelectionRange) {
        try { again.setSelectionRange(sel[0], sel[1]); } catch { /* not text */ }
      }
    }
  }
  return true;
}

// "ola (Vestby)" in the author's municipality colour.
export function authorChip(panel, author, extra = {}) {
  const a = author || {};
  const cls = municipalityClass(a.municipality, panel.editor.municipalities);
  return h('span', { class: ['author', cls], 'data-user': a.user || '', ...extra },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    a.municipality ? `${a.user} (${a.municipality})` : (a.user || '?'));
}

export function authorClass(panel, author) {
  return municipalityClass(author && author.municipality, panel.editor.municipalities);
}

export function when(t, ms) {
  if (!ms) return '';
  try {
    return new Intl.DateTimeFormat(t.lang === 'en' ? 'en-GB' : t.lang,
      { dateStyle: 'short', timeStyle: 'short' }).format(new Date(ms));
  } catch {
    return new Date(ms).toISOString();
  }
}

// "user:ola" → "ola"; "municipality:Moss" → "Moss (kommune)".
export function partyLabel(t, party) {
  const p = parseParty(party);
  if (!p) return String(party || '');
  return t(p.type === 'user' ? 'review.partyUser' : 'review.partyMunicipality', { name: p.name });
}

// "Mål 2 Grønn mobilitet" for a node id, from the editor's index.
export function nodeLabel(panel, id) {
  const { t } = panel.app;
  if (!id) return '';
  const e = panel.editor.index && panel.editor.index.get(idKey(id));
  if (!e) return t('review.nodeGone');
  const n = e.node;
  const number = displayNumber(n.kind, n.number);
  const title = excerpt(nodeTitle(n), 50);
  return `${t(`kind.${n.kind}`)}${number ? ` ${number}` : ''}${title ? ` ${title}` : ''}`;
}

// A button that selects a node in the outline ("Vis").
export function showNodeButton(panel, id, label) {
  const key = idKey(id);
  const alive = panel.editor.index && panel.editor.index.has(key);
  return h('button', { type: 'button', class: 'linkish', disabled: !alive, 'data-testid': 'review-show-node',
    'data-node': key, onclick: () => panel.editor.select(key) }, label || nodeLabel(panel, id));
}

// A field value of a view ({type, value} or plain) as text.
export function valueText(t, v) {
  const x = v !== null && typeof v === 'object' && !Array.isArray(v) && 'value' in v ? v.value : v;
  if (x === null || x === undefined) return t('field.none');
  if (Array.isArray(x)) return x.length ? x.join(', ') : t('field.emptyList');
  // Years and counts as typed; decimals as the language writes them.
  if (typeof x === 'number') return Number.isInteger(x) ? String(x) : t.number(x);
  return String(x);
}
