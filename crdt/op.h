// Op: one operation on a plan, as exchanged between replicas.
//
// Header: id (replica, counter), Lamport timestamp, causal dependencies
// (the ids of the latest operations the author had seen: its frontier) and
// author slots that the server fills (user, municipality, wall time).
//
// An op covers Length() consecutive counters: InsertText one per inserted
// code point, DeleteText one per deleted character, every other kind one.
// Unit k of an op has id (replica, counter + k) and Lamport lamport + k, and
// depends on unit k - 1; only unit 0 carries `deps`. This is what lets a
// burst of typing travel and be stored as one op.
//
// The body is a flat record: which fields matter depends on `kind`, as
// listed beside each kind. Plain data; copyable.
#ifndef SAMPLAN_CRDT_OP_H_
#define SAMPLAN_CRDT_OP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "crdt/author.h"
#include "crdt/codec.h"
#include "crdt/ids.h"
#include "crdt/status.h"
#include "crdt/table.h"
#include "crdt/value.h"

namespace samplan {

enum class OpKind : uint8_t {
  kCreateNode = 1,       // parent, left/right (slot origins), name = kind
  kMoveNode = 2,         // node, parent, left/right (slot origins)
  kDeleteNode = 3,       // node (moves it under the trash)
  kSetField = 4,         // node, name = field, value, supersedes
  kInsertText = 5,       // node, name = text field, left/right, text (UTF-8)
  kDeleteText = 6,       // node, name = text field, spans
  kInsertTableLine = 7,  // node, name = table, axis, left/right
  kDeleteTableLine = 8,  // node, name = table, axis, target = line
  kSetCell = 9,          // node, name = table, target = row, column, value,
                         // supersedes
  // Review (review.h). None of these changes plan content; accepting a
  // suggestion is done with the content kinds above plus kAcceptSuggestion.
  kAddComment = 10,     // parent = thread replied to (null: a new thread,
                        // anchored by node, name = field/text/table or
                        // empty, left/right = first/last character of a text
                        // range, target/column = row/column of a cell),
                        // text = body, value = mentions, quote
  kEditComment = 11,    // target = comment, text = new body, value = mentions
  kDeleteComment = 12,  // target = comment
  kSetThread = 13,      // target = thread, name = resolved|assignee|due,
                        // value, supersedes
  kMarkRead = 14,       // target = thread
  kSuggestText = 15,    // node, name = text, left/right = first/last
                        // character replaced (null: an insertion after
                        // target, null target: at the start), text = new
                        // text, quote = the text replaced
  kSuggestField = 16,   // node, name = field, value, supersedes = base
  kSuggestCell = 17,    // node, name = table, target = row, column, value,
                        // supersedes = base
  kSuggestNode = 18,    // parent, left = sibling before it (null: first),
                        // name = kind, text = title
  kSuggestMove = 19,    // node, parent, left = sibling before it, target =
                        // the parent when suggested
  kSuggestDelete = 20,  // node, target = the parent when suggested
  kAcceptSuggestion = 21,  // target = suggestion, spans = the ops that
                           // applied it, value = bool (stale accepted)
  kRejectSuggestion = 22,  // target = suggestion, text = reason
  kApprove = 23,           // node, name = municipality, spans = the
                           // approver's version vector ({r, 1, n} each)
  kRevokeApproval = 24,    // node, name = municipality
};
inline constexpr uint8_t kMaxOpKind = 24;

// Review kinds (comments, suggestions, sign-off, read marks): they change
// review state only, never the plan tree, fields, texts or tables.
inline bool IsReviewKind(OpKind k) {
  return static_cast<uint8_t>(k) >= static_cast<uint8_t>(OpKind::kAddComment);
}
inline bool IsSuggestKind(OpKind k) {
  return k >= OpKind::kSuggestText && k <= OpKind::kSuggestDelete;
}

// "create_node", "move_node", ... as used in the wire format.
const char* OpKindName(OpKind kind);
bool ParseOpKind(std::string_view name, OpKind* kind);

// Bounds on review ops (CheckOpShape).
inline constexpr size_t kMaxCommentBytes = 16 * 1024;
inline constexpr size_t kMaxQuoteBytes = 4 * 1024;
inline constexpr size_t kMaxTitleBytes = 1024;
inline constexpr size_t kMaxMentions = 32;
inline constexpr size_t kMaxPartyBytes = 160;

struct Op {
  OpId id;
  uint64_t lamport = 0;
  std::vector<OpId> deps;
  Author author;

  OpKind kind = OpKind::kSetField;
  OpId node;
  OpId parent;
  OpId left;    // left origin (kNullId: start)
  OpId right;   // right origin (kNullId: end)
  OpId target;  // table line (delete line) or row (set cell)
  OpId column;
  TableAxis axis = TableAxis::kRow;
  std::string name;  // node kind, field, text field or table name
  std::string text;
  FieldValue value;
  std::vector<OpId> supersedes;
  std::vector<IdSpan> spans;
  // The text a comment or suggestion was made on, as its author saw it.
  std::string quote;

  // Counters consumed. REQUIRES: text is valid UTF-8.
  uint64_t Length() const;
  // Id of the last unit.
  OpId LastId() const { return OpId{id.replica, id.counter + Length() - 1}; }

  friend bool operator==(const Op&, const Op&) = default;
};

// The units [from, Length()) of `op` as an op of their own (ids, Lamport,
// dependency and origins adjusted). REQUIRES: 0 < from < op.Length().
Op SliceOpFrom(const Op& op, uint64_t from);
// The units [0, to) of `op`. REQUIRES: 0 < to < op.Length().
Op SliceOpTo(const Op& op, uint64_t to);

// Structural checks that need no replica state: non-null id, Lamport >= 1,
// names and text valid UTF-8 and non-empty where required, spans non-empty,
// value well formed. InvalidArgument naming the problem.
Status CheckOpShape(const Op& op);

// Deterministic binary encoding of a list of ops ("SPO" + format version).
// Decoding untrusted bytes never crashes; Corruption names the problem.
std::string EncodeOps(const std::vector<Op>& ops);
Status DecodeOps(std::string_view bytes, std::vector<Op>* ops);

// One op, no header (used inside other formats).
void EncodeOpTo(const Op& op, Writer* w);
Status DecodeOpFrom(Reader* r, Op* op);

// Short human-readable description, e.g. "insert_text 3:17 'abc'".
std::string DescribeOp(const Op& op);

}  // namespace samplan

#endif  // SAMPLAN_CRDT_OP_H_
