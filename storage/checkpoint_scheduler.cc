#include "storage/checkpoint_scheduler.h"

#include <algorithm>
#include <utility>

namespace samplan {

CheckpointScheduler::CheckpointScheduler(
    PlanStore* store, const KeyRing* keys, CheckpointLog* log,
    CheckpointPolicy policy, const std::vector<Checkpoint>& existing)
    : store_(store), keys_(keys), log_(log), policy_(policy) {
  for (const Checkpoint& c : existing) {
    PlanState& p = plans_[c.plan_id];
    p.checkpoint_seq = std::max(p.checkpoint_seq, c.seq);
    p.noted_seq = std::max(p.noted_seq, c.seq);
  }
  thread_ = std::thread([this] { Run(); });
}

CheckpointScheduler::~CheckpointScheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void CheckpointScheduler::NoteAppended(std::string_view plan_id,
                                       uint64_t last_seq) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = plans_.find(plan_id);
    if (it == plans_.end()) {
      it = plans_.emplace(std::string(plan_id), PlanState{}).first;
    }
    PlanState& p = it->second;
    if (last_seq <= p.noted_seq) return;
    if (p.noted_seq <= p.checkpoint_seq) p.dirty_since = Clock::now();
    p.noted_seq = last_seq;
    wake = p.noted_seq - p.checkpoint_seq >= policy_.every_ops;
  }
  if (wake) cv_.notify_one();
}

bool CheckpointScheduler::DueLocked(const PlanState& p, Clock::time_point now,
                                    bool all) const {
  if (p.noted_seq <= p.checkpoint_seq) return false;
  if (all) return true;
  if (now < p.retry_after) return false;
  return p.noted_seq - p.checkpoint_seq >= policy_.every_ops ||
         now - p.dirty_since >= policy_.every;
}

void CheckpointScheduler::WriteOne(const std::string& plan_id,
                                   std::unique_lock<std::mutex>* lock) {
  writing_ = true;
  lock->unlock();
  PlanInfo info;
  Status status = store_->GetPlanInfo(plan_id, &info);
  Checkpoint c;
  if (status.ok() && info.last_seq > 0) {
    c.plan_id = plan_id;
    c.seq = info.last_seq;
    c.head = info.head;
    c.time_ms = info.last_time_ms;
    c.key_id = keys_->active().id;
    c.signature = keys_->Sign(CheckpointSigningMessage(c));
    status = log_->Append(c);
  }
  lock->lock();
  writing_ = false;
  PlanState& p = plans_[plan_id];
  if (status.ok()) {
    p.checkpoint_seq = std::max(p.checkpoint_seq, c.seq);
    p.noted_seq = std::max(p.noted_seq, c.seq);
    p.dirty_since = Clock::now();
    if (c.seq > 0) ++stats_.written;
  } else {
    p.retry_after = Clock::now() + policy_.every;
    ++stats_.failed;
    stats_.last_error = status.ToString();
  }
  idle_cv_.notify_all();
}

void CheckpointScheduler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const Clock::time_point now = Clock::now();
    Clock::time_point wake = now + policy_.every;
    std::string due;
    for (const auto& [plan_id, p] : plans_) {
      if (DueLocked(p, now, false)) {
        due = plan_id;
        break;
      }
      if (p.noted_seq > p.checkpoint_seq) {
        wake = std::min(wake, std::max(p.dirty_since + policy_.every,
                                       p.retry_after));
      }
    }
    if (due.empty()) {
      cv_.wait_until(lock, wake);
      continue;
    }
    WriteOne(due, &lock);
  }
}

void CheckpointScheduler::CheckpointAllNow() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return !writing_; });
  std::vector<std::string> due;
  for (const auto& [plan_id, p] : plans_) {
    if (DueLocked(p, Clock::now(), true)) due.push_back(plan_id);
  }
  for (const std::string& plan_id : due) {
    idle_cv_.wait(lock, [this] { return !writing_; });
    WriteOne(plan_id, &lock);
  }
}

CheckpointScheduler::Stats CheckpointScheduler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace samplan
