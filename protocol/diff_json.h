// A plan diff (crdt/plan_diff.h) as JSON a client renders, as a Markdown
// report for council papers, and applied to a state document.
//
// JSON (docs/protocol.md, "History: diff"). Ids are wire ids [replica,
// counter]; a "by" is {"user", "municipality", "time", "seq"} (null when
// the log does not know the op); values are PlanStateToJson's field values
// ({"type", "value", "conflicts"?}, null when never written):
//
//   {"from": {"seq": 480, "time": ms},
//    "to": {"seq": 812, "time": ms, "version": [[replica, count], ...]},
//    "nodes": {
//      "added": [{"node", "kind", "parent", "index", "number", "title",
//                 "by", "fields": {...}, "texts": {...}, "tables"?: {...}}],
//      "removed": [{"node", "kind", "parent", "index", "number", "title",
//                   "with_parent", "by"}],
//      "moved": [{"node", "kind", "title", "old_parent", "old_index",
//                 "old_number", "parent", "index", "number", "by"}],
//      "renumbered": [{"node", "kind", "title", "old_number", "number"}]},
//    "changes": [{"node", "kind", "number", "title",
//      "fields": [{"field", "old", "new", "by", "conflicts_by"?: [by...]}],
//      "texts": [{"field", "inserted", "deleted", "pieces": [
//          {"op": "retain", "length": n},
//          {"op": "insert", "length": n, "text", "by", "seq_last"},
//          {"op": "delete", "length": n, "text", "by", "also"?: [by...]}]}],
//      "tables": [{"table", "created", "rows_added": [{"id", "index", "by"}],
//          "rows_removed": [...], "columns_added": [...],
//          "columns_removed": [...],
//          "cells": [{"row", "column", "old", "new", "by"}]}]}],
//    "review": {"opened": [item], "resolved": [...], "reopened": [...],
//               "accepted": [...], "rejected": [...], "approved": [...],
//               "revoked": [...]},
//    "stats": {"ops", "nodes_added", "nodes_removed", "nodes_moved",
//              "nodes_renumbered", "nodes_changed", "fields_changed",
//              "texts_changed", "tables_changed", "cells_changed",
//              "lines_added", "lines_removed", "chars_inserted",
//              "chars_deleted", "threads_opened", "threads_resolved",
//              "threads_reopened", "suggestions_accepted",
//              "suggestions_rejected", "approvals_given",
//              "approvals_revoked"}}
//
// A review item: {"id", "what" ("thread", "suggest_text", ...,
// "approval"), "node", "number", "title", "node_removed", "field" (the
// anchor's field, or the approving municipality), "text", "orphaned"
// (threads), "reason" (rejections), "by"}.
//
// Positions and lengths are Unicode code points. Text pieces are in the
// older text's coordinates: retains and deletes cover it exactly; an added
// node's "index" and a moved node's "index" are its place among all the
// new parent's children in the newer state (apply them in ascending order
// after taking out what moved and went); table lines likewise.
//
// Thread-safety: stateless functions; the caller owns the replicas.
#ifndef SAMPLAN_PROTOCOL_DIFF_JSON_H_
#define SAMPLAN_PROTOCOL_DIFF_JSON_H_

#include <functional>
#include <string>
#include <string_view>

#include "crdt/plan_diff.h"
#include "crdt/replica.h"
#include "crdt/status.h"
#include "protocol/json_codec.h"

namespace samplan::protocol {

// REQUIRES: `diff` was computed from `older` and `newer` (DiffPlans).
Json DiffToJson(const PlanDiff& diff, const Replica& older,
                const Replica& newer);

// {"user", "municipality", "time", "seq"}, or null for an unknown op.
Json DiffByToJson(const DiffBy& by);

// Languages of the Markdown report: "nb" (Norwegian bokmål, the default),
// "sv", "en".
bool IsDiffLanguage(std::string_view lang);

// A person's display name for a user id ("" when unknown or erased: the
// user id is shown instead).
using DiffNameOf = std::function<std::string(std::string_view user)>;

// The report for council papers: a heading with the two points, a summary
// table, the structure changes (added, removed, moved nodes), one section
// per changed node ("### 2.1 Grønn mobilitet") with its text changes
// (inserted text in bold, deleted struck through, in context, then who did
// each), a table of field changes (before, after, by whom) and of table
// cells, and the review changes. `lang` outside IsDiffLanguage gives "nb".
// Text from the plan is escaped, so it cannot inject Markdown structure.
// REQUIRES: as DiffToJson.
std::string DiffToMarkdown(const PlanDiff& diff, const Replica& older,
                           const Replica& newer, std::string_view lang,
                           std::string_view from_label,
                           std::string_view to_label,
                           const DiffNameOf& name_of = nullptr);

// Applies a diff (DiffToJson) to a state document (PlanStateToJson of the
// older state): the result equals PlanStateToJson of the newer state.
// InvalidArgument naming the member when the diff is malformed or does not
// fit the state (an unknown node, a retain past the end of a text, ...).
Status ApplyDiffToState(const Json& older_state, const Json& diff,
                        Json* newer_state);

}  // namespace samplan::protocol

#endif  // SAMPLAN_PROTOCOL_DIFF_JSON_H_
