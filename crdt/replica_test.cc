#include "crdt/replica.h"

#include <gtest/gtest.h>

#include <random>

#include "crdt/utf8.h"

namespace samplan {
namespace {

// Delivers everything `from` has that `to` lacks.
void Sync(const Replica& from, Replica* to) {
  std::vector<Op> ops;
  ASSERT_TRUE(from.OpsSince(to->version(), &ops).ok());
  ASSERT_TRUE(to->ApplyAll(ops).ok());
}

std::string TextOf(const Replica& r, OpId node, const char* field) {
  Result<std::string> t = r.Text(node, field);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : "";
}

TEST(ReplicaTest, CreatesNodesInOrder) {
  Replica r(1);
  OpId goal1 = *r.CreateNode(kRootNode, 0, "goal");
  OpId goal3 = *r.CreateNode(kRootNode, 1, "goal");
  OpId goal2 = *r.CreateNode(kRootNode, 1, "goal");
  EXPECT_EQ(r.Children(kRootNode), (std::vector<OpId>{goal1, goal2, goal3}));
  EXPECT_EQ(r.KindOf(goal2), "goal");
  EXPECT_EQ(r.ParentOf(goal2), kRootNode);
  EXPECT_EQ(r.Numbering(goal3), "3");
  OpId sub = *r.CreateNode(goal2, 0, "subgoal");
  EXPECT_EQ(r.Numbering(sub), "2.1");
  EXPECT_TRUE(r.CheckInvariants().ok());
}

TEST(ReplicaTest, RejectsBadTreeEditsWithoutChange) {
  Replica r(1);
  OpId goal = *r.CreateNode(kRootNode, 0, "goal");
  OpId measure = *r.CreateNode(goal, 0, "measure");
  const std::string before = r.CanonicalDump();
  EXPECT_EQ(r.CreateNode(kRootNode, 0, "spaceship").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(r.CreateNode(measure, 0, "goal").status().code(),
            Status::Code::kInvalidArgument);  // schema: no goal in a measure
  EXPECT_EQ(r.CreateNode(kRootNode, 5, "goal").status().code(),
            Status::Code::kOutOfRange);
  EXPECT_EQ(r.CreateNode(OpId{9, 9}, 0, "goal").status().code(),
            Status::Code::kNotFound);
  EXPECT_FALSE(r.MoveNode(goal, measure, 0).ok());  // cycle
  EXPECT_FALSE(r.MoveNode(kRootNode, goal, 0).ok());
  EXPECT_FALSE(r.DeleteNode(kRootNode).ok());
  EXPECT_EQ(r.CanonicalDump(), before);
}

TEST(ReplicaTest, DeleteAndRestoreNode) {
  Replica r(1);
  OpId goal = *r.CreateNode(kRootNode, 0, "goal");
  ASSERT_TRUE(r.InsertText(goal, "title", 0, "Mål 1").ok());
  ASSERT_TRUE(r.DeleteNode(goal).ok());
  EXPECT_TRUE(r.IsDeleted(goal));
  EXPECT_TRUE(r.Children(kRootNode).empty());
  EXPECT_FALSE(r.InsertText(goal, "title", 0, "x").ok());
  EXPECT_EQ(TextOf(r, goal, "title"), "Mål 1");
  ASSERT_TRUE(r.MoveNode(goal, kRootNode, 0).ok());  // restore
  EXPECT_FALSE(r.IsDeleted(goal));
  EXPECT_EQ(r.Children(kRootNode), std::vector<OpId>{goal});
}

TEST(ReplicaTest, ParentBeforeDeleteNamesWhereANodeWasDeleted) {
  Replica a(1), b(2);
  const OpId goal_a = *a.CreateNode(kRootNode, 0, "goal");
  const OpId goal_b = *a.CreateNode(kRootNode, 1, "goal");
  const OpId sub = *a.CreateNode(goal_a, 0, "subgoal");
  const OpId measure = *a.CreateNode(sub, 0, "measure");
  // Not deleted, unknown, built-in: nothing to report.
  EXPECT_TRUE(a.ParentBeforeDelete(measure).IsNull());
  EXPECT_TRUE(a.ParentBeforeDelete(OpId{9, 9}).IsNull());
  EXPECT_TRUE(a.ParentBeforeDelete(kRootNode).IsNull());
  EXPECT_TRUE(a.ParentBeforeDelete(kTrashNode).IsNull());
  ASSERT_TRUE(a.DeleteNode(measure).ok());
  EXPECT_EQ(a.ParentBeforeDelete(measure), sub);
  // Restored elsewhere and deleted again: the newer place counts.
  ASSERT_TRUE(a.MoveNode(measure, goal_b, 0).ok());
  EXPECT_TRUE(a.ParentBeforeDelete(measure).IsNull());
  ASSERT_TRUE(a.DeleteNode(measure).ok());
  EXPECT_EQ(a.ParentBeforeDelete(measure), goal_b);
  // Only the node directly under the trash answers; its subtree does not.
  ASSERT_TRUE(a.DeleteNode(goal_a).ok());
  EXPECT_EQ(a.ParentBeforeDelete(goal_a), kRootNode);
  EXPECT_TRUE(a.ParentBeforeDelete(sub).IsNull());
  // Deleted twice concurrently: the second delete's "before" is the trash,
  // so the walk goes back to the place before the first one.
  Sync(a, &b);
  ASSERT_TRUE(a.MoveNode(measure, goal_b, 0).ok());
  Sync(a, &b);
  ASSERT_TRUE(a.DeleteNode(measure).ok());
  ASSERT_TRUE(b.DeleteNode(measure).ok());
  Sync(a, &b);
  Sync(b, &a);
  EXPECT_EQ(a.ParentBeforeDelete(measure), goal_b);
  EXPECT_EQ(b.ParentBeforeDelete(measure), goal_b);
  // A node created directly in the trash (only a remote op can) was never
  // anywhere else.
  Op in_trash;
  in_trash.id = OpId{7, 1};
  in_trash.lamport = 1000;
  in_trash.deps = a.frontier();
  in_trash.kind = OpKind::kCreateNode;
  in_trash.parent = kTrashNode;
  in_trash.name = "measure";
  ASSERT_TRUE(a.Apply(in_trash).ok());
  EXPECT_TRUE(a.ParentBeforeDelete(in_trash.id).IsNull());
  // A snapshot keeps the answer: it is a function of the tree log.
  Result<std::unique_ptr<Replica>> c = Replica::DecodeSnapshot(a.EncodeSnapshot(), 3);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->ParentBeforeDelete(measure), goal_b);
  EXPECT_EQ((*c)->ParentBeforeDelete(goal_a), kRootNode);
  EXPECT_TRUE(a.CheckInvariants().ok());
}

TEST(ReplicaTest, ParentBeforeDeleteFollowsLateMoves) {
  // A move that arrives late and sorts before the delete changes where the
  // node was deleted from, identically on every replica.
  Replica a(1), b(2);
  const OpId goal_a = *a.CreateNode(kRootNode, 0, "goal");
  const OpId goal_b = *a.CreateNode(kRootNode, 1, "goal");
  const OpId measure = *a.CreateNode(goal_a, 0, "measure");
  Sync(a, &b);
  ASSERT_TRUE(b.MoveNode(measure, goal_b, 0).ok());  // lamport 4
  ASSERT_TRUE(a.SetField(goal_a, "target_year", FieldValue::Int(1)).ok());
  ASSERT_TRUE(a.DeleteNode(measure).ok());  // lamport 5: sorts after
  EXPECT_EQ(a.ParentBeforeDelete(measure), goal_a);
  Sync(b, &a);
  Sync(a, &b);
  EXPECT_EQ(a.ParentBeforeDelete(measure), goal_b);
  EXPECT_EQ(b.ParentBeforeDelete(measure), goal_b);
  EXPECT_EQ(a.CanonicalDump(), b.CanonicalDump());
}

TEST(ReplicaTest, FieldsKeepConcurrentWrites) {
  Replica a(1), b(2);
  OpId m = *a.CreateNode(kRootNode, 0, "goal");
  Sync(a, &b);
  ASSERT_TRUE(a.SetField(m, "status", FieldValue::String("planned")).ok());
  ASSERT_TRUE(b.SetField(m, "status", FieldValue::String("done")).ok());
  Sync(a, &b);
  Sync(b, &a);
  Result<FieldRead> fa = a.Field(m, "status");
  Result<FieldRead> fb = b.Field(m, "status");
  ASSERT_TRUE(fa.ok());
  EXPECT_EQ(fa->value, fb->value);
  ASSERT_EQ(fa->conflicts.size(), 1u);
  EXPECT_EQ(a.CanonicalDump(), b.CanonicalDump());
  // A later write supersedes both.
  ASSERT_TRUE(a.SetField(m, "status", FieldValue::String("in progress")).ok());
  Sync(a, &b);
  EXPECT_TRUE(b.Field(m, "status")->conflicts.empty());
  EXPECT_EQ(b.Field(m, "status")->value.s, "in progress");
}

TEST(ReplicaTest, RejectsWrongFieldTypes) {
  Replica r(1);
  OpId m = *r.CreateNode(kRootNode, 0, "goal");
  OpId measure = *r.CreateNode(m, 0, "measure");
  const std::string before = r.CanonicalDump();
  EXPECT_FALSE(r.SetField(measure, "deadline", FieldValue::Int(3)).ok());
  EXPECT_FALSE(r.SetField(measure, "deadline",
                          FieldValue::Date("2024-02-30")).ok());
  EXPECT_FALSE(r.SetField(measure, "colour", FieldValue::String("x")).ok());
  EXPECT_EQ(r.CanonicalDump(), before);
  EXPECT_TRUE(r.SetField(measure, "deadline", FieldValue::Date("2024-02-29"))
                  .ok());
  EXPECT_TRUE(r.SetField(measure, "cost", FieldValue::Number(1.5e6)).ok());
}

TEST(ReplicaTest, TextEditsAndUnicode) {
  Replica r(1);
  OpId n = *r.CreateNode(kRootNode, 0, "text_block");
  ASSERT_TRUE(r.InsertText(n, "body", 0, "Råde og Våler").ok());
  ASSERT_TRUE(r.InsertText(n, "body", 4, " 🚆").ok());
  EXPECT_EQ(TextOf(r, n, "body"), "Råde 🚆 og Våler");
  ASSERT_TRUE(r.DeleteText(n, "body", 5, 1).ok());  // the emoji, one position
  EXPECT_EQ(TextOf(r, n, "body"), "Råde  og Våler");
  // Combining characters count as separate code points.
  ASSERT_TRUE(r.InsertText(n, "body", 0, "e\u0301").ok());
  EXPECT_EQ(r.TextOf(n, "body")->size(), 16u);
  const std::string before = r.CanonicalDump();
  EXPECT_EQ(r.InsertText(n, "body", 0, "bad \xC3").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(r.InsertText(n, "body", 99, "x").code(), Status::Code::kOutOfRange);
  EXPECT_EQ(r.DeleteText(n, "body", 10, 99).code(), Status::Code::kOutOfRange);
  EXPECT_FALSE(r.InsertText(n, "title", 0, "x").ok());  // no such text field
  EXPECT_EQ(r.CanonicalDump(), before);
}

TEST(ReplicaTest, TypingIsRunMergedInTheLog) {
  Replica r(1);
  OpId n = *r.CreateNode(kRootNode, 0, "text_block");
  const std::string word = "Vestby kommune";
  for (size_t i = 0; i < word.size(); ++i) {
    ASSERT_TRUE(r.InsertText(n, "body", i, word.substr(i, 1)).ok());
  }
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(r.DeleteText(n, "body", word.size() - 1 - i, 1).ok());
  }
  EXPECT_EQ(TextOf(r, n, "body"), "Vestby ");
  EXPECT_EQ(r.log().size(), 3u);  // create, one insert run, one delete run
  Replica b(2);
  Sync(r, &b);
  EXPECT_EQ(r.CanonicalDump(), b.CanonicalDump());
  // A peer that already has part of the run receives only the rest.
  Replica c(3);
  std::vector<Op> ops;
  ASSERT_TRUE(r.OpsSince(VersionVector(), &ops).ok());
  Op first_half = SliceOpTo(ops[1], 5);
  ASSERT_TRUE(c.Apply(ops[0]).ok());
  ASSERT_TRUE(c.Apply(first_half).ok());
  EXPECT_EQ(TextOf(c, n, "body"), "Vestb");
  ASSERT_TRUE(c.ApplyAll(ops).ok());
  EXPECT_EQ(c.CanonicalDump(), r.CanonicalDump());
}

TEST(ReplicaTest, ConcurrentTypingDoesNotInterleave) {
  Replica a(1), b(2);
  OpId n = *a.CreateNode(kRootNode, 0, "text_block");
  ASSERT_TRUE(a.InsertText(n, "body", 0, "[]").ok());
  Sync(a, &b);
  const std::string x = "Moss", y = "Råde";
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(a.InsertText(n, "body", 1 + i, x.substr(i, 1)).ok());
  }
  for (size_t i = 0; i < 4; ++i) {
    std::u32string cps = *utf8::Decode(y);
    ASSERT_TRUE(
        b.InsertText(n, "body", 1 + i, utf8::Encode(cps.substr(i, 1))).ok());
  }
  Sync(a, &b);
  Sync(b, &a);
  const std::string text = TextOf(a, n, "body");
  EXPECT_TRUE(text == "[MossRåde]" || text == "[RådeMoss]") << text;
  EXPECT_EQ(a.CanonicalDump(), b.CanonicalDump());
}

TEST(ReplicaTest, HoldsBackOpsWithMissingDependencies) {
  Replica a(1), b(2);
  OpId n = *a.CreateNode(kRootNode, 0, "text_block");
  ASSERT_TRUE(a.InsertText(n, "body", 0, "abc").ok());
  ASSERT_TRUE(a.SetField(n, "status", FieldValue::String("draft")).ok());
  std::vector<Op> ops;
  ASSERT_TRUE(a.OpsSince(VersionVector(), &ops).ok());
  ASSERT_EQ(ops.size(), 3u);
  // Deliver in reverse with duplicates.
  ASSERT_TRUE(b.Apply(ops[2]).ok());
  ASSERT_TRUE(b.Apply(ops[1]).ok());
  EXPECT_EQ(b.pending_count(), 2u);
  EXPECT_FALSE(b.HasNode(n));
  ASSERT_TRUE(b.Apply(ops[0]).ok());
  EXPECT_EQ(b.pending_count(), 0u);
  ASSERT_TRUE(b.ApplyAll(ops).ok());
  EXPECT_EQ(a.CanonicalDump(), b.CanonicalDump());
}

TEST(ReplicaTest, ReportsHeldBackOpsThatTurnOutInvalid) {
  Replica a(1), b(2);
  OpId n = *a.CreateNode(kRootNode, 0, "text_block");
  std::vector<Op> ops;
  ASSERT_TRUE(a.OpsSince(VersionVector(), &ops).ok());
  // A peer's op that depends on the create but names a missing origin.
  Op bad;
  bad.id = OpId{9, 1};
  bad.lamport = 2;
  bad.deps = {ops[0].id};
  bad.kind = OpKind::kInsertText;
  bad.node = n;
  bad.name = "body";
  bad.text = "x";
  bad.left = ops[0].id;  // known once it arrives, but not a character
  ASSERT_TRUE(b.Apply(bad).ok());  // held back: its dependency is missing
  EXPECT_EQ(b.pending_count(), 1u);
  ASSERT_TRUE(b.Apply(ops[0]).ok());
  EXPECT_EQ(b.pending_count(), 0u);
  std::vector<Status> errors = b.TakePendingErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code(), Status::Code::kNotFound);
  EXPECT_TRUE(b.TakePendingErrors().empty());
  EXPECT_EQ(*b.Text(n, "body"), "");
}

TEST(ReplicaTest, HoldsBackOpsReferringToUnknownIdsWithoutListingThem) {
  Replica a(1), b(2), c(3);
  OpId n = *a.CreateNode(kRootNode, 0, "text_block");
  ASSERT_TRUE(a.InsertText(n, "body", 0, "ab").ok());
  std::vector<Op> ops;
  ASSERT_TRUE(a.OpsSince(VersionVector(), &ops).ok());
  ASSERT_TRUE(c.ApplyAll(ops).ok());
  // c types after a's characters but claims to depend only on the create.
  ASSERT_TRUE(c.InsertText(n, "body", 2, "c").ok());
  std::vector<Op> mine;
  ASSERT_TRUE(c.OpsSince(a.version(), &mine).ok());
  ASSERT_EQ(mine.size(), 1u);
  mine[0].deps = {ops[0].id};
  ASSERT_TRUE(b.Apply(ops[0]).ok());
  ASSERT_TRUE(b.Apply(mine[0]).ok());  // its origin has not arrived: held
  EXPECT_EQ(b.pending_count(), 1u);
  ASSERT_TRUE(b.Apply(ops[1]).ok());
  EXPECT_EQ(b.pending_count(), 0u);
  EXPECT_EQ(*b.Text(n, "body"), "abc");
}

TEST(ReplicaTest, RejectsInconsistentRemoteOps) {
  Replica a(1), b(2);
  OpId goal = *a.CreateNode(kRootNode, 0, "goal");
  OpId n = *a.CreateNode(goal, 0, "measure");
  Sync(a, &b);
  const std::string before = b.CanonicalDump();
  Op op;
  op.id = OpId{7, 1};
  op.lamport = 5;
  op.deps = a.frontier();
  op.kind = OpKind::kInsertText;
  op.node = n;
  op.name = "title";
  op.text = "x";
  op.left = goal;  // a known id that is not a character of the text
  EXPECT_EQ(b.Apply(op).code(), Status::Code::kNotFound);
  op.left = kNullId;
  op.name = "nonexistent";
  EXPECT_EQ(b.Apply(op).code(), Status::Code::kInvalidArgument);
  op.name = "title";
  op.text = "\xFF";
  EXPECT_EQ(b.Apply(op).code(), Status::Code::kInvalidArgument);
  op.text = "x";
  op.lamport = 1;  // not after its dependency
  EXPECT_EQ(b.Apply(op).code(), Status::Code::kInvalidArgument);
  op.lamport = 5;
  op.kind = OpKind::kSetField;
  op.name = "deadline";
  op.value = FieldValue::String("soon");
  EXPECT_EQ(b.Apply(op).code(), Status::Code::kInvalidArgument);
  op.kind = OpKind::kMoveNode;
  op.node = kRootNode;
  op.parent = n;
  EXPECT_FALSE(b.Apply(op).ok());
  EXPECT_EQ(b.CanonicalDump(), before);
  EXPECT_EQ(b.version(), a.version());
}

TEST(ReplicaTest, TablesRowsColumnsAndCells) {
  Replica a(1), b(2);
  OpId ind = *a.CreateNode(kRootNode, 0, "indicator");
  OpId moss = *a.InsertTableLine(ind, "values", TableAxis::kRow, 0);
  OpId y2024 = *a.InsertTableLine(ind, "values", TableAxis::kColumn, 0);
  ASSERT_TRUE(a.SetCell(ind, "values", moss, kNullId,
                        FieldValue::String("Moss")).ok());
  ASSERT_TRUE(a.SetCell(ind, "values", moss, y2024, FieldValue::Int(51)).ok());
  Sync(a, &b);
  OpId vestby = *b.InsertTableLine(ind, "values", TableAxis::kRow, 1);
  OpId rade = *a.InsertTableLine(ind, "values", TableAxis::kRow, 1);
  ASSERT_TRUE(b.SetCell(ind, "values", moss, y2024, FieldValue::Int(52)).ok());
  Sync(a, &b);
  Sync(b, &a);
  EXPECT_EQ(a.CanonicalDump(), b.CanonicalDump());
  const Table* t = a.TableOf(ind, "values");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->VisibleLines(TableAxis::kRow).size(), 3u);
  EXPECT_EQ(t->VisibleLines(TableAxis::kRow).front(), moss);
  EXPECT_EQ(t->Cell(moss, y2024)->entries().front().value.i, 52);
  ASSERT_TRUE(a.DeleteTableLine(ind, "values", TableAxis::kRow, rade).ok());
  EXPECT_EQ(t->VisibleLines(TableAxis::kRow),
            (std::vector<OpId>{moss, vestby}));
  EXPECT_FALSE(a.SetCell(ind, "values", OpId{1, 999}, y2024,
                         FieldValue::Int(1)).ok());
  EXPECT_FALSE(a.InsertTableLine(ind, "nope", TableAxis::kRow, 0).ok());
}

TEST(ReplicaTest, AnchorsSurviveEditsAndReportDeletion) {
  Replica a(1), b(2);
  OpId goal = *a.CreateNode(kRootNode, 0, "goal");
  OpId other = *a.CreateNode(kRootNode, 1, "chapter");
  ASSERT_TRUE(a.InsertText(goal, "body", 0, "styrke næringslivet").ok());
  Sync(a, &b);
  Anchor start = *a.AnchorAtText(goal, "body", 7, Anchor::Side::kBefore);
  Anchor end = *a.AnchorAtText(goal, "body", 19, Anchor::Side::kAfter);
  Anchor node = *a.AnchorAtNode(goal);
  // Concurrent edits before the anchor and a move of the node.
  ASSERT_TRUE(b.InsertText(goal, "body", 0, "Vi skal ").ok());
  ASSERT_TRUE(a.MoveNode(goal, other, 0).ok());
  Sync(a, &b);
  Sync(b, &a);
  AnchorPosition s = *a.Resolve(start);
  AnchorPosition e = *a.Resolve(end);
  EXPECT_EQ(s.position, 15u);
  EXPECT_EQ(e.position, 27u);
  EXPECT_FALSE(s.character_deleted);
  EXPECT_EQ(a.Resolve(node)->parent, other);
  // Delete the anchored word: the anchor reports it.
  ASSERT_TRUE(a.DeleteText(goal, "body", 15, 12).ok());
  EXPECT_TRUE(a.Resolve(start)->character_deleted);
  EXPECT_EQ(a.Resolve(start)->position, 15u);
  ASSERT_TRUE(a.DeleteNode(other).ok());
  EXPECT_TRUE(a.Resolve(node)->node_deleted);
}

TEST(ReplicaTest, SnapshotRoundTrip) {
  Replica a(1), b(2);
  OpId goal = *a.CreateNode(kRootNode, 0, "goal");
  ASSERT_TRUE(a.InsertText(goal, "title", 0, "Bærekraftig vekst 🌱").ok());
  ASSERT_TRUE(a.DeleteText(goal, "title", 3, 4).ok());
  ASSERT_TRUE(a.SetField(goal, "owner", FieldValue::StringList({"Moss"})).ok());
  OpId ind = *a.CreateNode(goal, 0, "indicator");
  OpId row = *a.InsertTableLine(ind, "values", TableAxis::kRow, 0);
  ASSERT_TRUE(a.SetCell(ind, "values", row, kNullId,
                        FieldValue::String("Råde")).ok());
  Sync(a, &b);
  ASSERT_TRUE(b.SetField(goal, "owner", FieldValue::StringList({"Råde"})).ok());
  ASSERT_TRUE(a.SetField(goal, "owner", FieldValue::StringList({"Våler"})).ok());
  Sync(b, &a);
  const std::string bytes = a.EncodeSnapshot();
  Result<std::unique_ptr<Replica>> c = Replica::DecodeSnapshot(bytes, 3);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->CanonicalDump(), a.CanonicalDump());
  EXPECT_EQ((*c)->EncodeSnapshot(), bytes);
  // The loaded replica keeps syncing both ways.
  ASSERT_TRUE((*c)->InsertText(goal, "title", 0, "Ny: ").ok());
  ASSERT_TRUE(a.InsertText(goal, "body", 0, "tekst").ok());
  Sync(a, c->get());
  Sync(**c, &a);
  EXPECT_EQ((*c)->CanonicalDump(), a.CanonicalDump());
  // It holds no history before the snapshot.
  std::vector<Op> ops;
  EXPECT_EQ((*c)->OpsSince(VersionVector(), &ops).code(),
            Status::Code::kFailedPrecondition);
}

TEST(ReplicaTest, SnapshotDecodeSurvivesTruncationAndGarbage) {
  Replica a(1);
  OpId goal = *a.CreateNode(kRootNode, 0, "goal");
  ASSERT_TRUE(a.InsertText(goal, "title", 0, "Tiltak 2026").ok());
  ASSERT_TRUE(a.SetField(goal, "status", FieldValue::String("draft")).ok());
  OpId ind = *a.CreateNode(goal, 0, "indicator");
  ASSERT_TRUE(a.InsertTableLine(ind, "values", TableAxis::kRow, 0).ok());
  const std::string bytes = a.EncodeSnapshot();
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(Replica::DecodeSnapshot(bytes.substr(0, n), 2).ok()) << n;
  }
  std::mt19937_64 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    Result<std::unique_ptr<Replica>> r = Replica::DecodeSnapshot(mutated, 2);
    if (r.ok()) {
      EXPECT_TRUE((*r)->CheckInvariants().ok());
    }
  }
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 200, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (i % 2 == 0) junk = "SPS\x01" + junk;
    Replica::DecodeSnapshot(junk, 2);
  }
}

TEST(ReplicaTest, OpsEncodeRoundTripAndRejectGarbage) {
  Replica a(1);
  a.SetAuthor(Author{"kari", "Moss", 1700000000000});
  OpId goal = *a.CreateNode(kRootNode, 0, "goal");
  ASSERT_TRUE(a.InsertText(goal, "title", 0, "Grønn omstilling").ok());
  ASSERT_TRUE(a.DeleteText(goal, "title", 0, 6).ok());
  ASSERT_TRUE(a.SetField(goal, "target_year", FieldValue::Int(2030)).ok());
  OpId ind = *a.CreateNode(goal, 0, "indicator");
  OpId row = *a.InsertTableLine(ind, "values", TableAxis::kRow, 0);
  ASSERT_TRUE(a.SetCell(ind, "values", row, kNullId,
                        FieldValue::Number(0.25)).ok());
  ASSERT_TRUE(a.DeleteTableLine(ind, "values", TableAxis::kRow, row).ok());
  ASSERT_TRUE(a.MoveNode(ind, kRootNode, 0).ok());
  ASSERT_TRUE(a.DeleteNode(ind).ok());
  std::vector<Op> ops;
  ASSERT_TRUE(a.OpsSince(VersionVector(), &ops).ok());
  const std::string bytes = EncodeOps(ops);
  std::vector<Op> decoded;
  ASSERT_TRUE(DecodeOps(bytes, &decoded).ok());
  EXPECT_EQ(decoded, ops);
  EXPECT_EQ(EncodeOps(decoded), bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeOps(bytes.substr(0, n), &decoded).ok());
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string mutated = bytes;
    mutated[rng() % mutated.size()] = static_cast<char>(rng());
    std::vector<Op> out;
    if (DecodeOps(mutated, &out).ok()) {
      Replica b(2);
      b.ApplyAll(out);  // may reject; must not crash
      EXPECT_TRUE(b.CheckInvariants().ok());
    }
  }
}

TEST(ReplicaTest, ResumesOwnCountersFromSnapshot) {
  Replica a(1);
  OpId goal = *a.CreateNode(kRootNode, 0, "goal");
  ASSERT_TRUE(a.InsertText(goal, "title", 0, "abc").ok());
  auto again = Replica::DecodeSnapshot(a.EncodeSnapshot(), 1);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->InsertText(goal, "title", 3, "d").ok());
  std::vector<Op> ops;
  ASSERT_TRUE((*again)->OpsSince(a.version(), &ops).ok());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].id, (OpId{1, 5}));
  ASSERT_TRUE(a.Apply(ops[0]).ok());
  EXPECT_EQ(*a.Text(goal, "title"), "abcd");
}

}  // namespace
}  // namespace samplan
