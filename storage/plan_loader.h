// Rebuilding a plan's Replica from what a PlanStore returns, and building a
// snapshot from the log (for when no in-memory replica is at hand).
//
// Thread-safety: functions only; the store must be thread-safe (every
// PlanStore is).
#ifndef SAMPLAN_STORAGE_PLAN_LOADER_H_
#define SAMPLAN_STORAGE_PLAN_LOADER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crdt/replica.h"
#include "crdt/status.h"
#include "storage/plan_store.h"

namespace samplan {

// The replica id storage uses for replicas it rebuilds itself (it never
// creates operations with it).
inline constexpr ReplicaId kStorageReplicaId = (uint64_t{1} << 53) - 1;

// A replica `id` holding `plan`: its snapshot decoded (or an empty replica)
// with every tail op applied. Corruption naming plan and seq when the
// snapshot does not decode or an op is rejected.
Result<std::unique_ptr<Replica>> RebuildReplica(const LoadedPlan& plan,
                                                ReplicaId id);

// Loads the plan, rebuilds it and encodes a snapshot of it as of `*seq`
// (its last seq). Works on any PlanStore; cost: one load and replay.
Status BuildSnapshotFromLog(PlanStore* store, std::string_view plan_id,
                            uint64_t* seq, std::string* snapshot);

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_PLAN_LOADER_H_
