// Online backup while another process appends: the backup opens with the
// store, every plan in it verifies, and each holds a prefix of the plan's
// final history (same chain value at its last seq).
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "storage/backup.h"
#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/testing/child_process.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using testing_util::ChildProcess;
using testing_util::TempDir;

TEST(StorageBackupTest, BackupDuringConcurrentWritesIsConsistentPrefix) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  ChildProcess child({SAMPLAN_STORAGE_CHILD, data, "3", "10", "42"});
  uint64_t acked = 0;
  auto on_line = [&](const std::string&) { ++acked; };
  for (int i = 0; i < 500 && acked < 50; ++i) {
    ASSERT_TRUE(child.ReadLines(std::chrono::milliseconds(10), on_line));
  }
  ASSERT_GE(acked, 50u) << "writer made no progress";

  constexpr int kBackups = 3;
  std::vector<std::string> backups;
  for (int b = 0; b < kBackups; ++b) {
    const std::string to = dir.path() + "/backup" + std::to_string(b);
    BackupReport report;
    Status s = BackupDatabase(data, to, &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_GT(report.keys, 0u);
    backups.push_back(to);
    // Let the writer move on between backups.
    child.ReadLines(std::chrono::milliseconds(30), on_line);
  }
  const uint64_t acked_at_backup_end = acked;
  child.ReadLines(std::chrono::milliseconds(30), on_line);
  child.Kill();
  while (child.ReadLines(std::chrono::milliseconds(1000), on_line)) {
  }
  EXPECT_GT(acked, acked_at_backup_end) << "writer stopped during backups";

  std::unique_ptr<RocksDbPlanStore> primary;
  ASSERT_TRUE(RocksDbPlanStore::Open(data, {}, &primary).ok());
  for (const std::string& to : backups) {
    SCOPED_TRACE(to);
    std::unique_ptr<RocksDbPlanStore> backup;
    RocksDbPlanStoreOptions options;
    options.create_if_missing = false;
    Status s = RocksDbPlanStore::Open(to, options, &backup);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::vector<PlanInfo> plans;
    ASSERT_TRUE(backup->ListPlans(&plans).ok());
    ASSERT_EQ(plans.size(), 3u);
    uint64_t total = 0;
    for (const PlanInfo& info : plans) {
      PlanVerifyReport report;
      s = VerifyPlan(backup.get(), info.plan_id, &report);
      ASSERT_TRUE(s.ok()) << s.ToString();
      total += info.last_seq;
      PlanInfo now;
      ASSERT_TRUE(primary->GetPlanInfo(info.plan_id, &now).ok());
      ASSERT_LE(info.last_seq, now.last_seq);
      if (info.last_seq == 0) continue;
      std::vector<StoredOp> op;
      ASSERT_TRUE(primary->ReadRange(info.plan_id, info.last_seq, 1, &op).ok());
      ASSERT_EQ(op.size(), 1u);
      EXPECT_EQ(op[0].chain, info.head) << "backup is not a prefix";
    }
    EXPECT_GT(total, 0u);
  }
}

TEST(StorageBackupTest, SecondaryReaderVerifiesWhileWriterRuns) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  ChildProcess child({SAMPLAN_STORAGE_CHILD, data, "2", "10", "7"});
  uint64_t acked = 0;
  auto on_line = [&](const std::string&) { ++acked; };
  for (int i = 0; i < 500 && acked < 30; ++i) {
    ASSERT_TRUE(child.ReadLines(std::chrono::milliseconds(10), on_line));
  }
  for (int round = 0; round < 3; ++round) {
    TempDir scratch;
    RocksDbPlanStoreOptions options;
    options.create_if_missing = false;
    options.secondary_path = scratch.path();
    std::unique_ptr<RocksDbPlanStore> reader;
    Status s = RocksDbPlanStore::Open(data, options, &reader);
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (const char* plan : {"plan0", "plan1"}) {
      PlanVerifyReport report;
      s = VerifyPlan(reader.get(), plan, &report);
      ASSERT_TRUE(s.ok()) << s.ToString();
      LoadedPlan loaded;
      ASSERT_TRUE(reader->Load(plan, &loaded).ok());
      EXPECT_EQ(loaded.tail.size(), report.ops);
    }
    // Read-only: writes fail cleanly.
    EXPECT_FALSE(reader->CreatePlan("other", "").ok());
    child.ReadLines(std::chrono::milliseconds(20), on_line);
  }
  child.Kill();
}

}  // namespace
}  // namespace samplan
