// DiffPlans: nodes added, removed, moved and renumbered; fields, texts and
// tables changed with who changed them; review items; all computed from two
// states rebuilt from prefixes of one stored log.
#include "crdt/plan_diff.h"

#include <gtest/gtest.h>

#include "crdt/testing/diff_log.h"

namespace samplan {
namespace {

using testing_util::Client;
using testing_util::DiffLog;
using Kind = TextPiece::Kind;

struct Diffed {
  std::unique_ptr<Replica> older, newer;
  PlanDiff diff;
};

Diffed Diff(const DiffLog& log, uint64_t from, uint64_t to) {
  Diffed d;
  d.older = log.StateAt(from);
  d.newer = log.StateAt(to);
  EXPECT_NE(d.older, nullptr);
  EXPECT_NE(d.newer, nullptr);
  Status s = DiffPlans(*d.older, from, *d.newer, to, log, &d.diff);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return d;
}

const NodeChanges* ChangesOf(const PlanDiff& d, OpId node) {
  for (const NodeChanges& c : d.changes) {
    if (c.node.id == node) return &c;
  }
  return nullptr;
}

TEST(PlanDiffTest, TextPiecesNameWhoInsertedAndWhoDeleted) {
  DiffLog log;
  Client kari(1, "kari", "Moss", &log), ola(2, "ola", "Råde", &log);
  const OpId goal = kari.Do([](Replica& r) {
    return r.CreateNode(kRootNode, 0, "goal").value();
  });
  ASSERT_TRUE(kari.Do([&](Replica& r) {
    return r.InsertText(goal, "body", 0, "Grønn vekst i regionen");
  }).ok());
  const uint64_t from = log.last_seq();
  ASSERT_TRUE(ola.Sync().ok());
  // Concurrently: Ola deletes "vekst " (6..12) and types "mobilitet ",
  // Kari deletes "n vekst" (4..11): "vekst" is deleted by both.
  ASSERT_TRUE(ola.Do([&](Replica& r) { return r.DeleteText(goal, "body", 6, 6); }).ok());
  ASSERT_TRUE(ola.Do([&](Replica& r) {
    return r.InsertText(goal, "body", 6, "mobilitet ");
  }).ok());
  ASSERT_TRUE(kari.Do([&](Replica& r) { return r.DeleteText(goal, "body", 4, 7); }).ok());
  const uint64_t ola_delete_seq = from + 1, ola_insert_seq = from + 2,
                 kari_delete_seq = from + 3;

  Diffed d = Diff(log, from, log.last_seq());
  const NodeChanges* c = ChangesOf(d.diff, goal);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->texts.size(), 1u);
  const TextChange& t = c->texts[0];
  EXPECT_EQ(t.name, "body");
  // Old: "Grønn vekst i regionen"; new: "Grønmobilitet i regionen".
  ASSERT_EQ(d.newer->Text(goal, "body").value(), "Grønmobilitet i regionen");
  ASSERT_EQ(t.pieces.size(), 6u);
  EXPECT_EQ(t.pieces[0].kind, Kind::kRetain);
  EXPECT_EQ(t.pieces[0].length, 4u);  // "Grøn"
  // "n " deleted by Kari alone.
  EXPECT_EQ(t.pieces[1].kind, Kind::kDelete);
  EXPECT_EQ(t.pieces[1].text, "n ");
  EXPECT_EQ(t.pieces[1].by.author.user, "kari");
  EXPECT_EQ(t.pieces[1].by.seq, kari_delete_seq);
  EXPECT_TRUE(t.pieces[1].also.empty());
  // Ola's insertion goes after "Grønn " (its left origin), before the
  // characters Ola deleted.
  EXPECT_EQ(t.pieces[2].kind, Kind::kInsert);
  EXPECT_EQ(t.pieces[2].text, "mobilitet ");
  EXPECT_EQ(t.pieces[2].length, 10u);
  EXPECT_EQ(t.pieces[2].by.author.user, "ola");
  EXPECT_EQ(t.pieces[2].by.seq, ola_insert_seq);
  // "vekst" deleted by both: Ola first (lower seq), Kari also.
  EXPECT_EQ(t.pieces[3].kind, Kind::kDelete);
  EXPECT_EQ(t.pieces[3].text, "vekst");
  EXPECT_EQ(t.pieces[3].by.author.user, "ola");
  EXPECT_EQ(t.pieces[3].by.author.municipality, "Råde");
  EXPECT_EQ(t.pieces[3].by.seq, ola_delete_seq);
  ASSERT_EQ(t.pieces[3].also.size(), 1u);
  EXPECT_EQ(t.pieces[3].also[0].author.user, "kari");
  EXPECT_EQ(t.pieces[3].also[0].seq, kari_delete_seq);
  // " " deleted by Ola alone.
  EXPECT_EQ(t.pieces[4].kind, Kind::kDelete);
  EXPECT_EQ(t.pieces[4].text, " ");
  EXPECT_EQ(t.pieces[4].by.author.user, "ola");
  EXPECT_EQ(t.pieces[5].kind, Kind::kRetain);
  EXPECT_EQ(t.pieces[5].length, 10u);  // "i regionen"
  EXPECT_EQ(t.inserted, 10u);
  EXPECT_EQ(t.deleted, 8u);
  EXPECT_EQ(d.diff.stats.chars_inserted, 10u);
  EXPECT_EQ(d.diff.stats.chars_deleted, 8u);
}

TEST(PlanDiffTest, InsertedTextIsSplitByAuthorAcrossOps) {
  DiffLog log;
  Client kari(1, "kari", "Moss", &log), ola(2, "ola", "Råde", &log);
  const OpId goal = kari.Do([](Replica& r) {
    return r.CreateNode(kRootNode, 0, "goal").value();
  });
  // Kari types three bursts, Ola one in the middle: runs of one replica
  // span several ops, author lookups go per run end.
  for (const char* s : {"Ren ", "luft ", "og "}) {
    ASSERT_TRUE(kari.Do([&](Replica& r) {
      return r.InsertText(goal, "title", r.TextOf(goal, "title")
                                             ? r.TextOf(goal, "title")->size()
                                             : 0,
                          s);
    }).ok());
  }
  ASSERT_TRUE(ola.Sync().ok());
  ASSERT_TRUE(ola.Do([&](Replica& r) {
    return r.InsertText(goal, "title", 4, "frisk ");
  }).ok());
  ASSERT_TRUE(kari.Sync().ok());
  ASSERT_TRUE(kari.Do([&](Replica& r) {
    return r.InsertText(goal, "title", r.TextOf(goal, "title")->size(), "vann");
  }).ok());
  Diffed d = Diff(log, 1, log.last_seq());
  const NodeChanges* c = ChangesOf(d.diff, goal);
  ASSERT_NE(c, nullptr);
  const TextChange& t = c->texts.at(0);
  ASSERT_EQ(t.pieces.size(), 3u);
  EXPECT_EQ(t.pieces[0].text, "Ren ");
  EXPECT_EQ(t.pieces[0].by.author.user, "kari");
  EXPECT_EQ(t.pieces[0].by.seq, 2u);
  EXPECT_EQ(t.pieces[1].text, "frisk ");
  EXPECT_EQ(t.pieces[1].by.author.user, "ola");
  EXPECT_EQ(t.pieces[2].text, "luft og vann");
  EXPECT_EQ(t.pieces[2].by.author.user, "kari");
  EXPECT_EQ(t.pieces[2].by.seq, 3u);
  EXPECT_EQ(t.pieces[2].seq_last, log.last_seq());
  EXPECT_EQ(c->node.title, "Ren frisk luft og vann");
}

TEST(PlanDiffTest, MovesCarryOldAndNewPlaceAndNumber) {
  DiffLog log;
  Client kari(1, "kari", "Moss", &log);
  auto create = [&](OpId parent, size_t index, const char* kind,
                    const char* title) {
    const OpId id = kari.Do([&](Replica& r) {
      return r.CreateNode(parent, index, kind).value();
    });
    kari.Do([&](Replica& r) { return r.InsertText(id, "title", 0, title); });
    return id;
  };
  const OpId g1 = create(kRootNode, 0, "goal", "Klima");
  const OpId g2 = create(kRootNode, 1, "goal", "Grønn mobilitet");
  const OpId m1 = create(g1, 0, "measure", "Sykkelveier");
  const OpId m2 = create(g1, 1, "measure", "Ladepunkter");
  const OpId m3 = create(g2, 0, "measure", "Bussruter");
  const uint64_t from = log.last_seq();
  ASSERT_TRUE(kari.Do([&](Replica& r) { return r.MoveNode(m1, g2, 0); }).ok());
  const uint64_t move_seq = log.last_seq();
  ASSERT_TRUE(kari.Do([&](Replica& r) { return r.DeleteNode(g1); }).ok());

  Diffed d = Diff(log, from, log.last_seq());
  ASSERT_EQ(d.diff.moved.size(), 1u);
  const NodeMoved& m = d.diff.moved[0];
  EXPECT_EQ(m.node.id, m1);
  EXPECT_EQ(m.old_parent, g1);
  EXPECT_EQ(m.old_number, "1.1");
  EXPECT_EQ(m.new_parent, g2);
  EXPECT_EQ(m.node.number, "1.1");  // g2 is now the first goal
  EXPECT_EQ(m.new_index, 0u);
  EXPECT_EQ(m.by.seq, move_seq);
  EXPECT_EQ(m.by.author.user, "kari");
  // g1 and its remaining measure are removed; m3 and g2 are renumbered.
  ASSERT_EQ(d.diff.removed.size(), 2u);
  EXPECT_EQ(d.diff.removed[0].node.id, g1);
  EXPECT_EQ(d.diff.removed[0].node.number, "1");
  EXPECT_EQ(d.diff.removed[0].node.title, "Klima");
  EXPECT_FALSE(d.diff.removed[0].with_parent);
  EXPECT_EQ(d.diff.removed[0].by.seq, log.last_seq());
  EXPECT_EQ(d.diff.removed[1].node.id, m2);
  EXPECT_TRUE(d.diff.removed[1].with_parent);
  EXPECT_EQ(d.diff.removed[1].by.seq, log.last_seq());
  ASSERT_EQ(d.diff.renumbered.size(), 2u);
  EXPECT_EQ(d.diff.renumbered[0].node.id, g2);
  EXPECT_EQ(d.diff.renumbered[0].old_number, "2");
  EXPECT_EQ(d.diff.renumbered[0].node.number, "1");
  EXPECT_EQ(d.diff.renumbered[1].node.id, m3);
  EXPECT_EQ(d.diff.renumbered[1].old_number, "2.1");
  EXPECT_EQ(d.diff.renumbered[1].node.number, "1.2");
  EXPECT_TRUE(d.diff.added.empty());

  // Restoring the goal from the trash adds it (and its measure) back.
  ASSERT_TRUE(kari.Do([&](Replica& r) { return r.MoveNode(g1, kRootNode, 1); }).ok());
  Diffed back = Diff(log, from + 2, log.last_seq());
  ASSERT_EQ(back.diff.added.size(), 2u);
  EXPECT_EQ(back.diff.added[0].node.id, g1);
  EXPECT_EQ(back.diff.added[0].node.number, "2");
  EXPECT_EQ(back.diff.added[0].index, 1u);
  EXPECT_EQ(back.diff.added[0].by.seq, log.last_seq());
  EXPECT_EQ(back.diff.added[1].node.id, m2);
  EXPECT_EQ(back.diff.added[1].parent, g1);
}

TEST(PlanDiffTest, FieldConflictsAndTables) {
  DiffLog log;
  Client kari(1, "kari", "Moss", &log), ola(2, "ola", "Råde", &log);
  const OpId ind = kari.Do([](Replica& r) {
    return r.CreateNode(kRootNode, 0, "indicator").value();
  });
  const OpId row = kari.Do([&](Replica& r) {
    return r.InsertTableLine(ind, "values", TableAxis::kRow, 0).value();
  });
  const OpId col = kari.Do([&](Replica& r) {
    return r.InsertTableLine(ind, "values", TableAxis::kColumn, 0).value();
  });
  ASSERT_TRUE(kari.Do([&](Replica& r) {
    return r.SetCell(ind, "values", row, col, FieldValue::Int(10));
  }).ok());
  ASSERT_TRUE(kari.Do([&](Replica& r) {
    return r.SetField(ind, "unit", FieldValue::String("tonn"));
  }).ok());
  const uint64_t from = log.last_seq();
  ASSERT_TRUE(ola.Sync().ok());
  ASSERT_TRUE(kari.Do([&](Replica& r) {
    return r.SetField(ind, "unit", FieldValue::String("kg"));
  }).ok());
  ASSERT_TRUE(ola.Do([&](Replica& r) {
    return r.SetField(ind, "unit", FieldValue::String("tonn CO2"));
  }).ok());
  ASSERT_TRUE(ola.Do([&](Replica& r) {
    return r.SetCell(ind, "values", row, col, FieldValue::Int(12));
  }).ok());
  const OpId row2 = ola.Do([&](Replica& r) {
    return r.InsertTableLine(ind, "values", TableAxis::kRow, 1).value();
  });
  ASSERT_TRUE(ola.Do([&](Replica& r) {
    return r.SetCell(ind, "values", row2, kNullId, FieldValue::String("2030"));
  }).ok());

  Diffed d = Diff(log, from, log.last_seq());
  const NodeChanges* c = ChangesOf(d.diff, ind);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->fields.size(), 1u);
  const FieldChange& f = c->fields[0];
  EXPECT_EQ(f.name, "unit");
  EXPECT_EQ(f.old_value.value, FieldValue::String("tonn"));
  EXPECT_TRUE(f.old_value.conflicts.empty());
  ASSERT_TRUE(f.new_value.set);
  ASSERT_EQ(f.new_value.conflicts.size(), 1u);
  ASSERT_EQ(f.conflicts_by.size(), 1u);
  EXPECT_NE(f.by.author.user, f.conflicts_by[0].author.user);
  ASSERT_EQ(c->tables.size(), 1u);
  const TableChange& t = c->tables[0];
  EXPECT_FALSE(t.created);
  ASSERT_EQ(t.rows_added.size(), 1u);
  EXPECT_EQ(t.rows_added[0].line, row2);
  EXPECT_EQ(t.rows_added[0].index, 1u);
  EXPECT_EQ(t.rows_added[0].by.author.user, "ola");
  ASSERT_EQ(t.cells.size(), 2u);
  EXPECT_EQ(t.cells[0].row, row2);  // headers first
  EXPECT_TRUE(t.cells[0].column.IsNull());
  EXPECT_FALSE(t.cells[0].old_value.set);
  EXPECT_EQ(t.cells[0].new_value.value, FieldValue::String("2030"));
  EXPECT_EQ(t.cells[1].old_value.value, FieldValue::Int(10));
  EXPECT_EQ(t.cells[1].new_value.value, FieldValue::Int(12));
  EXPECT_EQ(t.cells[1].by.author.user, "ola");
  EXPECT_EQ(d.diff.stats.cells_changed, 2u);
  EXPECT_EQ(d.diff.stats.fields_changed, 1u);
}

TEST(PlanDiffTest, StaleThreadResolvedAndSuggestionsDecided) {
  DiffLog log;
  Client kari(1, "kari", "Moss", &log), ola(2, "ola", "Råde", &log);
  const OpId goal = kari.Do([](Replica& r) {
    return r.CreateNode(kRootNode, 0, "goal").value();
  });
  ASSERT_TRUE(kari.Do([&](Replica& r) {
    return r.InsertText(goal, "body", 0, "Utslipp skal ned 40 prosent");
  }).ok());
  const OpId thread = kari.Do([&](Replica& r) {
    return r.AddThread(Replica::ThreadAnchorSpec::OnText(goal, "body", 17, 19),
                       "Hvorfor 40?").value();
  });
  const OpId sugg = kari.Do([&](Replica& r) {
    return r.SuggestField(goal, "status", FieldValue::String("pågår")).value();
  });
  const uint64_t from = log.last_seq();
  ASSERT_TRUE(ola.Sync().ok());
  // The text under the thread goes (the thread is stale: orphaned), then
  // Ola resolves it and accepts the suggestion.
  ASSERT_TRUE(ola.Do([&](Replica& r) { return r.DeleteText(goal, "body", 17, 3); }).ok());
  ASSERT_TRUE(ola.Do([&](Replica& r) {
    return r.SetThread(thread, "resolved", FieldValue::Bool(true));
  }).ok());
  const uint64_t resolve_seq = log.last_seq();
  ASSERT_TRUE(ola.Do([&](Replica& r) { return r.AcceptSuggestion(sugg); }).ok());
  ASSERT_TRUE(ola.Do([&](Replica& r) { return r.Approve(goal, "Råde"); }).ok());
  const uint64_t approve_seq = log.last_seq();

  Diffed d = Diff(log, from, log.last_seq());
  const ReviewChanges& rv = d.diff.review;
  EXPECT_TRUE(rv.opened.empty());
  ASSERT_EQ(rv.resolved.size(), 1u);
  EXPECT_EQ(rv.resolved[0].item, thread);
  EXPECT_TRUE(rv.resolved[0].orphaned);
  EXPECT_EQ(rv.resolved[0].text, "Hvorfor 40?");
  EXPECT_EQ(rv.resolved[0].by.author.user, "ola");
  EXPECT_EQ(rv.resolved[0].by.seq, resolve_seq);
  EXPECT_EQ(rv.resolved[0].node.id, goal);
  EXPECT_EQ(rv.resolved[0].node.number, "1");
  ASSERT_EQ(rv.accepted.size(), 1u);
  EXPECT_EQ(rv.accepted[0].item, sugg);
  EXPECT_EQ(rv.accepted[0].what, "suggest_field");
  EXPECT_EQ(rv.accepted[0].by.author.user, "ola");
  ASSERT_EQ(rv.approved.size(), 1u);
  EXPECT_EQ(rv.approved[0].field, "Råde");
  // The accepted suggestion's edit shows as a field change.
  const NodeChanges* c = ChangesOf(d.diff, goal);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->fields.size(), 1u);
  EXPECT_EQ(c->fields[0].new_value.value, FieldValue::String("pågår"));

  // From the start: the thread is opened (and resolved) in the range.
  Diffed all = Diff(log, 0, log.last_seq());
  ASSERT_EQ(all.diff.review.opened.size(), 1u);
  EXPECT_EQ(all.diff.review.opened[0].by.author.user, "kari");
  EXPECT_EQ(all.diff.review.resolved.size(), 1u);
  ASSERT_EQ(all.diff.added.size(), 1u);

  // Reopening later.
  ASSERT_TRUE(kari.Sync().ok());
  ASSERT_TRUE(kari.Do([&](Replica& r) {
    return r.SetThread(thread, "resolved", FieldValue::Bool(false));
  }).ok());
  ASSERT_TRUE(kari.Do([&](Replica& r) { return r.RevokeApproval(goal, "Råde"); }).ok());
  Diffed re = Diff(log, resolve_seq, log.last_seq());
  ASSERT_EQ(re.diff.review.reopened.size(), 1u);
  EXPECT_EQ(re.diff.review.reopened[0].by.author.user, "kari");
  EXPECT_EQ(re.diff.review.revoked.size(), 0u);  // approved in the range
  Diffed rv2 = Diff(log, approve_seq, log.last_seq());
  ASSERT_EQ(rv2.diff.review.revoked.size(), 1u);
  EXPECT_EQ(rv2.diff.review.revoked[0].by.author.user, "kari");
  EXPECT_EQ(rv2.diff.review.revoked[0].field, "Råde");
}

TEST(PlanDiffTest, EmptyRangeAndBadOrder) {
  DiffLog log;
  Client kari(1, "kari", "Moss", &log);
  const OpId goal = kari.Do([](Replica& r) {
    return r.CreateNode(kRootNode, 0, "goal").value();
  });
  kari.Do([&](Replica& r) { return r.InsertText(goal, "title", 0, "Mål"); });
  Diffed d = Diff(log, 2, 2);
  EXPECT_TRUE(d.diff.added.empty());
  EXPECT_TRUE(d.diff.changes.empty());
  EXPECT_EQ(d.diff.stats.ops, 0u);
  EXPECT_EQ(d.diff.from_time, DiffLog::kStartMs + 1000);
  PlanDiff bad;
  EXPECT_FALSE(DiffPlans(*d.newer, 2, *d.older, 1, log, &bad).ok());
}

}  // namespace
}  // namespace samplan
