#include "crdt/move_tree.h"

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gtest/gtest.h"

namespace samplan {
namespace {

// One replica of the tree with a Lamport clock, as the owning Replica would
// drive it: local ops get lamport = 1 + max seen; received ops are
// deduplicated by id.
class TestReplica {
 public:
  explicit TestReplica(ReplicaId id) : id_(id) {}

  // Builds (without applying) an op placing `node` (kNullId: a new node of
  // `kind`) as child number `index` of `parent`.
  TreeMove Make(OpId node, OpId parent, size_t index,
                const std::string& kind = "") {
    TreeMove op;
    op.lamport = lamport_ + 1;
    op.id = OpId{id_, counter_ + 1};
    op.node = node.IsNull() ? op.id : node;
    op.parent = parent;
    op.kind = kind;
    Status st = tree_.SlotOriginsAt(parent, index, op.node, &op.slot_left,
                                    &op.slot_right);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return op;
  }
  // Makes and applies a local op; returns it.
  TreeMove Local(OpId node, OpId parent, size_t index,
                 const std::string& kind = "") {
    TreeMove op = Make(node, parent, index, kind);
    ++counter_;
    Receive(op);
    return op;
  }
  OpId Create(OpId parent, size_t index, const std::string& kind = "task") {
    return Local(kNullId, parent, index, kind).id;
  }
  OpId CreateAtEnd(OpId parent, const std::string& kind = "task") {
    return Create(parent, tree_.Children(parent).size(), kind);
  }
  // Applies `op` unless already applied.
  void Receive(const TreeMove& op) {
    if (!applied_.insert(op.id).second) return;
    const auto& log = tree_.log();
    if (!log.empty() && std::tie(op.lamport, op.id) <
                            std::tie(log.back().lamport, log.back().id)) {
      ++late_;
    }
    Status st = tree_.Apply(op);
    ASSERT_TRUE(st.ok()) << st.ToString();
    lamport_ = std::max(lamport_, op.lamport);
    history_.push_back(op);
  }
  // Receives everything `other` has applied, in its order (causal).
  void SyncFrom(const TestReplica& other) {
    for (const TreeMove& op : other.history_) Receive(op);
  }

  MoveTree& tree() { return tree_; }
  const std::vector<TreeMove>& history() const { return history_; }
  // Ops that arrived with a timestamp below the newest applied one.
  int late() const { return late_; }

 private:
  ReplicaId id_;
  uint64_t counter_ = 0;
  uint64_t lamport_ = 0;
  int late_ = 0;
  MoveTree tree_;
  std::vector<TreeMove> history_;
  std::unordered_set<OpId, OpIdHash> applied_;
};

void DumpNode(const MoveTree& tree, OpId node, std::string* out) {
  *out += node.ToString() + "(" + tree.KindOf(node) + ")[";
  for (OpId child : tree.Children(node)) {
    EXPECT_EQ(tree.ParentOf(child), node);
    DumpNode(tree, child, out);
    *out += ",";
  }
  *out += "]";
}

// The whole structure: children recursively from root and trash, and the
// parent of every node in `nodes`.
std::string Dump(const MoveTree& tree, const std::vector<OpId>& nodes = {}) {
  std::string out;
  DumpNode(tree, kRootNode, &out);
  out += " trash:";
  DumpNode(tree, kTrashNode, &out);
  out += " count:" + std::to_string(tree.node_count());
  for (OpId n : nodes) {
    out += " " + n.ToString() + "^" + tree.ParentOf(n).ToString();
  }
  return out;
}

std::vector<OpId> CreatedNodes(const std::vector<TreeMove>& ops) {
  std::vector<OpId> out;
  for (const TreeMove& op : ops) {
    if (op.node == op.id) out.push_back(op.node);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(MoveTreeTest, StartsWithRootAndTrash) {
  MoveTree tree;
  EXPECT_EQ(tree.node_count(), 2u);
  EXPECT_TRUE(tree.Exists(kRootNode));
  EXPECT_TRUE(tree.Exists(kTrashNode));
  EXPECT_EQ(tree.KindOf(kRootNode), "plan");
  EXPECT_EQ(tree.KindOf(kTrashNode), "trash");
  EXPECT_EQ(tree.ParentOf(kRootNode), kNullId);
  EXPECT_EQ(tree.ParentOf(kTrashNode), kNullId);
  EXPECT_TRUE(tree.Children(kRootNode).empty());
  EXPECT_FALSE(tree.IsDeleted(kRootNode));
  EXPECT_TRUE(tree.IsDeleted(kTrashNode));
  EXPECT_TRUE(tree.CheckInvariants().ok());
}

TEST(MoveTreeTest, CreateMoveDeleteRestore) {
  TestReplica r(1);
  MoveTree& tree = r.tree();
  const OpId a = r.CreateAtEnd(kRootNode, "region");
  const OpId b = r.CreateAtEnd(kRootNode, "task");
  const OpId c = r.CreateAtEnd(b, "task");
  EXPECT_EQ(tree.node_count(), 5u);
  EXPECT_EQ(tree.KindOf(a), "region");
  EXPECT_EQ(tree.Children(kRootNode), (std::vector<OpId>{a, b}));
  EXPECT_EQ(tree.Children(b), (std::vector<OpId>{c}));
  EXPECT_EQ(tree.IndexInParent(b), 1u);

  r.Local(b, a, 0);  // move b (with c) under a
  EXPECT_EQ(tree.ParentOf(b), a);
  EXPECT_EQ(tree.Children(kRootNode), (std::vector<OpId>{a}));
  EXPECT_EQ(tree.Children(a), (std::vector<OpId>{b}));
  EXPECT_TRUE(tree.IsAncestor(a, c));
  EXPECT_TRUE(tree.IsAncestor(c, c));
  EXPECT_FALSE(tree.IsAncestor(c, a));

  r.Local(a, kTrashNode, 0);  // delete a
  EXPECT_TRUE(tree.IsDeleted(a));
  EXPECT_TRUE(tree.IsDeleted(c));
  EXPECT_TRUE(tree.Exists(c));
  EXPECT_TRUE(tree.Children(kRootNode).empty());
  EXPECT_EQ(tree.Children(kTrashNode), (std::vector<OpId>{a}));
  EXPECT_EQ(tree.Children(b), (std::vector<OpId>{c}));  // subtree kept

  r.Local(a, kRootNode, 0);  // restore
  EXPECT_FALSE(tree.IsDeleted(a));
  EXPECT_FALSE(tree.IsDeleted(c));
  EXPECT_TRUE(tree.Children(kTrashNode).empty());
  EXPECT_EQ(tree.Children(kRootNode), (std::vector<OpId>{a}));
  EXPECT_EQ(tree.log().size(), 6u);
  EXPECT_TRUE(tree.CheckInvariants().ok());
}

TEST(MoveTreeTest, SiblingOrderBySlotOrigins) {
  TestReplica r(1);
  MoveTree& tree = r.tree();
  const OpId a = r.CreateAtEnd(kRootNode);
  const OpId b = r.CreateAtEnd(kRootNode);
  const OpId c = r.CreateAtEnd(kRootNode);
  EXPECT_EQ(tree.Children(kRootNode), (std::vector<OpId>{a, b, c}));
  const OpId first = r.Create(kRootNode, 0);
  EXPECT_EQ(tree.Children(kRootNode), (std::vector<OpId>{first, a, b, c}));
  const OpId middle = r.Create(kRootNode, 2);
  EXPECT_EQ(tree.Children(kRootNode),
            (std::vector<OpId>{first, a, middle, b, c}));
  const OpId last = r.Create(kRootNode, 5);
  EXPECT_EQ(tree.Children(kRootNode),
            (std::vector<OpId>{first, a, middle, b, c, last}));
  EXPECT_EQ(tree.IndexInParent(last), 5u);
  EXPECT_EQ(tree.IndexInParent(middle), 2u);

  OpId left, right;
  EXPECT_EQ(tree.SlotOriginsAt(kRootNode, 7, kNullId, &left, &right).code(),
            Status::Code::kOutOfRange);
  EXPECT_EQ(tree.SlotOriginsAt({5, 5}, 0, kNullId, &left, &right).code(),
            Status::Code::kNotFound);
  // Index 6 is past the end when `last` itself is the one moving.
  EXPECT_EQ(tree.SlotOriginsAt(kRootNode, 6, last, &left, &right).code(),
            Status::Code::kOutOfRange);

  // Reorder within the parent: indices exclude the moving node.
  r.Local(c, kRootNode, 0);
  EXPECT_EQ(tree.Children(kRootNode),
            (std::vector<OpId>{c, first, a, middle, b, last}));
  r.Local(c, kRootNode, 5);
  EXPECT_EQ(tree.Children(kRootNode),
            (std::vector<OpId>{first, a, middle, b, last, c}));
  r.Local(first, kRootNode, 2);
  EXPECT_EQ(tree.Children(kRootNode),
            (std::vector<OpId>{a, middle, first, b, last, c}));
  EXPECT_TRUE(tree.CheckInvariants().ok());
}

TEST(MoveTreeTest, ConcurrentSiblingInsertsKeepIntendedOrder) {
  TestReplica r1(1), r2(2);
  const OpId x = r1.CreateAtEnd(kRootNode);
  const OpId y = r1.CreateAtEnd(kRootNode);
  r2.SyncFrom(r1);
  // Both users insert two children between x and y, and one moves y first.
  const OpId a1 = r1.Create(kRootNode, 1);
  const OpId a2 = r1.Create(kRootNode, 2);
  const OpId b1 = r2.Create(kRootNode, 1);
  const OpId b2 = r2.Create(kRootNode, 1);  // before b1
  r1.SyncFrom(r2);
  r2.SyncFrom(r1);
  const std::vector<OpId> kids = r1.tree().Children(kRootNode);
  EXPECT_EQ(kids, r2.tree().Children(kRootNode));
  ASSERT_EQ(kids.size(), 6u);
  EXPECT_EQ(kids.front(), x);
  EXPECT_EQ(kids.back(), y);
  auto pos = [&](OpId n) {
    return std::find(kids.begin(), kids.end(), n) - kids.begin();
  };
  EXPECT_EQ(pos(a2), pos(a1) + 1);  // each user's pair stays together
  EXPECT_EQ(pos(b1), pos(b2) + 1);
  EXPECT_EQ(Dump(r1.tree()), Dump(r2.tree()));
}

TEST(MoveTreeTest, ConcurrentCycleMovesConverge) {
  TestReplica base(9);
  const OpId a = base.CreateAtEnd(kRootNode);
  const OpId b = base.CreateAtEnd(kRootNode);
  std::vector<std::string> dumps;
  for (bool one_first : {true, false}) {
    TestReplica r1(1), r2(2);
    r1.SyncFrom(base);
    r2.SyncFrom(base);
    const TreeMove m1 = r1.Local(a, b, 0);  // a under b
    const TreeMove m2 = r2.Local(b, a, 0);  // b under a
    ASSERT_EQ(m1.lamport, m2.lamport);      // concurrent, same lamport
    if (one_first) {
      r2.Receive(m1);
      r1.Receive(m2);
    } else {
      r1.Receive(m2);
      r2.Receive(m1);
    }
    EXPECT_EQ(Dump(r1.tree()), Dump(r2.tree()));
    EXPECT_TRUE(r1.tree().CheckInvariants().ok());
    EXPECT_TRUE(r2.tree().CheckInvariants().ok());
    // (lamport, id) order: replica 1's move comes first and wins; replica
    // 2's would now make a cycle and is skipped.
    EXPECT_EQ(r1.tree().ParentOf(a), b);
    EXPECT_EQ(r1.tree().ParentOf(b), kRootNode);
    dumps.push_back(Dump(r1.tree()));
  }
  EXPECT_EQ(dumps[0], dumps[1]);
}

TEST(MoveTreeTest, ConcurrentMovesOfSameNodeHigherTimestampWins) {
  TestReplica base(9);
  const OpId a = base.CreateAtEnd(kRootNode);
  const OpId p = base.CreateAtEnd(kRootNode);
  const OpId q = base.CreateAtEnd(kRootNode);
  TestReplica r1(1), r2(2);
  r1.SyncFrom(base);
  r2.SyncFrom(base);
  r2.CreateAtEnd(kRootNode);  // advance r2's clock
  r1.Local(a, p, 0);
  const TreeMove later = r2.Local(a, q, 0);
  r1.SyncFrom(r2);
  r2.SyncFrom(r1);
  EXPECT_EQ(Dump(r1.tree()), Dump(r2.tree()));
  EXPECT_EQ(r1.tree().ParentOf(a), later.parent);
  EXPECT_TRUE(r1.tree().Children(p).empty());
  EXPECT_EQ(r1.tree().Children(q), (std::vector<OpId>{a}));
}

TEST(MoveTreeTest, LateMoveUndoesAndRedoes) {
  TestReplica r1(1), r2(2);
  const OpId a = r1.CreateAtEnd(kRootNode);
  const OpId b = r1.CreateAtEnd(kRootNode);
  const OpId c = r1.CreateAtEnd(kRootNode);
  r2.SyncFrom(r1);
  // r2 moves b under a (low timestamp).
  const TreeMove early = r2.Local(b, a, 0);
  // r1 does several later ops first: a under b, c under a, a new node.
  r1.CreateAtEnd(kRootNode);
  r1.CreateAtEnd(kRootNode);
  const TreeMove late = r1.Local(a, b, 0);
  r1.Local(c, a, 0);
  const OpId d = r1.CreateAtEnd(c);
  ASSERT_LT(early.lamport, late.lamport);
  EXPECT_EQ(r1.tree().ParentOf(a), b);

  const size_t log_before = r1.tree().log().size();
  r1.Receive(early);  // arrives late: undo, apply, redo
  EXPECT_EQ(r1.tree().log().size(), log_before + 1);
  // b under a happened first; a under b would now be a cycle: skipped.
  EXPECT_EQ(r1.tree().ParentOf(b), a);
  EXPECT_EQ(r1.tree().ParentOf(a), kRootNode);
  EXPECT_EQ(r1.tree().ParentOf(c), a);
  EXPECT_EQ(r1.tree().ParentOf(d), c);
  EXPECT_EQ(r1.tree().Children(a), (std::vector<OpId>{c, b}));
  EXPECT_TRUE(r1.tree().CheckInvariants().ok());
  const auto& log = r1.tree().log();
  EXPECT_TRUE(std::is_sorted(
      log.begin(), log.end(), [](const TreeMove& x, const TreeMove& y) {
        return std::tie(x.lamport, x.id) < std::tie(y.lamport, y.id);
      }));

  r2.SyncFrom(r1);
  EXPECT_EQ(Dump(r1.tree()), Dump(r2.tree()));
  // A fresh tree applying the log in order gets the same state.
  MoveTree fresh;
  for (const TreeMove& op : r1.tree().log()) ASSERT_TRUE(fresh.Apply(op).ok());
  EXPECT_EQ(Dump(fresh), Dump(r1.tree()));
}

TEST(MoveTreeTest, ValidationRejectsWithoutChange) {
  TestReplica r(1);
  MoveTree& tree = r.tree();
  const OpId a = r.CreateAtEnd(kRootNode);
  const OpId b = r.CreateAtEnd(kRootNode);
  r.CreateAtEnd(b);
  const std::string before = Dump(tree);
  const size_t log_before = tree.log().size();
  const TreeMove good = r.Make(a, b, 0);
  ASSERT_TRUE(tree.Validate(good).ok());

  auto expect_rejected = [&](TreeMove op, Status::Code code, const char* what) {
    EXPECT_EQ(tree.Validate(op).code(), code) << what;
    Status st = tree.Apply(op);
    EXPECT_EQ(st.code(), code) << what;
    EXPECT_FALSE(st.message().empty()) << what;
    EXPECT_EQ(Dump(tree), before) << what;
    EXPECT_EQ(tree.log().size(), log_before) << what;
    EXPECT_TRUE(tree.CheckInvariants().ok()) << what;
  };
  TreeMove op = good;
  op.parent = OpId{7, 7};
  expect_rejected(op, Status::Code::kNotFound, "unknown parent");
  op = good;
  op.parent = kNullId;
  expect_rejected(op, Status::Code::kNotFound, "null parent");
  op = good;
  op.node = OpId{7, 7};
  expect_rejected(op, Status::Code::kNotFound, "unknown node");
  op = good;
  op.node = kRootNode;
  expect_rejected(op, Status::Code::kInvalidArgument, "moving root");
  op = good;
  op.node = kTrashNode;
  expect_rejected(op, Status::Code::kInvalidArgument, "moving trash");
  op = good;
  op.kind = "task";
  expect_rejected(op, Status::Code::kInvalidArgument, "kind on a move");
  op = good;
  op.node = op.id;
  expect_rejected(op, Status::Code::kInvalidArgument, "create without kind");
  op = good;
  op.slot_left = tree.log()[0].id;  // a slot of root, not of b
  expect_rejected(op, Status::Code::kNotFound, "left slot not in parent");
  op = good;
  op.slot_right = OpId{7, 7};
  expect_rejected(op, Status::Code::kNotFound, "right slot not in parent");
  op = good;
  op.id = tree.log()[1].id;
  expect_rejected(op, Status::Code::kInvalidArgument, "duplicate id");
  op = good;
  op.id = kNullId;
  expect_rejected(op, Status::Code::kInvalidArgument, "null id");
  op = r.Make(kNullId, kRootNode, 2, "task");
  std::swap(op.slot_left, op.slot_right);
  op.slot_left = tree.log()[1].id;
  op.slot_right = tree.log()[0].id;
  expect_rejected(op, Status::Code::kInvalidArgument, "slots out of order");

  // A move into its own subtree is valid: recorded, but no effect.
  const OpId c = tree.Children(b)[0];
  TreeMove cyc = r.Make(b, c, 0);
  EXPECT_TRUE(tree.Validate(cyc).ok());
  r.Receive(cyc);
  EXPECT_EQ(tree.ParentOf(b), kRootNode);
  EXPECT_EQ(tree.log().size(), log_before + 1);
  TreeMove self = r.Make(b, b, 0);
  r.Receive(self);
  EXPECT_EQ(tree.ParentOf(b), kRootNode);
  EXPECT_EQ(Dump(tree), before);
  EXPECT_TRUE(tree.CheckInvariants().ok());
}

TEST(MoveTreeTest, CopiesAreIndependent) {
  TestReplica r(1);
  const OpId a = r.CreateAtEnd(kRootNode);
  const OpId b = r.CreateAtEnd(kRootNode);
  ASSERT_EQ(r.tree().Children(kRootNode), (std::vector<OpId>{a, b}));
  MoveTree copy = r.tree();
  const std::string before = Dump(copy);
  r.Local(a, b, 0);
  EXPECT_EQ(Dump(copy), before);
  EXPECT_EQ(copy.Children(kRootNode), (std::vector<OpId>{a, b}));
  EXPECT_EQ(r.tree().Children(kRootNode), (std::vector<OpId>{b}));
  EXPECT_TRUE(copy.CheckInvariants().ok());
  EXPECT_TRUE(r.tree().CheckInvariants().ok());
  // Rebuilding from the log gives the same tree.
  MoveTree rebuilt;
  for (const TreeMove& op : r.tree().log()) ASSERT_TRUE(rebuilt.Apply(op).ok());
  EXPECT_EQ(Dump(rebuilt), Dump(r.tree()));
}

// Random creates/moves/deletes on several replicas with random causal
// exchange; all replicas converge.
struct Sim {
  explicit Sim(uint32_t seed, int replicas) : rng(seed) {
    for (int i = 0; i < replicas; ++i) reps.emplace_back(i + 1);
  }

  OpId RandomNode(TestReplica& r, bool with_builtins) {
    std::vector<OpId> nodes = CreatedNodes(r.history());
    if (with_builtins) {
      nodes.push_back(kRootNode);
      nodes.push_back(kTrashNode);
    }
    if (nodes.empty()) return kNullId;
    return nodes[rng() % nodes.size()];
  }

  void LocalOp(TestReplica& r) {
    const OpId node = RandomNode(r, false);
    const int kind = static_cast<int>(rng() % 10);
    OpId parent;
    if (node.IsNull() || kind < 3) {
      parent = RandomNode(r, true);
      if (parent == kTrashNode) parent = kRootNode;
      const size_t n = r.tree().Children(parent).size();
      r.Local(kNullId, parent, rng() % (n + 1), "k" + std::to_string(kind));
      return;
    }
    parent = kind == 3 ? kTrashNode : RandomNode(r, true);
    size_t n = r.tree().Children(parent).size();
    if (r.tree().ParentOf(node) == parent) --n;
    // Occasionally a move into its own subtree (a recorded no-op).
    r.Local(node, parent, rng() % (n + 1));
  }

  // `to` receives a random causal prefix of `from`'s history.
  void PartialSync(TestReplica& to, const TestReplica& from) {
    const size_t upto = rng() % (from.history().size() + 1);
    for (size_t i = 0; i < upto; ++i) to.Receive(from.history()[i]);
  }

  void Run(int steps) {
    for (int s = 0; s < steps; ++s) {
      TestReplica& r = reps[rng() % reps.size()];
      LocalOp(r);
      Status st = r.tree().CheckInvariants();
      ASSERT_TRUE(st.ok()) << st.ToString();
      if (rng() % 2 == 0) {
        TestReplica& other = reps[rng() % reps.size()];
        if (&other != &r) PartialSync(other, r);
      }
    }
    for (int pass = 0; pass < 2; ++pass) {
      for (TestReplica& a : reps) {
        for (TestReplica& b : reps) {
          if (&a != &b) a.SyncFrom(b);
        }
      }
    }
  }

  std::mt19937 rng;
  std::vector<TestReplica> reps;
};

TEST(MoveTreeTest, RandomizedConvergence) {
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    Sim sim(seed, 3 + static_cast<int>(seed % 3));
    sim.Run(250);
    if (HasFatalFailure()) return;
    const std::vector<OpId> nodes = CreatedNodes(sim.reps[0].history());
    const std::string expected = Dump(sim.reps[0].tree(), nodes);
    int late = 0;
    for (TestReplica& r : sim.reps) late += r.late();
    EXPECT_GT(late, 0) << "seed " << seed;
    for (TestReplica& r : sim.reps) {
      EXPECT_EQ(Dump(r.tree(), nodes), expected) << "seed " << seed;
      Status st = r.tree().CheckInvariants();
      EXPECT_TRUE(st.ok()) << "seed " << seed << ": " << st.ToString();
      EXPECT_EQ(r.tree().log(), sim.reps[0].tree().log());
    }
  }
}

// The same ops delivered in different random causal orders give identical
// trees.
TEST(MoveTreeTest, CausalPermutationsConverge) {
  for (uint32_t seed = 100; seed < 110; ++seed) {
    Sim sim(seed, 4);
    sim.Run(200);
    if (HasFatalFailure()) return;
    // Causal dependencies of an op: everything its author had applied
    // before it (the author's history is a causal order).
    std::vector<TreeMove> ops;
    std::vector<std::vector<size_t>> deps;
    std::unordered_map<OpId, size_t, OpIdHash> index;
    for (const TestReplica& r : sim.reps) {
      for (const TreeMove& op : r.history()) {
        if (index.count(op.id) == 0) {
          index[op.id] = ops.size();
          ops.push_back(op);
        }
      }
    }
    deps.resize(ops.size());
    for (const TestReplica& r : sim.reps) {
      std::vector<size_t> seen;
      for (const TreeMove& op : r.history()) {
        const size_t i = index[op.id];
        // Replica k (0-based) has ReplicaId k + 1 and authored its ops.
        if (op.id.replica == static_cast<ReplicaId>(&r - sim.reps.data() + 1)) {
          deps[i] = seen;
        }
        seen.push_back(i);
      }
    }
    const std::vector<OpId> nodes = CreatedNodes(ops);
    const std::string expected = Dump(sim.reps[0].tree(), nodes);
    std::mt19937 rng(seed);
    for (int perm = 0; perm < 5; ++perm) {
      MoveTree tree;
      std::vector<bool> done(ops.size(), false);
      std::vector<size_t> remaining(ops.size());
      for (size_t i = 0; i < ops.size(); ++i) remaining[i] = i;
      while (!remaining.empty()) {
        std::vector<size_t> ready;
        for (size_t k = 0; k < remaining.size(); ++k) {
          const std::vector<size_t>& d = deps[remaining[k]];
          if (std::all_of(d.begin(), d.end(),
                          [&](size_t j) { return done[j]; })) {
            ready.push_back(k);
          }
        }
        ASSERT_FALSE(ready.empty());
        const size_t k = ready[rng() % ready.size()];
        const size_t i = remaining[k];
        Status st = tree.Apply(ops[i]);
        ASSERT_TRUE(st.ok()) << st.ToString();
        done[i] = true;
        remaining.erase(remaining.begin() + static_cast<ptrdiff_t>(k));
      }
      EXPECT_EQ(Dump(tree, nodes), expected) << "seed " << seed;
      EXPECT_TRUE(tree.CheckInvariants().ok());
    }
  }
}

}  // namespace
}  // namespace samplan
