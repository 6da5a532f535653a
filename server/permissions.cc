#include "server/permissions.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace samplan {
namespace {

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
    if (std::optional<std::vector<std::string>> own = OwnOwnerField(r, node)) {
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

namespace {

bool AtLeast(Role role, Role min) {
  return static_cast<int>(role) >= static_cast<int>(min);
}

Status RoleRefusal(Role role, const std::string& what) {
  return Status::InvalidArgument(std::string("role ") + RoleName(role) +
                                 " may not " + what);
}

// The content edit a suggestion stands for: accepting it makes that edit
// (Replica::AcceptSuggestion), so deciding on it needs the same rights.
Op EquivalentEdit(const Op& suggestion) {
  Op edit;
  edit.id = suggestion.id;
  edit.node = suggestion.node;
  edit.name = suggestion.name;
  switch (suggestion.kind) {
    case OpKind::kSuggestText:
      edit.kind = OpKind::kInsertText;
      break;
    case OpKind::kSuggestField:
      edit.kind = OpKind::kSetField;
      break;
    case OpKind::kSuggestCell:
      edit.kind = OpKind::kSetCell;
      break;
    case OpKind::kSuggestNode:
      edit.kind = OpKind::kCreateNode;
      edit.node = kNullId;
      edit.parent = suggestion.parent;
      break;
    case OpKind::kSuggestMove:
      edit.kind = OpKind::kMoveNode;
      edit.parent = suggestion.parent;
      break;
    default:  // kSuggestDelete
      edit.kind = OpKind::kDeleteNode;
      break;
  }
  return edit;
}

Status CheckContentPermission(const Replica& r, const Op& op, Role role,
                              const std::string& municipality);

Status CheckReviewPermission(const Replica& r, const Op& op, Role role,
                             const std::string& municipality) {
  switch (op.kind) {
    case OpKind::kMarkRead:
      return Status::OK();  // every role reads
    case OpKind::kAddComment:
      return AtLeast(role, Role::kReviewer) ? Status::OK()
                                            : RoleRefusal(role, "comment");
    case OpKind::kEditComment:
    case OpKind::kDeleteComment: {
      if (!AtLeast(role, Role::kReviewer)) {
        return RoleRefusal(role, "edit or delete comments");
      }
      // The core refuses it too; refused here it is `forbidden`.
      const Comment* c = r.review().FindComment(op.target);
      if (c != nullptr && c->author.user != op.author.user) {
        return Status::InvalidArgument("comment " + op.target.ToString() +
                                       " is " + c->author.user +
                                       "'s; only its author may change it");
      }
      return Status::OK();
    }
    case OpKind::kSetThread:
      if (op.name == "resolved") {
        return AtLeast(role, Role::kEditor)
                   ? Status::OK()
                   : RoleRefusal(role, "resolve or reopen threads");
      }
      return AtLeast(role, Role::kReviewer)
                 ? Status::OK()
                 : RoleRefusal(role, "assign threads or set their due date");
    case OpKind::kSuggestText:
    case OpKind::kSuggestField:
    case OpKind::kSuggestCell:
    case OpKind::kSuggestNode:
    case OpKind::kSuggestMove:
    case OpKind::kSuggestDelete:
      return AtLeast(role, Role::kReviewer) ? Status::OK()
                                            : RoleRefusal(role, "suggest");
    case OpKind::kAcceptSuggestion:
    case OpKind::kRejectSuggestion: {
      const bool accept = op.kind == OpKind::kAcceptSuggestion;
      if (!AtLeast(role, Role::kEditor)) {
        return RoleRefusal(role, accept ? "accept suggestions"
                                        : "reject suggestions");
      }
      if (role == Role::kAdmin) return Status::OK();
      const Suggestion* s = r.review().FindSuggestion(op.target);
      if (s == nullptr) return Status::OK();  // Apply rejects it
      Status may = CheckContentPermission(r, EquivalentEdit(s->op), role,
                                          municipality);
      if (!may.ok()) {
        return Status::InvalidArgument(
            std::string(accept ? "accepting" : "rejecting") +
            " suggestion " + op.target.ToString() +
            " needs the right to make its change: " + may.message());
      }
      return Status::OK();
    }
    case OpKind::kApprove:
    case OpKind::kRevokeApproval: {
      const bool approve = op.kind == OpKind::kApprove;
      if (!AtLeast(role, Role::kEditor)) {
        return RoleRefusal(role, approve ? "approve" : "revoke approvals");
      }
      if (role == Role::kAdmin) return Status::OK();
      if (op.name != municipality) {
        return Status::InvalidArgument(
            std::string("an editor ") + (approve ? "approves" : "revokes") +
            " for its own municipality (" +
            (municipality.empty() ? "(none)" : municipality) + ") only, not " +
            op.name);
      }
      if (!r.HasNode(op.node)) return Status::OK();  // Apply rejects it
      Result<std::vector<std::string>> owners = ResolveOwner(r, op.node);
      if (!owners.ok()) {
        return Status::InvalidArgument("node " + op.node.ToString() + ": " +
                                       owners.status().message() +
                                       "; only an admin may approve it");
      }
      if (!MayChange(*owners, municipality)) {
        return Status::InvalidArgument(
            Refusal("node", op.node, *owners, municipality) +
            "; a municipality approves the parts it owns or shares");
      }
      return Status::OK();
    }
    default:
      return Status::InvalidArgument("not a review operation");
  }
}

}  // namespace

Status CheckOpPermission(const Replica& r, const Op& op, Role role,
                         const std::string& municipality) {
  if (IsReviewKind(op.kind)) {
    return CheckReviewPermission(r, op, role, municipality);
  }
  return CheckContentPermission(r, op, role, municipality);
}

namespace {

Status CheckContentPermission(const Replica& r, const Op& op, Role role,
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

}  // namespace

}  // namespace samplan
