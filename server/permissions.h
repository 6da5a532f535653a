// Who may apply which operation to a plan. Decided by the server, never by
// the client.
//
// Rules (docs/protocol.md, "Permissions"):
//  - viewers, auditors and reviewers change no plan content;
//  - admins may apply every operation, and only admins write the "owner"
//    field of a node;
//  - editors may change a node only when its *effective owner* is empty
//    (a joint part) or includes the editor's municipality. The effective
//    owner of a node is the winning value of its own "owner" field when
//    that is a non-empty string list, else the effective owner of its
//    parent; the root with no owner set is joint. A node in the trash
//    (deleted) takes only its own "owner" field.
//  - which node an operation changes: create_node -> the new parent;
//    move_node -> the moved node and the new parent (both must be
//    editable); every other kind -> op.node.
//
// Checks read the replica's current state; call them before Apply.
// Thread-safety: none beyond the Replica's (call on the room's strand).
#ifndef SAMPLAN_SERVER_PERMISSIONS_H_
#define SAMPLAN_SERVER_PERMISSIONS_H_

#include <string>
#include <vector>

#include "crdt/op.h"
#include "crdt/replica.h"
#include "crdt/status.h"
#include "server/auth.h"

namespace samplan {

// The effective owner municipalities of `node` (empty: joint).
// An unknown node is joint.
std::vector<std::string> EffectiveOwner(const Replica& replica, OpId node);

// OK when a user of `municipality` with `role` may apply `op` to
// `replica` as it is now; InvalidArgument naming the reason otherwise.
// An op naming an unknown node passes here and is rejected by Apply.
Status CheckOpPermission(const Replica& replica, const Op& op, Role role,
                         const std::string& municipality);

}  // namespace samplan

#endif  // SAMPLAN_SERVER_PERMISSIONS_H_
