// Logs whose replay leaves operations held back: an op whose dependencies
// never arrive in the log. The server stores an op only once its
// dependencies are known, so such a log is forged or damaged; VerifyPlan and
// RebuildReplica must fail it, naming the first such op's seq, rather than
// pass a plan the server then refuses to load. The logs are forged by
// appending through the stores directly (Append checks only the op's shape).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "crdt/replica.h"
#include "storage/memory_plan_store.h"
#include "storage/plan_loader.h"
#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/testing/random_plan_editor.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using testing_util::RandomPlanEditor;
using testing_util::TempDir;

constexpr uint64_t kValidOps = 12;
constexpr ReplicaId kForger = 4242;

// A store of either kind, kept alive with its directory.
struct StoreHolder {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<PlanStore> store;
};

StoreHolder MakeMemory() { return {nullptr, std::make_unique<MemoryPlanStore>()}; }

StoreHolder MakeRocks() {
  StoreHolder h;
  h.dir = std::make_unique<TempDir>();
  std::unique_ptr<RocksDbPlanStore> store;
  RocksDbPlanStoreOptions options;
  options.sync = false;
  Status s = RocksDbPlanStore::Open(h.dir->path() + "/data", options, &store);
  EXPECT_TRUE(s.ok()) << s.ToString();
  h.store = std::move(store);
  return h;
}

struct StoreKind {
  const char* name;
  std::function<StoreHolder()> make;
};

// Test names and failure messages show the store's name, not its bytes.
void PrintTo(const StoreKind& kind, std::ostream* os) { *os << kind.name; }

class PendingVerifyTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    holder_ = GetParam().make();
    ASSERT_NE(holder_.store, nullptr);
    ASSERT_TRUE(store()->CreatePlan("victim", "").ok());
    RandomPlanEditor editor(11, 10);
    uint64_t seq = 0;
    while (seq < kValidOps) {
      for (const Op& op : editor.NextBatch()) {
        if (seq == kValidOps) break;
        Append(op);
        ++seq;
      }
    }
    base_ = editor.all_ops();
  }

  PlanStore* store() { return holder_.store.get(); }

  void Append(const Op& op) {
    Status s = store()->Append("victim", {op}, {"kari", "Moss", 0}, nullptr);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Two valid ops of replica kForger on top of everything stored: a goal
  // under the root and a title typed into it.
  std::vector<Op> ForgerOps() {
    Replica r(kForger);
    EXPECT_TRUE(r.ApplyAll(base_).ok());
    Result<OpId> goal = r.CreateNode(kRootNode, 0, "goal");
    EXPECT_TRUE(goal.ok());
    EXPECT_TRUE(r.InsertText(*goal, "title", 0, "Tiltak").ok());
    std::vector<Op> ops;
    EXPECT_TRUE(r.OpsSince(store_version_, &ops).ok());
    std::vector<Op> mine;
    for (const Op& op : ops) {
      if (op.id.replica == kForger) mine.push_back(op);
    }
    EXPECT_EQ(mine.size(), 2u);
    return mine;
  }

  // Checks that verify and load both fail at `bad_seq`.
  void ExpectFailsAt(uint64_t bad_seq) {
    const std::string where = "plan victim seq " + std::to_string(bad_seq);
    PlanVerifyReport report;
    Status s = VerifyPlan(store(), "victim", &report);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
    EXPECT_EQ(report.bad_seq, bad_seq) << s.ToString();
    EXPECT_NE(s.message().find(where), std::string::npos) << s.ToString();

    LoadedPlan loaded;
    s = store()->Load("victim", &loaded);
    ASSERT_TRUE(s.ok()) << s.ToString();  // the chain itself is intact
    Result<std::unique_ptr<Replica>> rebuilt =
        RebuildReplica(loaded, kStorageReplicaId);
    ASSERT_FALSE(rebuilt.ok());
    EXPECT_EQ(rebuilt.status().code(), Status::Code::kCorruption);
    EXPECT_NE(rebuilt.status().message().find(where), std::string::npos)
        << rebuilt.status().ToString();

    uint64_t at = 0;
    std::string snapshot;
    EXPECT_FALSE(BuildSnapshotFromLog(store(), "victim", &at, &snapshot).ok());
  }

  StoreHolder holder_;
  std::vector<Op> base_;
  VersionVector store_version_;  // empty: OpsSince gives everything
};

TEST_P(PendingVerifyTest, ValidLogPasses) {
  PlanVerifyReport report;
  Status s = VerifyPlan(store(), "victim", &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.ops, kValidOps);
}

// An op naming a dependency that no stored op provides.
TEST_P(PendingVerifyTest, DependencyNeverArrives) {
  std::vector<Op> ops = ForgerOps();
  ASSERT_EQ(ops.size(), 2u);
  Append(ops[0]);  // seq 13, fine
  Op forged = ops[1];
  forged.deps.push_back(OpId{9999, 7});
  Append(forged);  // seq 14: held back for good
  // Later valid ops do not hide it.
  RandomPlanEditor more(12, 20);
  Append(more.NextBatch().front());  // seq 15
  ExpectFailsAt(kValidOps + 2);
}

// A predecessor gap: the forger's second op without its first.
TEST_P(PendingVerifyTest, PredecessorNeverArrives) {
  std::vector<Op> ops = ForgerOps();
  ASSERT_EQ(ops.size(), 2u);
  Append(ops[1]);  // seq 13: counter 2 of kForger, counter 1 never stored
  ExpectFailsAt(kValidOps + 1);
}

// The first of several held-back ops is the one named.
TEST_P(PendingVerifyTest, NamesTheFirstHeldBackOp) {
  std::vector<Op> ops = ForgerOps();
  Op a = ops[0];
  a.deps = {OpId{9999, 1}};
  Op b = ops[0];
  b.id = OpId{kForger + 1, 1};
  b.deps = {OpId{9998, 1}};
  Append(a);  // seq 13
  Append(b);  // seq 14
  ExpectFailsAt(kValidOps + 1);
}

// Held back, then its dependency arrives later in the log: the replay ends
// complete, so the log passes (the order is unusual, not inconsistent).
TEST_P(PendingVerifyTest, DependencyArrivingLaterPasses) {
  std::vector<Op> ops = ForgerOps();
  Append(ops[1]);  // seq 13: waits for ops[0]
  Append(ops[0]);  // seq 14: both apply
  PlanVerifyReport report;
  Status s = VerifyPlan(store(), "victim", &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  LoadedPlan loaded;
  ASSERT_TRUE(store()->Load("victim", &loaded).ok());
  Result<std::unique_ptr<Replica>> rebuilt =
      RebuildReplica(loaded, kStorageReplicaId);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ((*rebuilt)->pending_count(), 0u);
}

// Held back, and invalid once its dependency arrives: the replica drops it;
// the failure is reported where the drop happened.
TEST_P(PendingVerifyTest, HeldBackOpRejectedLater) {
  std::vector<Op> ops = ForgerOps();
  Op bad = ops[1];
  bad.name = "no_such_field";
  Append(bad);     // seq 13: waits for ops[0]
  Append(ops[0]);  // seq 14: the drain rejects seq 13
  ExpectFailsAt(kValidOps + 2);
}

INSTANTIATE_TEST_SUITE_P(Stores, PendingVerifyTest,
                         ::testing::Values(StoreKind{"Memory", MakeMemory},
                                           StoreKind{"RocksDb", MakeRocks}),
                         [](const ::testing::TestParamInfo<StoreKind>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace samplan
