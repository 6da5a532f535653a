#include "storage/snapshot_scheduler.h"

#include <utility>

#include "storage/plan_loader.h"

namespace samplan {

SnapshotScheduler::SnapshotScheduler(PlanStore* store, SnapshotPolicy policy,
                                     SnapshotSource source)
    : store_(store),
      policy_(policy),
      source_(source ? std::move(source)
                     : SnapshotSource([store](std::string_view plan_id,
                                              uint64_t* seq,
                                              std::string* snapshot) {
                         return BuildSnapshotFromLog(store, plan_id, seq,
                                                     snapshot);
                       })) {
  thread_ = std::thread([this] { Run(); });
}

SnapshotScheduler::~SnapshotScheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SnapshotScheduler::NoteAppended(std::string_view plan_id,
                                     uint64_t last_seq) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = plans_.find(plan_id);
    if (it == plans_.end()) {
      it = plans_.emplace(std::string(plan_id), PlanState{}).first;
    }
    PlanState& p = it->second;
    if (last_seq <= p.last_seq) return;
    if (p.last_seq <= p.snapshot_seq) p.dirty_since = Clock::now();
    p.last_seq = last_seq;
    wake = !p.snapshot_seq_known ||
           p.last_seq - p.snapshot_seq >= policy_.every_ops;
  }
  if (wake) cv_.notify_one();
}

std::string SnapshotScheduler::NextDueLocked(Clock::time_point now,
                                             Clock::time_point* wake,
                                             const std::set<std::string>* all) {
  for (auto& [plan_id, p] : plans_) {
    if (p.running || p.last_seq <= p.snapshot_seq) continue;
    if (all != nullptr && all->count(plan_id) != 0) continue;
    if (all != nullptr || !p.snapshot_seq_known ||
        p.last_seq - p.snapshot_seq >= policy_.every_ops ||
        now - p.dirty_since >= policy_.every) {
      return plan_id;
    }
    *wake = std::min(*wake, p.dirty_since + policy_.every);
  }
  return std::string();
}

void SnapshotScheduler::SnapshotPlan(const std::string& plan_id,
                                     std::unique_lock<std::mutex>* lock) {
  PlanState& p = plans_[plan_id];
  p.running = true;
  const bool known = p.snapshot_seq_known;
  const uint64_t noted = p.last_seq;
  lock->unlock();

  Status status;
  uint64_t seq = 0;
  bool wrote = false;
  PlanInfo info;
  if (!known) status = store_->GetPlanInfo(plan_id, &info);
  const bool due_by_ops =
      known || noted - std::min(noted, info.snapshot_seq) >= policy_.every_ops;
  // A plan just seen for the first time is snapshotted only if it is due
  // by operations; by time it waits a full period.
  if (status.ok() && due_by_ops) {
    std::string bytes;
    status = source_(plan_id, &seq, &bytes);
    if (status.ok() && seq > 0) {
      status = store_->PutSnapshot(plan_id, seq, bytes);
      wrote = status.ok();
    }
  }

  lock->lock();
  PlanState& q = plans_[plan_id];
  q.running = false;
  if (!known && status.ok()) {
    q.snapshot_seq_known = true;
    q.snapshot_seq = std::max(q.snapshot_seq, info.snapshot_seq);
    if (!wrote) q.dirty_since = Clock::now();
  }
  if (wrote) {
    q.snapshot_seq = std::max(q.snapshot_seq, seq);
    q.dirty_since = Clock::now();
    ++stats_.written;
  } else if (!status.ok()) {
    // Try again after a period rather than spinning on a failing plan.
    q.snapshot_seq_known = true;
    q.snapshot_seq = std::max(q.snapshot_seq, noted);
    ++stats_.failed;
    stats_.last_error = status.ToString();
  }
  idle_cv_.notify_all();
}

void SnapshotScheduler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const Clock::time_point now = Clock::now();
    Clock::time_point wake = now + policy_.every;
    const std::string plan_id = NextDueLocked(now, &wake, nullptr);
    if (plan_id.empty()) {
      cv_.wait_until(lock, wake);
      continue;
    }
    SnapshotPlan(plan_id, &lock);
  }
}

void SnapshotScheduler::SnapshotAllNow() {
  std::unique_lock<std::mutex> lock(mu_);
  std::set<std::string> done;  // each plan once per call
  while (true) {
    Clock::time_point wake = Clock::now();
    std::string plan_id = NextDueLocked(Clock::now(), &wake, &done);
    if (plan_id.empty()) {
      bool busy = false;
      for (const auto& [id, p] : plans_) busy = busy || p.running;
      if (!busy) return;
      idle_cv_.wait(lock);
      continue;
    }
    // Force it: the plan has ops after its last snapshot.
    plans_[plan_id].snapshot_seq_known = true;
    done.insert(plan_id);
    SnapshotPlan(plan_id, &lock);
  }
}

SnapshotScheduler::Stats SnapshotScheduler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace samplan
