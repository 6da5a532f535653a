// The demo regional plan: the Mosseregionen joint action plan for business
// development 2026 (Moss, Vestby, Råde, Våler), from the public draft in
// shared/seeds/001_*. The content lives here, in the repository, so the
// program never reads shared/ at run time.
//
// Thread-safety: functions are reentrant.
#ifndef SAMPLAN_CLI_DEMO_PLAN_H_
#define SAMPLAN_CLI_DEMO_PLAN_H_

#include <string>

#include "crdt/replica.h"
#include "crdt/status.h"

namespace samplan {

// Builds the demo plan into `replica` as local edits (title, period,
// municipalities, status, three goals with sub-goals and measures, two
// indicators with a table of figures per municipality and a regional total,
// footnotes with sources). REQUIRES: `replica` holds an empty plan.
Status BuildDemoPlan(Replica* replica);

// Revises a plan built by BuildDemoPlan as after its public hearing, by
// the municipalities' editors (anne of Moss, ola of Vestby, siri of Råde,
// kari of Moss), at `now_ms` and the minutes after: a goal's text reworded
// and extended, measures' statuses changed, a measure added and one moved,
// a target column added to an indicator table, the plan's status set. The
// demo's two named versions lie before and after it, so that diff and
// blame show several authors at once. BuildDemoReview still applies after
// it (it changes none of what the review names).
// REQUIRES: `replica` holds exactly what BuildDemoPlan made.
Status BuildDemoRevision(Replica* replica, int64_t now_ms);

// Adds review at work to a plan built by BuildDemoPlan (and possibly
// BuildDemoRevision), in Norwegian: open
// and resolved comment threads on a text range, a node, a field and a table
// cell (replies, mentions, an assignment with a due date), open, accepted
// and rejected suggestions, and approvals by the owning municipalities, one
// of them outdated by a later change. Each op is authored by the demo
// account that would make it (per, anne, ola, siri), at `now_ms`.
// REQUIRES: `replica` holds what BuildDemoPlan made, optionally followed
// by BuildDemoRevision.
Status BuildDemoReview(Replica* replica, int64_t now_ms);

// A readable outline of a plan: numbered nodes with their titles, fields
// (conflicts shown) and tables.
std::string RenderOutline(const Replica& replica);

}  // namespace samplan

#endif  // SAMPLAN_CLI_DEMO_PLAN_H_
