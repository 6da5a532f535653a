// Review operations in the core: threads and their anchors, comments,
// suggestions, approvals, and that all of it converges, survives snapshots
// and the binary op encoding.
#include "crdt/review.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "crdt/replica.h"
#include "crdt/utf8.h"

namespace samplan {
namespace {

using Spec = Replica::ThreadAnchorSpec;

void Sync(const Replica& from, Replica* to) {
  std::vector<Op> ops;
  ASSERT_TRUE(from.OpsSince(to->version(), &ops).ok());
  Status s = to->ApplyAll(ops);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

void SyncBoth(Replica* a, Replica* b) {
  Sync(*a, b);
  Sync(*b, a);
}

Author Who(const char* user, const char* municipality) {
  return Author{user, municipality, 1764090000000};
}

// A plan with one goal "Grønn vekst i regionen" and a measure under it.
struct Fixture {
  Replica a{1};
  Replica b{2};
  OpId goal;
  OpId measure;
  OpId indicator;
  OpId row;
  OpId column;
  Fixture() {
    a.SetAuthor(Who("ola", "Vestby"));
    b.SetAuthor(Who("per", ""));
    goal = *a.CreateNode(kRootNode, 0, "goal");
    EXPECT_TRUE(a.InsertText(goal, "title", 0, "Grønn vekst i regionen").ok());
    measure = *a.CreateNode(goal, 0, "measure");
    EXPECT_TRUE(a.SetField(measure, "deadline",
                           FieldValue::Date("2027-06-30"))
                    .ok());
    indicator = *a.CreateNode(kRootNode, 1, "indicator");
    row = *a.InsertTableLine(indicator, "values", TableAxis::kRow, 0);
    column = *a.InsertTableLine(indicator, "values", TableAxis::kColumn, 0);
    EXPECT_TRUE(
        a.SetCell(indicator, "values", row, column, FieldValue::Int(3)).ok());
    Sync(a, &b);
  }
};

TEST(ReviewTest, ThreadsOnNodeFieldCellAndTextRange) {
  Fixture f;
  Replica& b = f.b;
  OpId on_node = *b.AddThread(Spec::OnNode(f.goal), "Hele målet er uklart",
                              {"municipality:Moss"});
  OpId on_field = *b.AddThread(Spec::OnField(f.measure, "deadline"), "For sent?");
  Spec cell = Spec::OnCell(f.indicator, "values", f.row, f.column);
  OpId on_cell = *b.AddThread(cell, "Kilde?");
  Spec range = Spec::OnText(f.goal, "title", 0, 5);
  OpId on_text = *b.AddThread(range, "Grønn eller bærekraftig?",
                              {"user:ola"});
  const ReviewState& rs = b.review();
  ASSERT_EQ(rs.threads().size(), 4u);
  EXPECT_EQ(rs.FindThread(on_node)->anchor, AnchorKind::kNode);
  EXPECT_EQ(rs.FindThread(on_field)->anchor, AnchorKind::kField);
  EXPECT_EQ(rs.FindThread(on_cell)->anchor, AnchorKind::kCell);
  const Thread& t = *rs.FindThread(on_text);
  EXPECT_EQ(t.anchor, AnchorKind::kText);
  EXPECT_EQ(t.quote, "Grønn");
  EXPECT_EQ(rs.FindComment(on_text)->mentions,
            std::vector<std::string>{"user:ola"});
  EXPECT_EQ(rs.FindComment(on_text)->author.user, "per");
  Replica::ThreadPlace place = b.LocateThread(t);
  EXPECT_FALSE(place.orphaned);
  EXPECT_EQ(place.from, 0u);
  EXPECT_EQ(place.to, 5u);
  Sync(b, &f.a);
  EXPECT_EQ(f.a.CanonicalDump(), b.CanonicalDump());
}

TEST(ReviewTest, RefusesBadAnchorsAndChangesNothing) {
  Fixture f;
  Replica& b = f.b;
  const std::string before = b.CanonicalDump();
  EXPECT_FALSE(b.AddThread(Spec::OnField(f.goal, "no_such_field"), "x").ok());
  EXPECT_FALSE(b.AddThread(Spec::OnNode(OpId{9, 9}), "x").ok());
  EXPECT_FALSE(b.AddThread(Spec::OnNode(f.goal), "").ok());  // empty comment
  EXPECT_FALSE(b.AddThread(Spec::OnText(f.goal, "title", 3, 99), "x").ok());
  EXPECT_FALSE(b.AddThread(Spec::OnNode(f.goal), "x", {"Moss"}).ok());  // not user:/...
  EXPECT_FALSE(b.Reply(OpId{9, 9}, "x").ok());
  EXPECT_FALSE(b.SetThread(OpId{9, 9}, "resolved", FieldValue::Bool(true))
                   .ok());
  EXPECT_EQ(b.CanonicalDump(), before);
}

TEST(ReviewTest, RangeFollowsConcurrentEditsAndMoves) {
  Fixture f;
  // "Grønn vekst i regionen": the range is "vekst" (6..11).
  OpId thread = *f.b.AddThread(Spec::OnText(f.goal, "title", 6, 11), "Hvilken vekst?");
  // Concurrently: a inserts before the range and moves the goal under a
  // new chapter.
  ASSERT_TRUE(f.a.InsertText(f.goal, "title", 0, "Mål: ").ok());
  OpId chapter = *f.a.CreateNode(kRootNode, 0, "chapter");
  ASSERT_TRUE(f.a.MoveNode(f.goal, chapter, 0).ok());
  SyncBoth(&f.a, &f.b);
  for (Replica* r : {&f.a, &f.b}) {
    const Thread& t = *r->review().FindThread(thread);
    Replica::ThreadPlace place = r->LocateThread(t);
    EXPECT_FALSE(place.orphaned);
    const std::u32string text = *utf8::Decode(*r->Text(f.goal, "title"));
    EXPECT_EQ(utf8::Encode(text.substr(place.from, place.to - place.from)),
              "vekst");
    EXPECT_EQ(r->ParentOf(t.node), chapter);
  }
  EXPECT_EQ(f.a.CanonicalDump(), f.b.CanonicalDump());
}

TEST(ReviewTest, OrphanedThreadKeepsQuoteAndIsNotRevivedByNewText) {
  Fixture f;
  OpId thread = *f.b.AddThread(Spec::OnText(f.goal, "title", 6, 11), "Hvilken vekst?");
  Sync(f.b, &f.a);
  // Typing inside the range keeps it alive while old text remains.
  ASSERT_TRUE(f.a.InsertText(f.goal, "title", 8, "XX").ok());
  EXPECT_FALSE(f.a.LocateThread(*f.a.review().FindThread(thread)).orphaned);
  // Deleting all of it (old and new) orphans it.
  ASSERT_TRUE(f.a.DeleteText(f.goal, "title", 6, 7).ok());
  const Thread& t = *f.a.review().FindThread(thread);
  EXPECT_TRUE(f.a.LocateThread(t).orphaned);
  EXPECT_EQ(t.quote, "vekst");
  // New text typed where the range was does not bring it back.
  ASSERT_TRUE(f.a.InsertText(f.goal, "title", 6, "vekst").ok());
  EXPECT_TRUE(f.a.LocateThread(t).orphaned);
  SyncBoth(&f.a, &f.b);
  EXPECT_TRUE(f.b.LocateThread(*f.b.review().FindThread(thread)).orphaned);
}

TEST(ReviewTest, CellThreadOrphanedWhenRowDeleted) {
  Fixture f;
  Spec cell = Spec::OnCell(f.indicator, "values", f.row, f.column);
  OpId thread = *f.b.AddThread(cell, "Kilde?");
  EXPECT_FALSE(f.b.LocateThread(*f.b.review().FindThread(thread)).orphaned);
  ASSERT_TRUE(
      f.a.DeleteTableLine(f.indicator, "values", TableAxis::kRow, f.row).ok());
  Sync(f.a, &f.b);
  EXPECT_TRUE(f.b.LocateThread(*f.b.review().FindThread(thread)).orphaned);
}

TEST(ReviewTest, RepliesEditsDeletesOnlyByAuthorAndKeptInLog) {
  Fixture f;
  OpId thread = *f.b.AddThread(Spec::OnNode(f.goal), "Første");
  Sync(f.b, &f.a);
  OpId reply = *f.a.Reply(thread, "Svar fra Vestby", {"user:per"});
  Sync(f.a, &f.b);
  const Thread& t = *f.b.review().FindThread(thread);
  ASSERT_EQ(t.comments.size(), 2u);
  EXPECT_EQ(t.comments[1], reply);
  // Only the author may edit or delete.
  const std::string before = f.b.CanonicalDump();
  EXPECT_EQ(f.b.EditComment(reply, "kapret").code(),
            Status::Code::kInvalidArgument);
  EXPECT_FALSE(f.b.DeleteComment(reply).ok());
  EXPECT_EQ(f.b.CanonicalDump(), before);
  ASSERT_TRUE(f.b.EditComment(thread, "Første, rettet").ok());
  const Comment& c = *f.b.review().FindComment(thread);
  EXPECT_EQ(c.body, "Første, rettet");
  EXPECT_EQ(c.revisions, 1u);
  ASSERT_TRUE(f.a.DeleteComment(reply).ok());
  SyncBoth(&f.a, &f.b);
  EXPECT_TRUE(f.b.review().FindComment(reply)->deleted);
  // The earlier texts stay in the log for auditors.
  int bodies = 0;
  for (const Op& op : f.b.log()) {
    if (op.kind == OpKind::kAddComment && op.text == "Første") ++bodies;
    if (op.kind == OpKind::kAddComment && op.text == "Svar fra Vestby") ++bodies;
  }
  EXPECT_EQ(bodies, 2);
  EXPECT_EQ(f.a.CanonicalDump(), f.b.CanonicalDump());
}

TEST(ReviewTest, ResolveAssignDueAndReadMarks) {
  Fixture f;
  OpId thread = *f.b.AddThread(Spec::OnField(f.measure, "deadline"), "Frist?");
  ASSERT_TRUE(f.b.SetThread(thread, "assignee",
                            FieldValue::String("municipality:Vestby"))
                  .ok());
  ASSERT_TRUE(
      f.b.SetThread(thread, "due", FieldValue::Date("2026-12-31")).ok());
  EXPECT_FALSE(
      f.b.SetThread(thread, "assignee", FieldValue::String("Vestby")).ok());
  EXPECT_FALSE(f.b.SetThread(thread, "color", FieldValue::Bool(true)).ok());
  Sync(f.b, &f.a);
  ASSERT_TRUE(f.a.MarkRead(thread).ok());
  ASSERT_TRUE(f.a.SetThread(thread, "resolved", FieldValue::Bool(true)).ok());
  // Concurrent reopen by b: both values are kept, one wins everywhere.
  ASSERT_TRUE(f.b.SetThread(thread, "resolved", FieldValue::Bool(false)).ok());
  SyncBoth(&f.a, &f.b);
  const Thread& ta = *f.a.review().FindThread(thread);
  const Thread& tb = *f.b.review().FindThread(thread);
  EXPECT_EQ(ta.resolved.entries().size(), 2u);
  EXPECT_EQ(ta.IsResolved(), tb.IsResolved());
  EXPECT_EQ(ta.assignee.winner().value.s, "municipality:Vestby");
  EXPECT_EQ(ta.read.at("ola"), tb.read.at("ola"));
  ASSERT_TRUE(f.a.SetThread(thread, "resolved", FieldValue::Bool(true)).ok());
  Sync(f.a, &f.b);
  EXPECT_TRUE(f.b.review().FindThread(thread)->IsResolved());
  EXPECT_EQ(f.b.review().FindThread(thread)->resolved.entries().size(), 1u);
}

TEST(ReviewTest, SuggestionsChangeNothingUntilAccepted) {
  Fixture f;
  const std::string title = *f.a.Text(f.goal, "title");
  OpId text = *f.b.SuggestText(f.goal, "title", 0, 5, "Bærekraftig");
  OpId field = *f.b.SuggestField(f.measure, "deadline",
                                 FieldValue::Date("2027-12-31"));
  OpId cell = *f.b.SuggestCell(f.indicator, "values", f.row, f.column,
                               FieldValue::Int(4));
  OpId node = *f.b.SuggestNode(f.goal, 1, "measure", "Nytt tiltak");
  OpId del = *f.b.SuggestDelete(f.measure);
  OpId move = *f.b.SuggestMove(f.indicator, f.goal, 0);
  EXPECT_EQ(*f.b.Text(f.goal, "title"), title);
  EXPECT_EQ(f.b.Children(f.goal).size(), 1u);
  Sync(f.b, &f.a);
  EXPECT_EQ(f.a.review().suggestions().size(), 6u);
  for (const auto& [id, s] : f.a.review().suggestions()) {
    EXPECT_FALSE(f.a.CheckSuggestion(s).stale) << id.ToString();
  }
  // The editor accepts four and rejects the delete with a reason.
  for (OpId id : {text, field, cell, node}) {
    Status s = f.a.AcceptSuggestion(id);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  ASSERT_TRUE(f.a.RejectSuggestion(del, "Tiltaket beholdes").ok());
  ASSERT_TRUE(f.a.AcceptSuggestion(move).ok());
  EXPECT_EQ(*f.a.Text(f.goal, "title"), "Bærekraftig vekst i regionen");
  EXPECT_EQ(f.a.Field(f.measure, "deadline")->value.s, "2027-12-31");
  EXPECT_EQ(f.a.ParentOf(f.indicator), f.goal);
  const std::vector<OpId> kids = f.a.Children(f.goal);
  ASSERT_EQ(kids.size(), 3u);
  EXPECT_EQ(*f.a.Text(kids[2], "title"), "Nytt tiltak");
  EXPECT_FALSE(f.a.IsDeleted(f.measure));
  // Dual attribution: the accept names the edits made by the acceptor.
  const Suggestion& s = *f.a.review().FindSuggestion(text);
  EXPECT_EQ(s.status, SuggestionStatus::kAccepted);
  EXPECT_EQ(s.decided_by.user, "ola");
  EXPECT_EQ(s.op.author.user, "per");
  ASSERT_EQ(s.applied.size(), 1u);
  EXPECT_EQ(s.applied[0].replica, 1u);
  int applied_ops = 0;
  for (const Op& op : f.a.log()) {
    const IdSpan& sp = s.applied[0];
    if (op.id.replica == sp.replica && op.id.counter >= sp.counter &&
        op.id.counter < sp.counter + sp.length) {
      EXPECT_EQ(op.author.user, "ola");
      EXPECT_FALSE(IsReviewKind(op.kind));
      ++applied_ops;
    }
  }
  EXPECT_GE(applied_ops, 1);
  EXPECT_EQ(f.a.review().FindSuggestion(del)->reason, "Tiltaket beholdes");
  EXPECT_EQ(f.a.review().FindSuggestion(del)->status,
            SuggestionStatus::kRejected);
  // Decided is decided.
  EXPECT_EQ(f.a.AcceptSuggestion(text).code(),
            Status::Code::kFailedPrecondition);
  EXPECT_FALSE(f.a.RejectSuggestion(text, "nei").ok());
  SyncBoth(&f.a, &f.b);
  EXPECT_EQ(f.a.CanonicalDump(), f.b.CanonicalDump());
}

TEST(ReviewTest, StaleSuggestionNeedsExplicitAccept) {
  Fixture f;
  OpId field = *f.b.SuggestField(f.measure, "deadline",
                                 FieldValue::Date("2027-12-31"));
  OpId text = *f.b.SuggestText(f.goal, "title", 6, 5, "utvikling");
  Sync(f.b, &f.a);
  // The targets change after the suggestions were made.
  ASSERT_TRUE(
      f.a.SetField(f.measure, "deadline", FieldValue::Date("2028-01-01")).ok());
  ASSERT_TRUE(f.a.InsertText(f.goal, "title", 8, "!!").ok());
  const Replica::SuggestionCheck c1 =
      f.a.CheckSuggestion(*f.a.review().FindSuggestion(field));
  EXPECT_TRUE(c1.stale);
  EXPECT_NE(c1.change.find("deadline"), std::string::npos) << c1.change;
  EXPECT_EQ(c1.now.s, "2028-01-01");
  const Replica::SuggestionCheck c2 =
      f.a.CheckSuggestion(*f.a.review().FindSuggestion(text));
  EXPECT_TRUE(c2.stale);
  EXPECT_NE(c2.change.find("ve!!kst"), std::string::npos) << c2.change;
  const std::string before = f.a.CanonicalDump();
  EXPECT_EQ(f.a.AcceptSuggestion(field).code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(f.a.CanonicalDump(), before);
  ASSERT_TRUE(f.a.AcceptSuggestion(field, /*accept_stale=*/true).ok());
  EXPECT_EQ(f.a.Field(f.measure, "deadline")->value.s, "2027-12-31");
  EXPECT_TRUE(f.a.review().FindSuggestion(field)->stale_accepted);
  ASSERT_TRUE(f.a.AcceptSuggestion(text, true).ok());
  EXPECT_EQ(*f.a.Text(f.goal, "title"), "Grønn utvikling i regionen");
}

TEST(ReviewTest, ConcurrentAcceptAndRejectConvergeToAccepted) {
  Fixture f;
  OpId s = *f.b.SuggestField(f.measure, "done", FieldValue::Bool(true));
  Replica c(3);
  c.SetAuthor(Who("anne", "Moss"));
  Sync(f.a, &c);
  Sync(f.b, &c);
  Sync(f.b, &f.a);
  ASSERT_TRUE(f.a.AcceptSuggestion(s).ok());
  ASSERT_TRUE(c.RejectSuggestion(s, "Nei").ok());
  Sync(c, &f.a);
  Sync(f.a, &c);
  for (Replica* r : {&f.a, &c}) {
    EXPECT_EQ(r->review().FindSuggestion(s)->status,
              SuggestionStatus::kAccepted);
  }
  EXPECT_EQ(f.a.CanonicalDump(), c.CanonicalDump());
}

TEST(ReviewTest, ApprovalBecomesOutdatedByALaterEditInside) {
  Fixture f;
  OpId other = *f.a.CreateNode(kRootNode, 2, "goal");
  ASSERT_TRUE(f.a.Approve(f.goal, "Vestby").ok());
  auto approval = [&](const Replica& r) {
    return r.review().approvals().at({f.goal, "Vestby"});
  };
  EXPECT_FALSE(f.a.ApprovalOutdated(approval(f.a)));
  // Edits outside the subtree leave it current.
  ASSERT_TRUE(f.a.InsertText(other, "title", 0, "Annet mål").ok());
  EXPECT_FALSE(f.a.ApprovalOutdated(approval(f.a)));
  // A concurrent edit inside (b had not seen the approval) outdates it.
  ASSERT_TRUE(
      f.b.SetField(f.measure, "deadline", FieldValue::Date("2029-01-01")).ok());
  SyncBoth(&f.a, &f.b);
  OpId edit;
  EXPECT_TRUE(f.a.ApprovalOutdated(approval(f.a), &edit));
  EXPECT_EQ(edit.replica, 2u);
  EXPECT_TRUE(f.b.ApprovalOutdated(approval(f.b)));
  // Approving again covers it.
  ASSERT_TRUE(f.a.Approve(f.goal, "Vestby").ok());
  EXPECT_FALSE(f.a.ApprovalOutdated(approval(f.a)));
  // Moving a node out of the subtree outdates it too; so does typing.
  ASSERT_TRUE(f.a.MoveNode(f.measure, other, 0).ok());
  EXPECT_TRUE(f.a.ApprovalOutdated(approval(f.a)));
  ASSERT_TRUE(f.a.Approve(f.goal, "Vestby").ok());
  ASSERT_TRUE(f.a.InsertText(f.goal, "title", 0, "x").ok());
  EXPECT_TRUE(f.a.ApprovalOutdated(approval(f.a)));
  ASSERT_TRUE(f.a.RevokeApproval(f.goal, "Vestby").ok());
  EXPECT_TRUE(approval(f.a).revoked);
}

TEST(ReviewTest, SnapshotKeepsReviewStateAndAuthors) {
  Fixture f;
  OpId thread = *f.b.AddThread(Spec::OnText(f.goal, "title", 0, 5), "Hmm", {"user:ola"});
  ASSERT_TRUE(f.b.Reply(thread, "Ja").ok());
  ASSERT_TRUE(f.b.SuggestField(f.measure, "cost", FieldValue::Number(2.5)).ok());
  Sync(f.b, &f.a);
  ASSERT_TRUE(f.a.Approve(f.goal, "Vestby").ok());
  ASSERT_TRUE(f.a.SetField(f.measure, "cost", FieldValue::Number(3)).ok());
  ASSERT_TRUE(f.a.MarkRead(thread).ok());
  const std::string bytes = f.a.EncodeSnapshot();
  Result<std::unique_ptr<Replica>> loaded = Replica::DecodeSnapshot(bytes, 7);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->CanonicalDump(), f.a.CanonicalDump());
  EXPECT_EQ((*loaded)->EncodeSnapshot(), bytes);
  EXPECT_EQ((*loaded)->Field(f.measure, "cost")->value.d, 3);
  EXPECT_EQ((*loaded)->Field(f.measure, "deadline")->winner,
            f.a.Field(f.measure, "deadline")->winner);
  auto* reg = &(*loaded)->review().FindThread(thread)->resolved;
  EXPECT_TRUE(reg->empty());
  const auto& ap = (*loaded)->review().approvals().at({f.goal, "Vestby"});
  EXPECT_TRUE((*loaded)->ApprovalOutdated(ap));
  // Authors of register entries survive.
  Result<FieldRead> cost = (*loaded)->Field(f.measure, "cost");
  EXPECT_EQ(cost->conflicts.size(), 0u);
  // Keeps syncing after the load.
  Replica& l = **loaded;
  l.SetAuthor(Who("anne", "Moss"));
  ASSERT_TRUE(l.Reply(thread, "Fra snapshot").ok());
  Sync(l, &f.a);
  EXPECT_EQ(f.a.review().FindThread(thread)->comments.size(), 3u);
}

TEST(ReviewTest, EveryReviewKindSurvivesTheBinaryEncoding) {
  Fixture f;
  OpId thread = *f.b.AddThread(Spec::OnText(f.goal, "title", 0, 5), "a", {"user:ola"});
  ASSERT_TRUE(f.b.Reply(thread, "b").ok());
  ASSERT_TRUE(f.b.EditComment(thread, "c").ok());
  ASSERT_TRUE(f.b.SetThread(thread, "due", FieldValue::Date("2027-01-01")).ok());
  ASSERT_TRUE(f.b.MarkRead(thread).ok());
  OpId s = *f.b.SuggestText(f.goal, "title", 2, 0, "x");
  ASSERT_TRUE(f.b.SuggestCell(f.indicator, "values", f.row, f.column,
                              FieldValue::Int(1)).ok());
  ASSERT_TRUE(f.b.SuggestField(f.measure, "done", FieldValue::Bool(true)).ok());
  ASSERT_TRUE(f.b.SuggestMove(f.indicator, f.goal, 0).ok());
  ASSERT_TRUE(f.b.SuggestDelete(f.measure).ok());
  ASSERT_TRUE(f.b.SuggestNode(kRootNode, 0, "goal", "Nytt").ok());
  ASSERT_TRUE(f.b.AcceptSuggestion(s).ok());
  ASSERT_TRUE(f.b.Approve(f.goal, "Moss").ok());
  ASSERT_TRUE(f.b.RevokeApproval(f.goal, "Moss").ok());
  ASSERT_TRUE(f.b.DeleteComment(thread).ok());
  std::vector<Op> ops;
  ASSERT_TRUE(f.b.OpsSince(f.a.version(), &ops).ok());
  std::vector<Op> decoded;
  ASSERT_TRUE(DecodeOps(EncodeOps(ops), &decoded).ok());
  EXPECT_EQ(decoded, ops);
  std::set<OpKind> kinds;
  for (const Op& op : ops) kinds.insert(op.kind);
  for (uint8_t k = 10; k <= kMaxOpKind; ++k) {
    if (static_cast<OpKind>(k) == OpKind::kRejectSuggestion) continue;
    EXPECT_TRUE(kinds.count(static_cast<OpKind>(k))) << int(k);
  }
  for (const Op& op : ops) {
    Status check = f.a.CheckRemoteOp(op, f.a.max_lamport() + 100);
    ASSERT_TRUE(check.ok()) << check.ToString();
    ASSERT_TRUE(f.a.Apply(op).ok());
  }
  EXPECT_EQ(f.a.CanonicalDump(), f.b.CanonicalDump());
}

TEST(ReviewTest, ShapeChecksRefuseMalformedReviewOps) {
  Fixture f;
  Op base;
  base.id = OpId{5, 1};
  base.lamport = 100;
  auto refused = [&](Op op) { return !CheckOpShape(op).ok(); };
  Op c = base;
  c.kind = OpKind::kAddComment;
  c.node = f.goal;
  c.text = "ok";
  EXPECT_FALSE(refused(c));
  Op x = c;
  x.text.clear();
  EXPECT_TRUE(refused(x));
  x = c;
  x.text.assign(kMaxCommentBytes + 1, 'a');
  EXPECT_TRUE(refused(x));
  x = c;
  x.left = OpId{1, 3};  // a range needs both ends
  EXPECT_TRUE(refused(x));
  x = c;
  x.spans = {IdSpan{1, 1, 1}};  // not used by the kind
  EXPECT_TRUE(refused(x));
  x = c;
  x.value = FieldValue::StringList({"root"});
  EXPECT_TRUE(refused(x));
  Op a = base;
  a.kind = OpKind::kAcceptSuggestion;
  a.target = OpId{2, 3};
  a.spans = {IdSpan{4, 1, 1}};  // another replica's ops
  EXPECT_TRUE(refused(a));
  a.spans = {IdSpan{5, 1, 5}};  // reaches this op and past it
  EXPECT_TRUE(refused(a));
  Op ap = base;
  ap.kind = OpKind::kApprove;
  ap.node = f.goal;
  ap.name = "Moss";
  ap.spans = {IdSpan{2, 1, 3}, IdSpan{1, 1, 3}};  // not in replica order
  EXPECT_TRUE(refused(ap));
  Op st = base;
  st.kind = OpKind::kSetThread;
  st.target = OpId{2, 3};
  st.name = "resolved";
  st.value = FieldValue::String("yes");
  EXPECT_TRUE(refused(st));
}

// Randomized: three replicas make review and content edits, partitioned and
// rejoined at random; after a full sync all are identical and consistent.
TEST(ReviewTest, RandomizedReviewConvergence) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    Fixture f;
    Replica c(3);
    c.SetAuthor(Who("anne", "Moss"));
    Sync(f.a, &c);
    std::vector<Replica*> rs{&f.a, &f.b, &c};
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    for (int step = 0; step < 150; ++step) {
      Replica& r = *rs[pick(3)];
      const ReviewState& rv = r.review();
      auto any_thread = [&]() -> OpId {
        if (rv.threads().empty()) return kNullId;
        auto it = rv.threads().begin();
        std::advance(it, pick(rv.threads().size()));
        return it->first;
      };
      auto any_suggestion = [&]() -> OpId {
        if (rv.suggestions().empty()) return kNullId;
        auto it = rv.suggestions().begin();
        std::advance(it, pick(rv.suggestions().size()));
        return it->first;
      };
      const size_t len = r.Text(f.goal, "title")->size();  // bytes >= cps
      const size_t cps = r.TextOf(f.goal, "title")
                             ? r.TextOf(f.goal, "title")->size()
                             : 0;
      (void)len;
      switch (pick(12)) {
        case 0:
          if (cps > 2) {
            const size_t from = pick(cps - 1);
            (void)r.AddThread(Spec::OnText(f.goal, "title", from, from + 1 + pick(2)),
                              "k");
          }
          break;
        case 1:
          if (OpId t = any_thread(); !t.IsNull()) (void)r.Reply(t, "r");
          break;
        case 2:
          if (OpId t = any_thread(); !t.IsNull()) {
            (void)r.SetThread(t, "resolved", FieldValue::Bool(pick(2)));
          }
          break;
        case 3:
          (void)r.InsertText(f.goal, "title", pick(cps + 1), "ab");
          break;
        case 4:
          if (cps > 3) (void)r.DeleteText(f.goal, "title", pick(cps - 2), 2);
          break;
        case 5:
          if (cps > 3) {
            (void)r.SuggestText(f.goal, "title", pick(cps - 2), 2, "s");
          }
          break;
        case 6:
          (void)r.SuggestField(f.measure, "year",
                               FieldValue::Int(2020 + pick(10)));
          break;
        case 7:
          if (OpId s = any_suggestion(); !s.IsNull()) {
            (void)r.AcceptSuggestion(s, pick(2));
          }
          break;
        case 8:
          if (OpId s = any_suggestion(); !s.IsNull()) {
            (void)r.RejectSuggestion(s, "nei");
          }
          break;
        case 9:
          (void)r.Approve(pick(2) ? f.goal : f.measure, "Moss");
          break;
        case 10:
          (void)r.SetField(f.measure, "year", FieldValue::Int(2000 + pick(9)));
          break;
        case 11: {
          Replica& other = *rs[pick(3)];
          if (&other != &r) Sync(r, &other);
          break;
        }
      }
    }
    for (int round = 0; round < 2; ++round) {
      for (Replica* x : rs) {
        for (Replica* y : rs) {
          if (x != y) Sync(*x, y);
        }
      }
    }
    for (Replica* r : rs) {
      ASSERT_TRUE(r->CheckInvariants().ok()) << seed;
      ASSERT_EQ(r->CanonicalDump(), f.a.CanonicalDump()) << seed;
      for (const auto& [id, t] : r->review().threads()) {
        const Replica::ThreadPlace p1 = r->LocateThread(t);
        const Replica::ThreadPlace p2 =
            f.a.LocateThread(*f.a.review().FindThread(id));
        ASSERT_EQ(p1.orphaned, p2.orphaned);
        ASSERT_EQ(p1.from, p2.from);
      }
      for (const auto& [key, ap] : r->review().approvals()) {
        ASSERT_EQ(r->ApprovalOutdated(ap),
                  f.a.ApprovalOutdated(f.a.review().approvals().at(key)));
      }
    }
    Result<std::unique_ptr<Replica>> loaded =
        Replica::DecodeSnapshot(f.b.EncodeSnapshot(), 9);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    ASSERT_EQ((*loaded)->CanonicalDump(), f.b.CanonicalDump());
  }
}

}  // namespace
}  // namespace samplan
