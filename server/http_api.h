// The HTTP API on the server's port (docs/protocol.md, "HTTP API"):
//
//   GET  /healthz              "ok"
//   GET  /metrics              Prometheus text format
//   GET  /api/plans            plans the bearer token may see
//   POST /api/plans            {"id", "title"}: create an empty plan (admins)
//   GET  /api/plans/{id}       a plan's current state as JSON
//   POST /api/demo-login       {"user": "ola"} -> a token for a demo account
//
// Authorization: Bearer <token> for /api/plans*. Errors are JSON
// {"error": {"code", "message"}} with a matching HTTP status.
//
// Thread-safety: HandleHttpRequest may be called from any thread; `reply`
// may be invoked on another thread (a room's strand).
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

// Serves one request; calls `reply` exactly once.
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
// The claims of a demo account's token: every plan, its role, 12 hours.
Claims DemoClaims(const DemoAccount& account);

}  // namespace samplan

#endif  // SAMPLAN_SERVER_HTTP_API_H_
