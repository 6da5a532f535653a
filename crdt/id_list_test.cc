#include "crdt/id_list.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace samplan {
namespace {

std::vector<OpId> Ids(const IdList& list) {
  std::vector<OpId> out;
  for (const IdList::Element& e : list.elements()) out.push_back(e.id);
  return out;
}

bool Live(const IdList::Element& e) { return !e.deleted; }

// Appends a new element with `id` at visible position `pos` of `list`;
// returns the element as it would be sent to other replicas.
IdList::Element InsertAt(IdList& list, size_t pos, OpId id) {
  IdList::Element e{id, kNullId, kNullId, false};
  EXPECT_TRUE(list.OriginsAt(pos, Live, &e.origin_left, &e.origin_right).ok());
  EXPECT_TRUE(list.Insert(id, e.origin_left, e.origin_right).ok());
  return e;
}

TEST(IdListTest, InsertsInOrderAndIndexes) {
  IdList list;
  InsertAt(list, 0, {1, 1});
  InsertAt(list, 1, {1, 2});
  InsertAt(list, 0, {1, 3});
  InsertAt(list, 2, {1, 4});
  EXPECT_EQ(Ids(list), (std::vector<OpId>{{1, 3}, {1, 1}, {1, 4}, {1, 2}}));
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list.IndexOf(list.elements()[i].id), i);
  }
  EXPECT_TRUE(list.Contains({1, 4}));
  EXPECT_FALSE(list.Contains({1, 5}));
}

TEST(IdListTest, RejectsBadInsertsWithoutChange) {
  IdList list;
  InsertAt(list, 0, {1, 1});
  InsertAt(list, 1, {1, 2});
  const std::vector<OpId> before = Ids(list);
  EXPECT_EQ(list.Insert(kNullId, kNullId, kNullId).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(list.Insert({1, 1}, kNullId, kNullId).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(list.Insert({2, 1}, {9, 9}, kNullId).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(list.Insert({2, 1}, kNullId, {9, 9}).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(list.Insert({2, 1}, {1, 2}, {1, 1}).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(list.Insert({2, 1}, {1, 1}, {1, 1}).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(Ids(list), before);
  EXPECT_EQ(list.Delete({9, 9}).code(), Status::Code::kNotFound);
}

TEST(IdListTest, DeleteIsTombstoneAndIdempotent) {
  IdList list;
  InsertAt(list, 0, {1, 1});
  InsertAt(list, 1, {1, 2});
  InsertAt(list, 2, {1, 3});
  ASSERT_TRUE(list.Delete({1, 2}).ok());
  ASSERT_TRUE(list.Delete({1, 2}).ok());
  EXPECT_EQ(list.size(), 3u);
  EXPECT_TRUE(list.elements()[1].deleted);
  // Visible index 1 is after {1,1}; the right origin is the tombstone.
  OpId left, right;
  ASSERT_TRUE(list.OriginsAt(1, Live, &left, &right).ok());
  EXPECT_EQ(left, (OpId{1, 1}));
  EXPECT_EQ(right, (OpId{1, 2}));
  ASSERT_TRUE(list.OriginsAt(2, Live, &left, &right).ok());
  EXPECT_EQ(left, (OpId{1, 3}));
  EXPECT_EQ(right, kNullId);
  ASSERT_TRUE(list.OriginsAt(0, Live, &left, &right).ok());
  EXPECT_EQ(left, kNullId);
  EXPECT_EQ(right, (OpId{1, 1}));
  EXPECT_EQ(list.OriginsAt(3, Live, &left, &right).code(),
            Status::Code::kOutOfRange);
}

TEST(IdListTest, OriginsAtOnEmptyList) {
  IdList list;
  OpId left{7, 7}, right{7, 7};
  ASSERT_TRUE(list.OriginsAt(0, Live, &left, &right).ok());
  EXPECT_EQ(left, kNullId);
  EXPECT_EQ(right, kNullId);
  EXPECT_EQ(list.OriginsAt(1, Live, &left, &right).code(),
            Status::Code::kOutOfRange);
}

// Two users type three elements each at the same place, forwards and
// backwards; the runs never interleave, in any delivery order.
TEST(IdListTest, ConcurrentRunsDoNotInterleave) {
  for (bool backward : {false, true}) {
    IdList base;
    InsertAt(base, 0, {9, 1});
    InsertAt(base, 1, {9, 2});
    std::vector<IdList::Element> ops[2];
    for (ReplicaId r : {1, 2}) {
      IdList local = base;
      for (uint64_t c = 1; c <= 3; ++c) {
        const size_t pos = backward ? 1 : c;
        ops[r - 1].push_back(InsertAt(local, pos, {r, c}));
      }
    }
    std::vector<std::vector<OpId>> results;
    for (int first : {0, 1}) {
      IdList list = base;
      for (int k : {first, 1 - first}) {
        for (const IdList::Element& e : ops[k]) {
          ASSERT_TRUE(list.Insert(e.id, e.origin_left, e.origin_right).ok());
        }
      }
      results.push_back(Ids(list));
    }
    EXPECT_EQ(results[0], results[1]);
    const std::vector<OpId>& ids = results[0];
    ASSERT_EQ(ids.size(), 8u);
    EXPECT_EQ(ids.front(), (OpId{9, 1}));
    EXPECT_EQ(ids.back(), (OpId{9, 2}));
    // Each replica's three elements are contiguous and in its own order.
    for (ReplicaId r : {1, 2}) {
      auto it = std::find(ids.begin(), ids.end(), OpId{r, backward ? 3u : 1u});
      ASSERT_NE(it, ids.end());
      for (uint64_t k = 0; k < 3; ++k, ++it) {
        EXPECT_EQ(*it, (OpId{r, backward ? 3 - k : 1 + k}));
      }
    }
  }
}

// Random inserts and deletes on several replicas, exchanged in random
// causal orders, converge.
TEST(IdListTest, RandomizedConvergence) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    constexpr int kReplicas = 4;
    struct Op {
      bool del;
      IdList::Element e;
    };
    struct Rep {
      IdList list;
      std::vector<Op> history;
      std::vector<size_t> cursor = std::vector<size_t>(kReplicas, 0);
      std::vector<OpId> applied;
    };
    std::vector<Rep> reps(kReplicas);
    auto has = [](const Rep& r, OpId id, bool del) {
      for (const Op& o : r.history) {
        if (o.e.id == id && o.del == del) return true;
      }
      return false;
    };
    auto sync = [&](Rep& to, Rep& from, size_t upto) {
      for (size_t& c = to.cursor[&from - reps.data()]; c < upto; ++c) {
        const Op op = from.history[c];
        if (has(to, op.e.id, op.del)) continue;
        if (op.del) {
          ASSERT_TRUE(to.list.Delete(op.e.id).ok());
        } else {
          ASSERT_TRUE(
              to.list.Insert(op.e.id, op.e.origin_left, op.e.origin_right)
                  .ok());
        }
        to.history.push_back(op);
      }
    };
    uint64_t counters[kReplicas] = {};
    for (int step = 0; step < 300; ++step) {
      const int r = static_cast<int>(rng() % kReplicas);
      Rep& rep = reps[r];
      size_t visible = 0;
      for (const auto& e : rep.list.elements()) visible += !e.deleted;
      if (visible > 0 && rng() % 4 == 0) {
        size_t k = rng() % visible;
        for (const auto& e : rep.list.elements()) {
          if (e.deleted) continue;
          if (k-- == 0) {
            ASSERT_TRUE(rep.list.Delete(e.id).ok());
            rep.history.push_back({true, e});
            break;
          }
        }
      } else {
        const OpId id{static_cast<ReplicaId>(r + 1), ++counters[r]};
        rep.history.push_back(
            {false, InsertAt(rep.list, rng() % (visible + 1), id)});
      }
      if (rng() % 3 == 0) {
        const int from = static_cast<int>(rng() % kReplicas);
        if (from != r) {
          Rep& src = reps[from];
          sync(rep, src, rng() % (src.history.size() + 1));
          sync(rep, src, std::max(rep.cursor[from], src.history.size() / 2));
        }
      }
    }
    for (int pass = 0; pass < 2; ++pass) {
      for (int a = 0; a < kReplicas; ++a) {
        for (int b = 0; b < kReplicas; ++b) {
          if (a != b) sync(reps[a], reps[b], reps[b].history.size());
        }
      }
    }
    for (int r = 1; r < kReplicas; ++r) {
      ASSERT_EQ(Ids(reps[r].list), Ids(reps[0].list)) << "seed " << seed;
      for (size_t i = 0; i < reps[0].list.size(); ++i) {
        EXPECT_EQ(reps[r].list.elements()[i].deleted,
                  reps[0].list.elements()[i].deleted);
      }
    }
  }
}

}  // namespace
}  // namespace samplan
