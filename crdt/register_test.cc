#include "crdt/register.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace samplan {
namespace {

FieldValue S(const char* s) { return FieldValue::String(s); }

TEST(MultiValueRegisterTest, StartsEmpty) {
  MultiValueRegister reg;
  EXPECT_TRUE(reg.empty());
  EXPECT_FALSE(reg.HasConflict());
  EXPECT_TRUE(reg.CurrentIds().empty());
}

TEST(MultiValueRegisterTest, SequentialOverwrite) {
  MultiValueRegister reg;
  reg.Apply({1, 1}, 1, S("a"), {});
  EXPECT_EQ(reg.winner().value, S("a"));
  EXPECT_FALSE(reg.HasConflict());
  reg.Apply({1, 2}, 2, S("b"), reg.CurrentIds());
  EXPECT_EQ(reg.winner().value, S("b"));
  EXPECT_EQ(reg.entries().size(), 1u);
  // Another replica overwrites having seen replica 1's write.
  reg.Apply({2, 1}, 3, FieldValue::Int(7), {{1, 2}});
  ASSERT_EQ(reg.entries().size(), 1u);
  EXPECT_EQ(reg.winner().id, (OpId{2, 1}));
  EXPECT_EQ(reg.winner().lamport, 3u);
  EXPECT_EQ(reg.winner().value, FieldValue::Int(7));
  EXPECT_EQ(reg.CurrentIds(), (std::vector<OpId>{{2, 1}}));
}

TEST(MultiValueRegisterTest, ConcurrentWritesKeptSameWinnerAnyOrder) {
  const OpId base{1, 1};
  const OpId x{1, 2};  // lamport 2, replica 1
  const OpId y{2, 5};  // lamport 2, replica 2 -> wins the tie
  MultiValueRegister a;
  a.Apply(base, 1, S("base"), {});
  a.Apply(x, 2, S("x"), {base});
  a.Apply(y, 2, S("y"), {base});
  MultiValueRegister b;
  b.Apply(base, 1, S("base"), {});
  b.Apply(y, 2, S("y"), {base});
  b.Apply(x, 2, S("x"), {base});

  EXPECT_EQ(a.entries(), b.entries());
  EXPECT_TRUE(a.HasConflict());
  ASSERT_EQ(a.entries().size(), 2u);
  EXPECT_EQ(a.winner().id, y);
  EXPECT_EQ(a.winner().value, S("y"));
  EXPECT_EQ(a.entries()[1].id, x);
  EXPECT_EQ(a.CurrentIds(), (std::vector<OpId>{y, x}));
}

TEST(MultiValueRegisterTest, HigherLamportWinsOverReplica) {
  MultiValueRegister reg;
  reg.Apply({9, 1}, 3, S("low"), {});
  reg.Apply({1, 1}, 4, S("high"), {});
  EXPECT_EQ(reg.winner().value, S("high"));
  MultiValueRegister rev;
  rev.Apply({1, 1}, 4, S("high"), {});
  rev.Apply({9, 1}, 3, S("low"), {});
  EXPECT_EQ(rev.entries(), reg.entries());
}

TEST(MultiValueRegisterTest, CounterBreaksRemainingTie) {
  MultiValueRegister reg;
  reg.Apply({3, 1}, 5, S("first"), {});
  reg.Apply({3, 2}, 5, S("second"), {});
  EXPECT_EQ(reg.winner().id, (OpId{3, 2}));
}

TEST(MultiValueRegisterTest, WriteSupersedingAllClearsConflict) {
  MultiValueRegister reg;
  reg.Apply({1, 1}, 1, S("x"), {});
  reg.Apply({2, 1}, 1, S("y"), {});
  ASSERT_TRUE(reg.HasConflict());
  reg.Apply({3, 1}, 2, S("resolved"), reg.CurrentIds());
  EXPECT_FALSE(reg.HasConflict());
  EXPECT_EQ(reg.winner().value, S("resolved"));
}

TEST(MultiValueRegisterTest, WriteSupersedingOneKeepsTheOther) {
  MultiValueRegister reg;
  reg.Apply({1, 1}, 1, S("x"), {});
  reg.Apply({2, 1}, 1, S("y"), {});
  // Replica 1 overwrites only its own value (it had not seen y).
  reg.Apply({1, 2}, 2, S("x2"), {{1, 1}});
  ASSERT_EQ(reg.entries().size(), 2u);
  EXPECT_TRUE(reg.HasConflict());
  EXPECT_EQ(reg.winner().value, S("x2"));
  EXPECT_EQ(reg.entries()[1].value, S("y"));
}

TEST(MultiValueRegisterTest, AllCausalOrdersConverge) {
  // base <- {p, q, r concurrent}; s supersedes p and q.
  struct Op {
    OpId id;
    uint64_t lamport;
    FieldValue value;
    std::vector<OpId> supersedes;
  };
  const OpId base{1, 1}, p{1, 2}, q{2, 1}, r{3, 1}, s{2, 2};
  std::vector<Op> ops = {{base, 1, S("base"), {}},
                         {p, 2, S("p"), {base}},
                         {q, 2, S("q"), {base}},
                         {r, 2, S("r"), {base}},
                         {s, 3, S("s"), {p, q}}};
  std::vector<int> order = {1, 2, 3, 4};
  std::vector<RegisterEntry> expected;
  bool first = true;
  do {
    // s may only follow p and q (causal delivery).
    const auto pos = [&](int k) {
      return std::find(order.begin(), order.end(), k) - order.begin();
    };
    if (pos(4) < pos(1) || pos(4) < pos(2)) continue;
    MultiValueRegister reg;
    reg.Apply(ops[0].id, ops[0].lamport, ops[0].value, ops[0].supersedes);
    for (int k : order) {
      reg.Apply(ops[k].id, ops[k].lamport, ops[k].value, ops[k].supersedes);
    }
    if (first) {
      expected = reg.entries();
      first = false;
    }
    EXPECT_EQ(reg.entries(), expected);
  } while (std::next_permutation(order.begin(), order.end()));
  ASSERT_EQ(expected.size(), 2u);
  EXPECT_EQ(expected[0].id, s);
  EXPECT_EQ(expected[1].id, r);
}

}  // namespace
}  // namespace samplan
