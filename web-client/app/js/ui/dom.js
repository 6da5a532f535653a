// ui/dom.js — the few DOM helpers the screens share (no framework).
// Owned by the UI helper.
//
//   h('button', {class: 'x', 'data-testid': 'undo', onclick: fn}, 'Undo')
// Attributes: `class`, `text`, `on<event>` (listener), boolean true → present,
// false/null/undefined → absent, anything else → setAttribute. Never a
// `style` attribute: the CSP forbids inline styles, use classes.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'readOnly' || k === 'selected') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let uid = 0;
// A document-unique id for label/aria wiring.
export function nextId(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A polite announcement for screen readers (one shared live region).
export function announce(message) {
  let region = document.getElementById('announcer');
  if (!region) {
    region = h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite', role: 'status' });
    document.body.append(region);
  }
  region.textContent = '';
  // A new text node after a tick so that repeated messages are read again.
  setTimeout(() => { region.textContent = message; }, 30);
}
