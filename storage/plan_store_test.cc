// The PlanStore contract, run against MemoryPlanStore and RocksDbPlanStore
// (typed tests), plus the properties of loading: snapshot + tail equals a
// full replay, on random plans.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <memory>
#include <set>
#include <thread>

#include "crdt/replica.h"
#include "storage/memory_plan_store.h"
#include "storage/named_version.h"
#include "storage/people.h"
#include "storage/plan_loader.h"
#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/testing/random_plan_editor.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using testing_util::RandomPlanEditor;
using testing_util::TempDir;

class MemoryFactory {
 public:
  std::unique_ptr<PlanStore> Make() { return std::make_unique<MemoryPlanStore>(); }
  // The memory store cannot be reopened: keep the same object.
  std::unique_ptr<PlanStore> Reopen(std::unique_ptr<PlanStore> store) {
    return store;
  }
};

class RocksFactory {
 public:
  std::unique_ptr<PlanStore> Make() { return Open(); }
  std::unique_ptr<PlanStore> Reopen(std::unique_ptr<PlanStore> store) {
    store.reset();
    return Open();
  }

 private:
  std::unique_ptr<PlanStore> Open() {
    std::unique_ptr<RocksDbPlanStore> store;
    // Durability is the crash test's subject; here speed matters more.
    RocksDbPlanStoreOptions options;
    options.sync = false;
    Status s = RocksDbPlanStore::Open(dir_.path() + "/db", options, &store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return store;
  }
  TempDir dir_;
};

template <typename Factory>
class PlanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = factory_.Make(); }
  void Reopen() { store_ = factory_.Reopen(std::move(store_)); }

  // Appends `n` random edits to plan `id`, one batch each.
  void AppendRandom(const std::string& id, int n, RandomPlanEditor* editor,
                    AppendContext who = {"kari", "Moss", 0}) {
    for (int i = 0; i < n; ++i) {
      Status s = store_->Append(id, editor->NextBatch(), who, nullptr);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  Factory factory_;
  std::unique_ptr<PlanStore> store_;
};

using Factories = ::testing::Types<MemoryFactory, RocksFactory>;
TYPED_TEST_SUITE(PlanStoreTest, Factories);

Op SimpleOp(ReplicaId replica, uint64_t counter, const std::string& text) {
  Op op;
  op.id = OpId{replica, counter};
  op.lamport = counter;
  op.kind = OpKind::kInsertText;
  op.node = kRootNode;
  op.name = "title";
  op.text = text;
  return op;
}

TYPED_TEST(PlanStoreTest, CreateAndListPlans) {
  PlanStore& store = *this->store_;
  EXPECT_TRUE(store.CreatePlan("moss-2024", "Handlingsplan").ok());
  EXPECT_TRUE(store.CreatePlan("vestby_1", "").ok());
  EXPECT_EQ(store.CreatePlan("moss-2024", "again").code(),
            Status::Code::kFailedPrecondition);
  for (const char* bad : {"", "a b", "plan/1", "æ", "a.b"}) {
    EXPECT_EQ(store.CreatePlan(bad, "").code(), Status::Code::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(store.CreatePlan(std::string(65, 'a'), "").code(),
            Status::Code::kInvalidArgument);
  EXPECT_TRUE(store.CreatePlan(std::string(64, 'a'), "").ok());
  this->Reopen();
  std::vector<PlanInfo> plans;
  ASSERT_TRUE(this->store_->ListPlans(&plans).ok());
  ASSERT_EQ(plans.size(), 3u);
  std::set<std::string> ids;
  for (const PlanInfo& p : plans) ids.insert(p.plan_id);
  EXPECT_EQ(ids.count("moss-2024"), 1u);
  PlanInfo info;
  ASSERT_TRUE(this->store_->GetPlanInfo("moss-2024", &info).ok());
  EXPECT_EQ(info.title, "Handlingsplan");
  EXPECT_EQ(info.last_seq, 0u);
  EXPECT_EQ(info.head, ChainHash{});
  EXPECT_GT(info.created_ms, 0);
  EXPECT_EQ(this->store_->GetPlanInfo("nope", &info).code(),
            Status::Code::kNotFound);
}

TYPED_TEST(PlanStoreTest, AppendNumbersStampsAndChains) {
  PlanStore& store = *this->store_;
  ASSERT_TRUE(store.CreatePlan("p", "").ok());
  std::vector<StoredOp> stored;
  ASSERT_TRUE(store.Append("p", {SimpleOp(7, 1, "ab"), SimpleOp(7, 3, "c")},
                           {"kari", "Moss", 1000}, &stored)
                  .ok());
  ASSERT_EQ(stored.size(), 2u);
  ChainHash chain{};
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].seq, i + 1);
    EXPECT_EQ(stored[i].user, "kari");
    EXPECT_EQ(stored[i].municipality, "Moss");
    EXPECT_EQ(stored[i].server_time_ms, 1000);
    EXPECT_EQ(stored[i].op.author, (Author{"kari", "Moss", 1000}));
    chain = NextChain(chain, CanonicalOpBytes(stored[i].op));
    EXPECT_EQ(stored[i].chain, chain);
  }
  // The store stamps the time when none is given; time never goes back.
  ASSERT_TRUE(store.Append("p", {SimpleOp(7, 4, "d")}, {"ola", "Vestby", 0},
                           &stored)
                  .ok());
  EXPECT_EQ(stored[0].seq, 3u);
  EXPECT_GT(stored[0].server_time_ms, 1000);
  const int64_t now = stored[0].server_time_ms;
  ASSERT_TRUE(store.Append("p", {SimpleOp(7, 5, "e")}, {"ola", "Vestby", 5},
                           &stored)
                  .ok());
  EXPECT_EQ(stored[0].server_time_ms, now);
  this->Reopen();
  PlanInfo info;
  ASSERT_TRUE(this->store_->GetPlanInfo("p", &info).ok());
  EXPECT_EQ(info.last_seq, 4u);
  EXPECT_EQ(info.head, stored[0].chain);
  std::vector<StoredOp> all;
  ASSERT_TRUE(this->store_->ReadRange("p", 1, 100, &all).ok());
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].chain, stored[0].chain);
  EXPECT_EQ(all[0].op.text, "ab");
  EXPECT_EQ(all[2].user, "ola");
}

TYPED_TEST(PlanStoreTest, FailedAppendChangesNothing) {
  PlanStore& store = *this->store_;
  ASSERT_TRUE(store.CreatePlan("p", "").ok());
  ASSERT_TRUE(store.Append("p", {SimpleOp(7, 1, "a")}, {}, nullptr).ok());
  Op bad = SimpleOp(7, 2, "b");
  bad.text = "\xff";  // invalid UTF-8
  EXPECT_EQ(store.Append("p", {SimpleOp(7, 2, "b"), bad}, {}, nullptr).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store.Append("p", {}, {}, nullptr).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store.Append("nope", {SimpleOp(7, 2, "b")}, {}, nullptr).code(),
            Status::Code::kNotFound);
  PlanInfo info;
  ASSERT_TRUE(store.GetPlanInfo("p", &info).ok());
  EXPECT_EQ(info.last_seq, 1u);
  std::vector<StoredOp> all;
  ASSERT_TRUE(store.ReadRange("p", 1, 100, &all).ok());
  EXPECT_EQ(all.size(), 1u);
}

TYPED_TEST(PlanStoreTest, ReadRangePages) {
  PlanStore& store = *this->store_;
  ASSERT_TRUE(store.CreatePlan("p", "").ok());
  ASSERT_TRUE(store.CreatePlan("q", "").ok());
  for (uint64_t i = 1; i <= 25; ++i) {
    ASSERT_TRUE(
        store.Append("p", {SimpleOp(7, i, "x")}, {"u", "m", 0}, nullptr).ok());
    ASSERT_TRUE(
        store.Append("q", {SimpleOp(8, i, "y")}, {"u", "m", 0}, nullptr).ok());
  }
  std::vector<StoredOp> page;
  uint64_t next = 1;
  size_t pages = 0;
  while (true) {
    ASSERT_TRUE(store.ReadRange("p", next, 10, &page).ok());
    if (page.empty()) break;
    ++pages;
    for (const StoredOp& op : page) {
      EXPECT_EQ(op.seq, next++);
      EXPECT_EQ(op.op.id.replica, 7u);
    }
  }
  EXPECT_EQ(pages, 3u);
  EXPECT_EQ(next, 26u);
  ASSERT_TRUE(store.ReadRange("p", 0, 2, &page).ok());
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 1u);
  ASSERT_TRUE(store.ReadRange("p", 30, 2, &page).ok());
  EXPECT_TRUE(page.empty());
  EXPECT_EQ(store.ReadRange("nope", 1, 2, &page).code(),
            Status::Code::kNotFound);
}

TYPED_TEST(PlanStoreTest, ReadTimeRangePages) {
  PlanStore& store = *this->store_;
  ASSERT_TRUE(store.CreatePlan("p", "").ok());
  // Times 100, 100, 200, 200, ..., 1000, 1000 (two ops per append).
  for (uint64_t i = 1; i <= 10; ++i) {
    ASSERT_TRUE(store
                    .Append("p", {SimpleOp(7, 2 * i - 1, "x"),
                                  SimpleOp(7, 2 * i, "y")},
                            {"u", "m", static_cast<int64_t>(i * 100)}, nullptr)
                    .ok());
  }
  std::vector<StoredOp> out;
  ASSERT_TRUE(store.ReadTimeRange("p", 250, 601, 0, 100, &out).ok());
  ASSERT_EQ(out.size(), 8u);  // times 300 .. 600
  EXPECT_EQ(out.front().seq, 5u);
  EXPECT_EQ(out.back().server_time_ms, 600);
  // Paged, 3 at a time, continuing after the last seq seen.
  std::vector<uint64_t> seqs;
  uint64_t after = 0;
  while (true) {
    ASSERT_TRUE(store.ReadTimeRange("p", 200, 700, after, 3, &out).ok());
    if (out.empty()) break;
    for (const StoredOp& op : out) seqs.push_back(op.seq);
    after = out.back().seq;
  }
  EXPECT_EQ(seqs, (std::vector<uint64_t>{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  ASSERT_TRUE(store.ReadTimeRange("p", 2000, 3000, 0, 10, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(store.ReadTimeRange("p", 0, 150, 0, 10, &out).ok());
  EXPECT_EQ(out.size(), 2u);
}

TYPED_TEST(PlanStoreTest, SnapshotPlusTailEqualsFullReplay) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const std::string id = "plan" + std::to_string(seed);
    ASSERT_TRUE(this->store_->CreatePlan(id, "").ok());
    RandomPlanEditor editor(seed, 10);
    const int before = 20 + seed * 13, after = 10 + seed * 7;
    this->AppendRandom(id, before, &editor);
    // A snapshot at some seq in the middle, built from the log.
    uint64_t seq;
    std::string snapshot;
    ASSERT_TRUE(BuildSnapshotFromLog(this->store_.get(), id, &seq, &snapshot)
                    .ok());
    ASSERT_TRUE(this->store_->PutSnapshot(id, seq, snapshot).ok());
    this->AppendRandom(id, after, &editor);
    this->Reopen();

    LoadedPlan loaded;
    Status s = this->store_->Load(id, &loaded);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(loaded.snapshot_seq, seq);
    EXPECT_EQ(loaded.info.snapshot_seq, seq);
    EXPECT_TRUE(loaded.snapshot_problem.empty()) << loaded.snapshot_problem;
    EXPECT_EQ(loaded.tail.size(), loaded.info.last_seq - seq);
    auto from_snapshot = RebuildReplica(loaded, 99);
    ASSERT_TRUE(from_snapshot.ok()) << from_snapshot.status().ToString();

    Replica full(98);
    std::vector<StoredOp> all;
    ASSERT_TRUE(this->store_->ReadRange(id, 1, 1 << 20, &all).ok());
    for (const StoredOp& op : all) ASSERT_TRUE(full.Apply(op.op).ok());
    EXPECT_EQ((*from_snapshot)->CanonicalDump(), full.CanonicalDump());
    Replica editor_view(97);
    ASSERT_TRUE(editor_view.ApplyAll(editor.all_ops()).ok());
    EXPECT_EQ(full.CanonicalDump(), editor_view.CanonicalDump());

    PlanVerifyReport report;
    s = VerifyPlan(this->store_.get(), id, &report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(report.ops, loaded.info.last_seq);
    EXPECT_EQ(report.snapshots, 1u);
    EXPECT_EQ(report.head, loaded.info.head);
  }
}

TYPED_TEST(PlanStoreTest, SnapshotsAreBoundedAndChecked) {
  PlanStore& store = *this->store_;
  ASSERT_TRUE(store.CreatePlan("p", "").ok());
  RandomPlanEditor editor(5, 10);
  this->AppendRandom("p", 10, &editor);
  EXPECT_EQ(store.PutSnapshot("p", 11, "x").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store.PutSnapshot("p", 0, "x").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store.PutSnapshot("nope", 1, "x").code(), Status::Code::kNotFound);
  for (int round = 0; round < 3; ++round) {
    uint64_t seq;
    std::string snapshot;
    ASSERT_TRUE(BuildSnapshotFromLog(&store, "p", &seq, &snapshot).ok());
    ASSERT_TRUE(store.PutSnapshot("p", seq, snapshot).ok());
    this->AppendRandom("p", 5, &editor);
  }
  std::vector<SnapshotRef> refs;
  ASSERT_TRUE(store.ListSnapshots("p", &refs).ok());
  ASSERT_FALSE(refs.empty());
  EXPECT_EQ(refs.back().seq, 20u);
  PlanVerifyReport report;
  Status s = VerifyPlan(&store, "p", &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.snapshots, refs.size());
}

TYPED_TEST(PlanStoreTest, ConcurrentAppendersGetGaplessSequences) {
  PlanStore& store = *this->store_;
  ASSERT_TRUE(store.CreatePlan("a", "").ok());
  ASSERT_TRUE(store.CreatePlan("b", "").ok());
  constexpr int kThreads = 8, kPerThread = 40;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string plan = t % 2 == 0 ? "a" : "b";
      for (int i = 1; i <= kPerThread; ++i) {
        std::vector<StoredOp> stored;
        Status s = store.Append(
            plan, {SimpleOp(100 + t, i, "x")},
            {"user" + std::to_string(t), "Moss", 0}, &stored);
        if (!s.ok() || stored.size() != 1) {
          ADD_FAILURE() << s.ToString();
          return;
        }
        seqs[t].push_back(stored[0].seq);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string plan : {"a", "b"}) {
    std::set<uint64_t> all;
    for (int t = plan == "a" ? 0 : 1; t < kThreads; t += 2) {
      all.insert(seqs[t].begin(), seqs[t].end());
      EXPECT_TRUE(std::is_sorted(seqs[t].begin(), seqs[t].end()));
    }
    EXPECT_EQ(all.size(), kThreads / 2 * kPerThread);
    EXPECT_EQ(*all.rbegin(), all.size());
    LoadedPlan loaded;
    Status s = store.Load(plan, &loaded);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(loaded.tail.size(), all.size());
  }
}

TEST(RocksDbPlanStoreTest, GroupCommitSharesWrites) {
  TempDir dir;
  std::unique_ptr<RocksDbPlanStore> store;
  ASSERT_TRUE(RocksDbPlanStore::Open(dir.path(), {}, &store).ok());
  ASSERT_TRUE(store->CreatePlan("p", "").ok());
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 1; i <= kPerThread; ++i) {
        ASSERT_TRUE(
            store->Append("p", {SimpleOp(100 + t, i, "x")}, {}, nullptr).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  PlanInfo info;
  ASSERT_TRUE(store->GetPlanInfo("p", &info).ok());
  EXPECT_EQ(info.last_seq, kThreads * kPerThread);
  // With 8 writers waiting on syncs, groups form.
  EXPECT_LT(store->group_commits(), kThreads * kPerThread);
  EXPECT_TRUE(store->VerifyChecksums().ok());
}

TEST(RocksDbPlanStoreTest, RefusesSecondOpenAndUnknownFormat) {
  TempDir dir;
  std::unique_ptr<RocksDbPlanStore> store, second;
  ASSERT_TRUE(RocksDbPlanStore::Open(dir.path(), {}, &store).ok());
  Status s = RocksDbPlanStore::Open(dir.path(), {}, &second);
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
  RocksDbPlanStoreOptions no_create;
  no_create.create_if_missing = false;
  s = RocksDbPlanStore::Open(dir.path() + "/missing", no_create, &second);
  EXPECT_FALSE(s.ok());
}


Person MakePerson(const std::string& user, const std::string& name,
                  const std::string& email) {
  Person p;
  p.user = user;
  p.name = name;
  p.email = email;
  return p;
}

// A version of plan `id` at `seq` as the server would make it (unsigned:
// the store does not check signatures, the caller signs).
NamedVersion VersionAt(PlanStore* store, const std::string& id,
                       const std::string& name, uint64_t seq) {
  std::vector<StoredOp> ops;
  EXPECT_TRUE(store->ReadRange(id, seq, 1, &ops).ok());
  NamedVersion v;
  v.plan_id = id;
  v.name = name;
  v.reference = "sak 2026/" + name;
  v.seq = seq;
  if (!ops.empty()) {
    v.head = ops[0].chain;
    v.time_ms = ops[0].server_time_ms;
  }
  v.created_by = "admin1";
  v.created_ms = 5000 + static_cast<int64_t>(seq);
  v.key_id = "0123456789abcdef";
  v.signature = std::string(64, '\x07');
  return v;
}

TYPED_TEST(PlanStoreTest, NamedVersionsAreImmutableCheckedAndOrdered) {
  ASSERT_TRUE(this->store_->CreatePlan("p", "").ok());
  ASSERT_TRUE(this->store_->CreatePlan("other", "").ok());
  RandomPlanEditor editor(3, 10);
  this->AppendRandom("p", 8, &editor);
  PlanInfo info;
  ASSERT_TRUE(this->store_->GetPlanInfo("p", &info).ok());
  ASSERT_GE(info.last_seq, 3u);
  PlanStore* store = this->store_.get();

  // Created out of seq order: listed in creation order.
  const NamedVersion late = VersionAt(store, "p", "vedtatt 2026", info.last_seq);
  const NamedVersion early = VersionAt(store, "p", "høring «1»", 2);
  ASSERT_TRUE(store->PutVersion(late).ok());
  Status s = store->PutVersion(early);
  ASSERT_TRUE(s.ok()) << s.ToString();

  // A name is never reused, not even for the same seq.
  NamedVersion again = VersionAt(store, "p", "vedtatt 2026", 1);
  s = store->PutVersion(again);
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(s.message(), "version 'vedtatt 2026' already exists");
  // The same name on another plan is another version.
  this->AppendRandom("other", 1, &editor);
  EXPECT_TRUE(store->PutVersion(VersionAt(store, "other", "vedtatt 2026", 1)).ok());

  // The head must be the chain at seq; seq must be in the log.
  NamedVersion bad = VersionAt(store, "p", "x", 3);
  bad.head[0] ^= 1;
  EXPECT_EQ(store->PutVersion(bad).code(), Status::Code::kInvalidArgument);
  bad = VersionAt(store, "p", "x", 3);
  bad.head = VersionAt(store, "p", "x", 2).head;
  EXPECT_EQ(store->PutVersion(bad).code(), Status::Code::kInvalidArgument);
  bad = VersionAt(store, "p", "x", 3);
  bad.seq = 0;
  EXPECT_EQ(store->PutVersion(bad).code(), Status::Code::kInvalidArgument);
  bad.seq = info.last_seq + 1;
  EXPECT_EQ(store->PutVersion(bad).code(), Status::Code::kInvalidArgument);
  bad = VersionAt(store, "p", "x", 3);
  bad.time_ms += 1;
  EXPECT_EQ(store->PutVersion(bad).code(), Status::Code::kInvalidArgument);
  bad = VersionAt(store, "p", "", 3);
  EXPECT_EQ(store->PutVersion(bad).code(), Status::Code::kInvalidArgument);
  bad = VersionAt(store, "p", "a\nb", 3);
  EXPECT_EQ(store->PutVersion(bad).code(), Status::Code::kInvalidArgument);
  bad = VersionAt(store, "p", "x", 3);
  bad.plan_id = "nope";
  EXPECT_EQ(store->PutVersion(bad).code(), Status::Code::kNotFound);
  std::vector<NamedVersion> versions;
  EXPECT_EQ(store->ListVersions("nope", &versions).code(),
            Status::Code::kNotFound);

  this->Reopen();
  ASSERT_TRUE(this->store_->ListVersions("p", &versions).ok());
  ASSERT_EQ(versions.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const NamedVersion& want = i == 0 ? late : early;
    EXPECT_EQ(versions[i].plan_id, want.plan_id);
    EXPECT_EQ(versions[i].name, want.name);
    EXPECT_EQ(versions[i].reference, want.reference);
    EXPECT_EQ(versions[i].seq, want.seq);
    EXPECT_EQ(versions[i].head, want.head);
    EXPECT_EQ(versions[i].time_ms, want.time_ms);
    EXPECT_EQ(versions[i].created_by, want.created_by);
    EXPECT_EQ(versions[i].created_ms, want.created_ms);
    EXPECT_EQ(versions[i].key_id, want.key_id);
    EXPECT_EQ(versions[i].signature, want.signature);
  }
  // Still immutable after reopening.
  EXPECT_EQ(this->store_->PutVersion(again).code(),
            Status::Code::kFailedPrecondition);
  ASSERT_TRUE(this->store_->ListVersions("other", &versions).ok());
  EXPECT_EQ(versions.size(), 1u);
}

TYPED_TEST(PlanStoreTest, PeopleAreErasedWithoutTouchingTheLog) {
  PlanStore* store = this->store_.get();
  ASSERT_TRUE(store->CreatePlan("p", "").ok());
  RandomPlanEditor editor(5, 10);
  this->AppendRandom("p", 6, &editor, {"kari", "Moss", 0});
  PlanInfo before;
  ASSERT_TRUE(store->GetPlanInfo("p", &before).ok());

  ASSERT_TRUE(store->PutPerson(MakePerson("kari", "Kari Nordmann", "kari@moss.kommune.no")).ok());
  ASSERT_TRUE(store->PutPerson(MakePerson("ola", "Ola", "")).ok());
  ASSERT_TRUE(store->PutPerson(MakePerson("kari", "Kari N. Nordmann", "kari@moss.no")).ok());
  EXPECT_EQ(store->PutPerson(MakePerson("", "x", "")).code(),
            Status::Code::kInvalidArgument);
  Person p;
  ASSERT_TRUE(store->GetPerson("kari", &p).ok());
  EXPECT_EQ(p.name, "Kari N. Nordmann");
  EXPECT_EQ(p.email, "kari@moss.no");
  EXPECT_EQ(p.erased_ms, 0);
  EXPECT_EQ(store->GetPerson("nobody", &p).code(), Status::Code::kNotFound);
  EXPECT_EQ(store->ErasePerson("nobody", "op", "", 1).code(),
            Status::Code::kNotFound);

  ASSERT_TRUE(store->ErasePerson("kari", "dpo", "request 2026-17", 777).ok());
  this->Reopen();
  store = this->store_.get();
  ASSERT_TRUE(store->GetPerson("kari", &p).ok());
  EXPECT_EQ(p.user, "kari");
  EXPECT_EQ(p.name, "");
  EXPECT_EQ(p.email, "");
  EXPECT_EQ(p.erased_ms, 777);
  EXPECT_EQ(p.erased_by, "dpo");
  // An erased user stays erased.
  EXPECT_EQ(store->PutPerson(MakePerson("kari", "Kari", "")).code(),
            Status::Code::kFailedPrecondition);
  std::vector<Person> people;
  ASSERT_TRUE(store->ListPeople(&people).ok());
  ASSERT_EQ(people.size(), 2u);
  EXPECT_EQ(people[0].user, "kari");
  EXPECT_EQ(people[0].erased_ms, 777);
  EXPECT_EQ(people[1].user, "ola");
  EXPECT_EQ(people[1].name, "Ola");
  std::vector<Erasure> erasures;
  ASSERT_TRUE(store->ListErasures(&erasures).ok());
  ASSERT_EQ(erasures.size(), 1u);
  EXPECT_EQ(erasures[0].user, "kari");
  EXPECT_EQ(erasures[0].by, "dpo");
  EXPECT_EQ(erasures[0].reason, "request 2026-17");
  EXPECT_EQ(erasures[0].time_ms, 777);
  ASSERT_TRUE(store->ErasePerson("ola", "dpo", "", 900).ok());
  ASSERT_TRUE(store->ListErasures(&erasures).ok());
  ASSERT_EQ(erasures.size(), 2u);
  EXPECT_EQ(erasures[1].user, "ola");

  // The op log is untouched: same head, the user id stays, the chain
  // verifies.
  PlanInfo after;
  ASSERT_TRUE(store->GetPlanInfo("p", &after).ok());
  EXPECT_EQ(after.last_seq, before.last_seq);
  EXPECT_EQ(after.head, before.head);
  std::vector<StoredOp> ops;
  ASSERT_TRUE(store->ReadRange("p", 1, 1, &ops).ok());
  EXPECT_EQ(ops[0].user, "kari");
  PlanVerifyReport report;
  Status s = VerifyPlan(store, "p", &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(RocksDbPlanStoreTest, OpensADatabaseWithoutTheNewFamilies) {
  TempDir dir;
  const std::string db = dir.path() + "/db";
  {
    std::unique_ptr<RocksDbPlanStore> store;
    RocksDbPlanStoreOptions options;
    options.sync = false;
    ASSERT_TRUE(RocksDbPlanStore::Open(db, options, &store).ok());
    ASSERT_TRUE(store->CreatePlan("p", "").ok());
    ASSERT_TRUE(store->Append("p", {SimpleOp(7, 1, "ab")}, {"kari", "Moss", 10},
                              nullptr)
                    .ok());
  }
  {
    // Make it a database of before issue 10: drop the new families.
    std::vector<std::string> names;
    ASSERT_TRUE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), db, families, &handles, &raw).ok());
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "versions" || names[i] == "people" || names[i] == "erasures") {
        ASSERT_TRUE(raw->DropColumnFamily(handles[i]).ok());
      }
    }
    for (auto* h : handles) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
    delete raw;
    ASSERT_TRUE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db, &names).ok());
    EXPECT_EQ(names.size(), 4u);
  }
  {
    // A reader (secondary instance) sees no versions and no people.
    TempDir secondary;
    std::unique_ptr<RocksDbPlanStore> store;
    RocksDbPlanStoreOptions options;
    options.secondary_path = secondary.path();
    Status s = RocksDbPlanStore::Open(db, options, &store);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::vector<NamedVersion> versions;
    EXPECT_TRUE(store->ListVersions("p", &versions).ok());
    EXPECT_TRUE(versions.empty());
    std::vector<Person> people;
    EXPECT_TRUE(store->ListPeople(&people).ok());
    EXPECT_TRUE(people.empty());
  }
  // Opened for writing (not even allowed to create a database), the
  // families are added.
  std::unique_ptr<RocksDbPlanStore> store;
  RocksDbPlanStoreOptions options;
  options.create_if_missing = false;
  Status s = RocksDbPlanStore::Open(db, options, &store);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(store->PutVersion(VersionAt(store.get(), "p", "v1", 1)).ok());
  EXPECT_TRUE(store->PutPerson(MakePerson("kari", "Kari", "")).ok());
  PlanVerifyReport report;
  EXPECT_TRUE(VerifyPlan(store.get(), "p", &report).ok());
}

}  // namespace
}  // namespace samplan
