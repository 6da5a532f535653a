// Blame: who wrote what a plan shows at some point of its history.
//
// For every node of a subtree of the live tree: who wrote each visible
// character of its texts (spans of the visible text, one per stored op,
// adjacent characters of one op merged), who wrote the winning value of
// each field and table cell, and the last content op on the node. Authors
// come from the history (PlanHistory::AuthorOf: the stored op that brought
// a character or a value), so they are the server's stamps, not what a
// client claimed.
//
// Cost: one pass over the runs of each text with one O(log n) lookup per
// (run, op) piece, plus one backward scan of the op metadata up to the
// point for the last content op per node.
//
// Thread-safety: none (uses the history's cursor state).
#ifndef SAMPLAN_CRDT_BLAME_H_
#define SAMPLAN_CRDT_BLAME_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "crdt/author.h"
#include "crdt/history.h"
#include "crdt/ids.h"
#include "crdt/status.h"

namespace samplan {

// Code points [start, start + length) of the visible text, written by op
// `seq` of `author`.
struct BlameSpan {
  size_t start = 0;
  size_t length = 0;
  Author author;
  uint64_t seq = 0;
};

// The winning write of a field (name = field, row/column null) or a cell
// (name = table).
struct ValueBlame {
  std::string name;
  OpId row;
  OpId column;
  Author author;
  uint64_t seq = 0;
};

struct NodeBlame {
  OpId node;
  std::string number;
  std::string title;
  std::string kind;
  // The last content op (not review) on this node up to the point; seq 0
  // when none (the root before any edit).
  Author last_author;
  uint64_t last_seq = 0;
  // Per text field (name order, only texts ever written): spans that
  // cover the visible text exactly, in order.
  std::vector<std::pair<std::string, std::vector<BlameSpan>>> texts;
  std::vector<ValueBlame> fields;  // name order, fields ever set
  // Cells (visible rows and columns, headers included) in row, then column
  // order; tables in name order.
  std::vector<ValueBlame> cells;
};

// Blame of `node`'s subtree (kNullId: the whole live tree from the root)
// in the state after op `at_seq`, nodes in document order (pre-order).
// OutOfRange when at_seq > h.last_seq(); NotFound when `node` does not
// exist at that point. A deleted node's own subtree is blamed as asked.
Status Blame(PlanHistory& h, uint64_t at_seq, OpId node,
             std::vector<NodeBlame>* out);

// The spans of one text (exposed for tests and the diff): the visible
// characters of `text` attributed through `h`.
std::vector<BlameSpan> BlameText(const PlanHistory& h, const TextSequence& text);

}  // namespace samplan

#endif  // SAMPLAN_CRDT_BLAME_H_
