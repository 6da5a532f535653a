// ui/historydom.js — what the history view's tabs share: authors (a name,
// or the user id, or "erased" after forget-user) in their municipality's
// colour, times, and the hover text naming who wrote something.
import { h } from './dom.js';
import { municipalityClass } from './colors.js';
import { when } from './reviewdom.js';

export { when };

// The history JSON's author: {user, name?, erased?, municipality, time}
// (in blame spans and entries flattened into the item itself).
export function authorName(t, a) {
  if (!a) return '?';
  if (a.erased) return t('history.erased', { user: a.user || '?' });
  return a.name || a.user || '?';
}

// "Ola Berg (ola, Vestby)" when the server knows a name, else
// "ola (Vestby)": an auditor needs the user id the log holds, too.
export function authorLabel(t, a) {
  const name = authorName(t, a);
  const extra = [a && a.name && !a.erased && a.name !== a.user ? a.user : '', (a && a.municipality) || '']
    .filter(Boolean).join(', ');
  return extra ? `${name} (${extra})` : name;
}

export function munClass(view, municipality) {
  return municipalityClass(municipality || '', view.editor.municipalities || []);
}

// "ola (Vestby) · 21.06.2026, 10:00 · #812"
export function authorTitle(t, a, seq) {
  const parts = [authorLabel(t, a)];
  const time = a && a.time;
  if (time) parts.push(when(t, time));
  if (seq) parts.push(`#${seq}`);
  return parts.join(' · ');
}

export function authorChip(view, a, extra = {}) {
  const { t } = view.app;
  return h('span', { class: ['author', munClass(view, a && a.municipality)], 'data-user': (a && a.user) || '', ...extra },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), authorLabel(t, a));
}

// "#812 · 21.06.2026, 10:00"
export function pointLabel(t, seq, time, version) {
  if (seq === 0) return t('history.point.empty');
  const parts = [`#${seq}`];
  if (time) parts.push(when(t, time));
  if (version) parts.push(`«${version}»`);
  return parts.join(' · ');
}
