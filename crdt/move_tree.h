// MoveTree: the plan's tree of typed nodes with create, move and delete.
//
// Follows Kleppmann, Mulligan, Gomes, Beresford, "A highly-available move
// operation for replicated trees", IEEE TPDS 2021: every create/move carries
// a Lamport timestamp (lamport, replica); operations are applied in
// timestamp order, and one that arrives late undoes the later ones, applies
// itself and redoes them. A move that would make a node its own ancestor is
// skipped (recorded, no effect), so concurrent moves never create a cycle,
// and since each node has exactly one parent no node is ever duplicated.
// Deleting a node is a move under the built-in trash node (kTrashNode);
// a node under the trash is "deleted" but keeps its subtree and can be
// restored by a later move.
//
// Sibling order: every create/move op also inserts a new *slot* (id = the
// op's id) into the target parent's IdList, between the slot origins the op
// carries. A node is shown at the slot of its currently effective move; its
// older slots stay in the list as invisible placeholders so that origins
// held by other operations keep resolving. Concurrent inserts among
// siblings therefore keep both users' intended order (sequence_order.h).
//
// The root (kRootNode, kind "plan") and trash (kTrashNode) always exist.
// The node kind is free text chosen by the schema (data, not code).
//
// Thread-safety: none; a MoveTree belongs to one Replica.
#ifndef SAMPLAN_CRDT_MOVE_TREE_H_
#define SAMPLAN_CRDT_MOVE_TREE_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "crdt/id_list.h"
#include "crdt/ids.h"
#include "crdt/status.h"

namespace samplan {

struct TreeMove {
  uint64_t lamport = 0;
  OpId id;      // the operation id; also the new slot's id
  OpId node;    // == id when the op creates the node
  OpId parent;  // kTrashNode for a delete
  OpId slot_left;   // slot origins within parent's children (kNullId: none)
  OpId slot_right;
  std::string kind;  // non-empty exactly when creating
  friend bool operator==(const TreeMove&, const TreeMove&) = default;
};

class MoveTree {
 public:
  MoveTree();

  // Checks `op` against the current state without changing anything:
  // parent exists (created), node exists unless this creates it, kind
  // present exactly on creation, root/trash never moved, slot origins are
  // slots of `parent`, id not yet applied. A move that would create a cycle
  // is *valid* (it is a no-op by the paper's rule).
  Status Validate(const TreeMove& op) const;
  // Validates, then applies in timestamp order (undo/redo as needed).
  Status Apply(const TreeMove& op);

  bool Exists(OpId node) const;
  // REQUIRES: Exists(node)
  OpId ParentOf(OpId node) const;      // kNullId for root and trash
  const std::string& KindOf(OpId node) const;
  std::vector<OpId> Children(OpId node) const;  // in sibling order
  // Position among visible siblings. REQUIRES: Exists(node), not root/trash.
  size_t IndexInParent(OpId node) const;
  bool IsDeleted(OpId node) const;  // true when under the trash
  // True when `ancestor` is `node` or above it.
  bool IsAncestor(OpId ancestor, OpId node) const;
  size_t node_count() const;  // including root and trash

  // Slot origins for placing a node as child number `index` of `parent`
  // (counting visible children, excluding `moving` itself when it is
  // already a child there). OutOfRange past the end; NotFound for an
  // unknown parent.
  Status SlotOriginsAt(OpId parent, size_t index, OpId moving, OpId* left,
                       OpId* right) const;

  // The move that placed `node` where it is now (its effective slot's
  // op id); kNullId for root, trash and unknown nodes. Read-only, O(1).
  OpId EffectiveMove(OpId node) const;
  // Where the node of the logged move (`lamport`, `id`) was just before
  // that move took effect (in timestamp order, after any undo/redo):
  // *parent = its parent then and *previous = the move that had put it
  // there; both kNullId when the move created the node. NotFound when no
  // such move is logged. Deterministic (a function of the log only),
  // read-only, O(log n) in the log length. Used to find where a deleted
  // node was deleted from (Replica::ParentBeforeDelete).
  Status StateBefore(uint64_t lamport, OpId id, OpId* parent,
                     OpId* previous) const;

  // All applied moves in timestamp order: enough to rebuild the tree, so a
  // snapshot stores exactly this list.
  const std::vector<TreeMove>& log() const { return log_; }

  // Parent/child links agree, no cycles, every node reaches root or trash,
  // every node's effective slot is in its parent's list. Corruption naming
  // the first violation otherwise.
  Status CheckInvariants() const;

 private:
  static constexpr uint32_t kNoNode = UINT32_MAX;
  struct Node {
    OpId id;
    std::string kind;
    // Index of the current parent; kNoNode for root and trash (and while a
    // create is undone during Apply).
    uint32_t parent = kNoNode;
    OpId slot;     // slot id of the effective move (kNullId: none)
    IdList slots;  // this node's child slots
    std::vector<uint32_t> slot_owners;  // parallel to slots: owner index
    // Visible children in sibling order, rebuilt on demand.
    mutable std::vector<uint32_t> children;
    mutable bool children_valid = false;
  };
  // A log entry's resolved indices and what applying it replaced, so that
  // it can be undone.
  struct LogEntry {
    uint32_t node = kNoNode;
    uint32_t parent = kNoNode;
    uint32_t old_parent = kNoNode;
    OpId old_slot;
  };

  // Applies log_[i] to the current state (skipping it when it would make a
  // cycle) and records the state it replaced in undo_[i].
  void DoLogEntry(size_t i);
  // Restores the state recorded in undo_[i].
  void UndoLogEntry(size_t i);
  void SetParent(uint32_t node, uint32_t parent, OpId slot);
  uint32_t IndexOfNode(OpId id) const;  // kNoNode when unknown
  bool IsAncestorIndex(uint32_t ancestor, uint32_t node) const;
  const std::vector<uint32_t>& VisibleChildren(uint32_t parent) const;

  std::vector<Node> nodes_;  // [0] = root, [1] = trash
  std::unordered_map<OpId, uint32_t, OpIdHash> node_index_;
  std::unordered_map<OpId, uint32_t, OpIdHash> slot_owner_;  // slot -> node
  std::vector<TreeMove> log_;   // sorted by (lamport, id)
  std::vector<LogEntry> undo_;  // parallel to log_
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_MOVE_TREE_H_
