// Durable plan storage (RocksDbPlanStore) benchmarks:
//
//   DurableAppend: single-operation appends, synced before they return, from
//     1 or 8 concurrent writers (group commit), to one plan or one plan per
//     writer. Reports ops/s (items_per_second).
//   Load: loading the automerge-paper trace's plan (Load + RebuildReplica:
//     read, verify the chain of the tail, decode, replay), with and without
//     a snapshot, as the core's run-merged ops (~10k) and as one stored op
//     per keystroke (~260k). Reports bytes on disk per op (after a full
//     compaction, log only) as counters.
//   LoadReadAndVerifyOnly: the Load call alone, without the replay.
//
//   build/storage_bench [--benchmark_filter=Load]
//
// Data goes to $SAMPLAN_BENCH_DIR or /tmp (a real disk: fsync matters).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

#include "storage/plan_loader.h"
#include "storage/rocksdb_plan_store.h"
#include "cli/replay.h"
#include "cli/trace.h"

namespace samplan {
namespace {

namespace fs = std::filesystem;

// Removes the benchmark's data directories at exit.
struct Cleanup {
  std::mutex mu;
  std::vector<std::string> dirs;
  ~Cleanup() {
    std::error_code ec;
    for (const std::string& d : dirs) fs::remove_all(d, ec);
  }
};
Cleanup cleanup;

std::string BenchDir(const std::string& name) {
  const char* base = std::getenv("SAMPLAN_BENCH_DIR");
  const std::string dir =
      std::string(base != nullptr ? base : "/tmp") + "/samplan-storage-bench-" +
      name + "-" + std::to_string(getpid());
  fs::remove_all(dir);
  std::lock_guard<std::mutex> lock(cleanup.mu);
  cleanup.dirs.push_back(dir);
  return dir;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// ---- Durable appends ---------------------------------------------------------

struct AppendFixture {
  std::string dir;
  std::unique_ptr<RocksDbPlanStore> store;
  std::atomic<uint64_t> next_replica{100};
};

AppendFixture& Appends() {
  static AppendFixture* f = [] {
    auto* f = new AppendFixture;
    f->dir = BenchDir("append");
    if (!RocksDbPlanStore::Open(f->dir, {}, &f->store).ok()) std::abort();
    for (int i = 0; i < 9; ++i) {
      if (!f->store->CreatePlan("plan" + std::to_string(i), "").ok()) {
        std::abort();
      }
    }
    return f;
  }();
  return *f;
}

void BM_DurableAppend(benchmark::State& state) {
  AppendFixture& f = Appends();
  const bool own_plan = state.range(0) != 0;
  const std::string plan =
      own_plan ? "plan" + std::to_string(1 + state.thread_index()) : "plan0";
  Op op;
  op.id = OpId{f.next_replica++, 1};
  op.lamport = 1;
  op.kind = OpKind::kInsertText;
  op.node = kRootNode;
  op.name = "title";
  op.text = "a";
  const AppendContext who{"kari", "Moss", 0};
  const uint64_t commits_before = f.store->group_commits();
  for (auto _ : state) {
    Status s = f.store->Append(plan, {op}, who, nullptr);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    ++op.id.counter;
    ++op.lamport;
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["ops_per_sync"] = benchmark::Counter(
        static_cast<double>(state.iterations() * state.threads()) /
        std::max<uint64_t>(1, f.store->group_commits() - commits_before));
  }
}
BENCHMARK(BM_DurableAppend)
    ->ArgName("own_plan")
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime()
    ->MinTime(1.0);

// ---- Loading the automerge-paper history -----------------------------------

// Splits every op into single-unit ops (one per keystroke / character).
std::vector<Op> SingleUnitOps(const std::vector<Op>& ops) {
  std::vector<Op> out;
  for (Op op : ops) {
    while (op.Length() > 1) {
      out.push_back(SliceOpTo(op, 1));
      op = SliceOpFrom(op, 1);
    }
    out.push_back(std::move(op));
  }
  return out;
}

struct History {
  std::string dir;
  std::unique_ptr<RocksDbPlanStore> store;
  size_t ops = 0;
  double bytes_per_op = 0;
  OpId node;
  std::string end_content;
  std::string error;
};

// Stores the trace as plan "log" (no snapshot) and "snap" (with a snapshot
// at its last op); measures the on-disk size of "log" alone.
History* BuildHistory(bool unmerged) {
  auto* h = new History;
  const std::string path = std::string(SAMPLAN_SHARED_DIR) +
                           "/traces/sequential/automerge-paper.json.gz";
  Trace trace;
  if (Status s = LoadTrace(path, &trace); !s.ok()) {
    h->error = s.ToString();
    return h;
  }
  Result<LocalReplay> local = ReplayLocally(trace);
  if (!local.ok()) {
    h->error = local.status().ToString();
    return h;
  }
  h->node = local->node;
  h->end_content = trace.end_content;
  std::vector<Op> ops;
  if (Status s = local->replica->OpsSince(VersionVector{}, &ops); !s.ok()) {
    h->error = s.ToString();
    return h;
  }
  if (unmerged) ops = SingleUnitOps(ops);
  h->ops = ops.size();
  const std::string snapshot = local->replica->EncodeSnapshot();

  h->dir = BenchDir(unmerged ? "unmerged" : "merged");
  RocksDbPlanStoreOptions options;
  options.sync = false;  // setup speed; appends are measured above
  if (Status s = RocksDbPlanStore::Open(h->dir, options, &h->store); !s.ok()) {
    h->error = s.ToString();
    return h;
  }
  auto store_plan = [&](const std::string& id) -> Status {
    SAMPLAN_RETURN_IF_ERROR(h->store->CreatePlan(id, "automerge-paper"));
    constexpr size_t kBatch = 1000;
    for (size_t i = 0; i < ops.size(); i += kBatch) {
      std::vector<Op> batch(ops.begin() + i,
                            ops.begin() + std::min(ops.size(), i + kBatch));
      SAMPLAN_RETURN_IF_ERROR(
          h->store->Append(id, batch, {"kari", "Moss", 0}, nullptr));
    }
    return Status::OK();
  };
  Status s = store_plan("log");
  if (s.ok()) s = h->store->CompactAll();
  if (s.ok()) {
    h->bytes_per_op = static_cast<double>(DirBytes(h->dir)) / h->ops;
    s = store_plan("snap");
  }
  if (s.ok()) s = h->store->PutSnapshot("snap", ops.size(), snapshot);
  if (s.ok()) s = h->store->CompactAll();
  if (!s.ok()) h->error = s.ToString();
  return h;
}

History& GetHistory(bool unmerged) {
  static History* merged = nullptr;
  static History* single = nullptr;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  History*& h = unmerged ? single : merged;
  if (h == nullptr) h = BuildHistory(unmerged);
  return *h;
}

void BM_Load(benchmark::State& state) {
  const bool unmerged = state.range(0) != 0;
  const bool with_snapshot = state.range(1) != 0;
  History& h = GetHistory(unmerged);
  if (!h.error.empty()) {
    state.SkipWithError(h.error.c_str());
    return;
  }
  const std::string plan = with_snapshot ? "snap" : "log";
  bool checked = false;
  for (auto _ : state) {
    LoadedPlan loaded;
    Status s = h.store->Load(plan, &loaded);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    Result<std::unique_ptr<Replica>> replica =
        RebuildReplica(loaded, kStorageReplicaId);
    if (!replica.ok()) {
      state.SkipWithError(replica.status().ToString().c_str());
      return;
    }
    if (!checked) {
      state.PauseTiming();
      Result<std::string> text = ReplayedText(**replica, h.node);
      if (!text.ok() || *text != h.end_content) {
        state.SkipWithError("loaded text differs from the trace's endContent");
        return;
      }
      checked = true;
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(replica);
  }
  state.counters["stored_ops"] = static_cast<double>(h.ops);
  state.counters["disk_bytes_per_op"] = h.bytes_per_op;
}
BENCHMARK(BM_Load)
    ->ArgNames({"unmerged", "snapshot"})
    ->Args({0, 1})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Args({1, 0})
    ->Unit(benchmark::kMillisecond);

// Load alone (read, decode, verify the chain), without rebuilding the
// replica: where the time of a load without snapshot goes.
void BM_LoadReadAndVerifyOnly(benchmark::State& state) {
  History& h = GetHistory(state.range(0) != 0);
  if (!h.error.empty()) {
    state.SkipWithError(h.error.c_str());
    return;
  }
  for (auto _ : state) {
    LoadedPlan loaded;
    Status s = h.store->Load("log", &loaded);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(loaded);
  }
  state.counters["stored_ops"] = static_cast<double>(h.ops);
}
BENCHMARK(BM_LoadReadAndVerifyOnly)
    ->ArgName("unmerged")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace samplan

BENCHMARK_MAIN();
