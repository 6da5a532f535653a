#include "server/append_pipeline.h"

#include <algorithm>
#include <utility>

namespace samplan {

AppendPipeline::AppendPipeline(VersionVector durable, Limits limits)
    : durable_(std::move(durable)), limits_(limits) {}

bool AppendPipeline::HasRoom(size_t ops) const {
  return pending_batches_ < limits_.max_batches &&
         pending_ops_ + ops <= limits_.max_ops;
}

void AppendPipeline::Add(Batch batch) {
  ++pending_batches_;
  pending_ops_ += batch.ops.size();
  if (batch.ops.empty()) {
    waiting_.push_back(std::move(batch));
    ReleaseWaiting();
  } else {
    queue_.push_back(std::move(batch));
  }
}

std::optional<AppendPipeline::Launch> AppendPipeline::TakeLaunch() {
  if (!in_flight_.empty() || queue_.empty()) return std::nullopt;
  Launch launch;
  while (!queue_.empty() &&
         (launch.ops.empty() || launch.ops.size() + queue_.front().ops.size() <=
                                    limits_.max_ops_per_append)) {
    Batch& b = queue_.front();
    launch.ops.insert(launch.ops.end(), b.ops.begin(), b.ops.end());
    in_flight_.push_back(std::move(b));
    queue_.pop_front();
  }
  return launch;
}

Status AppendPipeline::Finish(const Status& status,
                              std::vector<StoredOp> stored) {
  if (in_flight_.empty()) return Status::OK();  // failed meanwhile (FailAll)
  std::vector<Batch> group;
  group.swap(in_flight_);
  size_t total = 0;
  for (const Batch& b : group) total += b.ops.size();
  if (!status.ok() || stored.size() != total) {
    // Back in the queue so that FailAll answers their senders.
    for (auto b = group.rbegin(); b != group.rend(); ++b) {
      queue_.push_front(std::move(*b));
    }
    if (!status.ok()) return status;
    return Status::Corruption("the store returned " +
                              std::to_string(stored.size()) + " of " +
                              std::to_string(total) + " operations");
  }
  size_t at = 0;
  for (Batch& batch : group) {
    const size_t n = batch.ops.size();
    Done done;
    done.stored.reserve(n);
    for (size_t k = at; k < at + n; ++k) {
      const OpId last = stored[k].op.LastId();
      durable_.Set(last.replica,
                   std::max(durable_.Get(last.replica), last.counter));
      done.stored.push_back(std::move(stored[k].op));
    }
    done.first_seq = stored[at].seq;
    done.last_seq = stored[at + n - 1].seq;
    at += n;
    pending_ops_ -= n;
    --pending_batches_;
    done.batch = std::move(batch);
    done_.push_back(std::move(done));
  }
  // Appends follow the replica's order, so a batch's duplicates (applied
  // before its new ops) are durable once its new ops are.
  ReleaseWaiting();
  return Status::OK();
}

void AppendPipeline::ReleaseWaiting() {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (durable_.Get(it->replica) >= it->await_counter) {
      --pending_batches_;
      Done done;
      done.batch = std::move(*it);
      done_.push_back(std::move(done));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<AppendPipeline::Done> AppendPipeline::TakeDone() {
  std::vector<Done> out;
  out.swap(done_);
  return out;
}

std::vector<AppendPipeline::Batch> AppendPipeline::FailAll() {
  std::vector<Batch> out;
  for (Batch& b : in_flight_) out.push_back(std::move(b));
  for (Batch& b : queue_) out.push_back(std::move(b));
  for (Batch& b : waiting_) out.push_back(std::move(b));
  in_flight_.clear();
  queue_.clear();
  waiting_.clear();
  pending_batches_ = 0;
  pending_ops_ = 0;
  return out;
}

std::vector<Op> AppendPipeline::DurableOnly(std::vector<Op> ops) const {
  if (!busy()) return ops;
  std::vector<Op> out;
  out.reserve(ops.size());
  for (Op& op : ops) {
    const uint64_t have = durable_.Get(op.id.replica);
    if (op.id.replica == 0 || op.LastId().counter <= have) {
      out.push_back(std::move(op));
    } else if (op.id.counter <= have) {
      out.push_back(SliceOpTo(op, have - op.id.counter + 1));
    }
  }
  return out;
}

}  // namespace samplan
