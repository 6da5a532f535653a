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

// A readable outline of a plan: numbered nodes with their titles, fields
// (conflicts shown) and tables.
std::string RenderOutline(const Replica& replica);

}  // namespace samplan

#endif  // SAMPLAN_CLI_DEMO_PLAN_H_
