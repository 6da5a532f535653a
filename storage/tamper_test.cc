// Tamper tests: change the stored history directly in RocksDB (flip a
// byte, delete, reorder, append, rewind the metadata, replace a snapshot)
// and check that VerifyPlan reports the first bad sequence number, that
// Load refuses the plan (or, for a snapshot, falls back to the log), and
// that other plans keep working.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <functional>
#include <memory>

#include "storage/plan_loader.h"
#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/storage_format.h"
#include "storage/testing/random_plan_editor.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

namespace sf = storage_format;
using testing_util::RandomPlanEditor;
using testing_util::TempDir;

constexpr uint64_t kOps = 40;  // ops of the victim plan (one per batch)

// Direct access to the database, bypassing the store.
class RawDb {
 public:
  explicit RawDb(const std::string& dir) {
    std::vector<std::string> names;
    EXPECT_TRUE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(), dir, families,
                                          &handles_, &db_);
    EXPECT_TRUE(s.ok()) << s.ToString();
    for (size_t i = 0; i < names.size(); ++i) by_name_[names[i]] = handles_[i];
  }
  ~RawDb() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    delete db_;
  }
  std::string Get(const char* family, const std::string& key) {
    std::string value;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), by_name_[family], key, &value).ok())
        << family;
    return value;
  }
  void Put(const char* family, const std::string& key, const std::string& value) {
    EXPECT_TRUE(db_->Put(rocksdb::WriteOptions(), by_name_[family], key, value).ok());
  }
  void Delete(const char* family, const std::string& key) {
    EXPECT_TRUE(db_->Delete(rocksdb::WriteOptions(), by_name_[family], key).ok());
  }

 private:
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name_;
};

std::string OpKey(uint64_t seq) { return sf::SeqKey("victim", seq); }

struct TamperCase {
  const char* name;
  std::function<void(RawDb*)> tamper;
  uint64_t bad_seq;        // what VerifyPlan must report
  bool load_refuses;       // Load must fail (else: falls back, snapshot)
};

class TamperTest : public ::testing::TestWithParam<TamperCase> {};

// A victim plan of kOps random edits with a snapshot at seq 30, and a
// bystander plan.
void BuildPlans(const std::string& data) {
  std::unique_ptr<RocksDbPlanStore> store;
  RocksDbPlanStoreOptions options;
  options.sync = false;
  ASSERT_TRUE(RocksDbPlanStore::Open(data, options, &store).ok());
  for (const char* id : {"victim", "bystander"}) {
    ASSERT_TRUE(store->CreatePlan(id, "").ok());
    RandomPlanEditor editor(7, 10);
    uint64_t seq = 0;
    while (seq < kOps) {
      for (const Op& op : editor.NextBatch()) {
        if (seq == kOps) break;
        ASSERT_TRUE(store->Append(id, {op}, {"kari", "Moss", 0}, nullptr).ok());
        if (++seq == 30) {
          uint64_t at;
          std::string snapshot;
          ASSERT_TRUE(
              BuildSnapshotFromLog(store.get(), id, &at, &snapshot).ok());
          ASSERT_TRUE(store->PutSnapshot(id, at, snapshot).ok());
        }
      }
    }
  }
}

TEST_P(TamperTest, IsDetected) {
  const TamperCase& c = GetParam();
  TempDir dir;
  const std::string data = dir.path() + "/data";
  BuildPlans(data);
  if (HasFatalFailure()) return;
  {
    RawDb raw(data);
    c.tamper(&raw);
  }
  std::unique_ptr<RocksDbPlanStore> store;
  Status s = RocksDbPlanStore::Open(data, {}, &store);
  ASSERT_TRUE(s.ok()) << s.ToString();

  PlanVerifyReport report;
  s = VerifyPlan(store.get(), "victim", &report);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_EQ(report.bad_seq, c.bad_seq) << s.ToString();
  EXPECT_NE(s.message().find("plan victim seq " + std::to_string(c.bad_seq)),
            std::string::npos)
      << s.ToString();

  LoadedPlan loaded;
  s = store->Load("victim", &loaded);
  if (c.load_refuses) {
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
    EXPECT_NE(s.message().find("plan victim"), std::string::npos);
  } else {
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The other plan is untouched and keeps working.
  s = store->Load("bystander", &loaded);
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = VerifyPlan(store.get(), "bystander", &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(store->Append("bystander", {loaded.tail.back().op}, {}, nullptr)
                  .ok());
}

void FlipByte(RawDb* raw, uint64_t seq, size_t offset_from_end) {
  std::string v = raw->Get(sf::kOpsFamily, OpKey(seq));
  v[v.size() - 1 - offset_from_end] ^= 0x20;
  raw->Put(sf::kOpsFamily, OpKey(seq), v);
}

const TamperCase kCases[] = {
    // After the snapshot (seq 30): Load verifies the tail and refuses.
    {"FlipLastOpByte", [](RawDb* r) { FlipByte(r, 35, 0); }, 35, true},
    {"FlipChainByte",
     [](RawDb* r) {
       std::string v = r->Get(sf::kOpsFamily, OpKey(33));
       v[5] ^= 1;
       r->Put(sf::kOpsFamily, OpKey(33), v);
     },
     33, true},
    {"ChangeMunicipality",
     [](RawDb* r) {
       std::string v = r->Get(sf::kOpsFamily, OpKey(36));
       const size_t at = v.find("Moss");
       ASSERT_NE(at, std::string::npos);
       v[at + 3] = 'x';
       r->Put(sf::kOpsFamily, OpKey(36), v);
     },
     36, true},
    {"DeleteOp", [](RawDb* r) { r->Delete(sf::kOpsFamily, OpKey(34)); }, 34,
     true},
    {"SwapOps",
     [](RawDb* r) {
       const std::string a = r->Get(sf::kOpsFamily, OpKey(31));
       const std::string b = r->Get(sf::kOpsFamily, OpKey(32));
       r->Put(sf::kOpsFamily, OpKey(31), b);
       r->Put(sf::kOpsFamily, OpKey(32), a);
     },
     31, true},
    {"DeleteLastOp", [](RawDb* r) { r->Delete(sf::kOpsFamily, OpKey(kOps)); },
     kOps, true},
    {"ExtraOp",
     [](RawDb* r) {
       r->Put(sf::kOpsFamily, OpKey(kOps + 1), r->Get(sf::kOpsFamily, OpKey(kOps)));
     },
     kOps + 1, true},
    {"RewindPlanRecord",
     [](RawDb* r) {
       sf::PlanRecord rec;
       ASSERT_TRUE(sf::DecodePlanRecord(r->Get(sf::kPlansFamily, "victim"), &rec).ok());
       rec.last_seq -= 1;
       r->Put(sf::kPlansFamily, "victim", sf::EncodePlanRecord(rec));
     },
     kOps, true},
    // Before the snapshot: Load (which trusts the snapshot and checks only
    // the tail) still loads; VerifyPlan finds it.
    {"FlipOpBeforeSnapshot", [](RawDb* r) { FlipByte(r, 12, 1); }, 12, false},
    {"DeleteOpBeforeSnapshot",
     [](RawDb* r) { r->Delete(sf::kOpsFamily, OpKey(3)); }, 3, false},
    // A damaged snapshot: Load falls back to the log; verify reports it.
    {"FlipSnapshotByte",
     [](RawDb* r) {
       std::string v = r->Get(sf::kSnapshotsFamily, sf::SeqKey("victim", 30));
       v[v.size() / 2] ^= 4;
       r->Put(sf::kSnapshotsFamily, sf::SeqKey("victim", 30), v);
     },
     30, false},
    // A well-formed snapshot (valid digest and chain) of the wrong state.
    {"WrongSnapshotContent",
     [](RawDb* r) {
       std::string v = r->Get(sf::kSnapshotsFamily, sf::SeqKey("victim", 30));
       ChainHash chain;
       std::string_view bytes;
       ASSERT_TRUE(sf::DecodeSnapshotRecord(v, &chain, &bytes).ok());
       Replica empty(5);
       r->Put(sf::kSnapshotsFamily, sf::SeqKey("victim", 30),
              sf::EncodeSnapshotRecord(chain, empty.EncodeSnapshot()));
     },
     30, false},
};

INSTANTIATE_TEST_SUITE_P(All, TamperTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<TamperCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(TamperTest, DamagedSnapshotFallsBackToTheLog) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  BuildPlans(data);
  {
    RawDb raw(data);
    std::string v = raw.Get(sf::kSnapshotsFamily, sf::SeqKey("victim", 30));
    v.back() ^= 1;
    raw.Put(sf::kSnapshotsFamily, sf::SeqKey("victim", 30), v);
  }
  std::unique_ptr<RocksDbPlanStore> store;
  ASSERT_TRUE(RocksDbPlanStore::Open(data, {}, &store).ok());
  LoadedPlan loaded;
  Status s = store->Load("victim", &loaded);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(loaded.snapshot_seq, 0u);
  EXPECT_EQ(loaded.tail.size(), kOps);
  EXPECT_NE(loaded.snapshot_problem.find("digest"), std::string::npos)
      << loaded.snapshot_problem;
}

}  // namespace
}  // namespace samplan
