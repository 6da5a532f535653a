#include "server/permissions.h"

#include <algorithm>
#include <optional>

namespace samplan {
namespace {

constexpr char kOwnerField[] = "owner";
constexpr int kMaxDepth = 10000;

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

Status CheckNode(const Replica& r, OpId node, const std::string& municipality,
                 const char* what) {
  if (!r.HasNode(node)) return Status::OK();  // Apply rejects it
  const std::vector<std::string> owners = EffectiveOwner(r, node);
  if (owners.empty() ||
      std::find(owners.begin(), owners.end(), municipality) != owners.end()) {
    return Status::OK();
  }
  std::string list;
  for (const std::string& o : owners) {
    if (!list.empty()) list += ", ";
    list += o;
  }
  return Status::InvalidArgument(std::string(what) + " " + node.ToString() +
                                 " is owned by " + list + ", not " +
                                 (municipality.empty() ? "(none)" : municipality));
}

}  // namespace

std::vector<std::string> EffectiveOwner(const Replica& r, OpId node) {
  OpId cur = node;
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    if (!r.HasNode(cur)) return {};
    if (auto own = OwnField(r, cur)) return std::move(*own);
    if (cur == kRootNode || cur == kTrashNode) return {};
    const OpId parent = r.ParentOf(cur);
    if (parent == kTrashNode || parent.IsNull()) return {};
    cur = parent;
  }
  return {};
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
      SAMPLAN_RETURN_IF_ERROR(CheckNode(r, op.node, municipality, "node"));
      return CheckNode(r, op.parent, municipality, "target parent node");
    default:
      return CheckNode(r, op.node, municipality, "node");
  }
}

}  // namespace samplan
