// PlanHistory: the stored log kept compactly, time travel equal to a
// replay of the log prefix, op lookups and refusals.
#include "crdt/history.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "crdt/testing/history_log.h"

namespace samplan {
namespace {

using history_testing::LogBuilder;
using history_testing::RandomHistoryEditor;

std::string ReplayDump(const std::vector<Op>& log, uint64_t seq) {
  Replica fresh(PlanHistory::kStateReplicaId);
  for (uint64_t k = 0; k < seq; ++k) {
    Status s = fresh.Apply(log[k]);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return fresh.CanonicalDump();
}

LogBuilder ThreePeople() {
  return LogBuilder({{"ola", "Moss"}, {"kari", "Vestby"}, {"per", "Råde"}});
}

void CheckRandomPoints(uint64_t seed, uint64_t checkpoint_every, size_t steps,
                       size_t probes, std::set<OpKind>* kinds) {
  LogBuilder log = ThreePeople();
  RandomHistoryEditor editor(seed, &log);
  for (size_t i = 0; i < steps; ++i) editor.Step();
  PlanHistory h(PlanSchema::Default(), checkpoint_every);
  ASSERT_TRUE(log.Feed(&h).ok());
  ASSERT_EQ(h.last_seq(), log.log().size());
  EXPECT_EQ(h.head().CanonicalDump(), log.server().CanonicalDump());
  for (const Op& op : log.log()) kinds->insert(op.kind);
  if (checkpoint_every == PlanHistory::kCheckpointEvery) {
    EXPECT_GT(h.last_seq(), checkpoint_every);
  }

  std::mt19937_64 rng(seed * 31 + 7);
  std::vector<uint64_t> points = {0, h.last_seq(), 1};
  for (size_t i = 0; i < probes; ++i) {
    const uint64_t p = rng() % (h.last_seq() + 1);
    points.push_back(p);
    // A slider moving forward from there.
    if (p + 3 <= h.last_seq()) points.push_back(p + 1 + rng() % 3);
  }
  for (uint64_t p : points) {
    auto state = h.StateAt(p);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    ASSERT_EQ((*state)->CanonicalDump(), ReplayDump(log.log(), p))
        << "seed " << seed << " seq " << p;
    ASSERT_TRUE((*state)->CheckInvariants().ok());
  }
  const uint64_t p = rng() % (h.last_seq() + 1);
  auto copy = h.CopyStateAt(p);
  ASSERT_TRUE(copy.ok());
  auto other = h.StateAt(h.last_seq() / 2);  // moves the cursor away
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*copy)->CanonicalDump(), ReplayDump(log.log(), p));
}

// The plans exercise every kind of edit, concurrently.
void ExpectEveryKind(const std::set<OpKind>& kinds) {
  for (OpKind k : {OpKind::kCreateNode, OpKind::kMoveNode, OpKind::kDeleteNode,
                   OpKind::kSetField, OpKind::kInsertText, OpKind::kDeleteText,
                   OpKind::kInsertTableLine, OpKind::kDeleteTableLine,
                   OpKind::kSetCell, OpKind::kAddComment, OpKind::kSetThread,
                   OpKind::kSuggestField, OpKind::kAcceptSuggestion,
                   OpKind::kRejectSuggestion, OpKind::kApprove}) {
    EXPECT_EQ(kinds.count(k), 1u) << OpKindName(k);
  }
}

TEST(PlanHistoryTest, StateAtEqualsReplayOfThePrefixOnRandomPlans) {
  std::set<OpKind> kinds;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    CheckRandomPoints(seed, seed % 2 ? 7 : 64, 500, 25, &kinds);
  }
  ExpectEveryKind(kinds);
}

TEST(PlanHistoryTest, StateAtWithTheDefaultCheckpointInterval) {
  std::set<OpKind> kinds;
  CheckRandomPoints(99, PlanHistory::kCheckpointEvery, 5000, 8, &kinds);
}

TEST(PlanHistoryTest, KeepsEveryOpWithItsAuthorAndFindsUnits) {
  LogBuilder log = ThreePeople();
  RandomHistoryEditor editor(5, &log);
  for (int i = 0; i < 300; ++i) editor.Step();
  PlanHistory h(PlanSchema::Default(), 50);
  ASSERT_TRUE(log.Feed(&h).ok());
  for (uint64_t seq = 1; seq <= h.last_seq(); ++seq) {
    const Op& op = log.log()[seq - 1];
    ASSERT_EQ(h.OpAt(seq), op) << seq;
    EXPECT_EQ(h.AuthorAt(seq), op.author);
    EXPECT_EQ(h.TimeAt(seq), op.author.wall_time_ms);
    EXPECT_EQ(h.KindAt(seq), op.kind);
    EXPECT_EQ(h.UnitsAt(seq), op.Length());
    EXPECT_EQ(h.SeqOf(op.id), seq);
    EXPECT_EQ(h.SeqOf(op.LastId()), seq);
    Author a;
    uint64_t s = 0;
    ASSERT_TRUE(h.AuthorOf(op.LastId(), &a, &s));
    EXPECT_EQ(s, seq);
    EXPECT_EQ(a, op.author);
  }
  EXPECT_EQ(h.SeqOf(OpId{77, 1}), 0u);
  EXPECT_EQ(h.SeqOf(OpId{1, 1u << 30}), 0u);
  EXPECT_FALSE(h.AuthorOf(OpId{77, 1}, nullptr, nullptr));

  // Times never decrease: SeqAtTime is the last op at or before a time.
  EXPECT_EQ(h.SeqAtTime(h.TimeAt(1) - 1), 0u);
  EXPECT_EQ(h.SeqAtTime(INT64_MAX), h.last_seq());
  for (uint64_t seq = 1; seq <= h.last_seq(); seq += 17) {
    const uint64_t at = h.SeqAtTime(h.TimeAt(seq));
    EXPECT_GE(at, seq);
    EXPECT_EQ(h.TimeAt(at), h.TimeAt(seq));
    if (at < h.last_seq()) {
      EXPECT_GT(h.TimeAt(at + 1), h.TimeAt(seq));
    }
  }

  std::vector<uint64_t> seen;
  h.ForEachOpBetween(10, 20, [&](uint64_t seq, const Op& op) {
    seen.push_back(seq);
    EXPECT_EQ(op, log.log()[seq - 1]);
  });
  EXPECT_EQ(seen, (std::vector<uint64_t>{11, 12, 13, 14, 15, 16, 17, 18, 19, 20}));
  seen.clear();
  h.ForEachOpBetween(h.last_seq() - 2, UINT64_MAX,
                     [&](uint64_t seq, const Op&) { seen.push_back(seq); });
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_GT(h.MemoryUsage(), 0u);
}

TEST(PlanHistoryTest, RefusesOpsThatDoNotFollowTheLogAndChangesNothing) {
  LogBuilder log(std::vector<history_testing::Person>{{"ola", "Moss"}});
  Replica& r = log.r(0);
  const OpId goal = *r.CreateNode(kRootNode, 0, "goal");
  ASSERT_TRUE(r.InsertText(goal, "title", 0, "Mål").ok());
  log.Commit(0);
  ASSERT_TRUE(r.InsertText(goal, "title", 3, " én").ok());
  ASSERT_TRUE(r.SetField(goal, "status", FieldValue::String("x")).ok());
  log.Commit(0);
  ASSERT_EQ(log.log().size(), 4u);

  PlanHistory h;
  ASSERT_TRUE(h.Append(log.log()[0]).ok());
  const std::string before = h.head().CanonicalDump();
  // Skips op 2: op 3 depends on it.
  Status s = h.Append(log.log()[2]);
  EXPECT_EQ(s.code(), Status::Code::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("seq 2"), std::string::npos) << s.ToString();
  EXPECT_EQ(h.last_seq(), 1u);
  EXPECT_EQ(h.head().CanonicalDump(), before);
  EXPECT_EQ(h.head().pending_count(), 0u);
  // An op naming an unknown node.
  Op bad = log.log()[1];
  bad.node = OpId{9, 9};
  EXPECT_FALSE(h.Append(bad).ok());
  // Malformed.
  Op empty = log.log()[1];
  empty.text.clear();
  EXPECT_EQ(h.Append(empty).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(h.last_seq(), 1u);
  EXPECT_EQ(h.head().CanonicalDump(), before);
  for (size_t k = 1; k < log.log().size(); ++k) {
    ASSERT_TRUE(h.Append(log.log()[k]).ok());
  }
  EXPECT_EQ(h.head().CanonicalDump(), log.server().CanonicalDump());
  EXPECT_EQ(h.StateAt(5).status().code(), Status::Code::kOutOfRange);
}

TEST(PlanHistoryTest, SplitsUnitRangesByTheOpThatBroughtThem) {
  LogBuilder log(std::vector<history_testing::Person>{{"ola", "Moss"}});
  Replica& r = log.r(0);
  const OpId goal = *r.CreateNode(kRootNode, 0, "goal");  // 1:1
  ASSERT_TRUE(r.InsertText(goal, "title", 0, "abc").ok());  // 1:2..4
  log.Commit(0);
  ASSERT_TRUE(r.InsertText(goal, "title", 3, "de").ok());  // 1:5..6
  log.Commit(0);
  PlanHistory h;
  ASSERT_TRUE(log.Feed(&h).ok());
  std::vector<std::pair<uint64_t, uint64_t>> pieces;
  auto collect = [&](uint64_t n, uint64_t seq) { pieces.emplace_back(n, seq); };
  h.ForEachUnitPiece(OpId{1, 3}, 6, collect);  // 1:3..8; 1:7.. unknown
  EXPECT_EQ(pieces, (std::vector<std::pair<uint64_t, uint64_t>>{{2, 2}, {2, 3}, {2, 0}}));
  pieces.clear();
  h.ForEachUnitPiece(OpId{5, 1}, 4, collect);
  EXPECT_EQ(pieces, (std::vector<std::pair<uint64_t, uint64_t>>{{4, 0}}));
  pieces.clear();
  h.ForEachUnitPiece(OpId{1, 1}, 1, collect);
  EXPECT_EQ(pieces, (std::vector<std::pair<uint64_t, uint64_t>>{{1, 1}}));
  uint64_t end = 0;
  EXPECT_EQ(h.SeqOfUnits(OpId{1, 2}, &end), 2u);
  EXPECT_EQ(end, 5u);
  EXPECT_EQ(h.SeqOfUnits(OpId{1, 6}, &end), 3u);
  EXPECT_EQ(end, 7u);
}

TEST(PlanHistoryTest, MoveAndDeleteRecordOutlineNumbers) {
  LogBuilder log(std::vector<history_testing::Person>{{"ola", "Moss"}});
  Replica& r = log.r(0);
  const OpId g1 = *r.CreateNode(kRootNode, 0, "goal");
  const OpId g2 = *r.CreateNode(kRootNode, 1, "goal");
  const OpId m = *r.CreateNode(g1, 0, "measure");
  (void)*r.CreateNode(g1, 1, "measure");
  (void)*r.CreateNode(g2, 0, "measure");
  ASSERT_TRUE(r.MoveNode(m, g2, 1).ok());
  ASSERT_TRUE(r.DeleteNode(m).ok());
  log.Commit(0);
  PlanHistory h;
  ASSERT_TRUE(log.Feed(&h).ok());
  std::string before, after;
  ASSERT_TRUE(h.MoveNumbersAt(6, &before, &after));
  EXPECT_EQ(before, "1.1");
  EXPECT_EQ(after, "2.2");
  ASSERT_TRUE(h.MoveNumbersAt(7, &before, &after));
  EXPECT_EQ(before, "2.2");
  EXPECT_EQ(after, "");
  EXPECT_FALSE(h.MoveNumbersAt(5, &before, &after));
  EXPECT_EQ(h.NodeAt(3), m);
  EXPECT_EQ(h.NodeAt(7), m);
}

}  // namespace
}  // namespace samplan
