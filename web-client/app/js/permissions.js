// permissions.js — the client's mirror of the server's ownership rule
// (server/permissions.cc, docs/protocol.md "Permissions"), used only to show
// what the user may not edit as read-only and say why. The server stays the
// authority: it refuses a forbidden op whatever the client shows.
// Owned by the UI helper. Works on the tree of doc.state() (live nodes only).
//
// - viewer, auditor, reviewer: read only.
// - admin: everything; the only role that may write a node's `owner`.
// - editor: a node whose effective owner is empty (joint) or contains the
//   editor's municipality. The effective owner is the node's own non-empty
//   `owner` list (winning value), else its parent's; the root without one is
//   joint.

export const READ_ONLY_ROLES = new Set(['viewer', 'auditor', 'reviewer']);

export function idKey(id) {
  return Array.isArray(id) ? `${id[0]}:${id[1]}` : `${id.replica}:${id.counter}`;
}

function ownList(node) {
  const f = node.fields && node.fields.owner;
  const v = f && (f.value !== undefined ? f.value : f);
  return Array.isArray(v) && v.length > 0 ? v : null;
}

// Walks the state tree once: key → {node, parent (key|null), owner (array,
// [] = joint), depth}.
export function indexTree(root) {
  const index = new Map();
  const visit = (node, parentKey, inherited, depth) => {
    const owner = ownList(node) || inherited;
    const key = idKey(node.id);
    index.set(key, { node, parent: parentKey, owner, depth });
    for (const c of node.children || []) visit(c, key, owner, depth + 1);
  };
  visit(root, null, [], 0);
  return index;
}

export function effectiveOwner(index, key) {
  const e = index.get(key);
  return e ? e.owner : [];
}

// May `user` ({role, municipality}) change node `key`? → {ok, reason}
// reason is an i18n key with params, for the read-only explanation.
export function canEditNode(user, index, key) {
  const role = user && user.role;
  if (role === 'admin') return { ok: true };
  if (role !== 'editor') {
    return { ok: false, reason: { key: 'ro.role', params: { role } } };
  }
  const owner = effectiveOwner(index, key);
  if (owner.length === 0 || owner.includes(user.municipality)) return { ok: true };
  return { ok: false, reason: { key: 'ro.owner',
    params: { owners: owner.join(', '), municipality: user.municipality || '—' } } };
}

export function canEditField(user, index, key, field) {
  if (field === 'owner' && !(user && user.role === 'admin')) {
    const node = canEditNode(user, index, key);
    return { ok: false, reason: node.ok ? { key: 'ro.ownerField', params: {} } : node.reason };
  }
  return canEditNode(user, index, key);
}

function subtreeKeys(index, key, out = []) {
  const e = index.get(key);
  if (!e) return out;
  out.push(key);
  for (const c of e.node.children || []) subtreeKeys(index, idKey(c.id), out);
  return out;
}

// A move (or delete: a move to the trash, which is joint) changes the node,
// its whole subtree, its old parent and its new parent (null = trash).
export function canMove(user, index, key, newParentKey) {
  const e = index.get(key);
  if (!e || e.parent === null) return { ok: false, reason: null };
  const keys = [...subtreeKeys(index, key), e.parent];
  if (newParentKey !== null && newParentKey !== undefined) keys.push(newParentKey);
  for (const k of keys) {
    const r = canEditNode(user, index, k);
    if (!r.ok) return r;
  }
  return { ok: true };
}

export function canCreateUnder(user, index, parentKey) {
  return canEditNode(user, index, parentKey);
}
