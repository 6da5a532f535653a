// Replaying real editing traces through the core: local editing, remote
// merge of every operation into a fresh replica, snapshot encode and decode.
// Each benchmark checks that the text ends in exactly the trace's
// endContent and fails (SkipWithError) otherwise.
//
//   build/replay_bench [--benchmark_filter=automerge]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/replay.h"
#include "cli/trace.h"

namespace samplan {
namespace {

struct TraceFile {
  const char* name;
  const char* path;  // under SAMPLAN_SHARED_DIR/traces
};

constexpr TraceFile kTraces[] = {
    {"automerge-paper", "sequential/automerge-paper.json.gz"},
    {"friendsforever", "concurrent/friendsforever.json.gz"},
    {"clownschool", "concurrent/clownschool.json.gz"},
};

// A trace with the artefacts of one replay, loaded on first use.
struct Prepared {
  Trace trace;
  OpId node;
  ReplicaId free_id = 0;
  std::vector<Op> ops;
  std::string snapshot;
  std::string error;  // non-empty when preparing failed
};

const Prepared& Prepare(const TraceFile& file) {
  static std::map<std::string, std::unique_ptr<Prepared>> cache;
  std::unique_ptr<Prepared>& slot = cache[file.name];
  if (slot != nullptr) return *slot;
  slot = std::make_unique<Prepared>();
  Prepared& p = *slot;
  const std::string path =
      std::string(SAMPLAN_SHARED_DIR) + "/traces/" + file.path;
  if (Status s = LoadTrace(path, &p.trace); !s.ok()) {
    p.error = s.ToString();
    return p;
  }
  Result<LocalReplay> local = ReplayLocally(p.trace);
  if (!local.ok()) {
    p.error = local.status().ToString();
    return p;
  }
  p.node = local->node;
  p.free_id = local->next_free_id;
  if (Status s = local->replica->OpsSince(VersionVector{}, &p.ops); !s.ok()) {
    p.error = s.ToString();
    return p;
  }
  Result<std::unique_ptr<Replica>> merged = MergeIntoFresh(p.ops, p.free_id);
  if (!merged.ok()) {
    p.error = merged.status().ToString();
    return p;
  }
  p.snapshot = (*merged)->EncodeSnapshot();
  return p;
}

// Empty when `replica` holds the trace's endContent, else what is wrong.
std::string CheckText(const Prepared& p, const Replica& replica) {
  Result<std::string> text = ReplayedText(replica, p.node);
  if (!text.ok()) return text.status().ToString();
  return DescribeMismatch(*text, p.trace.end_content);
}

void SetCounters(benchmark::State& state, const Prepared& p) {
  state.counters["patches"] = static_cast<double>(p.trace.patches.size());
  state.counters["ops"] = static_cast<double>(p.ops.size());
  state.counters["snapshot_bytes"] = static_cast<double>(p.snapshot.size());
}

void BM_LocalReplay(benchmark::State& state, const TraceFile& file) {
  const Prepared& p = Prepare(file);
  if (!p.error.empty()) return state.SkipWithError(p.error.c_str());
  std::string problem;
  for (auto _ : state) {
    Result<LocalReplay> local = ReplayLocally(p.trace);
    state.PauseTiming();
    if (!local.ok()) {
      problem = local.status().ToString();
    } else {
      problem = CheckText(p, *local->replica);
    }
    if (local.ok()) local->replica.reset();  // freed outside the timing
    state.ResumeTiming();
    if (!problem.empty()) break;
  }
  if (!problem.empty()) return state.SkipWithError(problem.c_str());
  SetCounters(state, p);
}

void BM_RemoteMerge(benchmark::State& state, const TraceFile& file) {
  const Prepared& p = Prepare(file);
  if (!p.error.empty()) return state.SkipWithError(p.error.c_str());
  std::string problem;
  for (auto _ : state) {
    Result<std::unique_ptr<Replica>> merged = MergeIntoFresh(p.ops, p.free_id);
    state.PauseTiming();
    problem = merged.ok() ? CheckText(p, **merged) : merged.status().ToString();
    if (merged.ok()) merged->reset();
    state.ResumeTiming();
    if (!problem.empty()) break;
  }
  if (!problem.empty()) return state.SkipWithError(problem.c_str());
  SetCounters(state, p);
}

void BM_SnapshotEncode(benchmark::State& state, const TraceFile& file) {
  const Prepared& p = Prepare(file);
  if (!p.error.empty()) return state.SkipWithError(p.error.c_str());
  Result<std::unique_ptr<Replica>> decoded =
      Replica::DecodeSnapshot(p.snapshot, p.free_id);
  if (!decoded.ok()) {
    return state.SkipWithError(decoded.status().ToString().c_str());
  }
  for (auto _ : state) {
    std::string bytes = (*decoded)->EncodeSnapshot();
    benchmark::DoNotOptimize(bytes.data());
    if (bytes != p.snapshot) {
      state.SkipWithError("snapshot encoding is not deterministic");
      break;
    }
  }
  SetCounters(state, p);
}

void BM_SnapshotDecode(benchmark::State& state, const TraceFile& file) {
  const Prepared& p = Prepare(file);
  if (!p.error.empty()) return state.SkipWithError(p.error.c_str());
  std::string problem;
  for (auto _ : state) {
    Result<std::unique_ptr<Replica>> decoded =
        Replica::DecodeSnapshot(p.snapshot, p.free_id + 1);
    state.PauseTiming();
    problem =
        decoded.ok() ? CheckText(p, **decoded) : decoded.status().ToString();
    if (decoded.ok()) decoded->reset();
    state.ResumeTiming();
    if (!problem.empty()) break;
  }
  if (!problem.empty()) return state.SkipWithError(problem.c_str());
  SetCounters(state, p);
}

void RegisterAll() {
  using Fn = void (*)(benchmark::State&, const TraceFile&);
  const std::pair<const char*, Fn> kinds[] = {
      {"BM_LocalReplay", BM_LocalReplay},
      {"BM_RemoteMerge", BM_RemoteMerge},
      {"BM_SnapshotEncode", BM_SnapshotEncode},
      {"BM_SnapshotDecode", BM_SnapshotDecode},
  };
  for (const TraceFile& file : kTraces) {
    for (const auto& [name, fn] : kinds) {
      benchmark::RegisterBenchmark(
          (std::string(name) + "/" + file.name).c_str(),
          [fn = fn, &file](benchmark::State& state) { fn(state, file); })
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace
}  // namespace samplan

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  samplan::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
