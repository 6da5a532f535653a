// CheckpointScheduler: writes a signed checkpoint of a plan's head to the
// checkpoint log (checkpoint_log.h) once `every_ops` operations or `every`
// time have passed since the plan's last checkpoint (with at least one new
// operation), so that an operator can ship the file elsewhere and
// `samplan verify` can prove later that the log was not cut off or
// rewound.
//
// The server calls NoteAppended(plan, last_seq) after each durable append
// (cheap: a map update under a mutex). A background thread reads the
// plan's head from the store (PlanStore::GetPlanInfo), signs it with the
// key ring's active key and appends it (fdatasync). The heads already in
// the log when the scheduler starts count as written.
//
// Failures are counted and remembered, never fatal: the plan is tried
// again after a period.
//
// Thread-safety: every method may be called from any thread.
#ifndef SAMPLAN_STORAGE_CHECKPOINT_SCHEDULER_H_
#define SAMPLAN_STORAGE_CHECKPOINT_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crdt/status.h"
#include "storage/checkpoint_log.h"
#include "storage/plan_store.h"
#include "storage/signing.h"

namespace samplan {

struct CheckpointPolicy {
  uint64_t every_ops = 1000;
  std::chrono::milliseconds every{std::chrono::seconds(60)};
};

class CheckpointScheduler {
 public:
  struct Stats {
    uint64_t written = 0;
    uint64_t failed = 0;
    std::string last_error;
  };

  // `store`, `keys` and `log` must outlive the scheduler. `existing`: the
  // checkpoints already in the log (ReadCheckpoints). Starts the thread.
  CheckpointScheduler(PlanStore* store, const KeyRing* keys,
                      CheckpointLog* log, CheckpointPolicy policy,
                      const std::vector<Checkpoint>& existing);
  // Stops the thread (a checkpoint being written completes first).
  ~CheckpointScheduler();
  CheckpointScheduler(const CheckpointScheduler&) = delete;
  CheckpointScheduler& operator=(const CheckpointScheduler&) = delete;

  // The plan's log now ends at `last_seq`. Never blocks on I/O.
  void NoteAppended(std::string_view plan_id, uint64_t last_seq);
  // Checkpoints every noted plan whose head moved since its last
  // checkpoint, now (shutdown, tests).
  void CheckpointAllNow();
  Stats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct PlanState {
    uint64_t noted_seq = 0;
    uint64_t checkpoint_seq = 0;  // written (or found in the log)
    Clock::time_point dirty_since;
    Clock::time_point retry_after;
  };

  void Run();
  // Writes one plan's checkpoint; takes and releases mu_ via `lock`.
  void WriteOne(const std::string& plan_id,
                std::unique_lock<std::mutex>* lock);
  bool DueLocked(const PlanState& p, Clock::time_point now, bool all) const;

  PlanStore* const store_;
  const KeyRing* const keys_;
  CheckpointLog* const log_;
  const CheckpointPolicy policy_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, PlanState, std::less<>> plans_;  // guarded by mu_
  bool stop_ = false;                                    // guarded by mu_
  bool writing_ = false;  // one write at a time; guarded by mu_
  std::condition_variable idle_cv_;
  Stats stats_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_CHECKPOINT_SCHEDULER_H_
