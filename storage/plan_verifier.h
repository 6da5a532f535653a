// Verifying a plan's stored history end to end: the check behind
// `samplan verify` and the tamper tests.
//
// VerifyPlan reads the whole log through PlanStore::ReadRange (paged) and
// checks that sequence numbers run 1..last_seq without gaps or extra
// records, that every chain value recomputes from the previous one and the
// op's canonical bytes, that the last one is the plan's head, that every op
// applies to a replica replaying the log, that the replay leaves no op
// waiting for dependencies the log never supplies (LogReplay, plan_loader.h:
// the first such op's seq is reported), and that every stored snapshot
// decodes to the same plan (CanonicalDump) as that replay at the snapshot's
// seq. It stops at the first inconsistency and returns Corruption
// "plan P seq N: what".
//
// Thread-safety: functions only; concurrent appends during a verification
// are fine (the log is append-only; what was read is checked).
#ifndef SAMPLAN_STORAGE_PLAN_VERIFIER_H_
#define SAMPLAN_STORAGE_PLAN_VERIFIER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "crdt/status.h"
#include "storage/plan_store.h"

namespace samplan {

struct PlanVerifyReport {
  std::string plan_id;
  uint64_t ops = 0;        // operations checked
  uint64_t snapshots = 0;  // snapshots checked
  ChainHash head{};        // recomputed chain head
  // Set on failure: where and what.
  uint64_t bad_seq = 0;
  std::string problem;
};

Status VerifyPlan(PlanStore* store, std::string_view plan_id,
                  PlanVerifyReport* report);

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_PLAN_VERIFIER_H_
