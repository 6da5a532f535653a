// The HTTP routes of a plan's history (docs/protocol.md, "History"):
//
//   GET  /api/keys                          the server's public signing keys
//                                           (no token needed)
//   GET  /api/plans/{id}?at=P               the plan at point P, read-only
//   GET  /api/plans/{id}/history?...        who changed what, one page
//   GET  /api/plans/{id}/history/export?format=csv|json&...
//   GET  /api/plans/{id}/diff?from=P&to=P[&format=markdown&lang=nb]
//   GET  /api/plans/{id}/blame?[node=R:C][&at=P]
//   GET  /api/plans/{id}/versions           the named versions
//   POST /api/plans/{id}/versions           {"name", "reference", "at"?}
//
// History needs the auditor role or above; listing versions any role on
// the plan; naming a version admin. The work runs on the HistoryService's
// threads.
//
// Thread-safety: as HandleHttpRequest.
#ifndef SAMPLAN_SERVER_HTTP_HISTORY_H_
#define SAMPLAN_SERVER_HTTP_HISTORY_H_

#include <functional>
#include <string_view>

#include "server/http_api.h"

namespace samplan {

// Handles the request when it is one of the routes above (calling `reply`
// exactly once) and returns true; returns false, without replying, for
// any other request.
bool HandleHistoryHttp(Server* server, const HttpRequest& req,
                       const std::function<void(HttpResponse)>& reply);

// Whether `role` may read a plan's history (auditor and above).
bool CanReadHistory(Role role);

}  // namespace samplan

#endif  // SAMPLAN_SERVER_HTTP_HISTORY_H_
