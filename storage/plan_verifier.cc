#include "storage/plan_verifier.h"

#include <memory>
#include <vector>

#include "crdt/replica.h"
#include "storage/plan_loader.h"

namespace samplan {

namespace {

constexpr size_t kPage = 4096;

Status Fail(PlanVerifyReport* report, uint64_t seq, const std::string& what) {
  report->bad_seq = seq;
  report->problem = what;
  return Status::Corruption("plan " + report->plan_id + " seq " +
                            std::to_string(seq) + ": " + what);
}

}  // namespace

Status VerifyPlan(PlanStore* store, std::string_view plan_id,
                  PlanVerifyReport* report) {
  *report = PlanVerifyReport{};
  report->plan_id = std::string(plan_id);
  PlanInfo info;
  SAMPLAN_RETURN_IF_ERROR(store->GetPlanInfo(plan_id, &info));
  std::vector<SnapshotRef> snapshots;
  SAMPLAN_RETURN_IF_ERROR(store->ListSnapshots(plan_id, &snapshots));
  size_t next_snapshot = 0;

  auto replica = std::make_unique<Replica>(kStorageReplicaId);
  LogReplay replay(replica.get(), 0);
  ReplayProblem problem;
  ChainHash chain{};
  uint64_t expected = 1;
  std::vector<StoredOp> page;
  // Checks the snapshots at `seq` against the replay so far.
  auto check_snapshots = [&](uint64_t seq) -> Status {
    while (next_snapshot < snapshots.size() &&
           snapshots[next_snapshot].seq <= seq) {
      const uint64_t at = snapshots[next_snapshot++].seq;
      if (at != seq) {
        return Fail(report, at, "snapshot at a seq with no operation");
      }
      std::string bytes;
      Status r = store->ReadSnapshot(plan_id, at, &bytes);
      if (!r.ok()) return Fail(report, at, "snapshot: " + r.message());
      Result<std::unique_ptr<Replica>> decoded =
          Replica::DecodeSnapshot(bytes, kStorageReplicaId);
      if (!decoded.ok()) {
        return Fail(report, at,
                    "snapshot does not decode: " + decoded.status().message());
      }
      if ((*decoded)->CanonicalDump() != replica->CanonicalDump()) {
        return Fail(report, at,
                    "snapshot differs from the replay of the log up to it");
      }
      ++report->snapshots;
    }
    return Status::OK();
  };

  size_t page_size = kPage;
  while (true) {
    Status s = store->ReadRange(plan_id, expected, page_size, &page);
    if (!s.ok() && page_size > 1) {
      // Find the exact record: read one at a time from here.
      page_size = 1;
      continue;
    }
    if (!s.ok()) {
      // The store names the place; keep its message.
      report->bad_seq = expected;
      report->problem = s.message();
      return s.code() == Status::Code::kCorruption
                 ? s
                 : Status::Corruption("plan " + report->plan_id + " seq " +
                                      std::to_string(expected) + ": " +
                                      s.ToString());
    }
    if (page.empty()) break;
    for (const StoredOp& op : page) {
      if (op.seq != expected) {
        return Fail(report, expected,
                    "operation missing from the log (next stored is seq " +
                        std::to_string(op.seq) + ")");
      }
      if (op.seq > info.last_seq) {
        return Fail(report, op.seq,
                    "operation past the plan's last seq " +
                        std::to_string(info.last_seq));
      }
      chain = NextChain(chain, CanonicalOpBytes(op.op));
      if (chain != op.chain) {
        return Fail(report, op.seq,
                    "chain mismatch (stored " + ChainToHex(op.chain) +
                        ", computed " + ChainToHex(chain) + ")");
      }
      if (op.user != op.op.author.user ||
          op.municipality != op.op.author.municipality ||
          op.server_time_ms != op.op.author.wall_time_ms) {
        return Fail(report, op.seq, "author fields differ from the op's");
      }
      if (!replay.Apply(op, &problem)) {
        return Fail(report, problem.seq, problem.what);
      }
      ++report->ops;
      ++expected;
      SAMPLAN_RETURN_IF_ERROR(check_snapshots(op.seq));
    }
  }
  if (expected != info.last_seq + 1) {
    return Fail(report, expected,
                "operation missing from the log (plan ends at " +
                    std::to_string(info.last_seq) + ")");
  }
  if (chain != info.head) {
    return Fail(report, info.last_seq,
                "chain head " + ChainToHex(chain) +
                    " differs from the plan record's " +
                    ChainToHex(info.head));
  }
  // Ops still held back mean the log lacks their dependencies: the server
  // would refuse to load it, so verification must not pass it.
  if (!replay.Finish(&problem)) return Fail(report, problem.seq, problem.what);
  if (next_snapshot < snapshots.size()) {
    return Fail(report, snapshots[next_snapshot].seq,
                "snapshot past the end of the log");
  }
  report->head = chain;
  return Status::OK();
}

}  // namespace samplan

