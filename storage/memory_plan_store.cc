#include "storage/memory_plan_store.h"

#include <algorithm>

namespace samplan {

Status MemoryPlanStore::Find(std::string_view plan_id, Plan** plan) {
  auto it = plans_.find(plan_id);
  if (it == plans_.end()) {
    return Status::NotFound("unknown plan '" + std::string(plan_id) + "'");
  }
  *plan = &it->second;
  return Status::OK();
}

Status MemoryPlanStore::CreatePlan(std::string_view plan_id,
                                   std::string_view title) {
  if (!IsValidPlanId(plan_id)) {
    return Status::InvalidArgument("invalid plan id '" + std::string(plan_id) +
                                   "'");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (plans_.count(plan_id) != 0) {
    return Status::FailedPrecondition("plan '" + std::string(plan_id) +
                                      "' exists");
  }
  Plan& p = plans_[std::string(plan_id)];
  p.info.plan_id = std::string(plan_id);
  p.info.title = std::string(title);
  p.info.created_ms = NowMs();
  return Status::OK();
}

Status MemoryPlanStore::ListPlans(std::vector<PlanInfo>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->clear();
  for (const auto& [id, p] : plans_) out->push_back(p.info);
  return Status::OK();
}

Status MemoryPlanStore::GetPlanInfo(std::string_view plan_id, PlanInfo* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Plan* p;
  SAMPLAN_RETURN_IF_ERROR(Find(plan_id, &p));
  *out = p->info;
  return Status::OK();
}

Status MemoryPlanStore::Append(std::string_view plan_id,
                               const std::vector<Op>& ops,
                               const AppendContext& who,
                               std::vector<StoredOp>* stored) {
  std::lock_guard<std::mutex> lock(mu_);
  Plan* p;
  SAMPLAN_RETURN_IF_ERROR(Find(plan_id, &p));
  PlanHead head{p->info.last_seq, p->info.head, p->last_time_ms};
  std::vector<StoredOp> built;
  std::vector<std::string> bytes;
  SAMPLAN_RETURN_IF_ERROR(
      BuildAppend(plan_id, ops, who, NowMs(), &head, &built, &bytes));
  p->info.last_seq = head.last_seq;
  p->info.head = head.head;
  p->last_time_ms = head.last_time_ms;
  p->info.last_time_ms = head.last_time_ms;
  p->ops.insert(p->ops.end(), built.begin(), built.end());
  if (stored != nullptr) *stored = std::move(built);
  return Status::OK();
}

Status MemoryPlanStore::Load(std::string_view plan_id, LoadedPlan* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Plan* p;
  SAMPLAN_RETURN_IF_ERROR(Find(plan_id, &p));
  *out = LoadedPlan{};
  out->info = p->info;
  if (!p->snapshots.empty()) {
    out->snapshot_seq = p->snapshots.rbegin()->first;
    out->snapshot = p->snapshots.rbegin()->second;
  }
  out->tail.assign(p->ops.begin() + out->snapshot_seq, p->ops.end());
  return Status::OK();
}

Status MemoryPlanStore::PutSnapshot(std::string_view plan_id, uint64_t seq,
                                    std::string_view snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  Plan* p;
  SAMPLAN_RETURN_IF_ERROR(Find(plan_id, &p));
  if (seq == 0 || seq > p->info.last_seq) {
    return Status::InvalidArgument(
        "snapshot of plan " + std::string(plan_id) + " at seq " +
        std::to_string(seq) + " outside 1.." +
        std::to_string(p->info.last_seq));
  }
  p->snapshots[seq] = std::string(snapshot);
  p->info.snapshot_seq = p->snapshots.rbegin()->first;
  return Status::OK();
}

Status MemoryPlanStore::ReadRange(std::string_view plan_id, uint64_t from_seq,
                                  size_t limit, std::vector<StoredOp>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->clear();
  Plan* p;
  SAMPLAN_RETURN_IF_ERROR(Find(plan_id, &p));
  const uint64_t first = std::max<uint64_t>(from_seq, 1);
  for (uint64_t seq = first; seq <= p->ops.size() && out->size() < limit;
       ++seq) {
    out->push_back(p->ops[seq - 1]);
  }
  return Status::OK();
}

Status MemoryPlanStore::ReadTimeRange(std::string_view plan_id,
                                      int64_t from_ms, int64_t to_ms,
                                      uint64_t after_seq, size_t limit,
                                      std::vector<StoredOp>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->clear();
  Plan* p;
  SAMPLAN_RETURN_IF_ERROR(Find(plan_id, &p));
  // Server time never decreases along the log, so the range is contiguous.
  auto it = std::lower_bound(p->ops.begin(), p->ops.end(), from_ms,
                             [](const StoredOp& s, int64_t t) {
                               return s.server_time_ms < t;
                             });
  if (after_seq > 0 && static_cast<uint64_t>(it - p->ops.begin()) < after_seq) {
    it = p->ops.begin() + std::min<uint64_t>(after_seq, p->ops.size());
  }
  for (; it != p->ops.end() && it->server_time_ms < to_ms &&
         out->size() < limit;
       ++it) {
    out->push_back(*it);
  }
  return Status::OK();
}

Status MemoryPlanStore::ListSnapshots(std::string_view plan_id,
                                      std::vector<SnapshotRef>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->clear();
  Plan* p;
  SAMPLAN_RETURN_IF_ERROR(Find(plan_id, &p));
  for (const auto& [seq, bytes] : p->snapshots) {
    out->push_back(SnapshotRef{seq, bytes.size()});
  }
  return Status::OK();
}

Status MemoryPlanStore::ReadSnapshot(std::string_view plan_id, uint64_t seq,
                                     std::string* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Plan* p;
  SAMPLAN_RETURN_IF_ERROR(Find(plan_id, &p));
  auto it = p->snapshots.find(seq);
  if (it == p->snapshots.end()) {
    return Status::NotFound("plan " + std::string(plan_id) +
                            ": no snapshot at seq " + std::to_string(seq));
  }
  *out = it->second;
  return Status::OK();
}

}  // namespace samplan
