// Diff JSON and Markdown: a diff between random points of a random plan,
// applied to the older state document, gives the newer one exactly; the
// JSON's shape; the Markdown report's content in each language.
#include "protocol/diff_json.h"

#include <gtest/gtest.h>

#include <random>

#include "crdt/history.h"
#include "crdt/plan_diff.h"
#include "crdt/testing/diff_log.h"
#include "protocol/plan_state.h"

namespace samplan::protocol {
namespace {

using testing_util::Client;
using testing_util::DiffLog;

// Several clients editing one plan concurrently: tree edits (create, move,
// delete, restore), fields (concurrent writes make conflicts), texts,
// tables and review, each client syncing with the log now and then.
class RandomPlan {
 public:
  explicit RandomPlan(uint64_t seed) : rng_(seed) {
    const char* users[] = {"kari", "ola", "per"};
    const char* towns[] = {"Moss", "Råde", "Våler"};
    for (int i = 0; i < 3; ++i) {
      clients_.push_back(std::make_unique<Client>(i + 1, users[i], towns[i], &log_));
    }
    clients_[0]->Do([](Replica& r) { return r.CreateNode(kRootNode, 0, "indicator"); });
  }

  void Run(size_t edits) {
    size_t made = 0;
    for (size_t tries = 0; made < edits && tries < edits * 20; ++tries) {
      Client& c = *clients_[Rand(clients_.size())];
      if (Rand(5) == 0) {
        ASSERT_TRUE(c.Sync().ok());
      }
      const uint64_t before = log_.last_seq();
      Status s = c.Do([&](Replica& r) { return Edit(r); });
      (void)s;
      if (log_.last_seq() > before) ++made;
    }
  }

  const DiffLog& log() const { return log_; }

 private:
  size_t Rand(size_t n) { return static_cast<size_t>(rng_() % n); }

  std::vector<OpId> Live(const Replica& r) {
    std::vector<OpId> out;
    std::vector<OpId> stack = {kRootNode};
    while (!stack.empty()) {
      const OpId n = stack.back();
      stack.pop_back();
      out.push_back(n);
      for (OpId c : r.Children(n)) stack.push_back(c);
    }
    return out;
  }

  std::string Text() {
    static const char* const kPieces[] = {"a", "Moss", " ", "æ", "ø", "å",
                                          "🌱", "Tiltak", "Råde", "\n", "*"};
    std::string out;
    const size_t n = 1 + Rand(4);
    for (size_t i = 0; i < n; ++i) out += kPieces[Rand(std::size(kPieces))];
    return out;
  }

  FieldValue Value(ValueType t) {
    switch (t) {
      case ValueType::kBool: return FieldValue::Bool(Rand(2));
      case ValueType::kInt: return FieldValue::Int(static_cast<int64_t>(Rand(3000)));
      case ValueType::kNumber: return FieldValue::Number(Rand(1000) / 8.0);
      case ValueType::kString: return FieldValue::String(Rand(2) ? "planlagt" : "pågår");
      case ValueType::kDate: return FieldValue::Date(Rand(2) ? "2026-06-21" : "2030-01-01");
      case ValueType::kStringList: return FieldValue::StringList({"Moss", Text()});
      default: return FieldValue::Null();
    }
  }

  Status Edit(Replica& r) {
    const std::vector<OpId> live = Live(r);
    OpId node = live[Rand(live.size())];
    if (Rand(3) == 0) {  // favour indicators: their tables
      std::vector<OpId> tables;
      for (const OpId& n : live) {
        if (r.KindOf(n) == "indicator") tables.push_back(n);
      }
      if (!tables.empty()) node = tables[Rand(tables.size())];
    }
    const std::string kind = r.KindOf(node);
    const KindSchema* ks = r.schema().Find(kind);
    size_t what = Rand(100);
    if (!ks->tables.empty() && Rand(2) == 0) what = 50;
    if (what < 14 && !ks->children.empty()) {
      auto it = ks->children.begin();
      std::advance(it, Rand(ks->children.size()));
      Result<OpId> id = r.CreateNode(node, Rand(r.Children(node).size() + 1), *it);
      if (id.ok()) created_.push_back(*id);
      return id.status();
    }
    if (what < 22 && node != kRootNode) {
      const OpId parent = live[Rand(live.size())];
      if (!r.schema().CheckChild(r.KindOf(parent), kind).ok()) {
        return Status::InvalidArgument("kind");
      }
      return r.MoveNode(node, parent, Rand(r.Children(parent).size() + 1));
    }
    if (what < 27 && node != kRootNode) return r.DeleteNode(node);
    if (what < 30 && !created_.empty()) {  // restore from the trash
      const OpId back = created_[Rand(created_.size())];
      if (!r.HasNode(back) || !r.IsDeleted(back)) return Status::InvalidArgument("live");
      const OpId parent = live[Rand(live.size())];
      if (!r.schema().CheckChild(r.KindOf(parent), r.KindOf(back)).ok()) {
        return Status::InvalidArgument("kind");
      }
      return r.MoveNode(back, parent, Rand(r.Children(parent).size() + 1));
    }
    if (what < 45 && !ks->fields.empty()) {
      auto it = ks->fields.begin();
      std::advance(it, Rand(ks->fields.size()));
      return r.SetField(node, it->first, Value(it->second));
    }
    if (what < 60 && !ks->tables.empty()) {
      const std::string table = *ks->tables.begin();
      const Table* t = r.TableOf(node, table);
      const std::vector<OpId> rows = t ? t->VisibleLines(TableAxis::kRow) : std::vector<OpId>{};
      const std::vector<OpId> cols = t ? t->VisibleLines(TableAxis::kColumn) : std::vector<OpId>{};
      const size_t op = Rand(10);
      if (op < 3 || rows.empty() || cols.empty()) {
        const TableAxis axis = Rand(2) ? TableAxis::kRow : TableAxis::kColumn;
        return r.InsertTableLine(node, table, axis,
                                 Rand((axis == TableAxis::kRow ? rows : cols).size() + 1))
            .status();
      }
      if (op < 4) {
        return Rand(2) ? r.DeleteTableLine(node, table, TableAxis::kRow, rows[Rand(rows.size())])
                       : r.DeleteTableLine(node, table, TableAxis::kColumn,
                                           cols[Rand(cols.size())]);
      }
      const OpId row = Rand(5) == 0 ? kNullId : rows[Rand(rows.size())];
      const OpId col = row.IsNull() || Rand(5) != 0 ? cols[Rand(cols.size())] : kNullId;
      return r.SetCell(node, table, row, col,
                       Rand(2) ? FieldValue::Int(static_cast<int64_t>(Rand(100)))
                               : FieldValue::String(Text()));
    }
    if (what < 68) {  // review
      const size_t op = Rand(4);
      if (op == 0) {
        Result<OpId> t = r.AddThread(Replica::ThreadAnchorSpec::OnNode(node), Text());
        if (t.ok()) threads_.push_back(*t);
        return t.status();
      }
      if (op == 1 && !threads_.empty()) {
        return r.SetThread(threads_[Rand(threads_.size())], "resolved",
                           FieldValue::Bool(Rand(3) != 0));
      }
      if (op == 2 && !ks->fields.empty()) {
        auto it = ks->fields.begin();
        std::advance(it, Rand(ks->fields.size()));
        Result<OpId> sg = r.SuggestField(node, it->first, Value(it->second));
        if (sg.ok()) suggestions_.push_back(*sg);
        return sg.status();
      }
      if (op == 3 && !suggestions_.empty()) {
        const OpId sg = suggestions_[Rand(suggestions_.size())];
        return Rand(2) ? r.AcceptSuggestion(sg, true) : r.RejectSuggestion(sg, "nei");
      }
      return Status::InvalidArgument("nothing");
    }
    if (ks->texts.empty()) return Status::InvalidArgument("no text");
    auto it = ks->texts.begin();
    std::advance(it, Rand(ks->texts.size()));
    const TextSequence* t = r.TextOf(node, *it);
    const size_t size = t == nullptr ? 0 : t->size();
    if (size == 0 || Rand(3) != 0) return r.InsertText(node, *it, Rand(size + 1), Text());
    const size_t pos = Rand(size);
    return r.DeleteText(node, *it, pos, 1 + Rand(std::min<size_t>(6, size - pos)));
  }

  std::mt19937_64 rng_;
  DiffLog log_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<OpId> created_, threads_, suggestions_;
};

// What the random diffs covered, so the test shows it exercised each kind
// of change.
struct Coverage {
  size_t added = 0, removed = 0, moved = 0, renumbered = 0, conflicts = 0;
  size_t cells = 0, lines_removed = 0, inserted = 0, deleted = 0;
  size_t deleted_twice = 0, resolved = 0, accepted = 0, rejected = 0;
};

// Diffs older -> newer and checks the JSON applied to the older state.
// The same diff through a PlanHistory of that log (the server's source:
// op heads from its index, states from its checkpoints) must be the same.
void CheckPair(const DiffLog& log, PlanHistory* history, uint64_t from,
               uint64_t to, Coverage* cov) {
  SCOPED_TRACE("from " + std::to_string(from) + " to " + std::to_string(to));
  std::unique_ptr<Replica> older = log.StateAt(from);
  std::unique_ptr<Replica> newer = log.StateAt(to);
  ASSERT_NE(older, nullptr);
  ASSERT_NE(newer, nullptr);
  PlanDiff diff;
  Status s = DiffPlans(*older, from, *newer, to, log, &diff);
  ASSERT_TRUE(s.ok()) << s.ToString();
  cov->added += diff.stats.nodes_added;
  cov->removed += diff.stats.nodes_removed;
  cov->moved += diff.stats.nodes_moved;
  cov->renumbered += diff.stats.nodes_renumbered;
  cov->cells += diff.stats.cells_changed;
  cov->lines_removed += diff.stats.lines_removed;
  cov->inserted += diff.stats.chars_inserted;
  cov->deleted += diff.stats.chars_deleted;
  cov->resolved += diff.stats.threads_resolved;
  cov->accepted += diff.stats.suggestions_accepted;
  cov->rejected += diff.stats.suggestions_rejected;
  for (const NodeChanges& c : diff.changes) {
    for (const FieldChange& f : c.fields) cov->conflicts += !f.new_value.conflicts.empty();
    for (const TextChange& t : c.texts) {
      for (const TextPiece& p : t.pieces) cov->deleted_twice += !p.also.empty();
    }
  }
  const Json dj = DiffToJson(diff, *older, *newer);
  // Through text, as a client receives it.
  const Json wire = Json::parse(dj.dump(), nullptr, false);
  ASSERT_FALSE(wire.is_discarded());
  Json applied;
  s = ApplyDiffToState(PlanStateToJson(*older), wire, &applied);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const Json expected = PlanStateToJson(*newer);
  ASSERT_EQ(applied, expected) << "diff: " << dj.dump(1).substr(0, 4000);
  const std::string md = DiffToMarkdown(diff, *older, *newer, "nb", "", "");
  EXPECT_NE(md.find("# Endringsrapport"), std::string::npos);

  Result<std::unique_ptr<Replica>> h_older = history->CopyStateAt(from);
  ASSERT_TRUE(h_older.ok());
  Result<const Replica*> h_newer = history->StateAt(to);
  ASSERT_TRUE(h_newer.ok());
  PlanDiff via_history;
  ASSERT_TRUE(DiffPlans(**h_older, from, **h_newer, to, *history, &via_history).ok());
  EXPECT_EQ(DiffToJson(via_history, **h_older, **h_newer), dj);
}

TEST(DiffJsonTest, DiffBetweenRandomPointsAppliedToOlderGivesNewer) {
  Coverage cov;
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RandomPlan plan(seed);
    plan.Run(180);
    const DiffLog& log = plan.log();
    const uint64_t n = log.last_seq();
    ASSERT_GT(n, 100u);
    PlanHistory history(PlanSchema::Default(), 16);
    for (const Op& op : log.ops()) ASSERT_TRUE(history.Append(op).ok());
    std::mt19937_64 rng(seed * 7919);
    CheckPair(log, &history, 0, n, &cov);
    CheckPair(log, &history, n / 2, n / 2, &cov);
    for (int k = 0; k < 8; ++k) {
      uint64_t a = rng() % (n + 1), b = rng() % (n + 1);
      if (a > b) std::swap(a, b);
      CheckPair(log, &history, a, b, &cov);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  EXPECT_GT(cov.added, 0u);
  EXPECT_GT(cov.removed, 0u);
  EXPECT_GT(cov.moved, 0u);
  EXPECT_GT(cov.renumbered, 0u);
  EXPECT_GT(cov.conflicts, 0u);
  EXPECT_GT(cov.cells, 0u);
  EXPECT_GT(cov.lines_removed, 0u);
  EXPECT_GT(cov.inserted, 0u);
  EXPECT_GT(cov.deleted, 0u);
  EXPECT_GT(cov.deleted_twice, 0u);
  EXPECT_GT(cov.resolved, 0u);
  EXPECT_GT(cov.accepted, 0u);
  EXPECT_GT(cov.rejected, 0u);
  std::printf("covered: %zu added, %zu removed, %zu moved, %zu renumbered, "
              "%zu conflicts, %zu cells, %zu lines removed, %zu/%zu chars "
              "inserted/deleted (%zu pieces deleted twice), %zu resolved, "
              "%zu accepted, %zu rejected\n",
              cov.added, cov.removed, cov.moved, cov.renumbered, cov.conflicts,
              cov.cells, cov.lines_removed, cov.inserted, cov.deleted,
              cov.deleted_twice, cov.resolved, cov.accepted, cov.rejected);
}

// A goal "Grønn mobilitet" (2.1 under a chapter), edited by two people.
struct Council {
  DiffLog log;
  Client kari{1, "kari", "Moss", &log};
  Client ola{2, "ola", "Råde", &log};
  OpId chapter, other, goal;
  uint64_t from = 0;

  Council() {
    chapter = kari.Do([](Replica& r) { return r.CreateNode(kRootNode, 0, "chapter").value(); });
    other = kari.Do([&](Replica& r) { return r.CreateNode(chapter, 0, "goal").value(); });
    goal = kari.Do([&](Replica& r) { return r.CreateNode(chapter, 1, "goal").value(); });
    kari.Do([&](Replica& r) { return r.InsertText(chapter, "title", 0, "Klima"); });
    kari.Do([&](Replica& r) { return r.InsertText(goal, "title", 0, "Grønn mobilitet"); });
    kari.Do([&](Replica& r) {
      return r.InsertText(goal, "body", 0, "Flere skal gå og sykle til jobb.");
    });
    kari.Do([&](Replica& r) {
      return r.SetField(goal, "status", FieldValue::String("planlagt"));
    });
    from = log.last_seq();
    EXPECT_TRUE(ola.Sync().ok());
    ola.Do([&](Replica& r) { return r.DeleteText(goal, "body", 23, 8); });  // "til jobb"
    ola.Do([&](Replica& r) { return r.InsertText(goal, "body", 23, "hver dag"); });
    ola.Do([&](Replica& r) {
      return r.SetField(goal, "status", FieldValue::String("pågår"));
    });
    ola.Do([&](Replica& r) {
      return r.AddThread(Replica::ThreadAnchorSpec::OnNode(goal), "Hva med buss?");
    });
  }
};

TEST(DiffJsonTest, JsonShape) {
  Council c;
  auto older = c.log.StateAt(c.from), newer = c.log.StateAt(c.log.last_seq());
  PlanDiff diff;
  ASSERT_TRUE(DiffPlans(*older, c.from, *newer, c.log.last_seq(), c.log, &diff).ok());
  const Json j = DiffToJson(diff, *older, *newer);
  EXPECT_EQ(j["from"]["seq"], c.from);
  EXPECT_EQ(j["to"]["seq"], c.log.last_seq());
  EXPECT_EQ(j["to"]["version"], VersionToJson(newer->version()));
  ASSERT_EQ(j["changes"].size(), 1u);
  const Json& ch = j["changes"][0];
  EXPECT_EQ(ch["node"], OpIdToJson(c.goal));
  EXPECT_EQ(ch["number"], "1.2");
  EXPECT_EQ(ch["title"], "Grønn mobilitet");
  ASSERT_EQ(ch["fields"].size(), 1u);
  EXPECT_EQ(ch["fields"][0]["field"], "status");
  EXPECT_EQ(ch["fields"][0]["old"]["value"], "planlagt");
  EXPECT_EQ(ch["fields"][0]["new"]["value"], "pågår");
  EXPECT_EQ(ch["fields"][0]["by"]["user"], "ola");
  EXPECT_EQ(ch["fields"][0]["by"]["municipality"], "Råde");
  ASSERT_EQ(ch["texts"].size(), 1u);
  const Json& pieces = ch["texts"][0]["pieces"];
  ASSERT_EQ(pieces.size(), 4u);
  EXPECT_EQ(pieces[0], (Json{{"op", "retain"}, {"length", 23}}));
  EXPECT_EQ(pieces[1]["op"], "insert");
  EXPECT_EQ(pieces[1]["text"], "hver dag");
  EXPECT_EQ(pieces[1]["by"]["user"], "ola");
  EXPECT_EQ(pieces[2]["op"], "delete");
  EXPECT_EQ(pieces[2]["text"], "til jobb");
  EXPECT_EQ(pieces[2]["by"]["seq"], c.from + 1);
  EXPECT_EQ(pieces[3], (Json{{"op", "retain"}, {"length", 1}}));
  ASSERT_EQ(j["review"]["opened"].size(), 1u);
  EXPECT_EQ(j["review"]["opened"][0]["text"], "Hva med buss?");
  EXPECT_EQ(j["review"]["opened"][0]["by"]["user"], "ola");
  EXPECT_EQ(j["stats"]["chars_inserted"], 8);
  EXPECT_EQ(j["stats"]["chars_deleted"], 8);
  EXPECT_EQ(j["stats"]["threads_opened"], 1);
  for (const char* key : {"added", "removed", "moved", "renumbered"}) {
    EXPECT_TRUE(j["nodes"][key].is_array()) << key;
  }
}

TEST(DiffJsonTest, MarkdownReportForCouncilPapers) {
  Council c;
  c.kari.Sync();
  c.kari.Do([&](Replica& r) { return r.MoveNode(c.goal, c.chapter, 0); });
  auto older = c.log.StateAt(c.from), newer = c.log.StateAt(c.log.last_seq());
  PlanDiff diff;
  ASSERT_TRUE(DiffPlans(*older, c.from, *newer, c.log.last_seq(), c.log, &diff).ok());
  const std::string nb = DiffToMarkdown(diff, *older, *newer, "nb", "Høringsutkast",
                                        "Vedtatt", [](std::string_view u) {
                                          return u == "ola" ? std::string("Ola Nordmann")
                                                            : std::string();
                                        });
  SCOPED_TRACE(nb);
  EXPECT_NE(nb.find("# Endringsrapport"), std::string::npos);
  EXPECT_NE(nb.find("- **Fra:** Høringsutkast (sekvens " + std::to_string(c.from) +
                    ", 2026-06-21 10:0"),
            std::string::npos);
  EXPECT_NE(nb.find("## Sammendrag"), std::string::npos);
  EXPECT_NE(nb.find("| Tegn satt inn | 8 |"), std::string::npos);
  EXPECT_NE(nb.find("### Flyttede punkter"), std::string::npos);
  EXPECT_NE(nb.find("- Grønn mobilitet: 1.2 → 1.1; kari (Moss)"), std::string::npos);
  EXPECT_NE(nb.find("### 1.1 Grønn mobilitet"), std::string::npos);
  EXPECT_NE(nb.find("> Flere skal gå og sykle **hver dag**~~til jobb~~."),
            std::string::npos);
  EXPECT_NE(nb.find("- Satt inn av Ola Nordmann (Råde), 2026-06-21"), std::string::npos);
  EXPECT_NE(nb.find(": «hver dag»"), std::string::npos);
  EXPECT_NE(nb.find("- Slettet av Ola Nordmann (Råde)"), std::string::npos);
  EXPECT_NE(nb.find("| Felt | Før | Etter | Endret av |"), std::string::npos);
  EXPECT_NE(nb.find("| status | planlagt | pågår | Ola Nordmann (Råde)"),
            std::string::npos);
  EXPECT_NE(nb.find("### Tråder åpnet"), std::string::npos);
  EXPECT_NE(nb.find("«Hva med buss?»"), std::string::npos);

  const std::string sv = DiffToMarkdown(diff, *older, *newer, "sv", "", "");
  EXPECT_NE(sv.find("# Ändringsrapport"), std::string::npos);
  EXPECT_NE(sv.find("| Fält | Före | Efter | Ändrad av |"), std::string::npos);
  EXPECT_NE(sv.find("- Infogat av ola (Råde)"), std::string::npos);
  const std::string en = DiffToMarkdown(diff, *older, *newer, "en", "", "");
  EXPECT_NE(en.find("# Change report"), std::string::npos);
  EXPECT_NE(en.find("### Moved items"), std::string::npos);
  EXPECT_EQ(DiffToMarkdown(diff, *older, *newer, "xx", "", ""), nb.empty() ? "" :
            DiffToMarkdown(diff, *older, *newer, "nb", "", ""));
  EXPECT_TRUE(IsDiffLanguage("sv"));
  EXPECT_FALSE(IsDiffLanguage("de"));
}

TEST(DiffJsonTest, MarkdownEscapesPlanText) {
  DiffLog log;
  Client kari(1, "kari", "Moss", &log);
  const OpId goal = kari.Do([](Replica& r) { return r.CreateNode(kRootNode, 0, "goal").value(); });
  kari.Do([&](Replica& r) { return r.InsertText(goal, "title", 0, "# Hei | [x](y) *"); });
  auto older = log.StateAt(1), newer = log.StateAt(log.last_seq());
  PlanDiff diff;
  ASSERT_TRUE(DiffPlans(*older, 1, *newer, log.last_seq(), log, &diff).ok());
  const std::string md = DiffToMarkdown(diff, *older, *newer, "en", "", "");
  EXPECT_NE(md.find("### 1 \\# Hei \\| \\[x\\](y) \\*"), std::string::npos) << md;
}

TEST(DiffJsonTest, ApplyRefusesADiffThatDoesNotFit) {
  Council c;
  auto older = c.log.StateAt(c.from), newer = c.log.StateAt(c.log.last_seq());
  PlanDiff diff;
  ASSERT_TRUE(DiffPlans(*older, c.from, *newer, c.log.last_seq(), c.log, &diff).ok());
  Json j = DiffToJson(diff, *older, *newer);
  Json out;
  Json bad = j;
  bad["changes"][0]["texts"][0]["pieces"][0]["length"] = 999;
  Status s = ApplyDiffToState(PlanStateToJson(*older), bad, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("diff.changes[0].texts[0].pieces[0]"), std::string::npos)
      << s.ToString();
  bad = j;
  bad["changes"][0]["node"] = Json::array({77, 77});
  EXPECT_FALSE(ApplyDiffToState(PlanStateToJson(*older), bad, &out).ok());
  bad = j;
  bad.erase("nodes");
  EXPECT_FALSE(ApplyDiffToState(PlanStateToJson(*older), bad, &out).ok());
  EXPECT_FALSE(ApplyDiffToState(Json::array(), j, &out).ok());
}

}  // namespace
}  // namespace samplan::protocol
