// PlanDiff: what changed in a plan between two points of its stored log.
//
// DiffPlans compares the state after ops 1..older_seq with the state after
// ops 1..newer_seq of the same log and lists, for a reader or a client:
//  - nodes added (live now, not before: created, or restored from the
//    trash), removed (live before, not now), moved (live in both, but the
//    move that places the node is another one: new parent or new place
//    among its siblings) and renumbered (live in both, not moved, outline
//    number changed because siblings came, went or moved);
//  - per node live in both: fields changed (old -> new value, conflicts
//    included), texts changed (a piece list over the older text: retain /
//    insert / delete, with who inserted and who deleted), tables changed
//    (rows and columns added and removed, cells old -> new);
//  - review: threads opened, resolved and reopened, suggestions accepted
//    and rejected, approvals given and revoked.
// "Live" means reachable from the root (not in the trash). Every "by" names
// the stored op responsible and its author, through the DiffSource.
//
// Cost: one pass over the ops between the two points (to find what they
// touched and who deleted which characters), one walk of each live tree,
// and, per touched text, one merge of the two states' runs (run-level,
// not per character: author lookups are made per run of consecutive ids).
// Untouched fields, texts and tables are never read.
//
// Thread-safety: reads the two replicas and the source only; the caller
// owns them.
#ifndef SAMPLAN_CRDT_PLAN_DIFF_H_
#define SAMPLAN_CRDT_PLAN_DIFF_H_

#include <cstdint>
#include <string>
#include <vector>

#include "crdt/author.h"
#include "crdt/diff_source.h"
#include "crdt/ids.h"
#include "crdt/replica.h"
#include "crdt/status.h"
#include "crdt/value.h"

namespace samplan {

// Who made a change: the stored op (seq; 0 when the source does not know
// the op) and its author.
struct DiffBy {
  Author author;
  uint64_t seq = 0;
  friend bool operator==(const DiffBy&, const DiffBy&) = default;
};

// A node as a reader sees it in one state.
struct DiffNode {
  OpId id;
  std::string kind;
  std::string number;  // outline number ("2.1"); "" for the root
  std::string title;   // its "title" text (or "name"), <= 200 code points
};

struct NodeAdded {
  DiffNode node;  // in the newer state
  OpId parent;
  size_t index = 0;  // among all of the parent's children, newer state
  DiffBy by;         // the op that placed it (create, or a restoring move)
};

struct NodeRemoved {
  DiffNode node;  // in the older state
  OpId parent;    // older parent
  size_t index = 0;
  bool with_parent = false;  // its older parent was removed too
  DiffBy by;                 // the op that moved its removed ancestor to trash
};

struct NodeMoved {
  DiffNode node;  // newer number and title
  OpId old_parent;
  size_t old_index = 0;
  std::string old_number;
  OpId new_parent;
  size_t new_index = 0;
  DiffBy by;  // the op that placed it where it is now
};

struct NodeRenumbered {
  DiffNode node;  // newer number
  std::string old_number;
};

// A field's or cell's visible value: what PlanStateToJson shows.
struct ValueState {
  bool set = false;  // false: never written (null in the state JSON)
  FieldValue value;
  std::vector<FieldValue> conflicts;  // concurrent losers, best first
  friend bool operator==(const ValueState&, const ValueState&) = default;
};

struct FieldChange {
  std::string name;
  ValueState old_value;
  ValueState new_value;
  DiffBy by;                         // who wrote the new winning value
  std::vector<DiffBy> conflicts_by;  // who wrote each new conflict
};

struct TextPiece {
  enum class Kind : uint8_t { kRetain, kInsert, kDelete };
  Kind kind = Kind::kRetain;
  size_t length = 0;  // code points
  std::string text;   // insert/delete: the characters (UTF-8); retain: ""
  // insert: who typed the first character (seq) and seq_last the op of the
  // last one (a piece joins adjacent characters of one user and
  // municipality); delete: the first op that deleted them, and `also` the
  // other ops that deleted the same characters concurrently.
  DiffBy by;
  uint64_t seq_last = 0;
  std::vector<DiffBy> also;
};

struct TextChange {
  std::string name;
  // In the older text's coordinates: retains and deletes add up to its
  // length; applying them and the inserts in order gives the newer text.
  std::vector<TextPiece> pieces;
  size_t inserted = 0;  // code points
  size_t deleted = 0;
};

struct LineChange {
  OpId line;
  size_t index = 0;  // added: in the newer table; removed: in the older one
  DiffBy by;         // the insert / delete line op
};

struct CellChange {
  OpId row;     // kNullId: a column header
  OpId column;  // kNullId: a row header
  ValueState old_value;
  ValueState new_value;
  DiffBy by;
};

struct TableChange {
  std::string name;
  bool created = false;  // the table did not exist in the older state
  std::vector<LineChange> rows_added, rows_removed;
  std::vector<LineChange> columns_added, columns_removed;
  std::vector<CellChange> cells;  // newer rows/columns order, headers first
};

struct NodeChanges {
  DiffNode node;  // newer state
  std::vector<FieldChange> fields;  // by name
  std::vector<TextChange> texts;    // by name
  std::vector<TableChange> tables;  // by name
};

struct ReviewChange {
  OpId item;  // thread, suggestion, or the approve/revoke op
  std::string what;  // "thread", a suggest kind ("suggest_text"), "approval"
  DiffNode node;     // the node it hangs on (newer state, else older)
  bool node_removed = false;  // that node is not live in the newer state
  std::string field;  // field / text / table anchored on, or municipality
  std::string text;    // thread: first comment; suggestion: its text or
                       // value (<= 200 code points)
  std::string reason;  // rejection: the reason given
  bool orphaned = false;  // thread: its text range or cell is gone
  DiffBy by;              // who opened / resolved / decided / approved
};

struct ReviewChanges {
  std::vector<ReviewChange> opened, resolved, reopened;  // threads
  std::vector<ReviewChange> accepted, rejected;          // suggestions
  std::vector<ReviewChange> approved, revoked;           // approvals
};

struct DiffStats {
  size_t nodes_added = 0, nodes_removed = 0, nodes_moved = 0;
  size_t nodes_renumbered = 0, nodes_changed = 0;
  size_t fields_changed = 0, texts_changed = 0, tables_changed = 0;
  size_t cells_changed = 0, lines_added = 0, lines_removed = 0;
  size_t chars_inserted = 0, chars_deleted = 0;
  size_t threads_opened = 0, threads_resolved = 0, threads_reopened = 0;
  size_t suggestions_accepted = 0, suggestions_rejected = 0;
  size_t approvals_given = 0, approvals_revoked = 0;
  size_t ops = 0;  // stored ops between the two points
};

struct PlanDiff {
  uint64_t from_seq = 0, to_seq = 0;
  int64_t from_time = 0, to_time = 0;  // of ops from_seq/to_seq (0: none)
  std::vector<NodeAdded> added;        // newer tree order (parents first)
  std::vector<NodeRemoved> removed;    // older tree order
  std::vector<NodeMoved> moved;        // newer tree order
  std::vector<NodeRenumbered> renumbered;
  std::vector<NodeChanges> changes;  // newer tree order, nodes live in both
  ReviewChanges review;
  DiffStats stats;
};

// Longest title kept in a DiffNode (code points).
inline constexpr size_t kDiffTitleMax = 200;

// Compares `older` (the state after ops 1..older_seq of the log `source`
// describes) with `newer` (after 1..newer_seq). REQUIRES: older_seq <=
// newer_seq; both replicas built from that log (what they know differs by
// exactly the ops in between). InvalidArgument when older_seq > newer_seq;
// Corruption when the states disagree with each other in a way no prefix
// of one log can (a text whose order differs). `out` is overwritten.
Status DiffPlans(const Replica& older, uint64_t older_seq,
                 const Replica& newer, uint64_t newer_seq,
                 const DiffSource& source, PlanDiff* out);

// The node's displayed title in `replica` ("title" text, else "name",
// cut at kDiffTitleMax code points). "" when it has neither.
std::string DiffTitleOf(const Replica& replica, OpId node);

}  // namespace samplan

#endif  // SAMPLAN_CRDT_PLAN_DIFF_H_
