// Rebuilding a plan's Replica from what a PlanStore returns, and building a
// snapshot from the log (for when no in-memory replica is at hand).
//
// A stored log must replay completely: every op applies, and none is left
// held back waiting for dependencies that never arrive (the server stores an
// op only once its dependencies are known, so such a log is damaged or
// forged, and the server refuses to load it). LogReplay enforces this for
// RebuildReplica and VerifyPlan alike, naming the seq of the first bad op.
//
// Thread-safety: functions only; the store must be thread-safe (every
// PlanStore is). A LogReplay belongs to one thread, like its Replica.
#ifndef SAMPLAN_STORAGE_PLAN_LOADER_H_
#define SAMPLAN_STORAGE_PLAN_LOADER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/replica.h"
#include "crdt/status.h"
#include "storage/plan_store.h"

namespace samplan {

// The replica id storage uses for replicas it rebuilds itself (it never
// creates operations with it).
inline constexpr ReplicaId kStorageReplicaId = (uint64_t{1} << 53) - 1;

// Where and why a replay failed.
struct ReplayProblem {
  uint64_t seq = 0;
  std::string what;
};

// Applies stored ops in sequence order to a replica and remembers which ones
// the replica held back (dependencies not yet applied), so that a log that
// leaves ops pending is reported at the first such op rather than passing.
class LogReplay {
 public:
  // `replica` (not owned) holds the state at `base_seq` (a decoded snapshot,
  // or an empty replica and 0).
  LogReplay(Replica* replica, uint64_t base_seq)
      : replica_(replica), base_seq_(base_seq) {}

  // Applies `op`. False with `*problem` when the replica rejects it or when
  // applying it made the replica drop an op it had held back as invalid.
  bool Apply(const StoredOp& op, ReplayProblem* problem);
  // After the last op: false with `*problem` naming the first op (by seq)
  // still waiting for dependencies, or `base_seq` when the snapshot itself
  // carried held-back ops.
  bool Finish(ReplayProblem* problem) const;

 private:
  struct Held {
    uint64_t seq;
    OpId last;  // the op's last unit: applied once the version includes it
  };

  Replica* replica_;
  uint64_t base_seq_;
  std::vector<Held> held_;  // in seq order
};

// A replica `id` holding `plan`: its snapshot decoded (or an empty replica)
// with every tail op applied. Corruption naming plan and seq when the
// snapshot does not decode, an op is rejected or ops are left waiting for
// dependencies the log never supplies.
Result<std::unique_ptr<Replica>> RebuildReplica(const LoadedPlan& plan,
                                                ReplicaId id);

// Loads the plan, rebuilds it and encodes a snapshot of it as of `*seq`
// (its last seq). Works on any PlanStore; cost: one load and replay.
Status BuildSnapshotFromLog(PlanStore* store, std::string_view plan_id,
                            uint64_t* seq, std::string* snapshot);

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_PLAN_LOADER_H_
