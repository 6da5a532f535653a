// Review rights and review convergence through the real `samplan serve`
// (issue 9):
//  - the rights table: for each role (viewer, auditor, reviewer, editor,
//    admin) every review operation kind is tried and must be acknowledged
//    or refused with `forbidden` exactly as docs/protocol.md says;
//  - a seeded randomized test in which members of every role make random
//    content edits and review operations (threads, replies, edits, thread
//    attributes, read marks, suggestions of every kind, accepts - stale
//    ones too - rejects, approvals and revocations) concurrently; at the
//    end every client, a fresh client and the server (its plan state and
//    its review views) are identical.
//
// Bounded: every wait has a timeout; the randomized test stops starting
// rounds after a time budget (SAMPLAN_LONG=1: more rounds). Never asserts
// wall-clock times.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "crdt/utf8.h"
#include "protocol/json_codec.h"
#include "protocol/plan_state.h"
#include "protocol/review_json.h"
#include "tests/server_harness.h"

namespace samplan::testing {
namespace {

constexpr char kPlan[] = "demo";
const Ms kWait(10000);

struct User {
  const char* name;
  const char* municipality;
  Role role;
};

// A member of the demo plan whose local ops carry its author slots (see
// review_test.cc).
std::unique_ptr<Editor> Member(ServerFixture& f, const User& u) {
  auto e = std::make_unique<Editor>(f.server.port(), f.Token(u.name, u.municipality, u.role));
  if (!e->Open()) return nullptr;
  if (e->Join(kPlan)["type"] != "joined") return nullptr;
  e->replica().SetAuthor(Author{u.name, u.municipality, 0});
  return e;
}

bool WaitAnswered(Editor& e) {
  return e.PumpUntil([&] { return e.acks() + e.errors().size() >= e.sent_batches(); }, kWait);
}

std::vector<OpId> ChildrenOfKind(const Replica& r, OpId parent, const std::string& kind) {
  std::vector<OpId> out;
  for (OpId c : r.Children(parent)) {
    if (r.KindOf(c) == kind) out.push_back(c);
  }
  return out;
}

OpId MeasureOf(const Replica& r, OpId goal, const std::string& municipality) {
  for (OpId m : ChildrenOfKind(r, goal, "measure")) {
    Result<FieldRead> owner = r.Field(m, "owner");
    if (owner.ok() && owner->value.list == std::vector<std::string>{municipality}) return m;
  }
  return kNullId;
}

Status Made(Result<OpId> r, OpId* out = nullptr) {
  if (!r.ok()) return r.status();
  if (out != nullptr) *out = *r;
  return Status::OK();
}

// ---- the rights table ------------------------------------------------------

TEST(ReviewRightsTest, EachRoleMayDoExactlyWhatTheRulesSay) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  const User kRoles[] = {{"vera", "Våler", Role::kViewer},
                         {"audun", "Våler", Role::kAuditor},
                         {"per", "Vestby", Role::kReviewer},
                         {"anne", "Moss", Role::kEditor},
                         {"kari", "Moss", Role::kAdmin}};
  constexpr size_t kN = std::size(kRoles);
  // The setup, by an admin: a thread, and per role a suggestion to accept,
  // one to reject (both on the joint goal 1) and one on Vestby's measure.
  auto setup = Member(f, User{"sys", "Moss", Role::kAdmin});
  ASSERT_TRUE(setup);
  Replica& s = setup->replica();
  const OpId goal1 = ChildrenOfKind(s, kRootNode, "goal")[0];
  const OpId goal2 = ChildrenOfKind(s, kRootNode, "goal")[1];
  const OpId sub = ChildrenOfKind(s, goal1, "subgoal")[0];
  const OpId vestby = MeasureOf(s, goal1, "Vestby");
  const OpId indicator = ChildrenOfKind(s, kRootNode, "indicator")[0];
  ASSERT_FALSE(vestby.IsNull());
  const Table* table = s.TableOf(indicator, "values");
  ASSERT_NE(table, nullptr);
  const OpId row = table->VisibleLines(TableAxis::kRow)[0];
  const OpId col = table->VisibleLines(TableAxis::kColumn)[0];
  OpId thread;
  ASSERT_TRUE(setup->Edit([&](Replica& r) {
    return Made(r.AddThread(Replica::ThreadAnchorSpec::OnNode(goal1), "Felles tråd"), &thread);
  }));
  OpId to_accept[kN], to_reject[kN], foreign[kN];
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_TRUE(setup->Edit([&](Replica& r) {
      return Made(r.SuggestText(goal1, "body", 0, 0, "A" + std::to_string(i) + " "),
                  &to_accept[i]);
    }));
    ASSERT_TRUE(setup->Edit([&](Replica& r) {
      return Made(r.SuggestText(goal1, "body", 0, 0, "R" + std::to_string(i) + " "),
                  &to_reject[i]);
    }));
    ASSERT_TRUE(setup->Edit([&](Replica& r) {
      return Made(r.SuggestText(vestby, "title", 0, 0, "V" + std::to_string(i) + " "),
                  &foreign[i]);
    }));
  }
  ASSERT_TRUE(WaitAnswered(*setup));
  ASSERT_TRUE(setup->errors().empty()) << setup->errors()[0].dump();

  // Allowed for viewer, auditor, reviewer, editor (Moss), admin.
  struct Action {
    const char* what;
    bool allowed[kN];
    bool needs_own_comment;
    std::function<Status(Replica&, size_t role, OpId own)> run;
  };
  const std::vector<Action> actions = {
      {"add_comment (new thread)", {false, false, true, true, true}, false,
       [&](Replica& r, size_t, OpId) {
         return Made(r.AddThread(Replica::ThreadAnchorSpec::OnField(goal1, "target_year"), "Ny"));
       }},
      {"add_comment (reply)", {false, false, true, true, true}, false,
       [&](Replica& r, size_t, OpId) { return Made(r.Reply(thread, "Svar")); }},
      {"edit_comment (own)", {false, false, true, true, true}, true,
       [&](Replica& r, size_t, OpId own) { return r.EditComment(own, "Rettet"); }},
      {"delete_comment (own)", {false, false, true, true, true}, true,
       [&](Replica& r, size_t, OpId own) { return r.DeleteComment(own); }},
      {"set_thread resolved", {false, false, false, true, true}, false,
       [&](Replica& r, size_t, OpId) { return r.SetThread(thread, "resolved", FieldValue::Bool(true)); }},
      {"set_thread reopen", {false, false, false, true, true}, false,
       [&](Replica& r, size_t, OpId) { return r.SetThread(thread, "resolved", FieldValue::Bool(false)); }},
      {"set_thread assignee", {false, false, true, true, true}, false,
       [&](Replica& r, size_t, OpId) {
         return r.SetThread(thread, "assignee", FieldValue::String("municipality:Råde"));
       }},
      {"set_thread due", {false, false, true, true, true}, false,
       [&](Replica& r, size_t, OpId) { return r.SetThread(thread, "due", FieldValue::Date("2027-03-01")); }},
      {"mark_read", {true, true, true, true, true}, false,
       [&](Replica& r, size_t, OpId) { return r.MarkRead(thread); }},
      {"suggest_text", {false, false, true, true, true}, false,
       [&](Replica& r, size_t, OpId) { return Made(r.SuggestText(goal1, "title", 0, 3, "Vi")); }},
      {"suggest_field", {false, false, true, true, true}, false,
       [&](Replica& r, size_t, OpId) {
         return Made(r.SuggestField(goal1, "target_year", FieldValue::Int(2030)));
       }},
      {"suggest_cell", {false, false, true, true, true}, false,
       [&](Replica& r, size_t, OpId) {
         return Made(r.SuggestCell(indicator, "values", row, col, FieldValue::Number(7)));
       }},
      {"suggest_node", {false, false, true, true, true}, false,
       [&](Replica& r, size_t, OpId) { return Made(r.SuggestNode(goal1, 0, "subgoal", "Nytt")); }},
      {"suggest_move", {false, false, true, true, true}, false,
       [&](Replica& r, size_t, OpId) { return Made(r.SuggestMove(sub, goal2, 0)); }},
      {"suggest_delete", {false, false, true, true, true}, false,
       [&](Replica& r, size_t, OpId) { return Made(r.SuggestDelete(sub)); }},
      {"accept_suggestion (joint part)", {false, false, false, true, true}, false,
       [&](Replica& r, size_t i, OpId) { return r.AcceptSuggestion(to_accept[i]); }},
      {"reject_suggestion (joint part)", {false, false, false, true, true}, false,
       [&](Replica& r, size_t i, OpId) { return r.RejectSuggestion(to_reject[i], "Nei"); }},
      {"accept_suggestion (Vestby's part)", {false, false, false, false, true}, false,
       [&](Replica& r, size_t i, OpId) { return r.AcceptSuggestion(foreign[i]); }},
      {"approve (own municipality, joint part)", {false, false, false, true, true}, false,
       [&](Replica& r, size_t i, OpId) { return r.Approve(goal1, kRoles[i].municipality); }},
      {"revoke_approval (own municipality)", {false, false, false, true, true}, false,
       [&](Replica& r, size_t i, OpId) { return r.RevokeApproval(goal1, kRoles[i].municipality); }},
      {"approve (another municipality)", {false, false, false, false, true}, false,
       [&](Replica& r, size_t, OpId) { return r.Approve(goal1, "Råde"); }},
      {"approve (own municipality, Vestby's part)", {false, false, false, false, true}, false,
       [&](Replica& r, size_t i, OpId) { return r.Approve(vestby, kRoles[i].municipality); }},
      {"insert_text (content)", {false, false, false, true, true}, false,
       [&](Replica& r, size_t, OpId) { return r.InsertText(goal1, "title", 0, "x"); }},
  };

  size_t acked = 0, refused = 0;
  for (size_t i = 0; i < kN; ++i) {
    const User& u = kRoles[i];
    std::unique_ptr<Editor> e;
    OpId own;  // a comment of this user (from the new-thread action)
    for (const Action& a : actions) {
      SCOPED_TRACE(std::string(RoleName(u.role)) + " " + u.name + ": " + a.what);
      if (a.needs_own_comment && own.IsNull()) {
        EXPECT_FALSE(a.allowed[i]) << "no own comment to try it on";
        continue;
      }
      if (!e) {
        e = Member(f, u);
        ASSERT_TRUE(e);
      }
      const size_t sent = e->sent_batches();
      ASSERT_TRUE(e->Edit([&](Replica& r) { return a.run(r, i, own); }))
          << "the local core refused it";
      ASSERT_EQ(e->sent_batches(), sent + 1);
      ASSERT_TRUE(WaitAnswered(*e));
      if (a.allowed[i]) {
        EXPECT_TRUE(e->errors().empty()) << e->errors()[0].dump();
        ++acked;
        if (std::string(a.what) == "add_comment (new thread)" && e->errors().empty()) {
          own = e->replica().log().back().id;
        }
      } else {
        ASSERT_EQ(e->errors().size(), 1u) << "acknowledged";
        EXPECT_EQ(e->errors()[0]["code"], "forbidden") << e->errors()[0].dump();
        ++refused;
      }
      // A refused op stays in the client's replica only: start afresh.
      if (!e->errors().empty()) e.reset();
    }
  }
  EXPECT_GT(acked, 40u);
  EXPECT_GT(refused, 40u);
  // Nothing refused reached anyone: a fresh member's review state holds
  // exactly what was acknowledged.
  auto viewer = Member(f, User{"vilde", "Råde", Role::kViewer});
  ASSERT_TRUE(viewer);
  const ReviewState& review = viewer->replica().review();
  EXPECT_EQ(review.FindSuggestion(foreign[4])->status, SuggestionStatus::kAccepted);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(review.FindSuggestion(foreign[i])->status, SuggestionStatus::kOpen) << i;
  }
  for (size_t i = 0; i < kN; ++i) {
    const bool decides = kRoles[i].role == Role::kEditor || kRoles[i].role == Role::kAdmin;
    EXPECT_EQ(review.FindSuggestion(to_accept[i])->status,
              decides ? SuggestionStatus::kAccepted : SuggestionStatus::kOpen);
    EXPECT_EQ(review.FindSuggestion(to_reject[i])->status,
              decides ? SuggestionStatus::kRejected : SuggestionStatus::kOpen);
  }
  size_t approvals = 0;  // of this test's parts (the demo plan has its own)
  for (const auto& [key, a] : review.approvals()) {
    if (!a.revoked && (a.node == goal1 || a.node == vestby)) {
      ++approvals;
      EXPECT_EQ(a.author.user, "kari") << a.municipality;
    }
  }
  EXPECT_EQ(approvals, 2u);  // the admin's for Råde and on Vestby's measure
  // Read marks of every role were kept (each reads).
  EXPECT_EQ(review.FindThread(thread)->read.size(), kN);
}

// ---- randomized convergence with review operations -------------------------

bool LongRun() {
  const char* v = std::getenv("SAMPLAN_LONG");
  return v != nullptr && std::string(v) == "1";
}

template <typename T>
const T& Pick(const std::vector<T>& v, std::mt19937& rng) {
  return v[rng() % v.size()];
}

// The first text field of `node`'s kind ("" when none).
std::string FirstText(const Replica& r, OpId node) {
  const KindSchema* k = r.schema().Find(r.KindOf(node));
  return k == nullptr || k->texts.empty() ? "" : *k->texts.begin();
}

size_t TextSize(const Replica& r, OpId node, const std::string& field) {
  const TextSequence* t = r.TextOf(node, field);
  return t == nullptr ? 0 : t->size();
}

// One random content edit or review op as `user`; false when the core
// refused it (nothing was logged then).
bool RandomOp(Replica& r, std::mt19937& rng, const User& user) {
  std::vector<OpId> nodes = LiveNodes(r);
  nodes.erase(std::remove(nodes.begin(), nodes.end(), kTrashNode), nodes.end());
  const OpId node = Pick(nodes, rng);
  const std::string text = FirstText(r, node);
  const size_t size = text.empty() ? 0 : TextSize(r, node, text);
  const ReviewState& review = r.review();
  std::vector<OpId> threads, own_comments, open_suggestions;
  for (const auto& [id, t] : review.threads()) threads.push_back(id);
  for (const auto& [id, c] : review.comments()) {
    if (c.author.user == user.name && !c.deleted) own_comments.push_back(id);
  }
  for (const auto& [id, s] : review.suggestions()) {
    if (s.status == SuggestionStatus::kOpen) open_suggestions.push_back(id);
  }
  const char* words[] = {"å", "Vestby ", "😀", "Moss ", "ø", "tiltak "};
  const std::string word = words[rng() % std::size(words)];
  const int dice = static_cast<int>(rng() % 100);
  const bool edits = user.role == Role::kEditor || user.role == Role::kAdmin;
  if (dice < 15 && edits) {  // content
    const int c = static_cast<int>(rng() % 10);
    if (c < 5 && !text.empty()) return r.InsertText(node, text, rng() % (size + 1), word).ok();
    if (c < 7 && size > 0) {
      const size_t pos = rng() % size;
      return r.DeleteText(node, text, pos, 1 + rng() % std::min<size_t>(3, size - pos)).ok();
    }
    if (c < 8 && r.KindOf(node) == "goal") {
      return r.SetField(node, "target_year", FieldValue::Int(2026 + rng() % 5)).ok();
    }
    if (c < 9 && r.KindOf(node) == "subgoal") {
      const std::vector<OpId> goals = ChildrenOfKind(r, kRootNode, "goal");
      return r.MoveNode(node, Pick(goals, rng), 0).ok();
    }
    if (r.KindOf(node) == "measure" || r.KindOf(node) == "subgoal") return r.DeleteNode(node).ok();
    return false;
  }
  if (dice < 27) {  // a new thread, anchored at random
    const int a = static_cast<int>(rng() % 4);
    Replica::ThreadAnchorSpec spec = Replica::ThreadAnchorSpec::OnNode(node);
    if (a == 1 && size > 0) {
      const size_t from = rng() % size;
      spec = Replica::ThreadAnchorSpec::OnText(node, text, from,
                                               from + 1 + rng() % std::min<size_t>(8, size - from));
    } else if (a == 2 && r.KindOf(node) == "indicator") {
      const Table* t = r.TableOf(node, "values");
      if (t == nullptr) return false;
      const std::vector<OpId> rows = t->VisibleLines(TableAxis::kRow);
      const std::vector<OpId> cols = t->VisibleLines(TableAxis::kColumn);
      if (rows.empty() || cols.empty()) return false;
      spec = Replica::ThreadAnchorSpec::OnCell(node, "values", Pick(rows, rng), Pick(cols, rng));
    } else if (a == 3) {
      spec = Replica::ThreadAnchorSpec::OnField(node, "status");
    }
    std::vector<std::string> mentions;
    if (rng() % 2) mentions.push_back(rng() % 2 ? "user:anne" : "municipality:Vestby");
    return r.AddThread(spec, "Tråd " + word, mentions).ok();
  }
  if (dice < 35 && !threads.empty()) return r.Reply(Pick(threads, rng), "Svar " + word).ok();
  if (dice < 40 && !own_comments.empty()) {
    const OpId c = Pick(own_comments, rng);
    return rng() % 3 ? r.EditComment(c, "Rettet " + word).ok() : r.DeleteComment(c).ok();
  }
  if (dice < 48 && !threads.empty()) {
    const OpId t = Pick(threads, rng);
    switch (rng() % 3) {
      case 0:
        return r.SetThread(t, "resolved", FieldValue::Bool(rng() % 2)).ok();
      case 1:
        return r.SetThread(t, "assignee",
                           rng() % 3 ? FieldValue::String(rng() % 2 ? "user:ola" : "municipality:Moss")
                                     : FieldValue::Null())
            .ok();
      default:
        return r.SetThread(t, "due", FieldValue::Date("2027-0" + std::to_string(1 + rng() % 9) + "-15"))
            .ok();
    }
  }
  if (dice < 53 && !threads.empty()) return r.MarkRead(Pick(threads, rng)).ok();
  if (dice < 70) {  // a suggestion
    switch (rng() % 6) {
      case 0:
        if (text.empty()) return false;
        {
          const size_t pos = rng() % (size + 1);
          const size_t len = pos == size ? 0 : rng() % std::min<size_t>(4, size - pos + 1);
          return r.SuggestText(node, text, pos, len, rng() % 3 ? word : "").ok();
        }
      case 1:
        if (r.KindOf(node) != "goal") return r.SuggestField(node, "status", FieldValue::String("done")).ok();
        return r.SuggestField(node, "target_year", FieldValue::Int(2026 + rng() % 5)).ok();
      case 2: {
        const OpId ind = ChildrenOfKind(r, kRootNode, "indicator")[0];
        const Table* t = r.TableOf(ind, "values");
        if (t == nullptr) return false;
        const std::vector<OpId> rows = t->VisibleLines(TableAxis::kRow);
        const std::vector<OpId> cols = t->VisibleLines(TableAxis::kColumn);
        if (rows.empty() || cols.empty()) return false;
        return r.SuggestCell(ind, "values", Pick(rows, rng), Pick(cols, rng),
                             FieldValue::Number(rng() % 100))
            .ok();
      }
      case 3:
        if (r.KindOf(node) != "goal") return false;
        return r.SuggestNode(node, rng() % (r.Children(node).size() + 1), "measure", "Tiltak " + word)
            .ok();
      case 4: {
        if (r.KindOf(node) != "subgoal") return false;
        const std::vector<OpId> goals = ChildrenOfKind(r, kRootNode, "goal");
        return r.SuggestMove(node, Pick(goals, rng), 0).ok();
      }
      default:
        if (node == kRootNode) return false;
        return r.SuggestDelete(node).ok();
    }
  }
  if (dice < 85 && !open_suggestions.empty()) {
    const OpId s = Pick(open_suggestions, rng);
    if (rng() % 3) return r.AcceptSuggestion(s, rng() % 2).ok();
    return r.RejectSuggestion(s, "Nei " + word).ok();
  }
  if (dice < 100) {  // sign-off of a part, for the own municipality
    std::vector<OpId> parts = ChildrenOfKind(r, kRootNode, "goal");
    parts.push_back(kRootNode);
    const OpId part = Pick(parts, rng);
    if (rng() % 4 == 0) return r.RevokeApproval(part, user.municipality).ok();
    return r.Approve(part, user.municipality).ok();
  }
  return false;
}

TEST(ReviewRandomTest, ReviewOperationsConvergeThroughTheServer) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  const User kUsers[] = {{"kari", "Moss", Role::kAdmin},
                         {"anne", "Moss", Role::kEditor},
                         {"ola", "Vestby", Role::kEditor},
                         {"per", "Vestby", Role::kReviewer},
                         {"vera", "Våler", Role::kViewer}};
  constexpr size_t kClients = std::size(kUsers);
  std::vector<std::unique_ptr<Editor>> clients(kClients);
  for (size_t i = 0; i < kClients; ++i) {
    clients[i] = Member(f, kUsers[i]);
    ASSERT_NE(clients[i], nullptr) << f.server.log();
  }
  const char* seed_env = std::getenv("SAMPLAN_SERVER_SEED");
  const unsigned seed = seed_env != nullptr ? std::atoi(seed_env) : 11;
  std::mt19937 rng(seed);
  const int rounds = LongRun() ? 400 : 40;
  const auto budget = LongRun() ? std::chrono::minutes(10) : std::chrono::seconds(20);
  const auto start = std::chrono::steady_clock::now();
  size_t acked = 0, refused = 0;
  int round = 0;
  for (; round < rounds && std::chrono::steady_clock::now() - start < budget; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
    // Everyone works on its own, possibly stale, replica; then all send at
    // once, so the server sees the batches concurrently.
    std::vector<size_t> acks_before(kClients);
    for (size_t i = 0; i < kClients; ++i) {
      acks_before[i] = clients[i]->acks();
      const int ops = 1 + static_cast<int>(rng() % 2);
      for (int k = 0; k < ops; ++k) {
        for (int tries = 0; tries < 8; ++tries) {
          if (RandomOp(clients[i]->replica(), rng, kUsers[i])) break;
        }
      }
    }
    for (auto& c : clients) ASSERT_TRUE(c->SendPending());
    for (size_t i = 0; i < kClients; ++i) {
      Editor& e = *clients[i];
      ASSERT_TRUE(WaitAnswered(e)) << kUsers[i].name << " got no answer\n" << f.server.log();
      acked += e.acks() - acks_before[i];
      if (!e.errors().empty()) {
        for (const Json& err : e.errors()) {
          // A role's refusal, or an op the server checks differently from
          // the client's stale view (e.g. ownership moved).
          ASSERT_EQ(err["code"], "forbidden") << kUsers[i].name << ": " << err.dump();
          ++refused;
        }
        clients[i] = Member(f, kUsers[i]);
        ASSERT_NE(clients[i], nullptr);
      }
    }
    // Let the broadcasts in now and then, so later ops build on others'.
    if (rng() % 2) {
      for (auto& c : clients) c->Pump(Ms(5));
    }
  }
  SCOPED_TRACE("seed " + std::to_string(seed) + " after " + std::to_string(round) + " rounds");
  EXPECT_GT(acked, 0u);
  EXPECT_GT(refused, 0u);  // the viewer and reviewer try what they may not

  // A fresh client has everything; every client catches up to it and holds
  // the identical plan and review state.
  auto fresh = Member(f, User{"vilde", "Våler", Role::kViewer});
  ASSERT_NE(fresh, nullptr);
  const Replica& want = fresh->replica();
  EXPECT_TRUE(want.CheckInvariants().ok());
  const std::string expected = want.CanonicalDump();
  for (size_t i = 0; i < kClients; ++i) {
    Editor& e = *clients[i];
    ASSERT_TRUE(e.PumpUntil([&] { return e.replica().version() == want.version(); }, kWait))
        << kUsers[i].name;
    EXPECT_EQ(e.replica().CanonicalDump(), expected) << kUsers[i].name;
    EXPECT_TRUE(e.errors().empty()) << kUsers[i].name;
    EXPECT_EQ(e.replica().review().op_count(), want.review().op_count());
  }
  // What was exercised.
  const ReviewState& review = want.review();
  size_t accepted = 0, rejected = 0, stale_accepted = 0, approvals = 0;
  for (const auto& [id, s] : review.suggestions()) {
    accepted += s.status == SuggestionStatus::kAccepted;
    rejected += s.status == SuggestionStatus::kRejected;
    stale_accepted += s.stale_accepted;
  }
  for (const auto& [key, a] : review.approvals()) approvals += !a.revoked;
  EXPECT_GT(review.threads().size(), 3u);
  EXPECT_GT(review.comments().size(), review.threads().size());
  EXPECT_GT(review.suggestions().size(), 3u);
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(approvals, 0u);
  std::printf("review random: %d rounds, %zu acked, %zu refused, %zu threads, %zu comments, "
              "%zu suggestions (%zu accepted, %zu stale, %zu rejected), %zu approvals\n",
              round, acked, refused, review.threads().size(), review.comments().size(),
              review.suggestions().size(), accepted, stale_accepted, rejected, approvals);

  // The server holds the same: its plan state and each review view.
  const std::string token = f.Token("vilde", "Våler", Role::kViewer);
  auto [status, body] = HttpRequest(f.server.port(), "GET", std::string("/api/plans/") + kPlan, token);
  ASSERT_EQ(status, 200) << body;
  Json state = Json::parse(body, nullptr, false);
  ASSERT_FALSE(state.is_discarded());
  for (const char* key : {"plan", "seq"}) state.erase(key);
  EXPECT_EQ(state, protocol::PlanStateToJson(want));
  for (const char* view : {"threads", "inbox", "suggestions", "conflicts", "signoff"}) {
    SCOPED_TRACE(view);
    auto [st, served] = HttpRequest(f.server.port(), "GET",
                                    std::string("/api/plans/") + kPlan + "/" + view, token);
    ASSERT_EQ(st, 200) << served;
    Json got = Json::parse(served, nullptr, false);
    ASSERT_FALSE(got.is_discarded());
    protocol::ReviewQuery q;
    ASSERT_TRUE(protocol::ReviewQueryFromJson(
                    Json{{"query", view}, {"viewer", {{"user", "vilde"}, {"municipality", "Våler"}}}},
                    &q)
                    .ok());
    Result<Json> local = protocol::RunReviewQuery(want, q);
    ASSERT_TRUE(local.ok()) << local.status().ToString();
    for (const char* key : {"plan", "seq"}) got.erase(key);
    EXPECT_EQ(got, *local);
  }
  EXPECT_TRUE(f.server.running());
  EXPECT_EQ(f.server.log().find("plan_poisoned"), std::string::npos);
}

}  // namespace
}  // namespace samplan::testing
