#include "server/permissions.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace samplan {
namespace {

constexpr char kOwnerField[] = "owner";

// The node's own non-empty "owner" list, or nullopt.
std::optional<std::vector<std::string>> OwnField(const Replica& r,
                                                 OpId node) {
  Result<FieldRead> f = r.Field(node, kOwnerField);
  if (!f.ok() || f->value.type != ValueType::kStringList ||
      f->value.list.empty()) {
    return std::nullopt;
  }
  return std::move(f->value.list);
}

bool MayChange(const std::vector<std::string>& owners,
               const std::string& municipality) {
  return owners.empty() || std::find(owners.begin(), owners.end(),
                                     municipality) != owners.end();
}

std::string Refusal(const std::string& what, OpId node,
                    const std::vector<std::string>& owners,
                    const std::string& municipality) {
  std::string list;
  for (const std::string& o : owners) {
    if (!list.empty()) list += ", ";
    list += o;
  }
  return what + " " + node.ToString() + " is owned by " + list + ", not " +
         (municipality.empty() ? "(none)" : municipality);
}

// Resolves `node`'s owner and refuses when `municipality` is not in it.
// `*owners` receives the owner list when it resolved.
Status CheckNode(const Replica& r, OpId node, const std::string& municipality,
                 const std::string& what,
                 std::vector<std::string>* owners = nullptr) {
  if (!r.HasNode(node)) return Status::OK();  // Apply rejects it
  Result<std::vector<std::string>> resolved = ResolveOwner(r, node);
  if (!resolved.ok()) {
    return Status::InvalidArgument(what + " " + node.ToString() + ": " +
                                   resolved.status().message() +
                                   "; only an admin may change it");
  }
  if (!MayChange(*resolved, municipality)) {
    return Status::InvalidArgument(
        Refusal(what, node, *resolved, municipality));
  }
  if (owners != nullptr) *owners = std::move(*resolved);
  return Status::OK();
}

// Every node strictly below `top` (whose owner is `top_owners`) must be
// changeable by `municipality`: moving or deleting `top` carries them along
// and may change what they inherit. One pre-order DFS that carries each
// node's effective owner down, so the cost is O(subtree size), not
// O(size x depth), and the node named is the first refused in plan order.
// An owner list is stored once per node that sets its own.
Status CheckSubtree(const Replica& r, OpId top,
                    std::vector<std::string> top_owners,
                    const std::string& municipality) {
  std::vector<std::vector<std::string>> lists;
  lists.push_back(std::move(top_owners));
  std::vector<std::pair<OpId, size_t>> stack;  // (node, index in lists)
  // Bounded even on a corrupt (cyclic) state: in a tree no node is visited
  // twice.
  size_t budget = r.tree().node_count();
  auto push_children = [&](OpId node, size_t owners) {
    const std::vector<OpId> children = r.Children(node);
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      stack.emplace_back(*it, owners);
    }
  };
  push_children(top, 0);
  while (!stack.empty()) {
    if (budget-- == 0) {
      return Status::InvalidArgument("node " + top.ToString() +
                                     ": its subtree could not be walked");
    }
    auto [node, owners] = stack.back();
    stack.pop_back();
    if (std::optional<std::vector<std::string>> own = OwnField(r, node)) {
      lists.push_back(std::move(*own));
      owners = lists.size() - 1;
    }
    if (!MayChange(lists[owners], municipality)) {
      return Status::InvalidArgument(
          Refusal("node", node, lists[owners], municipality) +
          " (it is inside node " + top.ToString() +
          ", which would carry it along)");
    }
    push_children(node, owners);
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<std::string>> ResolveOwner(const Replica& r, OpId node) {
  // The walk is a function of the current node, so visiting a node twice
  // means it loops forever: more steps than nodes proves a loop. That can
  // only go through the "deleted from" links of deleted nodes (the tree
  // itself is acyclic), e.g. A deleted from B, then B moved under A and
  // deleted from there.
  const size_t max_steps = r.tree().node_count() + 1;
  OpId cur = node;
  for (size_t step = 0; step < max_steps; ++step) {
    if (!r.HasNode(cur)) return std::vector<std::string>{};
    if (std::optional<std::vector<std::string>> own = OwnField(r, cur)) {
      return std::move(*own);
    }
    if (cur == kRootNode || cur == kTrashNode) {
      return std::vector<std::string>{};
    }
    const OpId parent = r.ParentOf(cur);
    if (parent.IsNull()) return std::vector<std::string>{};
    if (parent != kTrashNode) {
      cur = parent;
      continue;
    }
    // Directly under the trash: the trash is not an owner; the place the
    // node was deleted from is. A node created in the trash was never
    // anywhere else and is joint.
    cur = r.ParentBeforeDelete(cur);
    if (cur.IsNull()) return std::vector<std::string>{};
  }
  return Status::FailedPrecondition(
      "the owner of node " + node.ToString() +
      " cannot be resolved (it was deleted from inside its own deleted "
      "subtree)");
}

std::vector<std::string> EffectiveOwner(const Replica& r, OpId node) {
  Result<std::vector<std::string>> owners = ResolveOwner(r, node);
  return owners.ok() ? std::move(*owners) : std::vector<std::string>{};
}

Status CheckOpPermission(const Replica& r, const Op& op, Role role,
                         const std::string& municipality) {
  if (!CanEditContent(role)) {
    return Status::InvalidArgument(std::string("role ") + RoleName(role) +
                                   " may not change plan content");
  }
  if (role == Role::kAdmin) return Status::OK();
  if (op.kind == OpKind::kSetField && op.name == kOwnerField) {
    return Status::InvalidArgument("only admins may set the owner field");
  }
  switch (op.kind) {
    case OpKind::kCreateNode:
      return CheckNode(r, op.parent, municipality, "parent node");
    case OpKind::kMoveNode:
    case OpKind::kDeleteNode: {
      // A delete is a move under the trash and gets exactly the same
      // checks; otherwise delete + restore would get around the old-parent
      // rule.
      if (!r.HasNode(op.node)) return Status::OK();  // Apply rejects it
      std::vector<std::string> owners;
      SAMPLAN_RETURN_IF_ERROR(
          CheckNode(r, op.node, municipality, "node", &owners));
      // Taking a node out of a parent changes the parent. Out of the trash
      // (a restore) is not: the node's owner already counts where it was
      // deleted from.
      const OpId old_parent = r.ParentOf(op.node);
      if (!old_parent.IsNull() && old_parent != kTrashNode) {
        SAMPLAN_RETURN_IF_ERROR(
            CheckNode(r, old_parent, municipality, "old parent node"));
      }
      const OpId new_parent =
          op.kind == OpKind::kDeleteNode ? kTrashNode : op.parent;
      SAMPLAN_RETURN_IF_ERROR(
          CheckNode(r, new_parent, municipality, "target parent node"));
      return CheckSubtree(r, op.node, std::move(owners), municipality);
    }
    default:
      return CheckNode(r, op.node, municipality, "node");
  }
}

}  // namespace samplan
