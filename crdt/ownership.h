// Ownership: which municipalities own a node of a plan (docs/protocol.md,
// "Permissions"). The server decides permissions with it
// (server/permissions.h); review views (protocol/review_json.h, also in the
// browser) show it.
//
// The effective owner of a node is the winning value of its own "owner"
// field when that is a non-empty string list, else the effective owner of
// its parent; the root with no owner set is joint (empty). A node directly
// under the trash takes, in place of the trash, the parent it was deleted
// from (Replica::ParentBeforeDelete) as that parent is now, so deleting
// never turns another municipality's part into a joint one. A node whose
// owner cannot be resolved that way (its deletion history loops through
// deleted nodes none of which has an owner) fails closed.
//
// Cost: ResolveOwner is O(depth) field reads; OwnerCache answers many
// nodes in O(total distinct nodes walked).
// Thread-safety: reads the replica only; call where the replica is owned.
#ifndef SAMPLAN_CRDT_OWNERSHIP_H_
#define SAMPLAN_CRDT_OWNERSHIP_H_

#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crdt/ids.h"
#include "crdt/replica.h"
#include "crdt/status.h"

namespace samplan {

// The name of the field that sets a node's owner.
inline constexpr char kOwnerField[] = "owner";

// The node's own non-empty "owner" list, or nullopt.
std::optional<std::vector<std::string>> OwnOwnerField(const Replica& replica,
                                                      OpId node);

// The effective owner municipalities of `node` (empty: joint), or
// FailedPrecondition when it cannot be resolved (see above). An unknown
// node is joint.
Result<std::vector<std::string>> ResolveOwner(const Replica& replica,
                                              OpId node);

// ResolveOwner for display: an unresolvable owner reads as empty. Never use
// it to decide a permission.
std::vector<std::string> EffectiveOwner(const Replica& replica, OpId node);

// EffectiveOwner for many nodes of one unchanged replica: every node met on
// a walk is remembered, so owners of n nodes sharing ancestors cost O(n)
// walks in total, not O(n x depth). Not for permissions (display rule).
// REQUIRES: the replica does not change while the cache is used.
class OwnerCache {
 public:
  explicit OwnerCache(const Replica& replica) : replica_(replica) {}
  const std::vector<std::string>& Of(OpId node);

 private:
  const Replica& replica_;
  std::deque<std::vector<std::string>> lists_;  // stable addresses
  std::unordered_map<OpId, const std::vector<std::string>*, OpIdHash> memo_;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_OWNERSHIP_H_
