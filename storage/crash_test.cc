// Crash test: a child process appends acknowledged batches to two plans
// while the test SIGKILLs it at random moments, 50 times. After every kill,
// the store reopens, every acknowledged operation is there, sequence
// numbers have no gaps, every plan loads and the chains verify.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <sstream>

#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/testing/child_process.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using testing_util::ChildProcess;
using testing_util::TempDir;

constexpr int kPlans = 2;

TEST(StorageCrashTest, AcknowledgedAppendsSurviveSigkill) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::mt19937 rng(20261125);
  std::map<int, uint64_t> acked;  // plan index -> highest acknowledged seq
  std::map<int, std::string> acked_chain;  // its chain value (hex)
  constexpr int kCycles = 50;
  int kills_mid_run = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    ChildProcess child({SAMPLAN_STORAGE_CHILD, data, std::to_string(kPlans),
                        std::to_string(10 + cycle * 10000),
                        std::to_string(cycle + 1)});
    auto on_line = [&](const std::string& line) {
      std::istringstream in(line);
      int plan;
      uint64_t seq;
      std::string chain;
      ASSERT_TRUE(in >> plan >> seq >> chain) << line;
      if (seq > acked[plan]) {
        acked[plan] = seq;
        acked_chain[plan] = chain;
      }
    };
    // Wait for the first acknowledgement, then kill at a random moment.
    uint64_t before = acked[0] + acked[1];
    for (int i = 0; i < 200 && acked[0] + acked[1] == before; ++i) {
      if (!child.ReadLines(std::chrono::milliseconds(10), on_line)) break;
    }
    const bool running = child.ReadLines(
        std::chrono::milliseconds(std::uniform_int_distribution<>(0, 40)(rng)),
        on_line);
    child.Kill();
    // Lines already in the pipe were acknowledged before the kill.
    while (child.ReadLines(std::chrono::milliseconds(1000), on_line)) {
    }
    if (running) ++kills_mid_run;
    ASSERT_GT(acked[0] + acked[1], before) << "child made no progress";

    std::unique_ptr<RocksDbPlanStore> store;
    Status s = RocksDbPlanStore::Open(data, {}, &store);
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (int p = 0; p < kPlans; ++p) {
      const std::string plan_id = "plan" + std::to_string(p);
      PlanInfo info;
      ASSERT_TRUE(store->GetPlanInfo(plan_id, &info).ok());
      EXPECT_GE(info.last_seq, acked[p]) << plan_id << " lost acknowledged ops";
      if (acked[p] > 0 && !acked_chain[p].empty()) {
        // The same chain value: every acknowledged op is there, unchanged.
        std::vector<StoredOp> op;
        ASSERT_TRUE(store->ReadRange(plan_id, acked[p], 1, &op).ok());
        ASSERT_EQ(op.size(), 1u);
        EXPECT_EQ(ChainToHex(op[0].chain), acked_chain[p]);
      }
      LoadedPlan loaded;
      s = store->Load(plan_id, &loaded);
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_EQ(loaded.tail.size(), info.last_seq);
      for (size_t i = 0; i < loaded.tail.size(); ++i) {
        ASSERT_EQ(loaded.tail[i].seq, i + 1);
      }
      if (cycle % 10 == 9) {
        PlanVerifyReport report;
        s = VerifyPlan(store.get(), plan_id, &report);
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
      // The next run continues from what is stored.
      acked[p] = info.last_seq;
      acked_chain[p] = ChainToHex(info.head);
    }
  }
  EXPECT_EQ(kills_mid_run, kCycles);
}

}  // namespace
}  // namespace samplan
