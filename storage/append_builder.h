// Turning a batch of operations into stored operations: the part of an
// append that every PlanStore implementation shares (validation, author
// stamping, server time, sequence numbers and the hash chain).
//
// Thread-safety: functions only; reentrant.
#ifndef SAMPLAN_STORAGE_APPEND_BUILDER_H_
#define SAMPLAN_STORAGE_APPEND_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/op.h"
#include "crdt/status.h"
#include "storage/plan_store.h"

namespace samplan {

// The end of a plan's log.
struct PlanHead {
  uint64_t last_seq = 0;
  ChainHash head{};
  int64_t last_time_ms = 0;  // server time of last_seq
};

// Checks every op (CheckOpShape; InvalidArgument naming the op's index) and
// returns them as stored after `*head`: author = who (or each op's own with
// who.op_authors), server time = max(who.server_time_ms (the op's) or
// now_ms, the time of the op before), seqs
// last_seq + 1 ..., chained from head->head. Appends to `stored` and to
// `op_bytes` (the canonical bytes of each) and advances `*head`. Changes
// nothing on error. REQUIRES: !ops.empty().
Status BuildAppend(std::string_view plan_id, const std::vector<Op>& ops,
                   const AppendContext& who, int64_t now_ms, PlanHead* head,
                   std::vector<StoredOp>* stored,
                   std::vector<std::string>* op_bytes);

// Milliseconds since the Unix epoch (system clock).
int64_t NowMs();

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_APPEND_BUILDER_H_
