#include "storage/plan_loader.h"

namespace samplan {

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
  for (const StoredOp& op : plan.tail) {
    Status s = replica->Apply(op.op);
    if (!s.ok()) {
      return Status::Corruption(label + " seq " + std::to_string(op.seq) +
                                ": operation rejected by the replica: " +
                                s.ToString());
    }
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
