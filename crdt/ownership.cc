#include "crdt/ownership.h"

#include <utility>

namespace samplan {

std::optional<std::vector<std::string>> OwnOwnerField(const Replica& r,
                                                      OpId node) {
  Result<FieldRead> f = r.Field(node, kOwnerField);
  if (!f.ok() || f->value.type != ValueType::kStringList ||
      f->value.list.empty()) {
    return std::nullopt;
  }
  return std::move(f->value.list);
}

namespace {

// One step of the owner walk from `cur`: either the answer (the node's own
// owner list, or joint at the root, the trash, an unknown node or a node
// created in the trash) or the next node whose owner `cur` takes.
struct Step {
  bool done = false;
  std::vector<std::string> owners;  // when done
  OpId next;                        // when not done
};

Step WalkStep(const Replica& r, OpId cur) {
  Step s;
  if (!r.HasNode(cur)) {
    s.done = true;
    return s;
  }
  if (std::optional<std::vector<std::string>> own = OwnOwnerField(r, cur)) {
    s.done = true;
    s.owners = std::move(*own);
    return s;
  }
  if (cur == kRootNode || cur == kTrashNode) {
    s.done = true;
    return s;
  }
  const OpId parent = r.ParentOf(cur);
  if (parent.IsNull()) {
    s.done = true;
    return s;
  }
  // Directly under the trash: the trash is not an owner; the place the
  // node was deleted from is. A node created in the trash was never
  // anywhere else and is joint.
  s.next = parent != kTrashNode ? parent : r.ParentBeforeDelete(cur);
  s.done = s.next.IsNull();
  return s;
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
    Step s = WalkStep(r, cur);
    if (s.done) return std::move(s.owners);
    cur = s.next;
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

const std::vector<std::string>& OwnerCache::Of(OpId node) {
  if (auto it = memo_.find(node); it != memo_.end()) return *it->second;
  // Every node on the walk takes the same answer (the walk from each is
  // the rest of this one). A loop (more steps than nodes) reads as joint,
  // as EffectiveOwner has it.
  std::vector<OpId> path;
  const size_t max_steps = replica_.tree().node_count() + 1;
  const std::vector<std::string>* answer = nullptr;
  OpId cur = node;
  for (size_t step = 0; step < max_steps && answer == nullptr; ++step) {
    if (auto it = memo_.find(cur); it != memo_.end()) {
      answer = it->second;
      break;
    }
    path.push_back(cur);
    Step s = WalkStep(replica_, cur);
    if (s.done) {
      lists_.push_back(std::move(s.owners));
      answer = &lists_.back();
    } else {
      cur = s.next;
    }
  }
  if (answer == nullptr) {
    lists_.emplace_back();
    answer = &lists_.back();
  }
  for (OpId n : path) memo_[n] = answer;
  return *answer;
}

}  // namespace samplan
