// Who changed what: filters, paging, grouping of keystrokes, readable
// before/after values and summaries.
#include "crdt/history_entries.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "crdt/testing/history_log.h"

namespace samplan {
namespace {

using history_testing::LogBuilder;
using history_testing::Person;
using history_testing::RandomHistoryEditor;

std::vector<HistoryEntry> All(const PlanHistory& h, const HistoryFilter& f) {
  std::vector<HistoryEntry> out;
  uint64_t next = 1;
  Status s = HistoryEntries(h, f, 0, 0, &out, &next);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(next, 0u);
  return out;
}

std::vector<std::string> Summaries(const std::vector<HistoryEntry>& es) {
  std::vector<std::string> out;
  for (const HistoryEntry& e : es) out.push_back(e.summary);
  return out;
}

// A scripted plan: two goals, a measure, an indicator, edits by three
// people at known times.
class EntriesTest : public ::testing::Test {
 protected:
  EntriesTest()
      : log_(std::vector<Person>{{"ola", "Moss"}, {"kari", "Vestby"}, {"per", "Moss"}}) {}

  // Each call stores what replica i did as ops at the current time, then
  // moves the clock on by `then_ms`.
  void Commit(size_t i, int64_t then_ms = 1000) {
    log_.Commit(i);
    log_.Advance(then_ms);
  }

  void Build() {
    Replica& ola = log_.r(0);
    Replica& kari = log_.r(1);
    Replica& per = log_.r(2);
    goal1_ = *ola.CreateNode(kRootNode, 0, "goal");  // seq 1
    Commit(0);
    goal2_ = *ola.CreateNode(kRootNode, 1, "goal");  // seq 2
    Commit(0);
    measure_ = *ola.CreateNode(goal1_, 0, "measure");  // seq 3
    Commit(0);
    // Keystrokes: "Sykkel" typed one op at a time, a second apart.
    const std::string word = "Sykkel";
    for (size_t k = 0; k < word.size(); ++k) {
      ASSERT_TRUE(ola.InsertText(measure_, "title", k, word.substr(k, 1)).ok());
      Commit(0);  // seq 4..9
    }
    ASSERT_TRUE(ola.DeleteText(measure_, "title", 5, 1).ok());  // "Sykke"
    Commit(0);                                                   // seq 10
    ASSERT_TRUE(ola.InsertText(measure_, "title", 5, "lvei").ok());
    Commit(0, 10 * 60 * 1000);  // seq 11; then a 10 minute pause
    ASSERT_TRUE(ola.InsertText(measure_, "title", 9, "er").ok());
    Commit(0);  // seq 12: a new entry (more than 5 minutes later)
    ASSERT_TRUE(ola.SetField(measure_, "status", FieldValue::String("planlagt")).ok());
    Commit(0);  // seq 13
    log_.Pull(1);
    ASSERT_TRUE(kari.SetField(measure_, "status", FieldValue::String("pågår")).ok());
    Commit(1);  // seq 14
    indicator_ = *kari.CreateNode(kRootNode, 2, "indicator");
    Commit(1);  // seq 15
    row_ = *kari.InsertTableLine(indicator_, "values", TableAxis::kRow, 0);
    col_ = *kari.InsertTableLine(indicator_, "values", TableAxis::kColumn, 0);
    Commit(1);  // seq 16, 17
    ASSERT_TRUE(kari.SetCell(indicator_, "values", row_, kNullId,
                             FieldValue::String("2024")).ok());
    Commit(1, 6 * 60 * 1000);  // seq 18
    ASSERT_TRUE(kari.SetCell(indicator_, "values", row_, col_, FieldValue::Int(3)).ok());
    Commit(1, 6 * 60 * 1000);  // seq 19
    log_.Pull(2);
    ASSERT_TRUE(per.SetCell(indicator_, "values", row_, col_, FieldValue::Int(5)).ok());
    Commit(2);  // seq 20
    ASSERT_TRUE(per.MoveNode(measure_, goal2_, 0).ok());
    Commit(2);  // seq 21
    thread_ = *per.AddThread(Replica::ThreadAnchorSpec::OnNode(measure_), "Hvor langt?");
    Commit(2);  // seq 22
    log_.Pull(0);
    ASSERT_TRUE(ola.Reply(thread_, "Fem kilometer").ok());
    Commit(0);  // seq 23
    sub_ = *per.CreateNode(goal2_, 1, "measure");
    Commit(2);  // seq 24
    ASSERT_TRUE(per.InsertText(sub_, "title", 0, "Gammel").ok());
    Commit(2);  // seq 25
    ASSERT_TRUE(per.DeleteNode(sub_).ok());
    Commit(2);  // seq 26
    ASSERT_EQ(log_.log().size(), 26u);
    ASSERT_TRUE(log_.Feed(&h_).ok());
  }

  LogBuilder log_;
  PlanHistory h_;
  OpId goal1_, goal2_, measure_, indicator_, row_, col_, thread_, sub_;
};

TEST_F(EntriesTest, GroupsKeystrokesAndDescribesEveryChange) {
  Build();
  const std::vector<HistoryEntry> all = All(h_, HistoryFilter{});
  const std::vector<std::string> expected = {
      "deleted measure «Gammel» (was 2.2)",
      "title: +6 «Gammel»",
      "created measure «Gammel»",
      "reply «Fem kilometer»",
      "comment «Hvor langt?»",
      "moved 1.1 → 2.1 «Sykkelveier»",
      "values[2024, 1]: 3 → 5",
      "values[2024, 1]: 3",
      "values[2024]: 2024",
      "values: +1 row, +1 column",
      "created indicator",
      "status: planlagt → pågår",
      "status: planlagt",
      "title: +2 «er»",
      "title: +10 −1 «Sykkellvei»",
      "created measure «Sykkelveier»",
      "created goal",
      "created goal",
  };
  EXPECT_EQ(Summaries(all), expected);
  // The typing entry: seq 4..11, ten characters in, one out.
  const HistoryEntry& typing = all[14];
  EXPECT_EQ(typing.seq, 4u);
  EXPECT_EQ(typing.seq_last, 11u);
  EXPECT_EQ(typing.ops, 8u);
  EXPECT_EQ(typing.kinds, (std::vector<OpKind>{OpKind::kInsertText, OpKind::kDeleteText}));
  // What was typed, in order (the net change is in the diff).
  EXPECT_EQ(typing.after, "Sykkellvei");
  EXPECT_EQ(typing.before, "l");
  EXPECT_EQ(typing.field, "title");
  EXPECT_EQ(typing.user, "ola");
  EXPECT_EQ(typing.municipality, "Moss");
  EXPECT_EQ(typing.time_last - typing.time, 7000);
  // Nodes as they are now.
  EXPECT_EQ(typing.node, measure_);
  EXPECT_EQ(typing.node_kind, "measure");
  EXPECT_EQ(typing.number, "2.1");
  EXPECT_EQ(typing.title, "Sykkelveier");
  EXPECT_FALSE(typing.node_deleted);
  // Fields: before -> after.
  EXPECT_EQ(all[11].before, "planlagt");
  EXPECT_EQ(all[11].after, "pågår");
  EXPECT_EQ(all[11].user, "kari");
  EXPECT_EQ(all[12].before, "");
  EXPECT_EQ(all[6].before, "3");
  EXPECT_EQ(all[6].after, "5");
  EXPECT_EQ(all[6].field, "values");
  EXPECT_EQ(all[5].before, "1.1");
  EXPECT_EQ(all[5].after, "2.1");
  // Review ops are about the thread's node.
  EXPECT_EQ(all[3].node, measure_);
  EXPECT_EQ(all[3].user, "ola");
  EXPECT_EQ(all[4].node, measure_);
  // The deleted node.
  EXPECT_TRUE(all[0].node_deleted);
  EXPECT_EQ(all[0].number, "");
  EXPECT_EQ(all[0].title, "Gammel");
  EXPECT_EQ(all[0].before, "2.2");
}

TEST_F(EntriesTest, FiltersByNodeSubtreeUserMunicipalityKindAndSeq) {
  Build();
  HistoryFilter f;
  f.node = goal2_;  // measure_ moved here; sub_ was deleted from here
  std::vector<HistoryEntry> es = All(h_, f);
  std::set<OpId> nodes;
  for (const HistoryEntry& e : es) nodes.insert(e.node);
  EXPECT_EQ(nodes, (std::set<OpId>{goal2_, measure_, sub_}));
  EXPECT_EQ(es.size(), 12u);
  f.subtree = false;
  es = All(h_, f);
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0].summary, "created goal");
  f.node = goal1_;
  f.subtree = true;
  EXPECT_EQ(All(h_, f).size(), 1u);  // the measure moved away
  f.node = sub_;                     // a deleted node: its own history
  EXPECT_EQ(All(h_, f).size(), 3u);
  f.node = OpId{77, 7};
  std::vector<HistoryEntry> out;
  uint64_t next;
  EXPECT_EQ(HistoryEntries(h_, f, 0, 10, &out, &next).code(), Status::Code::kNotFound);

  HistoryFilter by_user;
  by_user.user = "kari";
  for (const HistoryEntry& e : All(h_, by_user)) EXPECT_EQ(e.user, "kari");
  EXPECT_EQ(All(h_, by_user).size(), 5u);
  HistoryFilter by_muni;
  by_muni.municipality = "Moss";  // ola and per
  es = All(h_, by_muni);
  for (const HistoryEntry& e : es) EXPECT_NE(e.user, "kari");
  EXPECT_EQ(es.size(), 13u);
  by_muni.user = "per";
  EXPECT_EQ(All(h_, by_muni).size(), 6u);

  HistoryFilter kinds;
  kinds.kinds = {OpKind::kSetField, OpKind::kSetCell};
  EXPECT_EQ(Summaries(All(h_, kinds)),
            (std::vector<std::string>{"values[2024, 1]: 3 → 5", "values[2024, 1]: 3",
                                      "values[2024]: 2024", "status: planlagt → pågår",
                                      "status: planlagt"}));
  kinds.kinds = {OpKind::kDeleteText};
  es = All(h_, kinds);
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0].summary, "title: −1 «l»");

  HistoryFilter range;
  range.from_seq = 5;
  range.to_seq = 13;
  es = All(h_, range);
  ASSERT_EQ(es.size(), 3u);
  EXPECT_EQ(es[2].seq, 5u);
  EXPECT_EQ(es[0].seq_last, 13u);
  // Times turned into seqs by the caller.
  range.from_seq = 1;
  range.to_seq = h_.SeqAtTime(h_.TimeAt(3));
  EXPECT_EQ(All(h_, range).size(), 3u);
}

TEST_F(EntriesTest, PagesWithTheCursor) {
  Build();
  std::vector<HistoryEntry> page;
  uint64_t next = 0;
  ASSERT_TRUE(HistoryEntries(h_, HistoryFilter{}, 0, 5, &page, &next).ok());
  ASSERT_EQ(page.size(), 5u);
  EXPECT_EQ(next, page.back().seq);
  std::vector<HistoryEntry> second;
  ASSERT_TRUE(HistoryEntries(h_, HistoryFilter{}, next, 5, &second, &next).ok());
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(second[0].summary, "moved 1.1 → 2.1 «Sykkelveier»");
  EXPECT_LT(second[0].seq_last, page.back().seq);
}

TEST(HistoryEntriesRandomTest, PagesConcatenateToTheUnpagedList) {
  for (uint64_t seed = 21; seed <= 23; ++seed) {
    LogBuilder log(std::vector<Person>{{"ola", "Moss"}, {"kari", "Vestby"}, {"per", "Moss"}});
    RandomHistoryEditor editor(seed, &log);
    for (int i = 0; i < 400; ++i) editor.Step();
    PlanHistory h(PlanSchema::Default(), 64);
    ASSERT_TRUE(log.Feed(&h).ok());
    std::mt19937_64 rng(seed);
    std::vector<HistoryFilter> filters(4);
    filters[1].user = "kari";
    filters[2].kinds = {OpKind::kInsertText, OpKind::kDeleteText, OpKind::kSetField};
    filters[3].from_seq = h.last_seq() / 4;
    filters[3].to_seq = h.last_seq() / 2;
    filters[3].municipality = "Moss";
    for (const HistoryFilter& f : filters) {
      const std::vector<HistoryEntry> all = All(h, f);
      size_t ops = 0;
      for (size_t k = 0; k < all.size(); ++k) {
        ops += all[k].ops;
        EXPECT_LE(all[k].seq, all[k].seq_last);
        if (k > 0) {
          EXPECT_LT(all[k].seq_last, all[k - 1].seq);  // no overlap
        }
      }
      // Every matching op is in exactly one entry.
      size_t matching = 0;
      for (uint64_t seq = std::max<uint64_t>(f.from_seq, 1);
           seq <= std::min(f.to_seq, h.last_seq()); ++seq) {
        const Author a = h.AuthorAt(seq);
        if (!f.user.empty() && a.user != f.user) continue;
        if (!f.municipality.empty() && a.municipality != f.municipality) continue;
        if (!f.kinds.empty() && std::find(f.kinds.begin(), f.kinds.end(),
                                          h.KindAt(seq)) == f.kinds.end()) {
          continue;
        }
        ++matching;
      }
      EXPECT_EQ(ops, matching);
      for (size_t limit : {size_t{1}, size_t{3}, size_t{7}, size_t{100}}) {
        std::vector<HistoryEntry> joined;
        uint64_t cursor = 0;
        for (int pages = 0; pages < 10000; ++pages) {
          std::vector<HistoryEntry> page;
          uint64_t next = 0;
          ASSERT_TRUE(HistoryEntries(h, f, cursor, limit, &page, &next).ok());
          EXPECT_LE(page.size(), limit);
          joined.insert(joined.end(), page.begin(), page.end());
          if (next == 0) break;
          EXPECT_EQ(page.size(), limit);
          cursor = next;
        }
        ASSERT_EQ(joined.size(), all.size()) << "limit " << limit;
        for (size_t k = 0; k < all.size(); ++k) {
          EXPECT_EQ(joined[k].seq, all[k].seq);
          EXPECT_EQ(joined[k].seq_last, all[k].seq_last);
          EXPECT_EQ(joined[k].summary, all[k].summary);
        }
      }
    }
  }
}

TEST(HistoryEntriesTest, ReadableValues) {
  EXPECT_EQ(ReadableValue(FieldValue::Null()), "");
  EXPECT_EQ(ReadableValue(FieldValue::Bool(true)), "true");
  EXPECT_EQ(ReadableValue(FieldValue::Int(-3)), "-3");
  EXPECT_EQ(ReadableValue(FieldValue::Number(1.5)), "1.5");
  EXPECT_EQ(ReadableValue(FieldValue::String("pågår")), "pågår");
  EXPECT_EQ(ReadableValue(FieldValue::Date("2026-06-21")), "2026-06-21");
  EXPECT_EQ(ReadableValue(FieldValue::StringList({"Moss", "Råde"})), "Moss, Råde");
}

TEST(HistoryEntriesTest, LongTypingIsCutToTheNewestExcerpt) {
  LogBuilder log(std::vector<Person>{{"ola", "Moss"}});
  Replica& ola = log.r(0);
  const OpId goal = *ola.CreateNode(kRootNode, 0, "goal");
  log.Commit(0);
  std::string typed;
  for (int k = 0; k < 300; ++k) {
    const std::string c(1, static_cast<char>('a' + k % 26));
    typed += c;
    ASSERT_TRUE(ola.InsertText(goal, "title", static_cast<size_t>(k), c).ok());
    log.Advance(100);
    log.Commit(0);
  }
  PlanHistory h;
  ASSERT_TRUE(log.Feed(&h).ok());
  std::vector<HistoryEntry> es = All(h, HistoryFilter{});
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].ops, 300u);
  EXPECT_EQ(es[0].after, "…" + typed.substr(100));
  EXPECT_EQ(es[0].summary.substr(0, 12), "title: +300 ");
}

}  // namespace
}  // namespace samplan
