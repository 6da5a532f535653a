// A plan's current state as JSON, for the HTTP API (GET /api/plans/{id}).
//
//   {"version": [[replica, count], ...],
//    "root": {"id": [0, 1], "kind": "plan", "number": "",
//             "fields": {"status": {"type": "string", "value": "draft",
//                                   "conflicts": [...]}},
//             "texts": {"title": "..."},
//             "tables": {"values": {"columns": [...], "rows": [...]}},
//             "children": [...]}}
//
// Only the live tree (under the root) is rendered; deleted nodes are not.
// Text is UTF-8 in JSON strings. Thread-safety: reads `replica` only; the
// caller must own it (its room strand).
#ifndef SAMPLAN_PROTOCOL_PLAN_STATE_H_
#define SAMPLAN_PROTOCOL_PLAN_STATE_H_

#include "crdt/replica.h"
#include "protocol/json_codec.h"

namespace samplan::protocol {

Json PlanStateToJson(const Replica& replica);

// Pieces of the state document, for documents in the same shape (the
// diff's added nodes): a register's winner with its "conflicts" (null when
// never written), and a table {"columns": [...], "rows": [...]}.
Json RegisterToJson(const MultiValueRegister* reg);
// A node's "fields", "texts" and (when it has any) "tables" members, set
// in *j. REQUIRES: replica.HasNode(node).
void NodeContentToJson(const Replica& replica, OpId node, Json* j);
Json TableToJson(const Table& table);

}  // namespace samplan::protocol

#endif  // SAMPLAN_PROTOCOL_PLAN_STATE_H_
