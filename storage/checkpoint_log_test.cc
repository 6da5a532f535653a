// The checkpoint log: append/read, a torn last line, and
// VerifyAgainstCheckpoints detecting a log cut off, a plan record rewound,
// a history rewritten with recomputed chain values (which VerifyPlan
// accepts), forged checkpoints and checkpoints of unknown plans.
#include "storage/checkpoint_log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/testing/random_plan_editor.h"
#include "storage/testing/raw_db.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using testing_util::RandomPlanEditor;
using testing_util::RawDb;
using testing_util::TempDir;

constexpr uint64_t kOps = 40;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void AppendText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << text;
}

Checkpoint Signed(const KeyRing& ring, const std::string& plan, uint64_t seq,
                  const ChainHash& head, int64_t time_ms) {
  Checkpoint c;
  c.plan_id = plan;
  c.seq = seq;
  c.head = head;
  c.time_ms = time_ms;
  c.key_id = ring.active().id;
  c.signature = ring.Sign(CheckpointSigningMessage(c));
  return c;
}

TEST(CheckpointLogTest, SigningMessageAndLineFormat) {
  Checkpoint c;
  c.plan_id = "demo";
  c.seq = 500;
  c.head[0] = 0xab;
  c.time_ms = 1764090000000;
  c.key_id = "0123456789abcdef";
  c.signature = std::string(64, '\x01');
  EXPECT_EQ(CheckpointSigningMessage(c),
            "samplan-checkpoint-v1\nplan:demo\nseq:500\nhead:ab" +
                std::string(62, '0') + "\ntime_ms:1764090000000\n");
  EXPECT_EQ(CheckpointLine(c), "v1 demo 500 ab" + std::string(62, '0') +
                                   " 1764090000000 0123456789abcdef " +
                                   Base64Encode(c.signature));
}

TEST(CheckpointLogTest, AppendReadAndTornLastLine) {
  TempDir dir;
  const std::string path = dir.path() + "/checkpoints.log";
  std::vector<Checkpoint> read;
  EXPECT_EQ(ReadCheckpoints(path, &read).code(), Status::Code::kNotFound);
  std::unique_ptr<KeyRing> ring;
  ASSERT_TRUE(KeyRing::LoadOrCreate(dir.path(), 1, &ring).ok());
  ChainHash h{};
  h[5] = 9;
  {
    std::unique_ptr<CheckpointLog> log;
    ASSERT_TRUE(CheckpointLog::Open(path, &log).ok());
    ASSERT_TRUE(log->Append(Signed(*ring, "a", 10, h, 100)).ok());
    ASSERT_TRUE(log->Append(Signed(*ring, "b-2", 0, ChainHash{}, 0)).ok());
  }
  bool torn = true;
  ASSERT_TRUE(ReadCheckpoints(path, &read, &torn).ok());
  EXPECT_FALSE(torn);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].plan_id, "a");
  EXPECT_EQ(read[0].seq, 10u);
  EXPECT_EQ(read[0].head, h);
  EXPECT_EQ(read[0].time_ms, 100);
  EXPECT_EQ(read[0].key_id, ring->active().id);
  EXPECT_EQ(read[0].line, 1u);
  EXPECT_TRUE(VerifyEd25519(ring->active().public_key,
                            CheckpointSigningMessage(read[0]),
                            read[0].signature));
  EXPECT_EQ(read[1].plan_id, "b-2");
  EXPECT_EQ(read[1].line, 2u);

  // A crash mid-append leaves a line without its newline: ignored, flagged.
  const std::string line3 = CheckpointLine(Signed(*ring, "a", 20, h, 200));
  AppendText(path, line3.substr(0, 30));
  ASSERT_TRUE(ReadCheckpoints(path, &read, &torn).ok());
  EXPECT_TRUE(torn);
  EXPECT_EQ(read.size(), 2u);
  // Reopening cuts it off; the next append starts on a fresh line.
  {
    std::unique_ptr<CheckpointLog> log;
    ASSERT_TRUE(CheckpointLog::Open(path, &log).ok());
    ASSERT_TRUE(log->Append(Signed(*ring, "a", 20, h, 200)).ok());
  }
  ASSERT_TRUE(ReadCheckpoints(path, &read, &torn).ok());
  EXPECT_FALSE(torn);
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[2].seq, 20u);
  EXPECT_EQ(read[2].line, 3u);
  EXPECT_EQ(ReadAll(path).back(), '\n');

  // A malformed complete line is corruption naming the line.
  AppendText(path, "v1 a 30 nothex 300 k sig\n");
  Status s = ReadCheckpoints(path, &read, &torn);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("line 4"), std::string::npos) << s.ToString();
}

// A plan "demo" of kOps single-op appends and a bystander, checkpointed at
// 10, 20 and kOps, with a key ring in DATA/keys.
class CheckpointVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.path() + "/db";
    ASSERT_TRUE(KeyRing::LoadOrCreate(dir_.path(), 1, &ring_).ok());
    std::unique_ptr<RocksDbPlanStore> store;
    RocksDbPlanStoreOptions options;
    options.sync = false;
    ASSERT_TRUE(RocksDbPlanStore::Open(db_, options, &store).ok());
    for (const char* id : {"demo", "bystander"}) {
      ASSERT_TRUE(store->CreatePlan(id, "").ok());
      RandomPlanEditor editor(11, 10);
      uint64_t seq = 0;
      while (seq < kOps) {
        for (const Op& op : editor.NextBatch()) {
          if (seq == kOps) break;
          std::vector<StoredOp> stored;
          ASSERT_TRUE(store->Append(id, {op},
                                    {"kari", "Moss", 1764090000000 + int64_t(seq) * 1000},
                                    &stored)
                          .ok());
          ++seq;
          if (seq == 10 || seq == 20 || seq == kOps) {
            checkpoints_.push_back(Signed(*ring_, id, seq, stored[0].chain,
                                          stored[0].server_time_ms));
            checkpoints_.back().line = checkpoints_.size();
          }
        }
      }
    }
  }

  // VerifyAgainstCheckpoints on the store as it is now.
  std::vector<std::string> Problems(
      const std::vector<Checkpoint>* checkpoints = nullptr) {
    std::unique_ptr<RocksDbPlanStore> store;
    Status s = RocksDbPlanStore::Open(db_, {}, &store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<std::string> problems;
    s = VerifyAgainstCheckpoints(store.get(),
                                 checkpoints ? *checkpoints : checkpoints_,
                                 ring_->keys(), &problems);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return problems;
  }
  // VerifyPlan's verdict on the store as it is now.
  Status VerifyDemo() {
    std::unique_ptr<RocksDbPlanStore> store;
    Status s = RocksDbPlanStore::Open(db_, {}, &store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    PlanVerifyReport report;
    return VerifyPlan(store.get(), "demo", &report);
  }

  TempDir dir_;
  std::string db_;
  std::unique_ptr<KeyRing> ring_;
  std::vector<Checkpoint> checkpoints_;  // lines 1-3 demo, 4-6 bystander
};

TEST_F(CheckpointVerifyTest, ConsistentStorePasses) {
  EXPECT_TRUE(Problems().empty());
  // Also after a key rotation: the old key stays listed.
  ASSERT_TRUE(ring_->Rotate(2).ok());
  EXPECT_TRUE(Problems().empty());
}

TEST_F(CheckpointVerifyTest, DetectsCutOffOperations) {
  {
    RawDb raw(db_);
    raw.CutOff("demo", 30);
  }
  // A clean cut: the log itself is consistent...
  EXPECT_TRUE(VerifyDemo().ok());
  // ...but the checkpoint at seq 40 says there was more.
  const std::vector<std::string> problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("plan demo: the log ends at seq 30 but "
                              "checkpoint line 3 (2025-",
                              0),
            0u)
      << problems[0];
  EXPECT_NE(problems[0].find("signed seq 40: operations were cut off or the "
                             "plan record rewound"),
            std::string::npos)
      << problems[0];
}

TEST_F(CheckpointVerifyTest, DetectsARewoundPlanRecord) {
  {
    RawDb raw(db_);
    storage_format::PlanRecord rec = raw.GetPlanRecord("demo");
    rec.last_seq = 25;
    raw.PutPlanRecord("demo", rec);
  }
  const std::vector<std::string> problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("the log ends at seq 25"), std::string::npos)
      << problems[0];
  EXPECT_NE(problems[0].find("rewound"), std::string::npos);
}

TEST_F(CheckpointVerifyTest, DetectsARewrittenHistory) {
  {
    RawDb raw(db_);
    raw.RewriteHistory("demo", 15, [](Op* op) { op->author.user = "mallory"; });
  }
  // The chain was recomputed: the log alone looks fine.
  Status s = VerifyDemo();
  EXPECT_TRUE(s.ok()) << s.ToString();
  // The checkpoints at 20 and 40 were signed over the old chain; 10 holds.
  const std::vector<std::string> problems = Problems();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].rfind("plan demo: chain at seq 20 is ", 0), 0u)
      << problems[0];
  EXPECT_NE(problems[0].find("checkpoint line 2"), std::string::npos);
  EXPECT_NE(problems[0].find("history rewritten"), std::string::npos);
  EXPECT_NE(problems[1].find("chain at seq 40"), std::string::npos);
}

TEST_F(CheckpointVerifyTest, DetectsForgedCheckpoints) {
  std::vector<Checkpoint> forged = checkpoints_;
  forged[0].signature[7] ^= 1;  // altered signature
  forged[1].seq = 21;           // altered content, old signature
  // Signed by a key the server never had (someone covering up a rewrite).
  TempDir other;
  std::unique_ptr<KeyRing> mallory;
  ASSERT_TRUE(KeyRing::LoadOrCreate(other.path(), 1, &mallory).ok());
  forged[2] = Signed(*mallory, "demo", 40, forged[2].head, forged[2].time_ms);
  forged[2].line = 3;
  const std::vector<std::string> problems = Problems(&forged);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("checkpoint line 1"), std::string::npos);
  EXPECT_NE(problems[0].find("does not verify with key " + ring_->active().id),
            std::string::npos)
      << problems[0];
  EXPECT_NE(problems[1].find("checkpoint line 2"), std::string::npos);
  EXPECT_NE(problems[1].find("forged"), std::string::npos) << problems[1];
  EXPECT_NE(problems[2].find("unknown key " + mallory->active().id),
            std::string::npos)
      << problems[2];
}

TEST_F(CheckpointVerifyTest, DetectsACheckpointOfAnUnknownPlan) {
  std::vector<Checkpoint> list = checkpoints_;
  list.push_back(Signed(*ring_, "vanished", 3, ChainHash{}, 5));
  list.back().line = 7;
  const std::vector<std::string> problems = Problems(&list);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("checkpoint line 7"), std::string::npos);
  EXPECT_NE(problems[0].find("plan 'vanished' does not exist"),
            std::string::npos)
      << problems[0];
}

}  // namespace
}  // namespace samplan
