// The samplan verify, log and backup commands, run as the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include <rocksdb/db.h>

#include "storage/plan_loader.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/storage_format.h"
#include "storage/testing/random_plan_editor.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using testing_util::TempDir;

// Runs `samplan ARGS` and returns its exit status; `out` gets stdout.
int RunSamplan(const std::string& args, std::string* out) {
  const std::string command = std::string(SAMPLAN_BINARY) + " " + args +
                              " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  out->clear();
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out->append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void MakeData(const std::string& data) {
  std::unique_ptr<RocksDbPlanStore> store;
  ASSERT_TRUE(RocksDbPlanStore::Open(data, {}, &store).ok());
  ASSERT_TRUE(store->CreatePlan("mosseregionen", "Handlingsplan").ok());
  testing_util::RandomPlanEditor editor(11, 10);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(store
                    ->Append("mosseregionen", editor.NextBatch(),
                             {"kari", "Råde", 0}, nullptr)
                    .ok());
  }
  uint64_t seq;
  std::string snapshot;
  ASSERT_TRUE(
      BuildSnapshotFromLog(store.get(), "mosseregionen", &seq, &snapshot).ok());
  ASSERT_TRUE(store->PutSnapshot("mosseregionen", seq, snapshot).ok());
}

TEST(StorageCommandsTest, VerifyLogAndBackup) {
  // A server's data directory: the database in db/, and the token secret.
  TempDir dir;
  const std::string data = dir.path() + "/data";
  MakeData(data + "/db");
  if (HasFatalFailure()) return;
  {
    std::FILE* f = std::fopen((data + "/secret.key").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("0123456789abcdef", f);
    std::fclose(f);
  }
  std::string out;
  EXPECT_EQ(RunSamplan("verify --data " + data, &out), 0) << out;
  EXPECT_NE(out.find("all consistent"), std::string::npos) << out;
  EXPECT_NE(out.find("1 snapshots"), std::string::npos) << out;
  EXPECT_EQ(RunSamplan("verify --data " + data + " --plan nope", &out), 2);
  EXPECT_EQ(RunSamplan("verify", &out), 2);

  ASSERT_EQ(RunSamplan("log --data " + data +
                           " --plan mosseregionen --from 2 --limit 3 --json",
                       &out),
            0);
  std::istringstream lines(out);
  std::string line;
  uint64_t expected = 2;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["seq"].get<uint64_t>(), expected++);
    EXPECT_EQ(j["user"], "kari");
    EXPECT_EQ(j["municipality"], "Råde");
    EXPECT_EQ(j["chain"].get<std::string>().size(), 64u);
  }
  EXPECT_EQ(expected, 5u);
  ASSERT_EQ(RunSamplan("log --data " + data + " --plan mosseregionen", &out), 0);
  EXPECT_NE(out.find("Råde"), std::string::npos);

  const std::string backup = dir.path() + "/backup";
  EXPECT_EQ(RunSamplan("backup --data " + data + " --to " + backup, &out), 0)
      << out;
  EXPECT_EQ(RunSamplan("verify --data " + backup, &out), 0) << out;
  EXPECT_TRUE(std::filesystem::exists(backup + "/db/CURRENT"));
  EXPECT_TRUE(std::filesystem::exists(backup + "/secret.key"));
  {
    // What `samplan serve --data backup` opens.
    std::unique_ptr<RocksDbPlanStore> store;
    ASSERT_TRUE(RocksDbPlanStore::Open(backup + "/db", {}, &store).ok());
    PlanInfo info;
    ASSERT_TRUE(store->GetPlanInfo("mosseregionen", &info).ok());
    EXPECT_EQ(info.last_seq, 30u);
  }
  EXPECT_EQ(RunSamplan("backup --data " + data + " --to " + backup, &out), 2)
      << "refuses a non-empty target";
}

TEST(StorageCommandsTest, VerifyReportsFirstInconsistency) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  MakeData(data);
  if (HasFatalFailure()) return;
  {
    // Flip a byte of op 7, bypassing the store.
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, data, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db;
    ASSERT_TRUE(rocksdb::DB::Open({}, data, families, &handles, &db).ok());
    rocksdb::ColumnFamilyHandle* ops = nullptr;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == storage_format::kOpsFamily) ops = handles[i];
    }
    const std::string key = storage_format::SeqKey("mosseregionen", 7);
    std::string value;
    ASSERT_TRUE(db->Get({}, ops, key, &value).ok());
    value.back() ^= 1;
    ASSERT_TRUE(db->Put({}, ops, key, value).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    delete db;
  }
  std::string out;
  EXPECT_EQ(RunSamplan("verify --data " + data, &out), 1) << out;
  EXPECT_NE(out.find("INCONSISTENT plan mosseregionen seq 7"), std::string::npos)
      << out;
}

}  // namespace
}  // namespace samplan
