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

Status MemoryPlanStore::PutVersion(const NamedVersion& v) {
  SAMPLAN_RETURN_IF_ERROR(CheckVersionName(v.name));
  std::lock_guard<std::mutex> lock(mu_);
  Plan* plan;
  SAMPLAN_RETURN_IF_ERROR(Find(v.plan_id, &plan));
  if (v.seq == 0 || v.seq > plan->ops.size()) {
    return Status::InvalidArgument(
        "plan " + v.plan_id + ": version seq " + std::to_string(v.seq) +
        " is not in the log (1.." + std::to_string(plan->ops.size()) + ")");
  }
  SAMPLAN_RETURN_IF_ERROR(CheckVersionAgainstOp(v, plan->ops[v.seq - 1]));
  for (const NamedVersion& e : plan->versions) {
    if (e.name == v.name) {
      return Status::FailedPrecondition("version '" + v.name +
                                        "' already exists");
    }
  }
  plan->versions.push_back(v);
  return Status::OK();
}

Status MemoryPlanStore::ListVersions(std::string_view plan_id,
                                     std::vector<NamedVersion>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Plan* plan;
  SAMPLAN_RETURN_IF_ERROR(Find(plan_id, &plan));
  *out = plan->versions;
  return Status::OK();
}

Status MemoryPlanStore::PutPerson(const Person& p) {
  SAMPLAN_RETURN_IF_ERROR(CheckUserId(p.user));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = people_.find(p.user);
  if (it != people_.end() && it->second.erased_ms != 0) {
    return Status::FailedPrecondition("user '" + p.user + "' was erased");
  }
  Person stored = p;
  stored.erased_ms = 0;
  stored.erased_by.clear();
  people_[p.user] = std::move(stored);
  return Status::OK();
}

Status MemoryPlanStore::GetPerson(std::string_view user, Person* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = people_.find(user);
  if (it == people_.end()) {
    return Status::NotFound("unknown user '" + std::string(user) + "'");
  }
  *out = it->second;
  return Status::OK();
}

Status MemoryPlanStore::ListPeople(std::vector<Person>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->clear();
  for (const auto& [user, p] : people_) out->push_back(p);
  return Status::OK();
}

Status MemoryPlanStore::ErasePerson(std::string_view user, std::string_view by,
                                    std::string_view reason, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = people_.find(user);
  if (it == people_.end()) {
    return Status::NotFound("unknown user '" + std::string(user) + "'");
  }
  it->second.name.clear();
  it->second.email.clear();
  it->second.erased_ms = now_ms;
  it->second.erased_by = std::string(by);
  erasures_.push_back(
      Erasure{std::string(user), std::string(by), std::string(reason), now_ms});
  return Status::OK();
}

Status MemoryPlanStore::ListErasures(std::vector<Erasure>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  *out = erasures_;
  return Status::OK();
}

}  // namespace samplan
