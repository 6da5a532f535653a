// Turning a history request's points and filters into sequence numbers of
// one plan's log: what the server's history queries and `samplan log`
// share, so both read "version:Høringsutkast" or "2026-06-21" alike.
//
// Thread-safety: functions only; the caller owns the PlanHistory.
#ifndef SAMPLAN_PROTOCOL_HISTORY_POINTS_H_
#define SAMPLAN_PROTOCOL_HISTORY_POINTS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "crdt/history.h"
#include "crdt/history_entries.h"
#include "crdt/status.h"
#include "protocol/history_json.h"

namespace samplan::protocol {

// The seq of a named version, or false when there is none of that name.
using VersionLookup =
    std::function<bool(std::string_view name, uint64_t* seq)>;

// The seq `p` stands for in `h`: head -> last_seq, a seq (InvalidArgument,
// naming `member`, beyond last_seq), a moment -> the last op at or before
// it (0: none), a version -> its seq (NotFound naming it when unknown).
Status ResolveHistoryPoint(const HistoryPoint& p, const PlanHistory& h,
                           const VersionLookup& versions,
                           std::string_view member, uint64_t* seq);

// The filter of a "changes" query: node, subtree, user, municipality,
// kinds, and since/until as an inclusive seq range (a moment `since`
// starts at the first op at or after it).
Status HistoryFilterFromQuery(const HistoryQuery& q, const PlanHistory& h,
                              const VersionLookup& versions,
                              HistoryFilter* out);

}  // namespace samplan::protocol

#endif  // SAMPLAN_PROTOCOL_HISTORY_POINTS_H_
