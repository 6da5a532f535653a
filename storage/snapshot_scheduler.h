// SnapshotScheduler: writes plan snapshots in the background so loading
// stays fast, without ever blocking an append.
//
// The server calls NoteAppended(plan, last_seq) after each successful
// append (cheap: a map update under a mutex, no I/O). A background thread
// snapshots a plan once `every_ops` operations or `every` time have passed
// since its last snapshot (with at least one new operation): it asks the
// SnapshotSource for the plan's snapshot bytes and the seq they stand for,
// and stores them with PlanStore::PutSnapshot. The default source is
// BuildSnapshotFromLog (load + replay from the store); the server passes one
// that encodes its in-memory Replica instead (Replica::EncodeSnapshot, a few
// ms for a large plan), e.g. by running it on the plan's strand and waiting.
//
// Failures are counted and remembered (stats()), never fatal: the log
// stays the source of truth, and the plan is tried again on its next note.
//
// Thread-safety: every method may be called from any thread. The source is
// called on the scheduler's thread, one call at a time.
#ifndef SAMPLAN_STORAGE_SNAPSHOT_SCHEDULER_H_
#define SAMPLAN_STORAGE_SNAPSHOT_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "crdt/status.h"
#include "storage/plan_store.h"

namespace samplan {

// Produces a snapshot of `plan_id`: its bytes and the seq they reflect
// (every op up to and including *seq, nothing after).
using SnapshotSource = std::function<Status(
    std::string_view plan_id, uint64_t* seq, std::string* snapshot)>;

struct SnapshotPolicy {
  uint64_t every_ops = 1000;  // K
  std::chrono::milliseconds every{std::chrono::seconds(60)};  // T
};

class SnapshotScheduler {
 public:
  struct Stats {
    uint64_t written = 0;
    uint64_t failed = 0;
    std::string last_error;
  };

  // `store` must outlive the scheduler. An empty `source` means
  // BuildSnapshotFromLog on `store`. Starts the background thread.
  SnapshotScheduler(PlanStore* store, SnapshotPolicy policy,
                    SnapshotSource source = nullptr);
  // Stops the thread (a snapshot in progress completes first).
  ~SnapshotScheduler();
  SnapshotScheduler(const SnapshotScheduler&) = delete;
  SnapshotScheduler& operator=(const SnapshotScheduler&) = delete;

  // The plan's log now ends at `last_seq`. Never blocks on I/O.
  void NoteAppended(std::string_view plan_id, uint64_t last_seq);
  // Snapshots every noted plan with operations after its last snapshot,
  // now, and returns when done (shutdown, tests).
  void SnapshotAllNow();
  Stats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct PlanState {
    uint64_t last_seq = 0;      // noted
    uint64_t snapshot_seq = 0;  // last written (or found in the store)
    bool snapshot_seq_known = false;
    Clock::time_point dirty_since;  // first note after the last snapshot
    bool running = false;
  };

  void Run();
  // The next plan due at `now` (empty: none); `wake` gets the earliest time
  // a plan becomes due by time. With `all`, every plan with new operations
  // not in *all is due. REQUIRES: mu_ held.
  std::string NextDueLocked(Clock::time_point now, Clock::time_point* wake,
                            const std::set<std::string>* all);
  // Snapshots one plan. Takes and releases mu_ via `lock`.
  void SnapshotPlan(const std::string& plan_id,
                    std::unique_lock<std::mutex>* lock);

  PlanStore* const store_;
  const SnapshotPolicy policy_;
  const SnapshotSource source_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // work or stop
  std::condition_variable idle_cv_;  // a snapshot finished
  std::map<std::string, PlanState, std::less<>> plans_;  // guarded by mu_
  bool stop_ = false;                                    // guarded by mu_
  Stats stats_;                                          // guarded by mu_
  std::thread thread_;
};

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_SNAPSHOT_SCHEDULER_H_
