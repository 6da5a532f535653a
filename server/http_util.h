// Small helpers shared by the HTTP handlers (http_api.cc, http_history.cc):
// responses with the server's common headers, JSON errors, and query
// string parsing.
//
// Thread-safety: functions only; reentrant.
#ifndef SAMPLAN_SERVER_HTTP_UTIL_H_
#define SAMPLAN_SERVER_HTTP_UTIL_H_

#include <boost/beast/http.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "server/http_api.h"

namespace samplan {

// What a response needs of its request; copied so that replies built on
// another thread never touch the request (owned by the HttpSession).
struct RequestMeta {
  unsigned version = 11;
  bool keep_alive = true;
};

RequestMeta MetaOf(const HttpRequest& req);

// A response with `body`, Cache-Control: no-store and the server header.
HttpResponse Make(const RequestMeta& req, boost::beast::http::status status,
                  std::string body, const char* type = "application/json");
// {"error": {"code", "message"}} with `status`.
HttpResponse Error(const RequestMeta& req, boost::beast::http::status status,
                   std::string_view code, std::string_view message);

// The caller's verified bearer claims, or nullopt after replying 401 naming
// what is wrong (defined in http_api.cc).
std::optional<Claims> RequireClaims(
    Server* server, const HttpRequest& http_req,
    const std::function<void(HttpResponse)>& reply);

// UTF-8 code points of `s` (valid UTF-8).
size_t CodePoints(std::string_view s);
// `s` cut to at most `max` code points.
std::string CutCodePoints(const std::string& s, size_t max);
// The raw value of `key` in the query of `target` ("" when absent).
std::string QueryParam(std::string_view target, std::string_view key);
// `s` with %XX escapes decoded ("+" stays "+"); nullopt for a bad escape.
std::optional<std::string> PercentDecode(std::string_view s);

}  // namespace samplan

#endif  // SAMPLAN_SERVER_HTTP_UTIL_H_
