// MemoryPlanStore: a PlanStore held in memory, for unit tests and tools.
//
// Same contract as the RocksDB store (sequence numbers, chain, server time,
// paging, snapshots), without durability: everything is lost with the
// object. Keeps every snapshot put.
//
// Thread-safety: every method may be called concurrently (one mutex).
#ifndef SAMPLAN_STORAGE_MEMORY_PLAN_STORE_H_
#define SAMPLAN_STORAGE_MEMORY_PLAN_STORE_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "storage/append_builder.h"
#include "storage/named_version.h"
#include "storage/people.h"
#include "storage/plan_store.h"

namespace samplan {

class MemoryPlanStore : public PlanStore {
 public:
  MemoryPlanStore() = default;
  MemoryPlanStore(const MemoryPlanStore&) = delete;
  MemoryPlanStore& operator=(const MemoryPlanStore&) = delete;

  Status CreatePlan(std::string_view plan_id, std::string_view title) override;
  Status ListPlans(std::vector<PlanInfo>* out) override;
  Status GetPlanInfo(std::string_view plan_id, PlanInfo* out) override;
  Status Append(std::string_view plan_id, const std::vector<Op>& ops,
                const AppendContext& who,
                std::vector<StoredOp>* stored) override;
  Status Load(std::string_view plan_id, LoadedPlan* out) override;
  Status PutSnapshot(std::string_view plan_id, uint64_t seq,
                     std::string_view snapshot) override;
  Status ReadRange(std::string_view plan_id, uint64_t from_seq, size_t limit,
                   std::vector<StoredOp>* out) override;
  Status ReadTimeRange(std::string_view plan_id, int64_t from_ms,
                       int64_t to_ms, uint64_t after_seq, size_t limit,
                       std::vector<StoredOp>* out) override;
  Status ListSnapshots(std::string_view plan_id,
                       std::vector<SnapshotRef>* out) override;
  Status ReadSnapshot(std::string_view plan_id, uint64_t seq,
                      std::string* out) override;
  Status PutVersion(const NamedVersion& v) override;
  Status ListVersions(std::string_view plan_id,
                      std::vector<NamedVersion>* out) override;
  Status PutPerson(const Person& p) override;
  Status GetPerson(std::string_view user, Person* out) override;
  Status ListPeople(std::vector<Person>* out) override;
  Status ErasePerson(std::string_view user, std::string_view by,
                     std::string_view reason, int64_t now_ms) override;
  Status ListErasures(std::vector<Erasure>* out) override;

 private:
  struct Plan {
    PlanInfo info;
    int64_t last_time_ms = 0;
    std::vector<StoredOp> ops;  // ops[i].seq == i + 1
    std::map<uint64_t, std::string> snapshots;
    std::vector<NamedVersion> versions;  // creation order
  };
  // REQUIRES: mu_ held.
  Status Find(std::string_view plan_id, Plan** plan);

  std::mutex mu_;
  std::map<std::string, Plan, std::less<>> plans_;
  std::map<std::string, Person, std::less<>> people_;
  std::vector<Erasure> erasures_;
};

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_MEMORY_PLAN_STORE_H_
