// SnapshotScheduler: snapshots every K ops and after T, in the background,
// with the default (log replay) source and with a custom one.
#include "storage/snapshot_scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "storage/memory_plan_store.h"
#include "storage/plan_loader.h"
#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/testing/temp_dir.h"
#include "storage/testing/random_plan_editor.h"

namespace samplan {
namespace {

using testing_util::RandomPlanEditor;

// Waits until `pred` holds (up to 10 s).
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

uint64_t SnapshotSeq(PlanStore* store, const std::string& plan) {
  PlanInfo info;
  EXPECT_TRUE(store->GetPlanInfo(plan, &info).ok());
  return info.snapshot_seq;
}

TEST(SnapshotSchedulerTest, SnapshotsEveryKOps) {
  MemoryPlanStore store;
  ASSERT_TRUE(store.CreatePlan("p", "").ok());
  SnapshotPolicy policy;
  policy.every_ops = 20;
  policy.every = std::chrono::hours(1);
  SnapshotScheduler scheduler(&store, policy);
  RandomPlanEditor editor(3, 10);
  uint64_t last = 0;
  for (int i = 0; i < 15; ++i) {
    std::vector<StoredOp> stored;
    ASSERT_TRUE(store.Append("p", editor.NextBatch(), {}, &stored).ok());
    last = stored.back().seq;
    scheduler.NoteAppended("p", last);
  }
  EXPECT_EQ(SnapshotSeq(&store, "p"), 0u);  // fewer than K ops
  while (last < 45) {
    std::vector<StoredOp> stored;
    ASSERT_TRUE(store.Append("p", editor.NextBatch(), {}, &stored).ok());
    last = stored.back().seq;
    scheduler.NoteAppended("p", last);
  }
  EXPECT_TRUE(Eventually([&] { return SnapshotSeq(&store, "p") >= 20; }));
  scheduler.SnapshotAllNow();
  EXPECT_EQ(SnapshotSeq(&store, "p"), last);
  EXPECT_GE(scheduler.stats().written, 1u);
  EXPECT_EQ(scheduler.stats().failed, 0u);
  PlanVerifyReport report;
  Status s = VerifyPlan(&store, "p", &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(SnapshotSchedulerTest, SnapshotsAfterTimeWithCustomSource) {
  MemoryPlanStore store;
  ASSERT_TRUE(store.CreatePlan("p", "").ok());
  std::atomic<int> calls{0};
  SnapshotPolicy policy;
  policy.every_ops = 1000;
  policy.every = std::chrono::milliseconds(50);
  SnapshotScheduler scheduler(
      &store, policy,
      [&](std::string_view plan, uint64_t* seq, std::string* bytes) {
        ++calls;
        return BuildSnapshotFromLog(&store, plan, seq, bytes);
      });
  RandomPlanEditor editor(4, 10);
  std::vector<StoredOp> stored;
  ASSERT_TRUE(store.Append("p", editor.NextBatch(), {}, &stored).ok());
  scheduler.NoteAppended("p", stored.back().seq);
  // The first note of an unknown plan only learns its snapshot state; the
  // time rule then fires after T.
  EXPECT_TRUE(Eventually([&] { return SnapshotSeq(&store, "p") == 1; }));
  EXPECT_GE(calls.load(), 1);
}

TEST(SnapshotSchedulerTest, RocksDbStoreWithConcurrentAppenders) {
  testing_util::TempDir dir;
  std::unique_ptr<RocksDbPlanStore> store;
  RocksDbPlanStoreOptions options;
  options.sync = false;
  ASSERT_TRUE(RocksDbPlanStore::Open(dir.path() + "/db", options, &store).ok());
  SnapshotPolicy policy;
  policy.every_ops = 25;
  SnapshotScheduler scheduler(store.get(), policy);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    const std::string plan = "plan" + std::to_string(t);
    ASSERT_TRUE(store->CreatePlan(plan, "").ok());
    threads.emplace_back([&, plan, t] {
      RandomPlanEditor editor(100 + t, 10 + 10 * t);
      for (int i = 0; i < 150; ++i) {
        std::vector<StoredOp> stored;
        Status s = store->Append(plan, editor.NextBatch(), {}, &stored);
        if (!s.ok()) {
          ADD_FAILURE() << s.ToString();
          return;
        }
        scheduler.NoteAppended(plan, stored.back().seq);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  scheduler.SnapshotAllNow();
  EXPECT_EQ(scheduler.stats().failed, 0u) << scheduler.stats().last_error;
  for (const char* plan : {"plan0", "plan1"}) {
    PlanInfo info;
    ASSERT_TRUE(store->GetPlanInfo(plan, &info).ok());
    EXPECT_EQ(info.snapshot_seq, info.last_seq);
    PlanVerifyReport report;
    Status s = VerifyPlan(store.get(), plan, &report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_GE(report.snapshots, 1u);
  }
}

TEST(SnapshotSchedulerTest, FailuresAreCountedNotFatal) {
  MemoryPlanStore store;
  SnapshotPolicy policy;
  policy.every_ops = 1;
  SnapshotScheduler scheduler(&store, policy);
  scheduler.NoteAppended("missing", 5);
  EXPECT_TRUE(Eventually([&] { return scheduler.stats().failed == 1; }));
  EXPECT_NE(scheduler.stats().last_error.find("missing"), std::string::npos);
}

}  // namespace
}  // namespace samplan
