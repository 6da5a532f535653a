#include "storage/plan_loader.h"

#include <algorithm>

namespace samplan {

bool LogReplay::Apply(const StoredOp& op, ReplayProblem* problem) {
  Status s = replica_->Apply(op.op);
  if (!s.ok()) {
    *problem = {op.seq, "operation rejected by the replica: " + s.ToString()};
    return false;
  }
  // A held-back op that turned out invalid once its dependencies arrived is
  // dropped silently by the replica; for a stored log that is corruption,
  // surfaced where the drop happened.
  std::vector<Status> dropped = replica_->TakePendingErrors();
  if (!dropped.empty()) {
    *problem = {op.seq,
                "an operation held back for its dependencies was rejected "
                "once they arrived: " +
                    dropped.front().ToString()};
    return false;
  }
  const VersionVector& version = replica_->version();
  if (!version.Includes(op.op.LastId())) {
    held_.push_back({op.seq, op.op.LastId()});
  } else if (held_.size() > replica_->pending_count()) {
    // Something held back got applied: forget it. Only checked when the
    // counts say so, keeping the common (nothing held) path free.
    held_.erase(std::remove_if(held_.begin(), held_.end(),
                               [&](const Held& h) {
                                 return version.Includes(h.last);
                               }),
                held_.end());
  }
  return true;
}

bool LogReplay::Finish(ReplayProblem* problem) const {
  if (replica_->pending_count() == 0) return true;
  const VersionVector& version = replica_->version();
  for (const Held& h : held_) {
    if (!version.Includes(h.last)) {
      *problem = {h.seq,
                  "operation " + h.last.ToString() +
                      " waits for dependencies that are not in the log (" +
                      std::to_string(replica_->pending_count()) +
                      " operations left pending)"};
      return false;
    }
  }
  *problem = {base_seq_, "the snapshot holds " +
                             std::to_string(replica_->pending_count()) +
                             " operations waiting for missing dependencies"};
  return false;
}

Result<std::unique_ptr<Replica>> RebuildReplica(const LoadedPlan& plan,
                                                ReplicaId id) {
  std::unique_ptr<Replica> replica;
  const std::string label = "plan " + plan.info.plan_id;
  if (!plan.snapshot.empty()) {
    Result<std::unique_ptr<Replica>> decoded =
        Replica::DecodeSnapshot(plan.snapshot, id);
    if (!decoded.ok()) {
      return Status::Corruption(label + " snapshot at seq " +
                                std::to_string(plan.snapshot_seq) + ": " +
                                decoded.status().message());
    }
    replica = std::move(decoded).value();
  } else {
    replica = std::make_unique<Replica>(id);
  }
  LogReplay replay(replica.get(), plan.snapshot.empty() ? 0 : plan.snapshot_seq);
  ReplayProblem problem;
  for (const StoredOp& op : plan.tail) {
    if (!replay.Apply(op, &problem)) break;
  }
  if (problem.what.empty()) replay.Finish(&problem);
  if (!problem.what.empty()) {
    return Status::Corruption(label + " seq " + std::to_string(problem.seq) +
                              ": " + problem.what);
  }
  return replica;
}

Status BuildSnapshotFromLog(PlanStore* store, std::string_view plan_id,
                            uint64_t* seq, std::string* snapshot) {
  LoadedPlan plan;
  SAMPLAN_RETURN_IF_ERROR(store->Load(plan_id, &plan));
  Result<std::unique_ptr<Replica>> replica =
      RebuildReplica(plan, kStorageReplicaId);
  if (!replica.ok()) return replica.status();
  *seq = plan.info.last_seq;
  *snapshot = (*replica)->EncodeSnapshot();
  return Status::OK();
}

}  // namespace samplan
