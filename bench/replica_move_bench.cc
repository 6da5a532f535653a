// A 1,000-node plan tree on 3 replicas making concurrent random moves,
// measured through the Replica API (validation, op log, causal delivery).
// Each round every replica moves a random node under a random allowed
// parent; then the replicas exchange what they lack, so remote moves often
// carry lower timestamps than local ones and force undo/redo.
// Counter "moves_per_s": moves applied (local + remote) per second.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "crdt/replica.h"

namespace samplan {
namespace {

constexpr int kNodes = 1000;
constexpr int kReplicas = 3;

void BM_ConcurrentMoves(benchmark::State& state) {
  const int rounds_per_sync = static_cast<int>(state.range(0));
  std::mt19937_64 rng(1);
  // Chapters and goals may hold goals/measures: a tree where most nodes can
  // move under most others.
  PlanSchema schema;
  KindSchema item;
  item.name = "item";
  item.children = {"item"};
  KindSchema plan;
  plan.name = "plan";
  plan.children = {"item"};
  schema.AddKind(plan);
  schema.AddKind(item);

  std::vector<std::unique_ptr<Replica>> rs;
  for (int i = 0; i < kReplicas; ++i) {
    rs.push_back(std::make_unique<Replica>(i + 1, schema));
  }
  std::vector<OpId> nodes;
  for (int i = 0; i < kNodes; ++i) {
    const OpId parent = nodes.empty() ? kRootNode : nodes[rng() % nodes.size()];
    nodes.push_back(*rs[0]->CreateNode(parent, 0, "item"));
  }
  for (int i = 1; i < kReplicas; ++i) {
    std::vector<Op> ops;
    rs[0]->OpsSince(rs[i]->version(), &ops);
    rs[i]->ApplyAll(ops);
  }
  int64_t applied = 0;
  // Like a server broadcast: each replica sends its new local ops to the
  // others (log entries past what it sent last time).
  std::vector<size_t> sent(kReplicas);
  for (int i = 0; i < kReplicas; ++i) sent[i] = rs[i]->log().size();
  std::vector<Op> ops;
  for (auto _ : state) {
    for (int round = 0; round < rounds_per_sync; ++round) {
      for (auto& r : rs) {
        for (int attempt = 0; attempt < 8; ++attempt) {
          const OpId node = nodes[rng() % nodes.size()];
          const OpId parent = rng() % 10 == 0 ? kRootNode
                                              : nodes[rng() % nodes.size()];
          if (r->tree().IsAncestor(node, parent)) continue;
          if (r->MoveNode(node, parent, 0).ok()) {
            ++applied;
            break;
          }
        }
      }
    }
    for (int i = 0; i < kReplicas; ++i) {
      const auto& log = rs[i]->log();
      ops.clear();
      for (size_t k = sent[i]; k < log.size(); ++k) {
        if (log[k].id.replica == rs[i]->id()) ops.push_back(log[k]);
      }
      for (int j = 0; j < kReplicas; ++j) {
        if (j == i) continue;
        if (!rs[j]->ApplyAll(ops).ok()) state.SkipWithError("rejected");
        applied += static_cast<int64_t>(ops.size());
      }
    }
    for (int i = 0; i < kReplicas; ++i) sent[i] = rs[i]->log().size();
  }
  state.counters["moves_per_s"] =
      benchmark::Counter(static_cast<double>(applied),
                         benchmark::Counter::kIsRate);
  if (rs[0]->CanonicalDump() != rs[1]->CanonicalDump()) {
    state.SkipWithError("replicas diverged");
  }
}
BENCHMARK(BM_ConcurrentMoves)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace samplan

BENCHMARK_MAIN();
