// Blame: spans cover the visible text exactly and name who typed each
// part, through concurrent inserts and deletes; fields, cells, last edit.
#include "crdt/blame.h"

#include <gtest/gtest.h>

#include <random>

#include "crdt/testing/history_log.h"
#include "crdt/utf8.h"

namespace samplan {
namespace {

using history_testing::LogBuilder;
using history_testing::Person;
using history_testing::RandomHistoryEditor;

// Who typed each visible character, found the slow way: the first op of
// the log that holds its id.
std::vector<std::string> NaiveAuthors(const std::vector<Op>& log,
                                      const TextSequence& text) {
  std::vector<std::string> users;
  text.ForEachRun([&](const TextSequence::Run& run) {
    if (run.deleted) return;
    for (uint64_t k = 0; k < run.chars.size(); ++k) {
      const OpId id{run.id.replica, run.id.counter + k};
      std::string who = "?";
      for (const Op& op : log) {
        if (op.id.replica == id.replica && op.id.counter <= id.counter &&
            id.counter <= op.LastId().counter) {
          who = op.author.user;
          break;
        }
      }
      users.push_back(who);
    }
  });
  return users;
}

// The spans tile the visible text and agree with NaiveAuthors.
void CheckSpans(const std::vector<Op>& log, const TextSequence& text,
                const std::vector<BlameSpan>& spans) {
  const std::u32string content = text.Content();
  std::u32string joined;
  std::vector<std::string> users;
  size_t pos = 0;
  uint64_t previous_seq = 0;
  for (const BlameSpan& s : spans) {
    ASSERT_EQ(s.start, pos);
    ASSERT_GT(s.length, 0u);
    ASSERT_LE(s.start + s.length, content.size());
    EXPECT_NE(s.seq, previous_seq) << "adjacent spans of one op not merged";
    previous_seq = s.seq;
    ASSERT_GE(s.seq, 1u);
    const Op& op = log[s.seq - 1];
    EXPECT_EQ(op.kind, OpKind::kInsertText);
    EXPECT_EQ(s.author, op.author);
    joined += content.substr(s.start, s.length);
    for (size_t k = 0; k < s.length; ++k) users.push_back(s.author.user);
    pos += s.length;
  }
  EXPECT_EQ(pos, content.size());
  EXPECT_EQ(utf8::Encode(joined), text.ToUtf8());
  EXPECT_EQ(users, NaiveAuthors(log, text));
}

struct Piece {
  std::string text;
  std::string user;
};

std::vector<Piece> Pieces(const std::string& text,
                          const std::vector<BlameSpan>& spans) {
  const std::u32string content = utf8::Decode(text).value();
  std::vector<Piece> out;
  for (const BlameSpan& s : spans) {
    std::string piece = utf8::Encode(content.substr(s.start, s.length));
    if (!out.empty() && out.back().user == s.author.user) {
      out.back().text += piece;
    } else {
      out.push_back(Piece{piece, s.author.user});
    }
  }
  return out;
}

TEST(BlameTest, NamesWhoTypedEachPartThroughConcurrentEdits) {
  LogBuilder log(std::vector<Person>{{"ola", "Moss"}, {"kari", "Vestby"}, {"per", "Råde"}});
  Replica& ola = log.r(0);
  Replica& kari = log.r(1);
  Replica& per = log.r(2);
  const OpId goal = *ola.CreateNode(kRootNode, 0, "goal");
  ASSERT_TRUE(ola.InsertText(goal, "title", 0, "Grønn vekst i regionen").ok());
  log.Commit(0);
  log.Pull(1);
  log.Pull(2);
  // Concurrently: kari inserts in the middle, per deletes "vekst " and
  // types "omstilling ", ola appends.
  ASSERT_TRUE(kari.InsertText(goal, "title", 5, " og rettferdig").ok());
  ASSERT_TRUE(per.DeleteText(goal, "title", 6, 6).ok());
  ASSERT_TRUE(per.InsertText(goal, "title", 6, "omstilling ").ok());
  ASSERT_TRUE(ola.InsertText(goal, "title", 22, " Viken").ok());
  log.Advance(1000);
  log.Commit(1);
  log.Advance(1000);
  log.Commit(2);
  log.Advance(1000);
  log.Commit(0);
  PlanHistory h;
  ASSERT_TRUE(log.Feed(&h).ok());
  const std::string text = *h.head().Text(goal, "title");
  EXPECT_EQ(text, "Grønn og rettferdig omstilling i regionen Viken");

  std::vector<NodeBlame> blame;
  ASSERT_TRUE(Blame(h, h.last_seq(), goal, &blame).ok());
  ASSERT_EQ(blame.size(), 1u);
  EXPECT_EQ(blame[0].node, goal);
  EXPECT_EQ(blame[0].kind, "goal");
  EXPECT_EQ(blame[0].number, "1");
  EXPECT_EQ(blame[0].title, text);
  ASSERT_EQ(blame[0].texts.size(), 1u);
  EXPECT_EQ(blame[0].texts[0].first, "title");
  const std::vector<BlameSpan>& spans = blame[0].texts[0].second;
  CheckSpans(log.log(), *h.head().TextOf(goal, "title"), spans);
  std::vector<Piece> pieces = Pieces(text, spans);
  ASSERT_EQ(pieces.size(), 5u);
  EXPECT_EQ(pieces[0].text, "Grønn");
  EXPECT_EQ(pieces[0].user, "ola");
  EXPECT_EQ(pieces[1].text, " og rettferdig");
  EXPECT_EQ(pieces[1].user, "kari");
  EXPECT_EQ(pieces[2].text, " ");
  EXPECT_EQ(pieces[2].user, "ola");
  EXPECT_EQ(pieces[3].text, "omstilling ");
  EXPECT_EQ(pieces[3].user, "per");
  EXPECT_EQ(pieces[4].text, "i regionen Viken");
  EXPECT_EQ(pieces[4].user, "ola");
  // " Viken" is a separate op from "Grønn vekst i regionen": two spans.
  EXPECT_EQ(spans.back().length, 6u);
  EXPECT_EQ(spans.back().seq, h.last_seq());
  EXPECT_EQ(blame[0].last_author.user, "ola");
  EXPECT_EQ(blame[0].last_seq, h.last_seq());

  // At an earlier point: only ola's original text.
  ASSERT_TRUE(Blame(h, 2, goal, &blame).ok());
  ASSERT_EQ(blame[0].texts.size(), 1u);
  ASSERT_EQ(blame[0].texts[0].second.size(), 1u);
  EXPECT_EQ(blame[0].texts[0].second[0].length, 22u);
  EXPECT_EQ(blame[0].texts[0].second[0].seq, 2u);
  EXPECT_EQ(Blame(h, 1, goal, &blame).code(), Status::Code::kOk);
  EXPECT_TRUE(blame[0].texts.empty());
  EXPECT_EQ(Blame(h, 0, goal, &blame).code(), Status::Code::kNotFound);
  EXPECT_EQ(Blame(h, h.last_seq() + 1, goal, &blame).code(),
            Status::Code::kOutOfRange);
}

TEST(BlameTest, FieldsCellsAndTheLastContentEdit) {
  LogBuilder log(std::vector<Person>{{"ola", "Moss"}, {"kari", "Vestby"}});
  Replica& ola = log.r(0);
  Replica& kari = log.r(1);
  const OpId goal = *ola.CreateNode(kRootNode, 0, "goal");
  const OpId measure = *ola.CreateNode(goal, 0, "measure");
  ASSERT_TRUE(ola.SetField(measure, "status", FieldValue::String("planlagt")).ok());
  ASSERT_TRUE(ola.SetField(measure, "cost", FieldValue::Number(1.5)).ok());
  const OpId ind = *ola.CreateNode(kRootNode, 1, "indicator");
  const OpId row = *ola.InsertTableLine(ind, "values", TableAxis::kRow, 0);
  const OpId col = *ola.InsertTableLine(ind, "values", TableAxis::kColumn, 0);
  ASSERT_TRUE(ola.SetCell(ind, "values", row, col, FieldValue::Int(3)).ok());
  ASSERT_TRUE(ola.SetCell(ind, "values", kNullId, col, FieldValue::String("2024")).ok());
  log.Commit(0);
  log.Pull(1);
  ASSERT_TRUE(kari.SetField(measure, "status", FieldValue::String("pågår")).ok());
  ASSERT_TRUE(kari.SetCell(ind, "values", row, col, FieldValue::Int(5)).ok());
  log.Advance(1000);
  log.Commit(1);
  const uint64_t kari_cell = log.log().size();
  // A review op afterwards does not count as the last content edit.
  ASSERT_TRUE(ola.AddThread(Replica::ThreadAnchorSpec::OnNode(ind), "Kilde?").ok());
  log.Pull(0);
  log.Advance(1000);
  log.Commit(0);

  PlanHistory h;
  ASSERT_TRUE(log.Feed(&h).ok());
  std::vector<NodeBlame> blame;
  ASSERT_TRUE(Blame(h, h.last_seq(), kNullId, &blame).ok());
  ASSERT_EQ(blame.size(), 4u);  // root, goal, measure, indicator
  EXPECT_EQ(blame[0].node, kRootNode);
  EXPECT_EQ(blame[0].last_seq, 0u);
  EXPECT_EQ(blame[1].node, goal);
  EXPECT_EQ(blame[2].node, measure);
  EXPECT_EQ(blame[2].number, "1.1");
  ASSERT_EQ(blame[2].fields.size(), 2u);
  EXPECT_EQ(blame[2].fields[0].name, "cost");
  EXPECT_EQ(blame[2].fields[0].author.user, "ola");
  EXPECT_EQ(blame[2].fields[1].name, "status");
  EXPECT_EQ(blame[2].fields[1].author.user, "kari");
  EXPECT_EQ(blame[2].fields[1].author.municipality, "Vestby");
  EXPECT_EQ(blame[2].last_author.user, "kari");
  const NodeBlame& ib = blame[3];
  EXPECT_EQ(ib.node, ind);
  ASSERT_EQ(ib.cells.size(), 2u);
  EXPECT_EQ(ib.cells[0].row, kNullId);  // the header row comes first
  EXPECT_EQ(ib.cells[0].author.user, "ola");
  EXPECT_EQ(ib.cells[1].row, row);
  EXPECT_EQ(ib.cells[1].column, col);
  EXPECT_EQ(ib.cells[1].name, "values");
  EXPECT_EQ(ib.cells[1].author.user, "kari");
  EXPECT_EQ(ib.cells[1].seq, kari_cell);
  EXPECT_EQ(ib.last_seq, kari_cell);

  // Subtree blame, and earlier states.
  ASSERT_TRUE(Blame(h, 3, goal, &blame).ok());
  ASSERT_EQ(blame.size(), 2u);
  ASSERT_EQ(blame[1].fields.size(), 1u);
  EXPECT_EQ(blame[1].fields[0].author.user, "ola");
  EXPECT_EQ(blame[1].fields[0].seq, 3u);
}

TEST(BlameTest, RandomPlansTileEveryTextAtRandomPoints) {
  for (uint64_t seed = 11; seed <= 13; ++seed) {
    LogBuilder log(std::vector<Person>{{"ola", "Moss"}, {"kari", "Vestby"}, {"per", "Råde"}});
    RandomHistoryEditor editor(seed, &log);
    for (int i = 0; i < 400; ++i) editor.Step();
    PlanHistory h(PlanSchema::Default(), 32);
    ASSERT_TRUE(log.Feed(&h).ok());
    std::mt19937_64 rng(seed);
    for (int probe = 0; probe < 6; ++probe) {
      const uint64_t at = probe == 0 ? h.last_seq() : 1 + rng() % h.last_seq();
      std::vector<NodeBlame> blame;
      ASSERT_TRUE(Blame(h, at, kNullId, &blame).ok());
      const Replica& state = **h.StateAt(at);
      size_t texts = 0;
      for (const NodeBlame& b : blame) {
        for (const auto& [name, spans] : b.texts) {
          const TextSequence* t = state.TextOf(b.node, name);
          ASSERT_NE(t, nullptr);
          CheckSpans(log.log(), *t, spans);
          ++texts;
        }
        if (b.last_seq != 0) {
          EXPECT_LE(b.last_seq, at);
          EXPECT_FALSE(IsReviewKind(h.KindAt(b.last_seq)));
          EXPECT_EQ(h.NodeAt(b.last_seq), b.node);
        }
      }
      if (probe == 0) {
        EXPECT_GT(texts, 3u);
      }
    }
  }
}

}  // namespace
}  // namespace samplan
