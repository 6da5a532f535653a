// Replica: one copy of a plan, the entry point of the CRDT core.
//
// A Replica holds the plan tree (move_tree.h), the fields of every node
// (multi-value registers), the text fields (text_sequence.h), the indicator
// tables (table.h), the version vector of what it knows, and the log of the
// operations it has applied. Local edits are validated, applied and
// appended to the log; peers exchange operations with OpsSince(version) and
// Apply(). Replicas that have applied the same set of operations are
// identical (CanonicalDump() is equal), in any delivery order and with
// duplicates.
//
// Delivery: Apply() takes operations from untrusted peers in any order. An
// operation already known is ignored, one partly known is trimmed to its
// new part, one whose dependencies are missing is held back until they
// arrive (pending_count()), and one that is malformed or inconsistent with
// the plan (unknown node, wrong field type, unknown origin, ...) is
// rejected with a Status and changes nothing. Validation depends only on
// the operation's causal past, so every replica accepts or rejects alike.
//
// Positions are Unicode code points; text is UTF-8 at the API. A UTF-16
// client converts with utf8::Utf16ToCodePointOffset.
//
// Thread-safety: none. One thread (or strand) owns a Replica.
#ifndef SAMPLAN_CRDT_REPLICA_H_
#define SAMPLAN_CRDT_REPLICA_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crdt/anchor.h"
#include "crdt/ids.h"
#include "crdt/move_tree.h"
#include "crdt/op.h"
#include "crdt/register.h"
#include "crdt/review.h"
#include "crdt/schema.h"
#include "crdt/status.h"
#include "crdt/table.h"
#include "crdt/text_sequence.h"
#include "crdt/value.h"
#include "crdt/version_vector.h"

namespace samplan {

// A field read: the winning value and the concurrent values it beat.
struct FieldRead {
  FieldValue value;                    // null when never set
  OpId winner;                         // kNullId when never set
  Author author;                       // who wrote the winning value
  std::vector<RegisterEntry> conflicts;  // concurrent losers, best first
};

class Replica {
 public:
  // REQUIRES: id != 0 (replica 0 is reserved for built-in nodes).
  explicit Replica(ReplicaId id, PlanSchema schema = PlanSchema::Default());
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  ReplicaId id() const { return id_; }
  const PlanSchema& schema() const { return schema_; }

  // ---- Local edits. Each validates, applies and logs one operation and
  // returns an error (changing nothing) when the edit is not allowed.

  // Creates a node of `kind` as child number `index` of `parent`.
  Result<OpId> CreateNode(OpId parent, size_t index, std::string_view kind);
  Status MoveNode(OpId node, OpId new_parent, size_t index);
  Status DeleteNode(OpId node);
  Status SetField(OpId node, std::string_view field, const FieldValue& value);
  Status InsertText(OpId node, std::string_view field, size_t pos,
                    std::string_view utf8);
  Status DeleteText(OpId node, std::string_view field, size_t pos,
                    size_t length);
  // Returns the new line's id.
  Result<OpId> InsertTableLine(OpId node, std::string_view table,
                               TableAxis axis, size_t index);
  Status DeleteTableLine(OpId node, std::string_view table, TableAxis axis,
                         OpId line);
  Status SetCell(OpId node, std::string_view table, OpId row, OpId column,
                 const FieldValue& value);

  // Author slots stamped on local operations from now on (the server sets
  // them on operations it accepts).
  void SetAuthor(Author author) { author_ = std::move(author); }

  // ---- Remote operations.

  // The admission rule for an op from an untrusted peer that this replica
  // must apply at once (the server's copy), checked before Apply so that
  // nothing is held back and nothing changes on refusal. Cost is linear in
  // the op's size (times log of the plan), never in what it names:
  //  - it passes CheckOpShape;
  //  - every id it names (dependencies, node, parent, origins, table line
  //    and column, superseded writes, deleted spans) is known here;
  //    NotFound naming the first unknown one otherwise;
  //  - its Lamport timestamp is above that of every op it names, so it is
  //    causally after all of them (a backdated op is refused), and its last
  //    unit's Lamport is at most `max_lamport` (the caller's bound, e.g.
  //    max_lamport() plus the units of the batch), so no peer can push the
  //    clock towards overflow;
  //  - it lists at most kMaxDeps dependencies, at most one per replica (a
  //    frontier), at most kMaxSpans delete spans, and those neither repeat
  //    nor overlap.
  // InvalidArgument for everything but unknown ids.
  Status CheckRemoteOp(const Op& op, uint64_t max_lamport) const;
  static constexpr size_t kMaxDeps = 1024;
  static constexpr size_t kMaxSpans = 16384;
  // The highest Lamport timestamp known.
  uint64_t max_lamport() const { return max_lamport_; }

  Status Apply(const Op& op);
  Status ApplyAll(const std::vector<Op>& ops);
  size_t pending_count() const { return pending_.size(); }
  // Held-back ops that turned out invalid once their dependencies arrived
  // are dropped; their errors are kept here (the most recent
  // kMaxPendingErrors) until taken, so the caller can report them.
  std::vector<Status> TakePendingErrors();
  static constexpr size_t kMaxPendingErrors = 64;
  // Upper bound on held-back operations; past it Apply fails instead of
  // growing memory.
  static constexpr size_t kMaxPending = 1 << 20;

  const VersionVector& version() const { return version_; }
  // Ids of the latest operations (the dependencies of the next local op).
  const std::vector<OpId>& frontier() const { return frontier_; }
  // Every logged operation not included in `since`, in an order that
  // respects causality, sliced exactly at the boundary. FailedPrecondition
  // when `since` lacks operations older than this replica's log (a replica
  // loaded from a snapshot holds no history before it): send a snapshot.
  Status OpsSince(const VersionVector& since, std::vector<Op>* out) const;
  // The operations this replica has logged (may be run-merged).
  const std::deque<Op>& log() const { return log_; }

  // ---- Reads.
  bool HasNode(OpId node) const { return tree_.Exists(node); }
  bool IsDeleted(OpId node) const;
  const std::string& KindOf(OpId node) const;  // REQUIRES: HasNode(node)
  OpId ParentOf(OpId node) const;              // REQUIRES: HasNode(node)
  std::vector<OpId> Children(OpId node) const;
  // For a node directly under the trash: the last parent it had outside
  // the trash, i.e. where it was deleted from (walking back over repeated
  // deletes). kNullId when the node is unknown, not directly under the
  // trash, or was created in the trash. Deterministic (a function of the
  // applied ops, like the tree), read-only; O(k log n) for a node deleted
  // k times in a row, n the length of the tree log. The parent returned
  // may itself be deleted since.
  OpId ParentBeforeDelete(OpId node) const;
  // Outline number by position among same-kind siblings, e.g. "2.1" for the
  // first subgoal of the second goal. Empty for the root.
  std::string Numbering(OpId node) const;
  Result<FieldRead> Field(OpId node, std::string_view field) const;
  // Text content (empty when never written). Fails for an unknown node or a
  // field the node's kind does not have.
  Result<std::string> Text(OpId node, std::string_view field) const;
  // nullptr when the text was never written.
  const TextSequence* TextOf(OpId node, std::string_view field) const;
  const Table* TableOf(OpId node, std::string_view table) const;
  const MoveTree& tree() const { return tree_; }

  // ---- Anchors.
  Result<Anchor> AnchorAtNode(OpId node) const;
  // An anchor at text position `pos`: kBefore sticks to the character at
  // pos (or the end), kAfter to the one at pos - 1 (or the start).
  Result<Anchor> AnchorAtText(OpId node, std::string_view field, size_t pos,
                              Anchor::Side side) const;
  Result<AnchorPosition> Resolve(const Anchor& anchor) const;

  // ---- Review (review.h, docs/crdt.md "Review"). Local review edits
  // validate, apply and log one op each, like the edits above, and change
  // no plan content; AcceptSuggestion applies the suggested change as
  // ordinary edits followed by the accept op that names them.

  // Where a new thread hangs: the node itself (field empty), a field, a
  // text range [from, to) in code points (to > from), or a table cell.
  struct ThreadAnchorSpec {
    OpId node;
    std::string field;
    size_t from = 0;
    size_t to = 0;
    OpId row;
    OpId column;
    static ThreadAnchorSpec OnNode(OpId node) {
      ThreadAnchorSpec a;
      a.node = node;
      return a;
    }
    static ThreadAnchorSpec OnField(OpId node, std::string field) {
      ThreadAnchorSpec a = OnNode(node);
      a.field = std::move(field);
      return a;
    }
    static ThreadAnchorSpec OnText(OpId node, std::string field, size_t from,
                                   size_t to) {
      ThreadAnchorSpec a = OnField(node, std::move(field));
      a.from = from;
      a.to = to;
      return a;
    }
    static ThreadAnchorSpec OnCell(OpId node, std::string table, OpId row,
                                   OpId column) {
      ThreadAnchorSpec a = OnField(node, std::move(table));
      a.row = row;
      a.column = column;
      return a;
    }
  };
  Result<OpId> AddThread(const ThreadAnchorSpec& anchor, std::string_view body,
                         const std::vector<std::string>& mentions = {});
  Result<OpId> Reply(OpId thread, std::string_view body,
                     const std::vector<std::string>& mentions = {});
  // Only the comment's author may edit or delete it.
  Status EditComment(OpId comment, std::string_view body,
                     const std::vector<std::string>& mentions = {});
  Status DeleteComment(OpId comment);
  // attribute: "resolved" (bool), "assignee" (null or "user:<name>" /
  // "municipality:<name>"), "due" (null or a date).
  Status SetThread(OpId thread, std::string_view attribute,
                   const FieldValue& value);
  Status MarkRead(OpId thread);

  // Suggestions: proposals that change nothing until accepted.
  // Replaces [pos, pos + length) of a text with `text` (length 0: inserts).
  Result<OpId> SuggestText(OpId node, std::string_view field, size_t pos,
                           size_t length, std::string_view text);
  Result<OpId> SuggestField(OpId node, std::string_view field,
                            const FieldValue& value);
  Result<OpId> SuggestCell(OpId node, std::string_view table, OpId row,
                           OpId column, const FieldValue& value);
  Result<OpId> SuggestNode(OpId parent, size_t index, std::string_view kind,
                           std::string_view title);
  Result<OpId> SuggestMove(OpId node, OpId new_parent, size_t index);
  Result<OpId> SuggestDelete(OpId node);
  // Applies an open suggestion as edits, then logs the accept op naming
  // them. A stale suggestion (CheckSuggestion) is refused unless
  // `accept_stale`. FailedPrecondition when it is decided already, stale,
  // or there is nothing left to change.
  Status AcceptSuggestion(OpId suggestion, bool accept_stale = false);
  Status RejectSuggestion(OpId suggestion, std::string_view reason);
  Status Approve(OpId node, std::string_view municipality);
  Status RevokeApproval(OpId node, std::string_view municipality);

  const ReviewState& review() const { return review_; }

  // Where a thread's anchor is now. A text range is orphaned once every
  // character it covered when made is deleted (characters inserted later
  // inside it do not revive it); a cell anchor once its row or column is
  // deleted.
  struct ThreadPlace {
    bool node_deleted = false;
    bool orphaned = false;
    size_t from = 0;  // text range, code points, when not orphaned
    size_t to = 0;
  };
  ThreadPlace LocateThread(const Thread& thread) const;

  // Whether an open suggestion still applies to what it was made on, and
  // if not, what changed (human-readable) and the target's current value
  // (text, field or cell; null otherwise).
  struct SuggestionCheck {
    bool stale = false;
    std::string change;
    FieldValue now;
  };
  SuggestionCheck CheckSuggestion(const Suggestion& suggestion) const;

  // An approval is outdated when the plan inside its node's subtree (the
  // node, its fields, texts, tables and children, moves in or out) was
  // changed by an op the approver had not seen. `*edit` receives the first
  // such op found.
  bool ApprovalOutdated(const Approval& approval, OpId* edit = nullptr) const;

  // ---- Snapshots: the whole state plus what is needed to keep syncing
  // (version vector, frontier, Lamport clocks, tree log, pending ops).
  // Deterministic: equal replicas give equal bytes.
  std::string EncodeSnapshot() const;
  // Loads a snapshot as replica `id` (its own id if it is resuming; its
  // counter continues after what the snapshot knows of it).
  static Result<std::unique_ptr<Replica>> DecodeSnapshot(std::string_view bytes,
                                                        ReplicaId id);

  // ---- Checking.
  Status CheckInvariants() const;
  // Canonical text form of the visible and hidden state; equal for equal
  // replicas. For tests and debugging.
  std::string CanonicalDump() const;
  size_t MemoryUsage() const;
  // Characters ever inserted into the plan's texts, tombstones included
  // (what its history costs; O(number of texts)).
  uint64_t TotalTextChars() const;

 private:
  struct FieldKey {
    OpId node;
    std::string name;
    friend bool operator==(const FieldKey&, const FieldKey&) = default;
  };
  struct FieldKeyHash {
    size_t operator()(const FieldKey& k) const;
  };
  struct LamportRun {
    uint64_t counter;  // first counter
    uint64_t lamport;  // its Lamport timestamp
    uint64_t length;
  };

  Status Validate(const Op& op) const;
  Status ValidateReview(const Op& op) const;
  // Content edits of one node, for ApprovalOutdated: the highest counter
  // per replica of the field, text and table ops on it (tree ops are read
  // from the tree log).
  void NoteNodeEdit(OpId node, OpId last_unit);
  // Index for a new child of `parent` placed after sibling `left` (null:
  // first; a sibling no longer there: last), not counting `moving`.
  size_t IndexAfter(OpId parent, OpId left, OpId moving) const;
  // The visible range [from, to) between a text's first and last
  // characters (to <= from: nothing visible), or nullopt if unknown.
  bool VisibleRange(OpId node, const std::string& field, OpId first,
                    OpId last, size_t* from, size_t* to) const;
  Result<OpId> CommitReview(Op op);
  // The first id `op` names that this replica does not know, or kNullId.
  // Dependencies count, and so does every id in the body.
  OpId FirstUnknownReference(const Op& op) const;
  // A register write may only supersede writes this replica knows.
  Status CheckSupersedes(const Op& op) const;
  bool Ready(const Op& op) const;
  // REQUIRES: Validate(op).ok() and Ready(op).
  void Integrate(const Op& op);
  // Logs an applied op: bookkeeping, then either extends the log's tail op
  // (a continued burst of typing) or appends the op.
  void Record(const Op& op);
  void Record(Op&& op);
  // The bookkeeping part of Record; true when the tail absorbed the op.
  bool RecordInPlace(const Op& op);
  Status ApplyReady(const Op& op);
  void DrainPending();
  Status LocalCommit(Op op);
  Op NewLocalOp(OpKind kind);
  uint64_t LamportOf(OpId id) const;
  TextSequence* MutableText(OpId node, std::string_view field);
  Status CheckNodeForEdit(OpId node) const;
  // The register a field or a table cell's writes go to; nullptr when it
  // was never written. New writes and suggestions supersede its entries.
  const MultiValueRegister* FieldRegister(OpId node,
                                          const std::string& field) const;
  const MultiValueRegister* CellRegister(OpId node, std::string_view table,
                                         OpId row, OpId column) const;
  // The text a local edit goes to, after the node and schema checks; the
  // result of the checks is cached until the tree changes.
  Result<TextSequence*> TextForEdit(OpId node, std::string_view field);
  // When the log's last op is this replica's edit of the same text and
  // nothing happened since, returns it so a keystroke can extend it in
  // place (no new Op, no copies).
  Op* ExtendableTail(OpKind kind, OpId node, std::string_view field);
  // Bookkeeping for `length` new local units that extended the log tail.
  void AdvanceLocal(uint64_t length);

  ReplicaId id_;
  PlanSchema schema_;
  Author author_;
  MoveTree tree_;
  std::unordered_map<FieldKey, MultiValueRegister, FieldKeyHash> fields_;
  std::unordered_map<FieldKey, TextSequence, FieldKeyHash> texts_;
  std::unordered_map<FieldKey, Table, FieldKeyHash> tables_;
  VersionVector version_;
  std::vector<OpId> frontier_;
  uint64_t max_lamport_ = 0;
  std::map<ReplicaId, std::vector<LamportRun>> lamports_;
  std::deque<Op> log_;
  // For each replica, the positions in log_ of its ops (ascending counter),
  // so OpsSince costs O(r log n + k log k) for k ops, not a scan.
  std::map<ReplicaId, std::vector<size_t>> log_by_replica_;
  VersionVector log_start_;  // what was known before log_[0] (snapshot)
  std::vector<Op> pending_;
  std::vector<Status> pending_errors_;
  // Last text looked up, to skip the hash lookup while typing.
  TextSequence* last_text_ = nullptr;
  FieldKey last_text_key_;
  // Bumped by every tree operation: cached edit checks expire with it.
  uint64_t tree_epoch_ = 1;
  struct EditCache {
    OpId node;
    std::string field;
    uint64_t epoch = 0;  // 0: nothing cached
    TextSequence* text = nullptr;
  } edit_cache_;
  std::vector<IdSpan> spans_scratch_;
  ReviewState review_;
  std::unordered_map<OpId, std::vector<std::pair<ReplicaId, uint64_t>>,
                     OpIdHash>
      node_edits_;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_REPLICA_H_
