#include "crdt/move_tree.h"

#include <cassert>
#include <tuple>
#include <unordered_set>

namespace samplan {

namespace {

// Log order: (lamport, id).
bool Before(const TreeMove& a, const TreeMove& b) {
  return std::tie(a.lamport, a.id) < std::tie(b.lamport, b.id);
}

bool IsBuiltIn(OpId node) { return node == kRootNode || node == kTrashNode; }

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

}  // namespace

MoveTree::MoveTree() {
  nodes_.emplace(kRootNode, Node{"plan", kNullId, kNullId});
  nodes_.emplace(kTrashNode, Node{"trash", kNullId, kNullId});
  children_.emplace(kRootNode, IdList());
  children_.emplace(kTrashNode, IdList());
}

const MoveTree::Node* MoveTree::FindNode(OpId node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? nullptr : &it->second;
}

Status MoveTree::Validate(const TreeMove& op) const {
  if (op.id.IsNull() || op.id.replica == 0) {
    return Status::InvalidArgument("tree move: invalid operation id " +
                                   op.id.ToString());
  }
  if (slot_owner_.count(op.id) != 0) {
    return Status::InvalidArgument("tree move: operation " + op.id.ToString() +
                                   " is already applied");
  }
  const bool creates = op.node == op.id;
  if (creates) {
    if (op.kind.empty()) {
      return Status::InvalidArgument("tree move: creating node " +
                                     op.node.ToString() + " without a kind");
    }
  } else {
    if (!op.kind.empty()) {
      return Status::InvalidArgument("tree move: operation " +
                                     op.id.ToString() +
                                     " moves existing node " +
                                     op.node.ToString() + " but has a kind");
    }
    if (IsBuiltIn(op.node)) {
      return Status::InvalidArgument("tree move: node " + op.node.ToString() +
                                     " (root or trash) cannot be moved");
    }
    if (nodes_.count(op.node) == 0) {
      return Status::NotFound("tree move: unknown node " + op.node.ToString());
    }
  }
  auto list_it = children_.find(op.parent);
  if (op.parent.IsNull() || list_it == children_.end()) {
    return Status::NotFound("tree move: unknown parent " +
                            op.parent.ToString());
  }
  const IdList& list = list_it->second;
  if (!op.slot_left.IsNull() && !list.Contains(op.slot_left)) {
    return Status::NotFound("tree move: left slot " + op.slot_left.ToString() +
                            " is not a slot of parent " +
                            op.parent.ToString());
  }
  if (!op.slot_right.IsNull() && !list.Contains(op.slot_right)) {
    return Status::NotFound("tree move: right slot " +
                            op.slot_right.ToString() +
                            " is not a slot of parent " +
                            op.parent.ToString());
  }
  if (!op.slot_left.IsNull() && !op.slot_right.IsNull() &&
      list.IndexOf(op.slot_left) >= list.IndexOf(op.slot_right)) {
    return Status::InvalidArgument(
        "tree move: left slot " + op.slot_left.ToString() +
        " is not before right slot " + op.slot_right.ToString());
  }
  return Status::OK();
}

Status MoveTree::Apply(const TreeMove& op) {
  SAMPLAN_RETURN_IF_ERROR(Validate(op));
  // The slot is a sequence element: inserted once, never undone.
  SAMPLAN_RETURN_IF_ERROR(
      children_.at(op.parent).Insert(op.id, op.slot_left, op.slot_right));
  slot_owner_.emplace(op.id, op.node);
  if (op.node == op.id) {
    nodes_.emplace(op.node, Node{op.kind, kNullId, kNullId});
    children_.emplace(op.node, IdList());
  }

  // Undo every logged op that sorts after `op`, apply it, redo them.
  size_t pos = log_.size();
  while (pos > 0 && Before(op, log_[pos - 1])) --pos;
  for (size_t i = log_.size(); i > pos; --i) UndoLogEntry(i - 1);
  log_.insert(log_.begin() + static_cast<ptrdiff_t>(pos), op);
  undo_.insert(undo_.begin() + static_cast<ptrdiff_t>(pos), LogEntry{});
  for (size_t i = pos; i < log_.size(); ++i) DoLogEntry(i);
  return Status::OK();
}

void MoveTree::DoLogEntry(size_t i) {
  const TreeMove& op = log_[i];
  Node& node = nodes_.find(op.node)->second;
  undo_[i] = LogEntry{node.parent, node.slot};
  // The paper's rule: a move under the node itself or one of its
  // descendants is skipped.
  if (IsAncestor(op.node, op.parent)) return;
  node.parent = op.parent;
  node.slot = op.id;
}

void MoveTree::UndoLogEntry(size_t i) {
  Node& node = nodes_.find(log_[i].node)->second;
  node.parent = undo_[i].old_parent;
  node.slot = undo_[i].old_slot;
}

bool MoveTree::Exists(OpId node) const { return nodes_.count(node) != 0; }

OpId MoveTree::ParentOf(OpId node) const {
  const Node* n = FindNode(node);
  assert(n != nullptr);
  return n == nullptr ? kNullId : n->parent;
}

const std::string& MoveTree::KindOf(OpId node) const {
  const Node* n = FindNode(node);
  assert(n != nullptr);
  return n == nullptr ? EmptyString() : n->kind;
}

bool MoveTree::SlotIsEffective(OpId slot) const {
  auto owner = slot_owner_.find(slot);
  if (owner == slot_owner_.end()) return false;
  const Node* n = FindNode(owner->second);
  return n != nullptr && n->slot == slot;
}

std::vector<OpId> MoveTree::Children(OpId node) const {
  std::vector<OpId> out;
  auto list = children_.find(node);
  if (list == children_.end()) return out;
  for (const IdList::Element& e : list->second.elements()) {
    auto owner = slot_owner_.find(e.id);
    if (owner == slot_owner_.end()) continue;
    const Node* n = FindNode(owner->second);
    if (n != nullptr && n->slot == e.id) out.push_back(owner->second);
  }
  return out;
}

size_t MoveTree::IndexInParent(OpId node) const {
  const Node* n = FindNode(node);
  assert(n != nullptr && !n->parent.IsNull());
  if (n == nullptr || n->parent.IsNull()) return 0;
  auto list = children_.find(n->parent);
  if (list == children_.end()) return 0;
  size_t index = 0;
  for (const IdList::Element& e : list->second.elements()) {
    if (e.id == n->slot) break;
    if (SlotIsEffective(e.id)) ++index;
  }
  return index;
}

bool MoveTree::IsDeleted(OpId node) const {
  // Bounded walk: the tree is acyclic, but never loop on a corrupt state.
  size_t steps = nodes_.size();
  for (OpId cur = node; !cur.IsNull() && steps > 0; --steps) {
    if (cur == kTrashNode) return true;
    const Node* n = FindNode(cur);
    if (n == nullptr) return false;
    cur = n->parent;
  }
  return false;
}

bool MoveTree::IsAncestor(OpId ancestor, OpId node) const {
  size_t steps = nodes_.size();
  for (OpId cur = node; !cur.IsNull() && steps > 0; --steps) {
    if (cur == ancestor) return true;
    const Node* n = FindNode(cur);
    if (n == nullptr) return false;
    cur = n->parent;
  }
  return false;
}

size_t MoveTree::node_count() const { return nodes_.size(); }

Status MoveTree::SlotOriginsAt(OpId parent, size_t index, OpId moving,
                               OpId* left, OpId* right) const {
  auto list = children_.find(parent);
  if (parent.IsNull() || list == children_.end()) {
    return Status::NotFound("tree: unknown parent " + parent.ToString());
  }
  Status st = list->second.OriginsAt(
      index,
      [this, moving](const IdList::Element& e) {
        auto owner = slot_owner_.find(e.id);
        if (owner == slot_owner_.end() || owner->second == moving) {
          return false;
        }
        const Node* n = FindNode(owner->second);
        return n != nullptr && n->slot == e.id;
      },
      left, right);
  if (!st.ok()) {
    return Status::OutOfRange("tree: child index " + std::to_string(index) +
                              " is past the end of node " +
                              parent.ToString());
  }
  return Status::OK();
}

Status MoveTree::CheckInvariants() const {
  // Built-in nodes.
  for (OpId b : {kRootNode, kTrashNode}) {
    const Node* n = FindNode(b);
    if (n == nullptr) {
      return Status::Corruption("tree: built-in node " + b.ToString() +
                                " is missing");
    }
    if (!n->parent.IsNull()) {
      return Status::Corruption("tree: built-in node " + b.ToString() +
                                " has a parent");
    }
  }
  // Log order and bookkeeping.
  if (log_.size() != undo_.size()) {
    return Status::Corruption("tree: log and undo records differ in length");
  }
  for (size_t i = 0; i < log_.size(); ++i) {
    if (i > 0 && !Before(log_[i - 1], log_[i])) {
      return Status::Corruption("tree: log is not sorted at operation " +
                                log_[i].id.ToString());
    }
    auto owner = slot_owner_.find(log_[i].id);
    if (owner == slot_owner_.end() || owner->second != log_[i].node) {
      return Status::Corruption("tree: slot of operation " +
                                log_[i].id.ToString() + " has a wrong owner");
    }
    auto list = children_.find(log_[i].parent);
    if (list == children_.end() || !list->second.Contains(log_[i].id)) {
      return Status::Corruption("tree: slot of operation " +
                                log_[i].id.ToString() +
                                " is not in its parent's list");
    }
  }
  if (slot_owner_.size() != log_.size()) {
    return Status::Corruption("tree: slot count differs from log length");
  }
  // Every node: parent exists, effective slot in the parent's list, and the
  // upward walk reaches the root or the trash without a cycle.
  for (const auto& [id, node] : nodes_) {
    if (IsBuiltIn(id)) continue;
    if (node.parent.IsNull() || FindNode(node.parent) == nullptr) {
      return Status::Corruption("tree: node " + id.ToString() +
                                " has no existing parent");
    }
    auto owner = slot_owner_.find(node.slot);
    if (owner == slot_owner_.end() || owner->second != id) {
      return Status::Corruption("tree: node " + id.ToString() +
                                " has an effective slot it does not own");
    }
    auto list = children_.find(node.parent);
    if (list == children_.end() || !list->second.Contains(node.slot)) {
      return Status::Corruption("tree: effective slot of node " +
                                id.ToString() +
                                " is not in its parent's list");
    }
    OpId cur = id;
    size_t steps = 0;
    while (!IsBuiltIn(cur)) {
      if (++steps > nodes_.size()) {
        return Status::Corruption("tree: cycle through node " + id.ToString());
      }
      const Node* n = FindNode(cur);
      if (n == nullptr || n->parent.IsNull()) {
        return Status::Corruption("tree: node " + id.ToString() +
                                  " reaches neither root nor trash");
      }
      cur = n->parent;
    }
  }
  // Parent/child links agree: each effective slot lies in the list of its
  // owner's parent, and the children lists name every node exactly once.
  size_t listed = 0;
  std::unordered_set<OpId, OpIdHash> seen;
  for (const auto& [parent, list] : children_) {
    if (FindNode(parent) == nullptr) {
      return Status::Corruption("tree: slot list of unknown node " +
                                parent.ToString());
    }
    for (const IdList::Element& e : list.elements()) {
      auto owner = slot_owner_.find(e.id);
      if (owner == slot_owner_.end()) {
        return Status::Corruption("tree: slot " + e.id.ToString() +
                                  " has no owner");
      }
      const Node* n = FindNode(owner->second);
      if (n == nullptr) {
        return Status::Corruption("tree: slot " + e.id.ToString() +
                                  " is owned by an unknown node");
      }
      if (n->slot != e.id) continue;
      if (n->parent != parent) {
        return Status::Corruption("tree: node " + owner->second.ToString() +
                                  " is listed under " + parent.ToString() +
                                  " but its parent is " +
                                  n->parent.ToString());
      }
      if (!seen.insert(owner->second).second) {
        return Status::Corruption("tree: node " + owner->second.ToString() +
                                  " is listed twice");
      }
      ++listed;
    }
  }
  if (listed + 2 != nodes_.size()) {
    return Status::Corruption("tree: " + std::to_string(listed) +
                              " listed children for " +
                              std::to_string(nodes_.size() - 2) + " nodes");
  }
  return Status::OK();
}

}  // namespace samplan
