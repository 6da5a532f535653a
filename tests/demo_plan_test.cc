// The demo plan fixture and the `samplan demo` command.
#include "server/demo_plan.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace samplan {
namespace {

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
