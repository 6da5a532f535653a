// The HTTP API on the server's port (docs/protocol.md, "HTTP API"):
//
//   GET  /healthz              "ok"
//   GET  /metrics              Prometheus text format
//   GET  /api/plans            plans the bearer token may see, a page at a
//                              time (?limit=N, at most 1000, default 100;
//                              ?after=ID continues after plan ID)
//   POST /api/plans            {"id", "title"}: create an empty plan (admins;
//                              title <= kMaxPlanTitleCodePoints, at most
//                              max_plans_per_user plans per user)
//   GET  /api/plans/{id}       a plan's current state as JSON
//   GET  /api/plans/{id}/threads|inbox|suggestions|conflicts|signoff
//                              a review view (protocol/review_json.h) with
//                              ?node=R:C&status=&author=&municipality=
//                              &assignee=&mention= (percent-encoded); the
//                              inbox and unread counts are the token's user's
//   POST /api/demo-login       {"user": "ola"} -> a token for a demo account
//                              (demo plan only; never the admin account)
//
// Authorization: Bearer <token> for /api/plans*. Errors are JSON
// {"error": {"code", "message"}} with a matching HTTP status.
//
// Storage calls (list, create, a plan's existence) run on the server's
// blocking pool, never on a network thread.
//
// Thread-safety: HandleHttpRequest may be called from any thread; `reply`
// may be invoked on another thread (the blocking pool or a room's strand);
// the caller posts the response to its own strand.
#ifndef SAMPLAN_SERVER_HTTP_API_H_
#define SAMPLAN_SERVER_HTTP_API_H_

#include <boost/beast/http.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/auth.h"

namespace samplan {

class Server;

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse =
    boost::beast::http::response<boost::beast::http::string_body>;

// Longest plan title accepted at creation, in Unicode code points (longer
// titles already stored are cut to this in listings).
inline constexpr size_t kMaxPlanTitleCodePoints = 200;
// GET /api/plans page size: default and largest.
inline constexpr size_t kDefaultPlansPage = 100;
inline constexpr size_t kMaxPlansPage = 1000;
// The demo plan's id; demo tokens name only this plan.
inline constexpr char kDemoPlanId[] = "demo";

// Serves one request; calls `reply` exactly once. `req` need not outlive
// the call.
void HandleHttpRequest(Server* server, const HttpRequest& req,
                       std::function<void(HttpResponse)> reply);

// The token of an "Authorization: Bearer ..." header, verified; nullopt
// when absent. `error` receives the reason when present but invalid.
std::optional<Claims> BearerClaims(Server* server, const HttpRequest& req,
                                   std::string* error);

// True when a WebSocket upgrade from `origin` is allowed: no Origin header
// (not a browser), "*" in the list, or an exact match of scheme://host with
// any port.
bool OriginAllowed(std::string_view origin,
                   const std::vector<std::string>& allowed);

// Demo accounts (created with the demo plan): user -> (municipality, role).
struct DemoAccount {
  std::string user;
  std::string municipality;
  Role role;
};
const std::vector<DemoAccount>& DemoAccounts();
// The claims of a demo account's token: the demo plan only, its role,
// 12 hours.
Claims DemoClaims(const DemoAccount& account);

}  // namespace samplan

#endif  // SAMPLAN_SERVER_HTTP_API_H_
