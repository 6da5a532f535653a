// ui/colors.js — a municipality's colour, as a CSS class (mun-0 … mun-7,
// defined in app.css with white text at ≥ 4.5:1 contrast). Owned by the UI
// helper. Classes, not inline styles: the CSP forbids style attributes.
// The plan's own municipality list fixes the order (so Moss, Vestby, Råde,
// Våler always get the same colours); others get a stable hash.
export const PALETTE_SIZE = 8;

export function municipalityClass(name, municipalities = []) {
  if (!name) return 'mun-none';
  const i = municipalities.indexOf(name);
  if (i >= 0) return `mun-${i % PALETTE_SIZE}`;
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return `mun-${hash % PALETTE_SIZE}`;
}
