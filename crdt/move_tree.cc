#include "crdt/move_tree.h"

#include <algorithm>
#include <cassert>
#include <tuple>

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
  nodes_.resize(2);
  nodes_[0].id = kRootNode;
  nodes_[0].kind = "plan";
  nodes_[1].id = kTrashNode;
  nodes_[1].kind = "trash";
  node_index_.emplace(kRootNode, 0);
  node_index_.emplace(kTrashNode, 1);
}

uint32_t MoveTree::IndexOfNode(OpId id) const {
  auto it = node_index_.find(id);
  return it == node_index_.end() ? kNoNode : it->second;
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
      return Status::InvalidArgument(
          "tree move: operation " + op.id.ToString() + " moves existing node " +
          op.node.ToString() + " but has a kind");
    }
    if (IsBuiltIn(op.node)) {
      return Status::InvalidArgument("tree move: node " + op.node.ToString() +
                                     " (root or trash) cannot be moved");
    }
    if (IndexOfNode(op.node) == kNoNode) {
      return Status::NotFound("tree move: unknown node " + op.node.ToString());
    }
  }
  const uint32_t parent = IndexOfNode(op.parent);
  if (parent == kNoNode) {
    return Status::NotFound("tree move: unknown parent " +
                            op.parent.ToString());
  }
  const IdList& list = nodes_[parent].slots;
  if (!op.slot_left.IsNull() && !list.Contains(op.slot_left)) {
    return Status::NotFound("tree move: left slot " + op.slot_left.ToString() +
                            " is not a slot of parent " + op.parent.ToString());
  }
  if (!op.slot_right.IsNull() && !list.Contains(op.slot_right)) {
    return Status::NotFound("tree move: right slot " +
                            op.slot_right.ToString() +
                            " is not a slot of parent " + op.parent.ToString());
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
  const bool creates = op.node == op.id;
  const uint32_t parent = IndexOfNode(op.parent);
  const uint32_t node =
      creates ? static_cast<uint32_t>(nodes_.size()) : IndexOfNode(op.node);

  // The slot is a sequence element: inserted once, never undone.
  {
    Node& p = nodes_[parent];
    SAMPLAN_RETURN_IF_ERROR(p.slots.Insert(op.id, op.slot_left, op.slot_right));
    p.slot_owners.insert(
        p.slot_owners.begin() + static_cast<ptrdiff_t>(p.slots.IndexOf(op.id)),
        node);
  }
  slot_owner_.emplace(op.id, node);
  if (creates) {
    nodes_.emplace_back();
    nodes_.back().id = op.node;
    nodes_.back().kind = op.kind;
    node_index_.emplace(op.node, node);
  }

  // Undo every logged op that sorts after `op`, apply it, redo them.
  size_t pos = log_.size();
  while (pos > 0 && Before(op, log_[pos - 1])) --pos;
  for (size_t i = log_.size(); i > pos; --i) UndoLogEntry(i - 1);
  log_.insert(log_.begin() + static_cast<ptrdiff_t>(pos), op);
  LogEntry entry;
  entry.node = node;
  entry.parent = parent;
  undo_.insert(undo_.begin() + static_cast<ptrdiff_t>(pos), entry);
  for (size_t i = pos; i < log_.size(); ++i) DoLogEntry(i);
  return Status::OK();
}

void MoveTree::SetParent(uint32_t node, uint32_t parent, OpId slot) {
  Node& n = nodes_[node];
  if (n.parent != kNoNode) nodes_[n.parent].children_valid = false;
  if (parent != kNoNode) nodes_[parent].children_valid = false;
  n.parent = parent;
  n.slot = slot;
}

void MoveTree::DoLogEntry(size_t i) {
  LogEntry& entry = undo_[i];
  const Node& n = nodes_[entry.node];
  entry.old_parent = n.parent;
  entry.old_slot = n.slot;
  // The paper's rule: a move under the node itself or one of its
  // descendants is skipped.
  if (IsAncestorIndex(entry.node, entry.parent)) return;
  SetParent(entry.node, entry.parent, log_[i].id);
}

void MoveTree::UndoLogEntry(size_t i) {
  const LogEntry& entry = undo_[i];
  const Node& n = nodes_[entry.node];
  if (n.parent == entry.old_parent && n.slot == entry.old_slot) return;
  SetParent(entry.node, entry.old_parent, entry.old_slot);
}

bool MoveTree::Exists(OpId node) const { return IndexOfNode(node) != kNoNode; }

OpId MoveTree::ParentOf(OpId node) const {
  const uint32_t n = IndexOfNode(node);
  assert(n != kNoNode);
  if (n == kNoNode || nodes_[n].parent == kNoNode) return kNullId;
  return nodes_[nodes_[n].parent].id;
}

const std::string& MoveTree::KindOf(OpId node) const {
  const uint32_t n = IndexOfNode(node);
  assert(n != kNoNode);
  return n == kNoNode ? EmptyString() : nodes_[n].kind;
}

const std::vector<uint32_t>& MoveTree::VisibleChildren(uint32_t parent) const {
  const Node& p = nodes_[parent];
  if (!p.children_valid) {
    p.children.clear();
    const std::vector<IdList::Element>& slots = p.slots.elements();
    for (size_t i = 0; i < slots.size(); ++i) {
      const uint32_t owner = p.slot_owners[i];
      if (nodes_[owner].slot == slots[i].id) p.children.push_back(owner);
    }
    p.children_valid = true;
  }
  return p.children;
}

std::vector<OpId> MoveTree::Children(OpId node) const {
  std::vector<OpId> out;
  const uint32_t n = IndexOfNode(node);
  if (n == kNoNode) return out;
  const std::vector<uint32_t>& children = VisibleChildren(n);
  out.reserve(children.size());
  for (uint32_t child : children) out.push_back(nodes_[child].id);
  return out;
}

size_t MoveTree::IndexInParent(OpId node) const {
  const uint32_t n = IndexOfNode(node);
  assert(n != kNoNode && nodes_[n].parent != kNoNode);
  if (n == kNoNode || nodes_[n].parent == kNoNode) return 0;
  const std::vector<uint32_t>& siblings = VisibleChildren(nodes_[n].parent);
  size_t index = 0;
  while (index < siblings.size() && siblings[index] != n) ++index;
  return index;
}

bool MoveTree::IsDeleted(OpId node) const {
  const uint32_t n = IndexOfNode(node);
  return n != kNoNode && IsAncestorIndex(1, n);
}

bool MoveTree::IsAncestorIndex(uint32_t ancestor, uint32_t node) const {
  // Bounded walk: the tree is acyclic, but never loop on a corrupt state.
  size_t steps = nodes_.size();
  for (uint32_t cur = node; cur != kNoNode && steps > 0; --steps) {
    if (cur == ancestor) return true;
    cur = nodes_[cur].parent;
  }
  return false;
}

bool MoveTree::IsAncestor(OpId ancestor, OpId node) const {
  if (ancestor == node) return true;
  const uint32_t a = IndexOfNode(ancestor);
  const uint32_t n = IndexOfNode(node);
  return a != kNoNode && n != kNoNode && IsAncestorIndex(a, n);
}

size_t MoveTree::node_count() const { return nodes_.size(); }

OpId MoveTree::EffectiveMove(OpId node) const {
  const uint32_t n = IndexOfNode(node);
  return n == kNoNode ? kNullId : nodes_[n].slot;
}

Status MoveTree::StateBefore(uint64_t lamport, OpId id, OpId* parent,
                             OpId* previous) const {
  TreeMove key;
  key.lamport = lamport;
  key.id = id;
  auto it = std::lower_bound(log_.begin(), log_.end(), key, Before);
  if (it == log_.end() || it->lamport != lamport || it->id != id) {
    return Status::NotFound("tree: no logged move " + id.ToString() +
                            " at Lamport " + std::to_string(lamport));
  }
  // undo_[i] holds the node's parent and slot as DoLogEntry found them,
  // i.e. the state left by log_[0..i): exactly "just before this move".
  const LogEntry& entry = undo_[static_cast<size_t>(it - log_.begin())];
  *parent = entry.old_parent == kNoNode ? kNullId : nodes_[entry.old_parent].id;
  *previous = entry.old_parent == kNoNode ? kNullId : entry.old_slot;
  return Status::OK();
}

Status MoveTree::SlotOriginsAt(OpId parent, size_t index, OpId moving,
                               OpId* left, OpId* right) const {
  const uint32_t p = IndexOfNode(parent);
  if (p == kNoNode) {
    return Status::NotFound("tree: unknown parent " + parent.ToString());
  }
  const uint32_t skip = IndexOfNode(moving);
  const IdList& slots = nodes_[p].slots;
  // Left origin: the effective slot of visible child number index - 1
  // (not counting `moving`); right origin: the slot right after it.
  OpId left_slot = kNullId;
  size_t after_left = 0;
  if (index > 0) {
    size_t seen = 0;
    for (uint32_t child : VisibleChildren(p)) {
      if (child == skip) continue;
      if (++seen == index) {
        left_slot = nodes_[child].slot;
        break;
      }
    }
    if (left_slot.IsNull()) {
      return Status::OutOfRange("tree: child index " + std::to_string(index) +
                                " is past the end of node " +
                                parent.ToString() + " (" +
                                std::to_string(seen) + " children)");
    }
    after_left = slots.IndexOf(left_slot) + 1;
  }
  *left = left_slot;
  *right =
      after_left < slots.size() ? slots.elements()[after_left].id : kNullId;
  return Status::OK();
}

Status MoveTree::CheckInvariants() const {
  // Built-in nodes and the id index.
  if (nodes_.size() < 2 || nodes_[0].id != kRootNode ||
      nodes_[1].id != kTrashNode) {
    return Status::Corruption("tree: root or trash is missing");
  }
  if (node_index_.size() != nodes_.size()) {
    return Status::Corruption(
        "tree: node index has " + std::to_string(node_index_.size()) +
        " entries for " + std::to_string(nodes_.size()) + " nodes");
  }
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    if (IndexOfNode(nodes_[i].id) != i) {
      return Status::Corruption("tree: node " + nodes_[i].id.ToString() +
                                " is not indexed");
    }
  }
  for (uint32_t b : {0u, 1u}) {
    if (nodes_[b].parent != kNoNode || !nodes_[b].slot.IsNull()) {
      return Status::Corruption("tree: built-in node " +
                                nodes_[b].id.ToString() + " has a parent");
    }
  }
  // Log order and bookkeeping.
  if (log_.size() != undo_.size()) {
    return Status::Corruption("tree: log and undo records differ in length");
  }
  if (slot_owner_.size() != log_.size()) {
    return Status::Corruption("tree: slot count differs from log length");
  }
  for (size_t i = 0; i < log_.size(); ++i) {
    const TreeMove& op = log_[i];
    if (i > 0 && !Before(log_[i - 1], op)) {
      return Status::Corruption("tree: log is not sorted at operation " +
                                op.id.ToString());
    }
    const uint32_t node = IndexOfNode(op.node);
    const uint32_t parent = IndexOfNode(op.parent);
    if (node == kNoNode || parent == kNoNode || undo_[i].node != node ||
        undo_[i].parent != parent) {
      return Status::Corruption("tree: operation " + op.id.ToString() +
                                " names an unknown node or parent");
    }
    auto owner = slot_owner_.find(op.id);
    if (owner == slot_owner_.end() || owner->second != node) {
      return Status::Corruption("tree: slot of operation " + op.id.ToString() +
                                " has a wrong owner");
    }
    if (!nodes_[parent].slots.Contains(op.id)) {
      return Status::Corruption("tree: slot of operation " + op.id.ToString() +
                                " is not in its parent's list");
    }
  }
  // Every node: parent exists, effective slot in the parent's list, and the
  // upward walk reaches the root or the trash without a cycle.
  for (uint32_t i = 2; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    const std::string name = n.id.ToString();
    if (n.parent == kNoNode || n.parent >= nodes_.size()) {
      return Status::Corruption("tree: node " + name +
                                " has no existing parent");
    }
    auto owner = slot_owner_.find(n.slot);
    if (owner == slot_owner_.end() || owner->second != i) {
      return Status::Corruption("tree: node " + name +
                                " has an effective slot it does not own");
    }
    if (!nodes_[n.parent].slots.Contains(n.slot)) {
      return Status::Corruption("tree: effective slot of node " + name +
                                " is not in its parent's list");
    }
    uint32_t cur = i;
    size_t steps = 0;
    while (cur > 1) {
      if (++steps > nodes_.size()) {
        return Status::Corruption("tree: cycle through node " + name);
      }
      cur = nodes_[cur].parent;
      if (cur == kNoNode) {
        return Status::Corruption("tree: node " + name +
                                  " reaches neither root nor trash");
      }
    }
  }
  // Parent/child links agree: slot owners match, each effective slot lies
  // in the list of its owner's parent, the children (and their cache) name
  // every node exactly once.
  size_t listed = 0;
  std::vector<bool> seen(nodes_.size(), false);
  for (uint32_t p = 0; p < nodes_.size(); ++p) {
    const Node& parent = nodes_[p];
    const std::vector<IdList::Element>& slots = parent.slots.elements();
    if (parent.slot_owners.size() != slots.size()) {
      return Status::Corruption("tree: slot owners of node " +
                                parent.id.ToString() + " are out of step");
    }
    std::vector<uint32_t> children;
    for (size_t k = 0; k < slots.size(); ++k) {
      auto owner = slot_owner_.find(slots[k].id);
      if (owner == slot_owner_.end() ||
          owner->second != parent.slot_owners[k]) {
        return Status::Corruption("tree: slot " + slots[k].id.ToString() +
                                  " has a wrong owner");
      }
      const uint32_t child = owner->second;
      if (child >= nodes_.size()) {
        return Status::Corruption("tree: slot " + slots[k].id.ToString() +
                                  " is owned by an unknown node");
      }
      if (nodes_[child].slot != slots[k].id) continue;
      if (nodes_[child].parent != p) {
        return Status::Corruption("tree: node " + nodes_[child].id.ToString() +
                                  " is listed under " + parent.id.ToString() +
                                  " but has another parent");
      }
      if (seen[child]) {
        return Status::Corruption("tree: node " + nodes_[child].id.ToString() +
                                  " is listed twice");
      }
      seen[child] = true;
      children.push_back(child);
      ++listed;
    }
    if (parent.children_valid && parent.children != children) {
      return Status::Corruption("tree: cached children of node " +
                                parent.id.ToString() + " are stale");
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
