// samplan keys, people, forget-user and the signed parts of samplan verify
// (named versions, checkpoints), run as the real binary on a server's data
// directory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "storage/checkpoint_log.h"
#include "storage/named_version.h"
#include "storage/people.h"
#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/signing.h"
#include "storage/testing/random_plan_editor.h"
#include "storage/testing/raw_db.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using testing_util::RawDb;
using testing_util::TempDir;

// Runs `samplan ARGS` and returns its exit status; `out` gets stdout and
// stderr.
int RunSamplan(const std::string& args, std::string* out) {
  const std::string command =
      std::string(SAMPLAN_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  out->clear();
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out->append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A server data directory: plan "demo" (40 ops) in DATA/db, a key ring, a
// signed named version at seq 25 and checkpoints at 20 and 40 in
// DATA/checkpoints.log, as the server writes them.
class SignedDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    std::unique_ptr<KeyRing> ring;
    ASSERT_TRUE(KeyRing::LoadOrCreate(data_, 1000, &ring).ok());
    std::unique_ptr<RocksDbPlanStore> store;
    ASSERT_TRUE(RocksDbPlanStore::Open(data_ + "/db", {}, &store).ok());
    ASSERT_TRUE(store->CreatePlan("demo", "Handlingsplan").ok());
    std::unique_ptr<CheckpointLog> log;
    ASSERT_TRUE(CheckpointLog::Open(data_ + "/checkpoints.log", &log).ok());
    testing_util::RandomPlanEditor editor(3, 10);
    uint64_t seq = 0;
    while (seq < 40) {
      for (const Op& op : editor.NextBatch()) {
        if (seq == 40) break;
        std::vector<StoredOp> stored;
        ASSERT_TRUE(store->Append("demo", {op},
                                  {"kari", "Moss", 1764090000000 + int64_t(seq)},
                                  &stored)
                        .ok());
        ++seq;
        const StoredOp& s = stored[0];
        if (seq == 25) {
          NamedVersion v;
          v.plan_id = "demo";
          v.name = "Høring 1";
          v.reference = "PS 1/2026";
          v.seq = seq;
          v.head = s.chain;
          v.time_ms = s.server_time_ms;
          v.created_by = "admin";
          v.created_ms = 1764090009999;
          v.key_id = ring->active().id;
          v.signature = ring->Sign(VersionSigningMessage(v));
          ASSERT_TRUE(store->PutVersion(v).ok());
        }
        if (seq == 20 || seq == 40) {
          Checkpoint c;
          c.plan_id = "demo";
          c.seq = seq;
          c.head = s.chain;
          c.time_ms = s.server_time_ms;
          c.key_id = ring->active().id;
          c.signature = ring->Sign(CheckpointSigningMessage(c));
          ASSERT_TRUE(log->Append(c).ok());
        }
      }
    }
    ASSERT_TRUE(store->PutPerson([] {
                       Person p;
                       p.user = "kari";
                       p.name = "Kari Nordmann";
                       p.email = "kari@moss.no";
                       return p;
                     }())
                    .ok());
  }

  TempDir dir_;
  std::string data_;
};

TEST_F(SignedDataTest, KeysListsAndRotates) {
  std::string out;
  ASSERT_EQ(RunSamplan("keys --data " + data_ + " --json", &out), 0) << out;
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_EQ(j["keys"].size(), 1u);
  const std::string first = j["keys"][0]["id"];
  EXPECT_EQ(first.size(), 16u);
  EXPECT_EQ(j["keys"][0]["active"], true);
  EXPECT_EQ(j["keys"][0]["created_ms"], 1000);
  EXPECT_TRUE(Has(j["keys"][0]["pem"], "BEGIN PUBLIC KEY"));

  ASSERT_EQ(RunSamplan("keys --data " + data_ + " --rotate", &out), 0) << out;
  EXPECT_TRUE(Has(out, "rotated: key " + first + " retired")) << out;
  EXPECT_TRUE(Has(out, "status   retired")) << out;
  EXPECT_TRUE(Has(out, "status   active")) << out;
  ASSERT_EQ(RunSamplan("keys --data " + data_ + " --json", &out), 0) << out;
  j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_EQ(j["keys"].size(), 2u);
  EXPECT_EQ(j["keys"][0]["id"], first);
  EXPECT_EQ(j["keys"][0]["active"], false);
  EXPECT_EQ(j["keys"][1]["active"], true);
  // What the retired key signed still verifies.
  ASSERT_EQ(RunSamplan("verify --data " + data_, &out), 0) << out;
  EXPECT_TRUE(Has(out, "1 named versions, 2 checkpoints")) << out;

  // A data directory without keys gets a ring.
  TempDir empty;
  ASSERT_EQ(RunSamplan("keys --data " + empty.path(), &out), 0) << out;
  EXPECT_TRUE(Has(out, "created a signing key")) << out;
  struct stat st;
  ASSERT_EQ(::stat((empty.path() + "/keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(RunSamplan("keys", &out), 2);
  EXPECT_EQ(RunSamplan("keys --data " + data_ + " --bogus", &out), 2);
}

TEST_F(SignedDataTest, BackupKeepsKeysAndCheckpoints) {
  const std::string backup = dir_.path() + "/backup";
  std::string out;
  ASSERT_EQ(RunSamplan("backup --data " + data_ + " --to " + backup, &out), 0)
      << out;
  struct stat st;
  ASSERT_EQ(::stat((backup + "/keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::vector<PublicKeyInfo> keys, copied;
  ASSERT_TRUE(LoadPublicKeys(data_, &keys).ok());
  ASSERT_TRUE(LoadPublicKeys(backup, &copied).ok());
  ASSERT_EQ(copied.size(), 1u);
  EXPECT_EQ(copied[0].id, keys[0].id);
  ASSERT_EQ(::stat((backup + "/keys/ed25519-" + keys[0].id + ".pem").c_str(),
                   &st),
            0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::unique_ptr<KeyRing> ring;
  EXPECT_TRUE(KeyRing::Load(backup, &ring).ok());
  ASSERT_EQ(RunSamplan("verify --data " + backup, &out), 0) << out;
  EXPECT_TRUE(Has(out, "1 named versions, 2 checkpoints in " + backup +
                           "/checkpoints.log: all consistent"))
      << out;
}

TEST_F(SignedDataTest, PeopleAndForgetUser) {
  std::string out;
  ASSERT_EQ(RunSamplan("people --data " + data_ +
                           " set --user ola --name 'Ola Vestby' --email o@v.no",
                       &out),
            0)
      << out;
  ASSERT_EQ(RunSamplan("people --data " + data_ + " list", &out), 0) << out;
  EXPECT_TRUE(Has(out, "kari  Kari Nordmann  <kari@moss.no>")) << out;
  EXPECT_TRUE(Has(out, "ola  Ola Vestby  <o@v.no>")) << out;

  ASSERT_EQ(RunSamplan("forget-user --data " + data_ +
                           " --user kari --by dpo --reason 'request 17'",
                       &out),
            0)
      << out;
  EXPECT_TRUE(Has(out, "erased user kari")) << out;
  EXPECT_TRUE(Has(out, "by dpo (reason: request 17)")) << out;
  EXPECT_TRUE(Has(out, "removed: name, e-mail")) << out;
  EXPECT_FALSE(Has(out, "Kari Nordmann")) << out;

  ASSERT_EQ(RunSamplan("people --data " + data_ + " list --json", &out), 0)
      << out;
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_EQ(j["people"].size(), 2u);
  EXPECT_EQ(j["people"][0]["user"], "kari");
  EXPECT_TRUE(j["people"][0]["name"].is_null());
  EXPECT_TRUE(j["people"][0]["email"].is_null());
  EXPECT_EQ(j["people"][0]["erased"], true);
  EXPECT_EQ(j["people"][0]["erased_by"], "dpo");
  EXPECT_EQ(j["people"][1]["name"], "Ola Vestby");
  ASSERT_EQ(j["erasures"].size(), 1u);
  EXPECT_EQ(j["erasures"][0]["user"], "kari");
  EXPECT_EQ(j["erasures"][0]["reason"], "request 17");
  EXPECT_FALSE(Has(out, "Kari Nordmann"));

  // An erased user stays erased.
  EXPECT_EQ(RunSamplan("people --data " + data_ +
                           " set --user kari --name 'Kari'",
                       &out),
            1)
      << out;
  EXPECT_TRUE(Has(out, "was erased")) << out;
  // A user with nothing stored is marked erased too.
  ASSERT_EQ(RunSamplan("forget-user --data " + data_ + " --user per --by dpo",
                       &out),
            0)
      << out;
  EXPECT_TRUE(Has(out, "no name or e-mail was stored")) << out;

  // The op log, its chain and what was signed are untouched.
  ASSERT_EQ(RunSamplan("verify --data " + data_, &out), 0) << out;
  EXPECT_TRUE(Has(out, "all consistent")) << out;
  {
    std::unique_ptr<RocksDbPlanStore> store;
    ASSERT_TRUE(RocksDbPlanStore::Open(data_ + "/db", {}, &store).ok());
    std::vector<StoredOp> ops;
    ASSERT_TRUE(store->ReadRange("demo", 1, 1, &ops).ok());
    EXPECT_EQ(ops[0].user, "kari");
    std::vector<Erasure> erasures;
    ASSERT_TRUE(store->ListErasures(&erasures).ok());
    EXPECT_EQ(erasures.size(), 2u);
  }
  // The old name is gone from the database files, not only from the view.
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(data_ + "/db")) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (name.ends_with(".sst")) {
      std::ifstream in(e.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      EXPECT_FALSE(Has(bytes, "kari@moss.no")) << e.path();
    }
  }

  EXPECT_EQ(RunSamplan("forget-user --data " + data_ + " --user kari", &out), 2);
  EXPECT_EQ(RunSamplan("people --data " + data_, &out), 2);
}

TEST_F(SignedDataTest, VerifyDetectsCutOffLogAgainstCheckpoints) {
  std::string out;
  ASSERT_EQ(RunSamplan("verify --data " + data_, &out), 0) << out;
  EXPECT_TRUE(Has(out, "1 named versions, 2 checkpoints in " + data_ +
                           "/checkpoints.log: all consistent"))
      << out;
  // Keep a copy of the checkpoint file elsewhere, then cut the log back to
  // seq 30 consistently (ops deleted, plan record rewound), and drop the
  // server's own checkpoint file: the log alone verifies...
  const std::string kept = dir_.path() + "/kept-checkpoints.log";
  std::filesystem::copy_file(data_ + "/checkpoints.log", kept);
  {
    RawDb raw(data_ + "/db");
    raw.CutOff("demo", 30);
  }
  std::filesystem::remove(data_ + "/checkpoints.log");
  ASSERT_EQ(RunSamplan("verify --data " + data_, &out), 0) << out;
  // ...but not against the checkpoints.
  EXPECT_EQ(RunSamplan("verify --data " + data_ + " --checkpoints " + kept,
                       &out),
            1)
      << out;
  EXPECT_TRUE(Has(out, "INCONSISTENT against " + kept +
                           ": plan demo: the log ends at seq 30 but "
                           "checkpoint line 2 (2025-11-25T"))
      << out;
  EXPECT_TRUE(Has(out, "signed seq 40: operations were cut off or the plan "
                       "record rewound"))
      << out;
  EXPECT_FALSE(Has(out, "all consistent")) << out;
  EXPECT_EQ(RunSamplan("verify --data " + data_ + " --checkpoints " +
                           dir_.path() + "/missing.log",
                       &out),
            2)
      << out;
}

TEST_F(SignedDataTest, VerifyDetectsARewrittenHistory) {
  {
    RawDb raw(data_ + "/db");
    raw.RewriteHistory("demo", 10, [](Op* op) { op->author.municipality = "X"; });
  }
  std::string out;
  EXPECT_EQ(RunSamplan("verify --data " + data_, &out), 1) << out;
  // The chain itself was recomputed; the signed version and checkpoints
  // tell.
  EXPECT_FALSE(Has(out, "INCONSISTENT plan demo seq")) << out;
  EXPECT_TRUE(Has(out, "INCONSISTENT plan demo version 'Høring 1': chain at "
                       "seq 25 is "))
      << out;
  EXPECT_TRUE(Has(out, "history rewritten")) << out;
  EXPECT_TRUE(Has(out, "plan demo: chain at seq 20 is")) << out;
  EXPECT_TRUE(Has(out, "plan demo: chain at seq 40 is")) << out;
}

TEST_F(SignedDataTest, VerifyDetectsAForgedCheckpointLine) {
  // Change the seq of the first checkpoint line; its signature no longer
  // matches.
  std::ifstream in(data_ + "/checkpoints.log");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  in.close();
  const size_t at = text.find(" 20 ");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4, " 19 ");
  std::ofstream(data_ + "/checkpoints.log", std::ios::trunc) << text;
  std::string out;
  EXPECT_EQ(RunSamplan("verify --data " + data_, &out), 1) << out;
  EXPECT_TRUE(Has(out, "checkpoint line 1")) << out;
  EXPECT_TRUE(Has(out, "signature does not verify")) << out;
}

}  // namespace
}  // namespace samplan
