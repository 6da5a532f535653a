// The demo plan fixture and the `samplan demo` command.
#include "cli/demo_plan.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "protocol/json_codec.h"
#include "protocol/messages.h"
#include "server/permissions.h"

namespace samplan {
namespace {

// The wire format carries every op kind the demo plan and its edits use.
TEST(DemoPlanTest, EveryOpRoundTripsThroughTheWireFormat) {
  Replica r(7);
  r.SetAuthor(Author{"kari", "Moss", 1234});
  ASSERT_TRUE(BuildDemoPlan(&r).ok());
  const OpId goal = r.Children(kRootNode)[0];
  ASSERT_TRUE(r.DeleteText(goal, "title", 0, 3).ok());
  ASSERT_TRUE(r.MoveNode(r.Children(goal).back(), r.Children(kRootNode)[1], 0).ok());
  ASSERT_TRUE(r.DeleteNode(r.Children(goal)[0]).ok());
  std::vector<Op> ops(r.log().begin(), r.log().end());
  std::set<OpKind> kinds;
  for (const Op& op : ops) kinds.insert(op.kind);
  EXPECT_GE(kinds.size(), 8u);
  const std::string text = protocol::Dump(protocol::OpsToJson(ops));
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  std::vector<Op> back;
  ASSERT_TRUE(protocol::OpsFromJson(parsed, "ops", 1u << 20, &back).ok());
  EXPECT_EQ(back, ops);
  // And the ops rebuild the same plan elsewhere.
  Replica other(8);
  ASSERT_TRUE(other.ApplyAll(back).ok());
  EXPECT_EQ(other.CanonicalDump(), r.CanonicalDump());
}

TEST(DemoPlanTest, BuildsTheMosseregionenPlan) {
  Replica r(1);
  ASSERT_TRUE(BuildDemoPlan(&r).ok());
  EXPECT_EQ(*r.Text(kRootNode, "title"),
            "Handlingsplan for næringsutvikling 2026");
  EXPECT_EQ(r.Field(kRootNode, "municipalities")->value.list,
            (std::vector<std::string>{"Moss", "Vestby", "Råde", "Våler"}));
  int goals = 0, indicators = 0;
  for (OpId child : r.Children(kRootNode)) {
    if (r.KindOf(child) == "goal") ++goals;
    if (r.KindOf(child) != "indicator") continue;
    ++indicators;
    const Table* t = r.TableOf(child, "values");
    ASSERT_NE(t, nullptr);
    const auto rows = t->VisibleLines(TableAxis::kRow);
    ASSERT_EQ(rows.size(), 5u);  // four municipalities and the total
    EXPECT_EQ(t->Cell(rows.back(), kNullId)->winner().value.s, "Samlet");
  }
  EXPECT_EQ(goals, 3);
  EXPECT_EQ(indicators, 2);
  EXPECT_TRUE(r.CheckInvariants().ok());
  const std::string outline = RenderOutline(r);
  EXPECT_NE(outline.find("2.1 subgoal: Byen og tettsteder"), std::string::npos)
      << outline;
}

// A new user sees review at work at once: threads (one resolved, one on a
// text range, one assigned with a due date), suggestions in every state and
// approvals, one of them outdated; every op is one its author's demo role
// may make.
TEST(DemoPlanTest, CarriesReviewAtWork) {
  Replica r(2);
  r.SetAuthor(Author{"samplan", "", 1234});
  ASSERT_TRUE(BuildDemoPlan(&r).ok());
  Status built = BuildDemoReview(&r, 1764090000000);
  ASSERT_TRUE(built.ok()) << built.ToString();
  const ReviewState& review = r.review();
  ASSERT_EQ(review.threads().size(), 4u);
  int resolved = 0, ranges = 0, assigned_due = 0;
  for (const auto& [id, t] : review.threads()) {
    resolved += t.IsResolved();
    if (t.anchor == AnchorKind::kText) {
      ++ranges;
      EXPECT_EQ(t.quote, "offensiv tilrettelegger");
      EXPECT_FALSE(r.LocateThread(t).orphaned);
    }
    if (!t.assignee.empty() && !t.due.empty()) ++assigned_due;
  }
  EXPECT_EQ(resolved, 1);
  EXPECT_EQ(ranges, 1);
  EXPECT_EQ(assigned_due, 1);
  std::map<SuggestionStatus, int> states;
  for (const auto& [id, s] : review.suggestions()) {
    ++states[s.status];
    if (s.status == SuggestionStatus::kAccepted) {
      EXPECT_EQ(s.decided_by.user, "anne");
      EXPECT_EQ(s.op.author.user, "per");
    }
    if (s.status == SuggestionStatus::kOpen) {
      EXPECT_FALSE(r.CheckSuggestion(s).stale) << id.ToString();
    }
  }
  EXPECT_EQ(states[SuggestionStatus::kOpen], 2);
  EXPECT_EQ(states[SuggestionStatus::kAccepted], 1);
  EXPECT_EQ(states[SuggestionStatus::kRejected], 1);
  int outdated = 0;
  for (const auto& [key, a] : review.approvals()) outdated += r.ApprovalOutdated(a);
  EXPECT_EQ(review.approvals().size(), 3u);
  EXPECT_EQ(outdated, 1);
  // Replayed op by op, each passes the server's rules for its author.
  const std::map<std::string, std::pair<Role, std::string>> accounts = {
      {"samplan", {Role::kAdmin, ""}},     {"per", {Role::kReviewer, ""}},
      {"anne", {Role::kEditor, "Moss"}},   {"ola", {Role::kEditor, "Vestby"}},
      {"siri", {Role::kEditor, "Råde"}}};
  Replica replay(3);
  for (const Op& op : r.log()) {
    const auto& [role, municipality] = accounts.at(op.author.user);
    Status allowed = CheckOpPermission(replay, op, role, municipality);
    ASSERT_TRUE(allowed.ok()) << DescribeOp(op) << ": " << allowed.ToString();
    ASSERT_TRUE(replay.Apply(op).ok());
  }
  EXPECT_EQ(replay.CanonicalDump(), r.CanonicalDump());
}

TEST(DemoPlanTest, DemoCommandConverges) {
  const std::string cmd = std::string(SAMPLAN_BINARY) + " demo > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace samplan
