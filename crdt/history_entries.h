// Who changed what: a plan's stored ops as a readable, filterable list of
// changes, newest first, with a bit of typing grouped into one entry.
//
// Grouping: consecutive matching ops (in the filtered list) by the same
// user on the same node and field, of the same group (text: insert_text
// and delete_text together; anything else: the same kind), each at most
// kGroupGapMs after the previous one, form one entry. Entries are formed
// scanning from the newest op backwards, so a page boundary is always an
// entry boundary and pages concatenate to the unpaged list.
//
// Readable values: fields and cells before -> after (the values the first
// write superseded, " | " between several; the last write's value); text:
// what was deleted / inserted, at most kExcerptCodePoints code points
// each (the newest, "…" in front when cut); moves: outline number before
// -> after. Nodes are described as they are now (head): kind, outline
// number and title ("" and node_deleted when deleted).
//
// Cost: O(ops scanned) over compact metadata; ops are decoded only to
// build an entry's readable values (bounded per entry).
//
// Thread-safety: reads `h` only (const).
#ifndef SAMPLAN_CRDT_HISTORY_ENTRIES_H_
#define SAMPLAN_CRDT_HISTORY_ENTRIES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "crdt/history.h"
#include "crdt/ids.h"
#include "crdt/op.h"
#include "crdt/status.h"

namespace samplan {

inline constexpr int64_t kGroupGapMs = 5 * 60 * 1000;
inline constexpr size_t kExcerptCodePoints = 200;

struct HistoryFilter {
  OpId node;            // kNullId: the whole plan
  bool subtree = true;  // node and everything under it now (deleted
                        // descendants too, by ParentBeforeDelete)
  std::string user;          // "": anyone
  std::string municipality;  // "": any
  std::vector<OpKind> kinds;  // empty: all
  uint64_t from_seq = 1;           // inclusive
  uint64_t to_seq = UINT64_MAX;    // inclusive
};

struct HistoryEntry {
  uint64_t seq = 0;       // first (oldest) op grouped
  uint64_t seq_last = 0;  // last (newest) op grouped
  size_t ops = 0;         // ops grouped
  int64_t time = 0;
  int64_t time_last = 0;
  std::string user;
  std::string municipality;
  std::vector<OpKind> kinds;  // distinct kinds, first seen in seq order
  OpId node;
  std::string node_kind;
  std::string number;
  std::string title;
  bool node_deleted = false;
  std::string field;  // field, text or table name; "" for others
  std::string before;
  std::string after;
  std::string summary;  // one line: "status: planlagt → pågår"
};

// Entries (newest first) whose first seq is < before_seq (0: from the
// end), at most `limit` (0: no limit); *next receives the before_seq of the
// next page (0: none). NotFound when f.node is set but no such node was
// ever in the plan.
Status HistoryEntries(const PlanHistory& h, const HistoryFilter& f,
                      uint64_t before_seq, size_t limit,
                      std::vector<HistoryEntry>* out, uint64_t* next);

// A field or cell value as shown in entries: strings and dates as they
// are, numbers in their shortest form, bools "true"/"false", lists joined
// with ", ", null "".
std::string ReadableValue(const FieldValue& v);

}  // namespace samplan

#endif  // SAMPLAN_CRDT_HISTORY_ENTRIES_H_
