// ui/treeops.js — where the outline's move commands put a node, as the
// (parent, index) that doc.moveNode takes, checked against the schema's
// allowed children. Owned by the UI helper. Pure; tested in ui-logic.
//
// Index convention of the core (MoveTree::SlotOriginsAt): the index among
// the new parent's children *not counting the moved node itself*.
import { idKey } from '../permissions.js';

// index: Map key → {node, parent} (permissions.indexTree);
// allowed(parentKind, childKind) → bool.
function siblingsOf(index, key) {
  const e = index.get(key);
  if (!e || e.parent === null) return null;
  const parent = index.get(e.parent);
  return { parent, list: parent.node.children.map((c) => idKey(c.id)) };
}

// → {parent: key, index} or null when the move is not possible.
export function planMove(index, key, action, allowed) {
  const s = siblingsOf(index, key);
  if (!s) return null;
  const i = s.list.indexOf(key);
  const kind = index.get(key).node.kind;
  const parentKey = idKey(s.parent.node.id);
  switch (action) {
    case 'up':
      return i > 0 ? { parent: parentKey, index: i - 1 } : null;
    case 'down':
      return i < s.list.length - 1 ? { parent: parentKey, index: i + 1 } : null;
    case 'indent': {
      // Become the last child of the previous sibling that may hold it.
      for (let j = i - 1; j >= 0; j--) {
        const prev = index.get(s.list[j]).node;
        if (allowed(prev.kind, kind)) {
          return { parent: s.list[j], index: (prev.children || []).length };
        }
        break;  // only the directly preceding sibling, as editors do
      }
      return null;
    }
    case 'outdent': {
      // Become the next sibling of the parent.
      const grand = s.parent.parent;
      if (grand === null) return null;
      const g = index.get(grand);
      if (!allowed(g.node.kind, kind)) return null;
      const pi = g.node.children.map((c) => idKey(c.id)).indexOf(parentKey);
      return { parent: grand, index: pi + 1 };
    }
    default:
      return null;
  }
}

// A drop of `key` relative to `target`: 'before' | 'after' | 'inside'.
export function planDrop(index, key, target, where, allowed) {
  if (key === target) return null;
  // Not into its own subtree.
  for (let k = target; k !== null; k = index.get(k).parent) {
    if (k === key) return null;
  }
  const kind = index.get(key).node.kind;
  const t = index.get(target);
  if (where === 'inside') {
    if (!allowed(t.node.kind, kind)) return null;
    const n = (t.node.children || []).filter((c) => idKey(c.id) !== key).length;
    return { parent: target, index: n };
  }
  if (t.parent === null) return null;
  const p = index.get(t.parent);
  if (!allowed(p.node.kind, kind)) return null;
  const list = p.node.children.map((c) => idKey(c.id)).filter((k) => k !== key);
  const ti = list.indexOf(target);
  return { parent: t.parent, index: where === 'before' ? ti : ti + 1 };
}

// The kind a new child of `parentKind` gets by default: the most specific
// content kind the schema allows there.
const PREFERRED = ['chapter', 'goal', 'subgoal', 'measure', 'indicator',
  'list_item', 'text_block', 'list', 'footnote', 'stakeholder', 'adoption'];

export function childKinds(schemaKind) {
  const c = schemaKind && schemaKind.children;
  const list = Array.isArray(c) ? c : c ? Object.keys(c) : [];
  return [...list].sort((a, b) => rank(a) - rank(b));
}

function rank(k) {
  const i = PREFERRED.indexOf(k);
  return i < 0 ? PREFERRED.length : i;
}

export function defaultChildKind(schemaKind, parentKind) {
  const kinds = childKinds(schemaKind);
  // Under a goal, a sub-goal is the usual next level; under a sub-goal, a
  // measure; so the preference order above already gives that.
  void parentKind;
  return kinds[0] || null;
}
