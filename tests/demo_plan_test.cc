// The demo plan fixture and the `samplan demo` command.
#include "cli/demo_plan.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>

#include "protocol/json_codec.h"
#include "protocol/messages.h"

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

TEST(DemoPlanTest, DemoCommandConverges) {
  const std::string cmd = std::string(SAMPLAN_BINARY) + " demo > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace samplan
