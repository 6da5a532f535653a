// Who may apply which operation to a plan. Decided by the server, never by
// the client.
//
// Rules (docs/protocol.md, "Permissions"):
//  - viewers, auditors and reviewers change no plan content;
//  - review operations (op.h, IsReviewKind): every role may mark_read;
//    reviewers and up add comments, edit and delete their own, assign
//    threads and set their due date, and suggest; editors and up also
//    resolve and reopen threads, accept and reject a suggestion when they
//    may make its change (the edit it stands for, by the rules below: an
//    editor never accepts into a part its municipality does not own), and
//    approve or revoke for their own municipality on a node whose
//    effective owner includes it or is joint; admins everything (but only
//    a comment's author changes it);
//  - admins may apply every operation, and only admins write the "owner"
//    field of a node;
//  - editors may change a node only when its *effective owner* is empty
//    (a joint part) or includes the editor's municipality. The effective
//    owner of a node is the winning value of its own "owner" field when
//    that is a non-empty string list, else the effective owner of its
//    parent; the root with no owner set is joint. A node directly under
//    the trash takes, in place of the trash, the parent it was deleted
//    from (Replica::ParentBeforeDelete) as that parent is now, so deleting
//    never turns another municipality's part into a joint one. A node whose
//    owner cannot be resolved that way (its deletion history loops through
//    deleted nodes none of which has an owner) is changeable by admins
//    only: the check fails closed.
//  - which nodes an operation changes: create_node -> the new parent;
//    move_node and delete_node -> the moved node and every node in its
//    subtree (their owners may change with the move), the old parent
//    (unless it is the trash: a restore) and the new parent (the trash for
//    a delete, which is joint); every other kind -> op.node.
//
// Checks read the replica's current state; call them before Apply.
// Cost: O(depth) per node checked; a move or delete also walks the moved
// subtree once, O(subtree size), tracking owners as it descends.
// Thread-safety: none beyond the Replica's (call on the room's strand).
//
// REQUIRES: `replica` satisfies Replica::CheckInvariants (walks are bounded
// anyway, so a broken state yields a refusal, never a hang).
#ifndef SAMPLAN_SERVER_PERMISSIONS_H_
#define SAMPLAN_SERVER_PERMISSIONS_H_

#include <string>
#include <vector>

#include "crdt/op.h"
#include "crdt/ownership.h"
#include "crdt/replica.h"
#include "crdt/status.h"
#include "server/auth.h"

namespace samplan {

// ResolveOwner and EffectiveOwner are in crdt/ownership.h (the same rule
// is shown by the review views, also in the browser).

// OK when a user of `municipality` with `role` may apply `op` to
// `replica` as it is now; InvalidArgument naming the reason (and the first
// node the user may not change) otherwise. An op naming an unknown node
// passes here and is rejected by Apply.
Status CheckOpPermission(const Replica& replica, const Op& op, Role role,
                         const std::string& municipality);

}  // namespace samplan

#endif  // SAMPLAN_SERVER_PERMISSIONS_H_
