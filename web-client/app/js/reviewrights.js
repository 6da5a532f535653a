// reviewrights.js — the server's review rules (server/permissions.cc,
// CheckOpPermission; docs/protocol.md "Permissions"), mirrored so the review
// panel hides or disables what the user may not do. The server decides: it
// refuses a forbidden op whatever the page shows.
//
// - viewer, auditor: read; mark threads read.
// - reviewer: also comment, edit/delete own comments, assign (assignee,
//   due), suggest.
// - editor: also resolve/reopen; accept/reject a suggestion when it may
//   make the suggested change (the ownership rule of permissions.js);
//   approve/revoke for its own municipality on a part whose effective owner
//   includes it or is joint.
// - admin: everything.
// Works on the index of permissions.indexTree (live nodes only).
import { canEditNode, canEditField, canMove, canCreateUnder, idKey } from './permissions.js';

const COMMENTERS = new Set(['reviewer', 'editor', 'admin']);
const DECIDERS = new Set(['editor', 'admin']);

const no = (key, params = {}) => ({ ok: false, reason: { key, params } });
const yes = { ok: true };

export function canComment(user) {
  return user && COMMENTERS.has(user.role) ? yes : no('review.ro.role', { role: user && user.role });
}
export const canSuggest = canComment;
export const canAssign = canComment;

export function canResolve(user) {
  return user && DECIDERS.has(user.role) ? yes : no('review.ro.resolve');
}

// Only the author edits or deletes a comment (the core checks it too).
export function canEditComment(user, comment) {
  if (!canComment(user).ok) return canComment(user);
  if (comment.deleted) return no('review.ro.deleted');
  return comment.author && comment.author.user === user.name ? yes : no('review.ro.notAuthor');
}

// May `user` accept or reject suggestion `s` (a view item)? As for the edit
// it would make.
export function canDecide(user, index, s) {
  if (!user || !DECIDERS.has(user.role)) return no('review.ro.decide');
  if (user.role === 'admin') return yes;
  const has = (id) => id && index.has(idKey(id));
  switch (s.kind) {
    case 'text':
    case 'cell':
      return has(s.node) ? canEditNode(user, index, idKey(s.node)) : no('review.ro.gone');
    case 'field':
      return has(s.node) ? canEditField(user, index, idKey(s.node), s.field) : no('review.ro.gone');
    case 'node':
      return has(s.parent) ? canCreateUnder(user, index, idKey(s.parent)) : no('review.ro.gone');
    case 'move':
      return has(s.node) && has(s.parent) ? canMove(user, index, idKey(s.node), idKey(s.parent)) : no('review.ro.gone');
    case 'delete':
      return has(s.node) ? canMove(user, index, idKey(s.node), null) : no('review.ro.gone');
    default:
      return no('review.ro.decide');
  }
}

// May `user` approve (or revoke) `municipality`'s sign-off of a part (an
// item of the signoff view)?
export function canApprove(user, index, part, municipality) {
  if (!user) return no('review.ro.approve');
  if (user.role === 'admin') return yes;
  if (user.role !== 'editor' || !user.municipality || municipality !== user.municipality) {
    return no('review.ro.approve');
  }
  const key = idKey(part.node);
  const owner = index.has(key) ? index.get(key).owner : [];
  if (owner.length && !owner.includes(municipality)) return no('review.ro.approveOwner', { owners: owner.join(', ') });
  if (part.owners && part.owners.length && !part.owners.includes(municipality)) {
    return no('review.ro.approveOwner', { owners: part.owners.join(', ') });
  }
  return yes;
}

// Resolving a conflict is an ordinary edit of that field or cell.
export function canResolveConflict(user, index, c) {
  const key = idKey(c.node);
  if (!index.has(key)) return no('review.ro.gone');
  return c.field ? canEditField(user, index, key, c.field) : canEditNode(user, index, key);
}
