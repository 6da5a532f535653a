#include "storage/checkpoint_scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "storage/memory_plan_store.h"
#include "storage/testing/random_plan_editor.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using testing_util::RandomPlanEditor;
using testing_util::TempDir;

class CheckpointSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(KeyRing::LoadOrCreate(dir_.path(), 1, &ring_).ok());
    path_ = dir_.path() + "/checkpoints.log";
    ASSERT_TRUE(CheckpointLog::Open(path_, &log_).ok());
    ASSERT_TRUE(store_.CreatePlan("demo", "").ok());
    ASSERT_TRUE(store_.CreatePlan("quiet", "").ok());
  }

  // Appends n ops to `plan`; returns its last seq.
  uint64_t Append(const std::string& plan, int n) {
    uint64_t last = 0;
    while (n > 0) {
      for (const Op& op : editor_.NextBatch()) {
        if (n == 0) break;
        std::vector<StoredOp> stored;
        EXPECT_TRUE(store_.Append(plan, {op}, {"kari", "Moss", 0}, &stored).ok());
        last = stored.back().seq;
        --n;
      }
    }
    return last;
  }

  std::vector<Checkpoint> Written() {
    std::vector<Checkpoint> out;
    EXPECT_TRUE(ReadCheckpoints(path_, &out).ok());
    return out;
  }

  // Waits (bounded) until the file holds `n` checkpoints.
  bool WaitFor(size_t n) {
    for (int i = 0; i < 500; ++i) {
      std::vector<Checkpoint> out;
      if (ReadCheckpoints(path_, &out).ok() && out.size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  TempDir dir_;
  std::unique_ptr<KeyRing> ring_;
  std::string path_;
  std::unique_ptr<CheckpointLog> log_;
  MemoryPlanStore store_;
  RandomPlanEditor editor_{7, 10};
};

TEST_F(CheckpointSchedulerTest, WritesASignedHeadEveryNOpsAndAtShutdown) {
  CheckpointPolicy policy;
  policy.every_ops = 5;
  policy.every = std::chrono::hours(1);  // only by count here
  CheckpointScheduler scheduler(&store_, ring_.get(), log_.get(), policy, {});
  const uint64_t four = Append("demo", 4);
  scheduler.NoteAppended("demo", four);
  // Below the count: nothing yet.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(Written().empty());
  const uint64_t six = Append("demo", 2);
  scheduler.NoteAppended("demo", six);
  ASSERT_TRUE(WaitFor(1));
  std::vector<Checkpoint> written = Written();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].plan_id, "demo");
  EXPECT_EQ(written[0].seq, six);
  std::vector<std::string> problems;
  ASSERT_TRUE(VerifyAgainstCheckpoints(&store_, written, ring_->keys(), &problems).ok());
  EXPECT_TRUE(problems.empty()) << problems[0];

  // A plan with one new op is checkpointed at shutdown; one with none is
  // not checkpointed again.
  const uint64_t quiet = Append("quiet", 1);
  scheduler.NoteAppended("quiet", quiet);
  scheduler.CheckpointAllNow();
  written = Written();
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[1].plan_id, "quiet");
  EXPECT_EQ(written[1].seq, quiet);
  EXPECT_EQ(scheduler.stats().failed, 0u);
  scheduler.CheckpointAllNow();
  EXPECT_EQ(Written().size(), written.size());
}

TEST_F(CheckpointSchedulerTest, HeadsAlreadyInTheLogAreNotWrittenAgain) {
  const uint64_t last = Append("demo", 3);
  PlanInfo info;
  ASSERT_TRUE(store_.GetPlanInfo("demo", &info).ok());
  Checkpoint c;
  c.plan_id = "demo";
  c.seq = last;
  c.head = info.head;
  c.time_ms = info.last_time_ms;
  c.key_id = ring_->active().id;
  c.signature = ring_->Sign(CheckpointSigningMessage(c));
  ASSERT_TRUE(log_->Append(c).ok());
  CheckpointPolicy policy;
  policy.every_ops = 1;
  CheckpointScheduler scheduler(&store_, ring_.get(), log_.get(), policy, Written());
  scheduler.NoteAppended("demo", last);  // a restart notes every plan
  scheduler.CheckpointAllNow();
  EXPECT_EQ(Written().size(), 1u);
  scheduler.NoteAppended("demo", Append("demo", 1));
  ASSERT_TRUE(WaitFor(2));
  EXPECT_EQ(Written().back().seq, last + 1);
}

}  // namespace
}  // namespace samplan
