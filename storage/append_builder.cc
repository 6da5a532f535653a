#include "storage/append_builder.h"

#include <algorithm>
#include <chrono>

namespace samplan {

Status BuildAppend(std::string_view plan_id, const std::vector<Op>& ops,
                   const AppendContext& who, int64_t now_ms, PlanHead* head,
                   std::vector<StoredOp>* stored,
                   std::vector<std::string>* op_bytes) {
  if (ops.empty()) {
    return Status::InvalidArgument("append to plan " + std::string(plan_id) +
                                   ": no operations");
  }
  if (head->last_seq + ops.size() > kMaxSeq) {
    return Status::OutOfRange("plan " + std::string(plan_id) +
                              ": sequence numbers exhausted");
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    Status s = CheckOpShape(ops[i]);
    if (!s.ok()) {
      return Status::InvalidArgument("append to plan " + std::string(plan_id) +
                                     ": operation " + std::to_string(i) +
                                     ": " + s.message());
    }
  }
  const int64_t stamp = who.server_time_ms != 0 ? who.server_time_ms : now_ms;
  PlanHead next = *head;
  for (const Op& op : ops) {
    StoredOp s;
    s.op = op;
    if (who.op_authors) {
      const int64_t own = op.author.wall_time_ms != 0 ? op.author.wall_time_ms
                                                      : now_ms;
      s.op.author.wall_time_ms = std::max(own, next.last_time_ms);
    } else {
      s.op.author =
          Author{who.user, who.municipality, std::max(stamp, head->last_time_ms)};
    }
    s.user = s.op.author.user;
    s.municipality = s.op.author.municipality;
    s.server_time_ms = s.op.author.wall_time_ms;
    s.seq = ++next.last_seq;
    std::string bytes = CanonicalOpBytes(s.op);
    s.chain = NextChain(next.head, bytes);
    next.head = s.chain;
    next.last_time_ms = s.server_time_ms;
    stored->push_back(std::move(s));
    op_bytes->push_back(std::move(bytes));
  }
  *head = next;
  return Status::OK();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace samplan
