// Bundles (cli/bundle.h): export, verify, and every kind of tampering named
// by the check that catches it; and the two commands run as the binary.
#include "cli/bundle.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crdt/codec.h"
#include "crdt/replica.h"
#include "protocol/base64.h"
#include "storage/checkpoint_log.h"
#include "storage/memory_plan_store.h"
#include "storage/named_version.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/signing.h"
#include "storage/testing/random_plan_editor.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using Json = nlohmann::json;
using testing_util::TempDir;

constexpr int64_t kStart = 1781000000000;  // 2026-06-09, server time of op 1

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

const AppendContext kAuthors[] = {
    {"kari", "Moss", 0}, {"ola", "Vestby", 0}, {"lise", "Råde", 0}};

// Appends `batches` random edits by rotating authors, one second apart.
void AddEdits(PlanStore* store, const std::string& plan, uint64_t seed,
              int batches, int64_t* time) {
  testing_util::RandomPlanEditor editor(seed, 10);
  for (int i = 0; i < batches; ++i) {
    AppendContext who = kAuthors[i % 3];
    who.server_time_ms = (*time += 1000);
    ASSERT_TRUE(store->Append(plan, editor.NextBatch(), who, nullptr).ok());
  }
}

// Names, signs and stores the version of `plan` at `seq`.
NamedVersion PutVersion(PlanStore* store, const KeyRing& ring,
                        const std::string& plan, const std::string& name,
                        uint64_t seq, int64_t created_ms) {
  std::vector<StoredOp> op;
  EXPECT_TRUE(store->ReadRange(plan, seq, 1, &op).ok());
  EXPECT_EQ(op.size(), 1u);
  NamedVersion v;
  v.plan_id = plan;
  v.name = name;
  v.reference = "sak 2026/" + std::to_string(seq);
  v.seq = seq;
  v.head = op.at(0).chain;
  v.time_ms = op.at(0).server_time_ms;
  v.created_by = "admin";
  v.created_ms = created_ms;
  v.key_id = ring.active().id;
  v.signature = ring.Sign(VersionSigningMessage(v));
  EXPECT_TRUE(store->PutVersion(v).ok());
  return v;
}

void AppendCheckpoint(const std::string& data_dir, PlanStore* store,
                      const KeyRing& ring, const std::string& plan,
                      uint64_t seq) {
  std::vector<StoredOp> op;
  ASSERT_TRUE(store->ReadRange(plan, seq, 1, &op).ok());
  Checkpoint c;
  c.plan_id = plan;
  c.seq = seq;
  c.head = op.at(0).chain;
  c.time_ms = op.at(0).server_time_ms;
  c.key_id = ring.active().id;
  c.signature = ring.Sign(CheckpointSigningMessage(c));
  std::unique_ptr<CheckpointLog> log;
  ASSERT_TRUE(CheckpointLog::Open(data_dir + "/checkpoints.log", &log).ok());
  ASSERT_TRUE(log->Append(c).ok());
}

// A data directory (keys, checkpoints) and a store with plans "demo"
// (120 edits, versions "Høringsutkast" at 40 and "Vedtatt i kommunestyret"
// at the end, checkpoints at 20, 60 and 100) and "other" (a different
// history, version "Annen" at its end).
class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(KeyRing::LoadOrCreate(dir_.path(), kStart - 1000, &ring_).ok());
    ASSERT_TRUE(store_.CreatePlan("demo", "Handlingsplan Mosseregionen").ok());
    ASSERT_TRUE(store_.CreatePlan("other", "En annen plan").ok());
    int64_t time = kStart;
    AddEdits(&store_, "demo", 7, 120, &time);
    if (HasFatalFailure()) return;
    AddEdits(&store_, "other", 8, 150, &time);
    if (HasFatalFailure()) return;
    PlanInfo info;
    ASSERT_TRUE(store_.GetPlanInfo("demo", &info).ok());
    last_ = info.last_seq;
    ASSERT_GT(last_, 100u);
    draft_ = PutVersion(&store_, *ring_, "demo", "Høringsutkast", 40, time + 1);
    adopted_ = PutVersion(&store_, *ring_, "demo", "Vedtatt i kommunestyret",
                          last_, time + 2);
    ASSERT_TRUE(store_.GetPlanInfo("other", &info).ok());
    PutVersion(&store_, *ring_, "other", "Annen", info.last_seq, time + 3);
    for (uint64_t seq : {20, 60, 100}) {
      AppendCheckpoint(dir_.path(), &store_, *ring_, "demo", seq);
    }
    AppendCheckpoint(dir_.path(), &store_, *ring_, "other", 30);
  }

  Json Export(const std::string& plan, const std::string& version) {
    std::string text;
    Status s = ExportBundle(&store_, dir_.path(), plan, version, &text);
    EXPECT_TRUE(s.ok()) << s.ToString();
    Json j = Json::parse(text, nullptr, false);
    EXPECT_TRUE(j.is_object());
    return j;
  }

  // VerifyBundle's problem for `bundle` ("" when it verifies).
  static std::string Problem(const Json& bundle) {
    BundleReport report;
    Status s = VerifyBundle(bundle.dump(), &report);
    EXPECT_EQ(s.ok(), report.problem.empty()) << s.ToString();
    if (!s.ok()) {
      EXPECT_EQ(s.code(), Status::Code::kCorruption);
      EXPECT_EQ(s.message(), report.problem);
    }
    return report.problem;
  }

  // The log records of `bundle`, with their bytes owned.
  struct Record {
    uint64_t seq;
    ChainHash chain;
    std::string bytes;
  };
  static std::vector<Record> Records(const Json& bundle) {
    std::string data;
    EXPECT_TRUE(
        protocol::Base64Decode(bundle["log"]["data"].get<std::string>(), &data)
            .ok());
    std::vector<BundleLogRecord> parsed;
    EXPECT_TRUE(ParseBundleLog(data, &parsed).ok());
    std::vector<Record> out;
    for (const BundleLogRecord& r : parsed) {
      out.push_back({r.seq, r.chain, std::string(r.bytes)});
    }
    return out;
  }
  static void SetRecords(const std::vector<Record>& records, Json* bundle) {
    std::string data;
    for (const Record& r : records) {
      AppendBundleLogRecord(r.seq, r.chain, r.bytes, &data);
    }
    (*bundle)["log"]["data"] = protocol::Base64Encode(data);
    (*bundle)["log"]["ops"] = records.size();
  }
  // Changes op `seq`'s author (a meaningful forgery: someone else did it).
  static void ForgeAuthor(Record* r) {
    Reader reader(r->bytes);
    Op op;
    ASSERT_TRUE(DecodeOpFrom(&reader, &op).ok());
    op.author.user = "mallory";
    r->bytes = CanonicalOpBytes(op);
  }
  static void Recompute(std::vector<Record>* records, size_t from_index) {
    ChainHash chain = from_index == 0 ? ChainHash{}
                                      : (*records)[from_index - 1].chain;
    for (size_t i = from_index; i < records->size(); ++i) {
      chain = NextChain(chain, (*records)[i].bytes);
      (*records)[i].chain = chain;
    }
  }

  TempDir dir_;
  std::unique_ptr<KeyRing> ring_;
  MemoryPlanStore store_;
  uint64_t last_ = 0;
  NamedVersion draft_, adopted_;
};

TEST_F(BundleTest, ExportedBundleVerifies) {
  std::string text;
  ASSERT_TRUE(ExportBundle(&store_, dir_.path(), "demo",
                           "Vedtatt i kommunestyret", &text)
                  .ok());
  BundleReport report;
  Status s = VerifyBundle(text, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.plan_id, "demo");
  EXPECT_EQ(report.plan_title, "Handlingsplan Mosseregionen");
  EXPECT_EQ(report.version_name, "Vedtatt i kommunestyret");
  EXPECT_EQ(report.seq, last_);
  EXPECT_EQ(report.ops, last_);
  EXPECT_EQ(report.head_hex, ChainToHex(adopted_.head));
  EXPECT_EQ(report.key_id, ring_->active().id);
  EXPECT_EQ(report.versions, 2u);
  EXPECT_EQ(report.checkpoints, 3u);  // only this plan's
  const std::string summary = BundleSummary(report);
  EXPECT_TRUE(Has(summary, "bundle verified: plan demo, version 'Vedtatt i "
                           "kommunestyret'"))
      << summary;
  EXPECT_TRUE(Has(summary, "seq " + std::to_string(last_) + ", head " +
                               ChainToHex(adopted_.head)))
      << summary;
  EXPECT_TRUE(Has(summary, std::to_string(last_) + " operations, 3 checkpoints"))
      << summary;

  // The state is what the server serves: root, plan, seq; and the authors
  // made it into the log.
  const Json bundle = Json::parse(text);
  EXPECT_EQ(bundle["state"]["plan"], "demo");
  EXPECT_EQ(bundle["state"]["seq"], last_);
  EXPECT_TRUE(bundle["state"].contains("root"));
  std::vector<std::string> users;
  for (const Record& r : Records(bundle)) {
    Reader reader(r.bytes);
    Op op;
    ASSERT_TRUE(DecodeOpFrom(&reader, &op).ok());
    if (std::find(users.begin(), users.end(), op.author.user) == users.end()) {
      users.push_back(op.author.user);
    }
  }
  EXPECT_EQ(users.size(), 3u);

  // An earlier version: the log stops there; later versions and
  // checkpoints are left out.
  const Json draft = Export("demo", "Høringsutkast");
  EXPECT_EQ(Problem(draft), "");
  EXPECT_EQ(draft["log"]["ops"], 40u);
  EXPECT_EQ(draft["versions"].size(), 1u);
  EXPECT_EQ(draft["checkpoints"].size(), 1u);
  EXPECT_EQ(draft["state"]["seq"], 40u);
}

TEST_F(BundleTest, AnyJsonLayoutVerifies) {
  // Pretty-printed, members reordered, "/" escaped in the log data (the
  // verifier lifts the data out without the JSON parser when it can, and
  // parses everything otherwise).
  const Json bundle = Export("demo", "Høringsutkast");
  BundleReport report;
  EXPECT_TRUE(VerifyBundle(bundle.dump(2), &report).ok()) << report.problem;
  std::string escaped = bundle.dump();
  for (size_t at = 0; (at = escaped.find('/', at)) != std::string::npos;
       at += 2) {
    escaped.insert(at, "\\");
  }
  EXPECT_TRUE(VerifyBundle(escaped, &report).ok()) << report.problem;
  // The data in a second "log" member: the one the JSON parser keeps
  // counts, whichever way it is read.
  std::string twice = bundle.dump();
  twice.insert(1, "\"log\": {\"ops\": 0, \"encoding\": \"x\", \"data\": \"\"},");
  Json parsed = Json::parse(twice);
  const bool last_wins = parsed["log"]["ops"] != 0;
  EXPECT_EQ(VerifyBundle(twice, &report).ok(), last_wins) << report.problem;
}

TEST_F(BundleTest, ExportRefusesUnknownPlanOrVersion) {
  std::string text;
  Status s = ExportBundle(&store_, dir_.path(), "demo", "Nope", &text);
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_TRUE(Has(std::string(s.message()), "'Høringsutkast'")) << s.ToString();
  s = ExportBundle(&store_, dir_.path(), "nope", "Nope", &text);
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  TempDir no_keys;
  s = ExportBundle(&store_, no_keys.path(), "demo", "Høringsutkast", &text);
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_TRUE(Has(std::string(s.message()), "no signing keys")) << s.ToString();
}

TEST_F(BundleTest, FormatProblems) {
  BundleReport report;
  EXPECT_FALSE(VerifyBundle("{not json", &report).ok());
  EXPECT_TRUE(Has(report.problem, "not a samplan bundle")) << report.problem;
  Json bundle = Export("demo", "Høringsutkast");
  Json b = bundle;
  b["format"] = "something-else";
  EXPECT_TRUE(Has(Problem(b), "not a samplan bundle"));
  b = bundle;
  b["format_version"] = 2;
  EXPECT_TRUE(Has(Problem(b), "format_version 2 is not supported"));
  b = bundle;
  b["version"].erase("seq");
  EXPECT_TRUE(Has(Problem(b), "version.seq must be"));
  b = bundle;
  b["log"]["data"] = "!!!";
  EXPECT_TRUE(Has(Problem(b), "log.data must be base64"));
  b = bundle;
  std::string data;
  ASSERT_TRUE(protocol::Base64Decode(b["log"]["data"].get<std::string>(), &data).ok());
  data.resize(data.size() - 5);  // a torn last record
  b["log"]["data"] = protocol::Base64Encode(data);
  EXPECT_TRUE(Has(Problem(b), "log record 40 is malformed")) << Problem(b);
  b = bundle;
  b["log"]["ops"] = 41;
  EXPECT_TRUE(Has(Problem(b), "log.ops says 41 operations but the data holds 40"));
}

TEST_F(BundleTest, ChangedOpBytes) {
  Json bundle = Export("demo", "Vedtatt i kommunestyret");
  std::vector<Record> records = Records(bundle);
  ForgeAuthor(&records[49]);
  SetRecords(records, &bundle);
  const std::string problem = Problem(bundle);
  EXPECT_TRUE(Has(problem, "op 50: its chain value does not match its bytes: "
                           "the operation was changed"))
      << problem;
}

TEST_F(BundleTest, ChangedOpWithItsChainRecomputed) {
  const Json bundle = Export("demo", "Vedtatt i kommunestyret");
  // Only op 50's chain value recomputed: op 51's no longer follows.
  Json b = bundle;
  std::vector<Record> records = Records(b);
  ForgeAuthor(&records[49]);
  records[49].chain = NextChain(records[48].chain, records[49].bytes);
  SetRecords(records, &b);
  std::string problem = Problem(b);
  EXPECT_TRUE(Has(problem, "op 51: its chain value does not match")) << problem;

  // Every chain value from 50 on recomputed: the signed head gives it away.
  b = bundle;
  records = Records(b);
  ForgeAuthor(&records[49]);
  Recompute(&records, 49);
  SetRecords(records, &b);
  problem = Problem(b);
  EXPECT_TRUE(Has(problem, "the log's head at seq " + std::to_string(last_)))
      << problem;
  EXPECT_TRUE(Has(problem, "but version 'Vedtatt i kommunestyret' signed " +
                               ChainToHex(adopted_.head)))
      << problem;

  // The last op changed, its chain value recomputed and the version's head
  // replaced by it: the signature fails.
  b = bundle;
  records = Records(b);
  ForgeAuthor(&records.back());
  Recompute(&records, records.size() - 1);
  SetRecords(records, &b);
  b["version"]["head"] = ChainToHex(records.back().chain);
  problem = Problem(b);
  EXPECT_TRUE(Has(problem, "forged: signature of version 'Vedtatt i "
                           "kommunestyret' does not verify with key " +
                               ring_->active().id))
      << problem;
}

TEST_F(BundleTest, RemovedAndReorderedOps) {
  const Json bundle = Export("demo", "Vedtatt i kommunestyret");
  Json b = bundle;
  std::vector<Record> records = Records(b);
  records.erase(records.begin() + 80);
  SetRecords(records, &b);
  EXPECT_EQ(Problem(b), "op 81 is missing");

  b = bundle;
  records = Records(b);
  std::swap(records[30], records[31]);
  SetRecords(records, &b);
  std::string problem = Problem(b);
  EXPECT_TRUE(Has(problem, "ops out of order at record 31: op 32 comes before "
                           "op 31"))
      << problem;

  // Reordered and renumbered: the chain catches it.
  b = bundle;
  records = Records(b);
  std::swap(records[30], records[31]);
  records[30].seq = 31;
  records[31].seq = 32;
  SetRecords(records, &b);
  problem = Problem(b);
  EXPECT_TRUE(Has(problem, "op 31: its chain value does not match")) << problem;

  // A duplicated op.
  b = bundle;
  records = Records(b);
  records.insert(records.begin() + 10, records[9]);
  SetRecords(records, &b);
  problem = Problem(b);
  EXPECT_EQ(problem, "op 10 appears twice (again at record 11)");
}

TEST_F(BundleTest, ForgedSignatures) {
  const Json bundle = Export("demo", "Vedtatt i kommunestyret");
  const std::string forged = "forged: signature of version 'Vedtatt i "
                             "kommunestyret' does not verify with key " +
                             ring_->active().id;
  // A flipped byte.
  Json b = bundle;
  std::string sig;
  ASSERT_TRUE(protocol::Base64Decode(b["version"]["signature"].get<std::string>(), &sig).ok());
  sig[10] ^= 1;
  b["version"]["signature"] = protocol::Base64Encode(sig);
  EXPECT_EQ(Problem(b), forged);

  // Signed by another key, claiming the server's.
  TempDir other_dir;
  std::unique_ptr<KeyRing> other;
  ASSERT_TRUE(KeyRing::LoadOrCreate(other_dir.path(), kStart, &other).ok());
  b = bundle;
  b["version"]["signature"] =
      protocol::Base64Encode(other->Sign(VersionSigningMessage(adopted_)));
  EXPECT_EQ(Problem(b), forged);

  // A signed member changed (the reference, the seq).
  b = bundle;
  b["version"]["reference"] = "sak 2026/999";
  EXPECT_EQ(Problem(b), forged);

  // A key id that is not listed.
  b = bundle;
  b["version"]["key_id"] = other->active().id;
  EXPECT_EQ(Problem(b), "version 'Vedtatt i kommunestyret' is signed by key " +
                            other->active().id +
                            ", which the bundle does not list");
  b = bundle;
  b["keys"] = Json::array();
  EXPECT_TRUE(Has(Problem(b), "which the bundle does not list"));

  // A listed key whose id was made to look like the server's.
  b = bundle;
  b["keys"][0]["public_key"] =
      protocol::Base64Encode(other->active().public_key);
  EXPECT_TRUE(Has(Problem(b), "the id does not match its public key"))
      << Problem(b);

  // The draft version's signature (in "versions") and a checkpoint's.
  b = bundle;
  ASSERT_EQ(b["versions"][0]["name"], "Høringsutkast");
  b["versions"][0]["created_by"] = "mallory";
  EXPECT_EQ(Problem(b), "forged: signature of version 'Høringsutkast' does "
                        "not verify with key " + ring_->active().id);
  b = bundle;
  b["checkpoints"][1]["time_ms"] = 5;
  EXPECT_TRUE(Has(Problem(b), "forged: signature of checkpoint at seq 60"))
      << Problem(b);
}

TEST_F(BundleTest, RewoundHistory) {
  const Json bundle = Export("demo", "Vedtatt i kommunestyret");
  // The log cut before the version's seq, the version left as it was.
  Json b = bundle;
  std::vector<Record> records = Records(b);
  records.resize(90);
  SetRecords(records, &b);
  EXPECT_EQ(Problem(b), "the log ends at seq 90 but version 'Vedtatt i "
                        "kommunestyret' is at seq " + std::to_string(last_) +
                        ": operations were cut off (the history was "
                        "rewound)");

  // Cut, with the version replaced by an older signed one: the checkpoints
  // after the cut give it away.
  b = bundle;
  records = Records(b);
  records.resize(40);
  SetRecords(records, &b);
  b["version"] = b["versions"][0];
  std::string problem = Problem(b);
  EXPECT_TRUE(Has(problem, "is at seq " + std::to_string(last_) +
                               " but the log ends at seq 40"))
      << problem;  // the adopted version, still listed
  b["versions"].erase(1);
  problem = Problem(b);
  EXPECT_TRUE(Has(problem, "checkpoint at seq 60")) << problem;
  EXPECT_TRUE(Has(problem, "but the log ends at seq 40: operations were cut off"))
      << problem;
  b["checkpoints"] = Json::array({b["checkpoints"][0]});
  b["state"] = Export("demo", "Høringsutkast")["state"];
  EXPECT_EQ(Problem(b), "");  // a genuine bundle of the draft, then

  // A checkpoint, signed by the server, of a head the log does not have at
  // that seq (the stored history was rewritten after it was written).
  b = bundle;
  Checkpoint c;
  c.plan_id = "demo";
  c.seq = 20;
  c.head = NextChain(ChainHash{}, "something else");
  c.time_ms = kStart + 20'000;
  c.key_id = ring_->active().id;
  c.signature = ring_->Sign(CheckpointSigningMessage(c));
  b["checkpoints"][0]["head"] = ChainToHex(c.head);
  b["checkpoints"][0]["time_ms"] = c.time_ms;
  b["checkpoints"][0]["signature"] = protocol::Base64Encode(c.signature);
  problem = Problem(b);
  EXPECT_TRUE(Has(problem, "the log's chain value at seq 20 is ")) << problem;
  EXPECT_TRUE(Has(problem, " but checkpoint at seq 20 (")) << problem;
  EXPECT_TRUE(Has(problem, ") signed " + ChainToHex(c.head) +
                               ": the history was rewritten"))
      << problem;
}

TEST_F(BundleTest, BundleOfAnotherPlan) {
  const Json bundle = Export("demo", "Vedtatt i kommunestyret");
  // The plan id swapped.
  Json b = bundle;
  b["plan"]["id"] = "other";
  EXPECT_EQ(Problem(b), "the signed version 'Vedtatt i kommunestyret' "
                        "belongs to plan 'demo', not 'other'");
  // ... and the version's plan too: the signature no longer verifies.
  b["version"]["plan"] = "other";
  EXPECT_TRUE(Has(Problem(b), "forged: signature of version")) << Problem(b);

  // The ops of another plan under this plan's version.
  b = bundle;
  const Json other = Export("other", "Annen");
  std::vector<Record> records = Records(other);
  ASSERT_GE(records.size(), last_);
  records.resize(last_);
  SetRecords(records, &b);
  std::string problem = Problem(b);
  EXPECT_TRUE(Has(problem, "the log's head at seq " + std::to_string(last_)))
      << problem;
  EXPECT_TRUE(Has(problem, "is another plan's")) << problem;

  // The other plan's signed version put into this plan's bundle.
  b = bundle;
  b["version"] = other["version"];
  b["log"] = other["log"];
  problem = Problem(b);
  EXPECT_EQ(problem, "the signed version 'Annen' belongs to plan 'other', "
                     "not 'demo'");
}

TEST_F(BundleTest, AlteredState) {
  Json bundle = Export("demo", "Vedtatt i kommunestyret");
  Json b = bundle;
  Json* root = &b["state"]["root"];
  ASSERT_TRUE(root->contains("children"));
  ASSERT_FALSE((*root)["children"].empty());
  (*root)["children"][0]["texts"]["title"] = "Noe annet";
  std::string problem = Problem(b);
  EXPECT_TRUE(Has(problem, "the state in the bundle differs from the replay "
                           "of its log (first at state.root.children[0]"))
      << problem;
  b = bundle;
  b["state"]["seq"] = 3;
  EXPECT_TRUE(Has(Problem(b), "first at state.seq")) << Problem(b);
  b = bundle;
  b["state"]["root"]["children"].erase(0);
  EXPECT_TRUE(Has(Problem(b), "state.root.children")) << Problem(b);
}

TEST_F(BundleTest, VersionSignedByRetiredKeyStillVerifies) {
  const std::string first_key = ring_->active().id;
  ASSERT_TRUE(ring_->Rotate(kStart + 10'000'000).ok());
  ASSERT_NE(ring_->active().id, first_key);
  int64_t time = kStart + 20'000'000;
  AddEdits(&store_, "demo", 9, 10, &time);
  PlanInfo info;
  ASSERT_TRUE(store_.GetPlanInfo("demo", &info).ok());
  PutVersion(&store_, *ring_, "demo", "Revidert", info.last_seq, time + 1);
  AppendCheckpoint(dir_.path(), &store_, *ring_, "demo", info.last_seq);

  // The new version lists the old ones, signed by the retired key.
  Json b = Export("demo", "Revidert");
  EXPECT_EQ(b["keys"].size(), 2u);
  EXPECT_EQ(b["versions"].size(), 3u);
  BundleReport report;
  Status s = VerifyBundle(b.dump(), &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.key_id, ring_->active().id);
  EXPECT_EQ(report.checkpoints, 4u);

  // An old version exported after the rotation: signed by the retired key.
  b = Export("demo", "Vedtatt i kommunestyret");
  s = VerifyBundle(b.dump(), &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.key_id, first_key);
  EXPECT_EQ(report.key_retired_ms, kStart + 10'000'000);
  EXPECT_TRUE(Has(BundleSummary(report), "(retired ")) << BundleSummary(report);

  // A version made with the retired key after its retirement is refused.
  b["keys"][0]["retired_ms"] = adopted_.created_ms - 1;
  EXPECT_TRUE(Has(Problem(b), "with key " + first_key + ", retired at"))
      << Problem(b);
}

// ---- the commands, as the binary ---------------------------------------

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

TEST(BundleCommandsTest, ExportAndVerifyExitCodes) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  {
    std::unique_ptr<RocksDbPlanStore> store;
    ASSERT_TRUE(RocksDbPlanStore::Open(data + "/db", {}, &store).ok());
    std::unique_ptr<KeyRing> ring;
    ASSERT_TRUE(KeyRing::LoadOrCreate(data, kStart, &ring).ok());
    ASSERT_TRUE(store->CreatePlan("demo", "Handlingsplan").ok());
    int64_t time = kStart;
    AddEdits(store.get(), "demo", 3, 30, &time);
    PlanInfo info;
    ASSERT_TRUE(store->GetPlanInfo("demo", &info).ok());
    PutVersion(store.get(), *ring, "demo", "Vedtatt 21. juni", info.last_seq,
               time + 1);
    AppendCheckpoint(data, store.get(), *ring, "demo", 10);
  }
  std::string out;
  const std::string file = dir.path() + "/demo.samplan-bundle.json";
  ASSERT_EQ(RunSamplan("export --data " + data +
                           " --plan demo --version 'Vedtatt 21. juni' --out " +
                           file,
                       &out),
            0)
      << out;
  EXPECT_TRUE(Has(out, "bundle verified: plan demo, version 'Vedtatt 21. juni'"))
      << out;
  EXPECT_EQ(RunSamplan("verify --bundle " + file, &out), 0) << out;
  EXPECT_TRUE(Has(out, "1 checkpoints")) << out;

  // The default file name, in the working directory.
  EXPECT_EQ(RunSamplan("export --data " + data +
                           " --plan demo --version 'Vedtatt 21. juni' --out " +
                           dir.path() + "/x.json",
                       &out),
            0);
  EXPECT_EQ(BundleSlug("Vedtatt 21. juni"), "vedtatt-21-juni");
  EXPECT_EQ(BundleSlug("Høringsutkast (Råde)"), "horingsutkast-rade");

  // Tampered: 1; unreadable or misused: 2.
  std::string text;
  {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  Json bundle = Json::parse(text);
  bundle["plan"]["id"] = "annen";
  {
    std::FILE* f = std::fopen(file.c_str(), "wb");
    const std::string dumped = bundle.dump();
    std::fwrite(dumped.data(), 1, dumped.size(), f);
    std::fclose(f);
  }
  EXPECT_EQ(RunSamplan("verify --bundle " + file, &out), 1) << out;
  EXPECT_TRUE(Has(out, "NOT VERIFIED")) << out;
  EXPECT_TRUE(Has(out, "belongs to plan 'demo', not 'annen'")) << out;
  EXPECT_EQ(RunSamplan("verify --bundle " + dir.path() + "/missing.json", &out),
            2);
  EXPECT_EQ(RunSamplan("verify --bundle", &out), 2);
  EXPECT_EQ(RunSamplan("verify --bundle " + file + " --data " + data, &out), 2);
  EXPECT_EQ(RunSamplan("export --data " + data + " --plan demo --version Nope "
                       "--out " + dir.path() + "/y.json",
                       &out),
            2)
      << out;
  EXPECT_EQ(RunSamplan("export --data " + data, &out), 2);
}

}  // namespace
}  // namespace samplan
