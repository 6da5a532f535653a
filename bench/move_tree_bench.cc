// Concurrent random moves in a 1,000-node plan tree on 3 replicas.
//
// Each round (one benchmark iteration) every replica moves a random node to
// a random non-descendant parent at a random index, then every replica
// catches up on a random, lagging prefix of every other replica's history.
// Remote ops therefore arrive interleaved with local ones, often with a
// lower timestamp than ops already applied, which exercises undo/redo.
// "moves/s" counts every MoveTree::Apply on every replica (local and
// remote); "late/round" is how many of them arrived out of timestamp order.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "crdt/ids.h"
#include "crdt/move_tree.h"
#include "crdt/status.h"

namespace samplan {
namespace {

constexpr int kReplicas = 3;
constexpr int kNodes = 1000;

struct BenchReplica {
  ReplicaId id = 0;
  uint64_t counter = 0;
  uint64_t lamport = 0;
  MoveTree tree;
  std::vector<TreeMove> history;  // in application order (causal)
  std::unordered_set<OpId, OpIdHash> applied;
  std::vector<size_t> cursor = std::vector<size_t>(kReplicas, 0);
};

class Harness {
 public:
  explicit Harness(uint32_t seed) : rng_(seed), replicas_(kReplicas) {
    for (int r = 0; r < kReplicas; ++r) {
      replicas_[r].id = static_cast<ReplicaId>(r + 1);
    }
    // Replica 0 builds the tree; the others receive it.
    BenchReplica& builder = replicas_[0];
    std::vector<OpId> parents = {kRootNode};
    for (int i = 0; i < kNodes; ++i) {
      const OpId parent = parents[rng_() % parents.size()];
      const size_t n = builder.tree.Children(parent).size();
      const TreeMove op = MakeOp(builder, kNullId, parent, rng_() % (n + 1));
      Deliver(builder, op);
      nodes_.push_back(op.id);
      parents.push_back(op.id);
    }
    for (int r = 1; r < kReplicas; ++r) CatchUp(replicas_[r], 0, SIZE_MAX);
    applies_ = 0;
    late_ = 0;
  }

  // One round: a local move per replica, then lagging exchange.
  void Round() {
    for (BenchReplica& r : replicas_) LocalMove(r);
    for (int to = 0; to < kReplicas; ++to) {
      for (int from = 0; from < kReplicas; ++from) {
        if (to == from) continue;
        const size_t size = replicas_[from].history.size();
        const size_t lag = rng_() % 4;  // 0..3 ops behind
        CatchUp(replicas_[to], from, lag < size ? size - lag : 0);
      }
    }
  }

  uint64_t applies() const { return applies_; }
  uint64_t late() const { return late_; }

 private:
  TreeMove MakeOp(BenchReplica& r, OpId node, OpId parent, size_t index) {
    TreeMove op;
    op.lamport = r.lamport + 1;
    op.id = OpId{r.id, ++r.counter};
    op.node = node.IsNull() ? op.id : node;
    if (node.IsNull()) op.kind = "task";
    op.parent = parent;
    if (!r.tree
             .SlotOriginsAt(parent, index, op.node, &op.slot_left,
                            &op.slot_right)
             .ok()) {
      std::abort();
    }
    return op;
  }

  void LocalMove(BenchReplica& r) {
    const OpId node = nodes_[rng_() % nodes_.size()];
    OpId parent;
    do {
      const size_t k = rng_() % (nodes_.size() + 1);
      parent = k == nodes_.size() ? kRootNode : nodes_[k];
    } while (r.tree.IsAncestor(node, parent));
    size_t n = r.tree.Children(parent).size();
    if (r.tree.ParentOf(node) == parent) --n;
    Deliver(r, MakeOp(r, node, parent, rng_() % (n + 1)));
  }

  void Deliver(BenchReplica& r, const TreeMove& op) {
    if (!r.applied.insert(op.id).second) return;
    const std::vector<TreeMove>& log = r.tree.log();
    if (!log.empty() && std::tie(op.lamport, op.id) <
                            std::tie(log.back().lamport, log.back().id)) {
      ++late_;
    }
    if (!r.tree.Apply(op).ok()) std::abort();
    ++applies_;
    if (op.lamport > r.lamport) r.lamport = op.lamport;
    r.history.push_back(op);
  }

  // `to` applies `from`'s history up to (excluding) position `upto`.
  void CatchUp(BenchReplica& to, int from, size_t upto) {
    const std::vector<TreeMove>& h = replicas_[from].history;
    if (upto > h.size()) upto = h.size();
    for (size_t& c = to.cursor[from]; c < upto; ++c) Deliver(to, h[c]);
  }

  std::mt19937_64 rng_;
  std::vector<BenchReplica> replicas_;
  std::vector<OpId> nodes_;
  uint64_t applies_ = 0;
  uint64_t late_ = 0;
};

void BM_ConcurrentRandomMoves(benchmark::State& state) {
  Harness harness(42);
  for (auto _ : state) harness.Round();
  state.counters["moves/s"] = benchmark::Counter(
      static_cast<double>(harness.applies()), benchmark::Counter::kIsRate);
  state.counters["late/round"] = benchmark::Counter(
      static_cast<double>(harness.late()), benchmark::Counter::kAvgIterations);
}
// A fixed number of rounds keeps the log length (and so the work per round)
// the same in every repetition.
BENCHMARK(BM_ConcurrentRandomMoves)
    ->Iterations(20000)
    ->Repetitions(5)
    ->ReportAggregatesOnly(false)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace samplan

BENCHMARK_MAIN();
