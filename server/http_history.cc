#include "server/http_history.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "crdt/utf8.h"
#include "protocol/history_json.h"
#include "protocol/json_codec.h"
#include "protocol/messages.h"
#include "server/history_service.h"
#include "server/http_util.h"
#include "server/server.h"
#include "storage/signing.h"

namespace samplan {

namespace http = boost::beast::http;
using Json = nlohmann::json;

namespace {

// Every parameter of the query string, percent-decoded; InvalidArgument
// naming a parameter with a bad escape or bad UTF-8.
Status ParseParams(std::string_view target,
                   std::map<std::string, std::string>* out) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return Status::OK();
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    // Browsers' URLSearchParams write a space as '+' (form encoding): read
    // it so; a literal plus travels as %2B.
    std::string raw(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    std::replace(raw.begin(), raw.end(), '+', ' ');
    std::optional<std::string> value = PercentDecode(raw);
    if (!value || !utf8::Validate(*value).ok()) {
      return Status::InvalidArgument(std::string(key) +
                                     ": bad percent-encoding or UTF-8");
    }
    if (!key.empty()) (*out)[std::string(key)] = std::move(*value);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return Status::OK();
}

HttpResponse FromAnswer(const RequestMeta& req, const std::string& plan,
                        HistoryAnswer a) {
  if (!a.status.ok()) {
    switch (a.status.code()) {
      case Status::Code::kInvalidArgument:
        return Error(req, http::status::bad_request, "bad_request",
                     a.status.message());
      case Status::Code::kNotFound:
        return Error(req, http::status::not_found,
                     a.status.message().starts_with("plan")
                         ? "plan_not_found"
                         : "not_found",
                     a.status.message());
      case Status::Code::kFailedPrecondition:
        return Error(req, http::status::conflict, "conflict",
                     a.status.message());
      default:
        return Error(req, http::status::service_unavailable, "storage_error",
                     a.status.ToString());
    }
  }
  if (!a.content_type.empty()) {
    HttpResponse res =
        Make(req, http::status::ok, std::move(a.text), a.content_type.c_str());
    if (!a.filename.empty()) {
      res.set(http::field::content_disposition,
              "attachment; filename=\"" + a.filename + "\"");
    }
    return res;
  }
  Json body = std::move(a.body);
  if (!body.contains("plan")) body["plan"] = plan;
  HttpResponse res = Make(req, http::status::ok, protocol::Dump(body));
  if (!a.filename.empty()) {
    res.set(http::field::content_disposition,
            "attachment; filename=\"" + a.filename + "\"");
  }
  return res;
}

void ServeKeys(Server* server, const RequestMeta& req,
               const std::function<void(HttpResponse)>& reply) {
  const KeyRing* keys =
      server->history() ? server->history()->keys() : nullptr;
  Json list = Json::array();
  if (keys != nullptr) {
    for (const PublicKeyInfo& k : keys->keys()) {
      list.push_back({{"id", k.id},
                      {"algorithm", "Ed25519"},
                      {"public_key", Base64Encode(k.public_key)},
                      {"public_key_pem", PublicKeyPem(k.public_key)},
                      {"created_ms", k.created_ms},
                      {"retired_ms", k.retired_ms == 0
                                         ? Json(nullptr)
                                         : Json(k.retired_ms)},
                      {"active", k.retired_ms == 0}});
    }
  }
  reply(Make(req, http::status::ok, protocol::Dump({{"keys", list}})));
}

}  // namespace

bool CanReadHistory(Role role) { return role != Role::kViewer; }

bool HandleHistoryHttp(Server* server, const HttpRequest& http_req,
                       const std::function<void(HttpResponse)>& reply) {
  const RequestMeta req = MetaOf(http_req);
  const std::string_view target(http_req.target().data(),
                                http_req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = http_req.method() == http::verb::get;
  const bool post = http_req.method() == http::verb::post;
  if (path == "/api/keys") {
    if (!get) {
      reply(Error(req, http::status::method_not_allowed, "method_not_allowed",
                  "only GET"));
      return true;
    }
    ServeKeys(server, req, reply);
    return true;
  }
  constexpr std::string_view kPrefix = "/api/plans/";
  if (!path.starts_with(kPrefix)) return false;
  std::string_view rest = path.substr(kPrefix.size());
  const size_t slash = rest.find('/');
  const std::string plan(rest.substr(0, slash));
  const std::string_view route =
      slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const bool at_query = route.empty() && !QueryParam(target, "at").empty();
  if (!at_query && route != "history" && route != "history/export" &&
      route != "diff" && route != "blame" && route != "versions") {
    return false;
  }
  if (!get && !(post && route == "versions")) {
    reply(Error(req, http::status::method_not_allowed, "method_not_allowed",
                route == "versions" ? "only GET or POST" : "only GET"));
    return true;
  }
  std::optional<Claims> claims = RequireClaims(server, http_req, reply);
  if (!claims) return true;
  std::optional<Role> role = claims->RoleFor(plan);
  if (!role || plan.empty()) {
    reply(Error(req, http::status::not_found, "plan_not_found",
                "plan '" + plan +
                    "' does not exist or is not visible to this token"));
    return true;
  }
  HistoryService* history = server->history();
  if (history == nullptr) {
    reply(Error(req, http::status::service_unavailable, "unavailable",
                "history is not enabled on this server"));
    return true;
  }
  auto done = [req, plan, reply](HistoryAnswer a) {
    reply(FromAnswer(req, plan, std::move(a)));
  };
  if (route == "versions" && post) {
    if (*role != Role::kAdmin) {
      reply(Error(req, http::status::forbidden, "forbidden",
                  "naming a version needs the admin role; this token is " +
                      std::string(RoleName(*role))));
      return true;
    }
    Json body = Json::parse(http_req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("name") ||
        !body["name"].is_string() ||
        (body.contains("reference") && !body["reference"].is_string()) ||
        (body.contains("at") && !body["at"].is_string())) {
      reply(Error(req, http::status::bad_request, "bad_request",
                  "expected {\"name\": \"...\", \"reference\": \"...\", "
                  "\"at\": \"<point>\"}"));
      return true;
    }
    protocol::HistoryPoint at;
    if (body.contains("at")) {
      if (Status s = protocol::ParseHistoryPoint(body["at"].get<std::string>(),
                                                 &at);
          !s.ok()) {
        reply(Error(req, http::status::bad_request, "bad_request",
                    "at: " + s.message()));
        return true;
      }
    }
    history->CreateVersion(plan, body["name"].get<std::string>(),
                           body.value("reference", ""), at, claims->user,
                           [req, plan, reply](HistoryAnswer a) {
                             const bool ok = a.status.ok();
                             HttpResponse res =
                                 FromAnswer(req, plan, std::move(a));
                             if (ok) res.result(http::status::created);
                             reply(std::move(res));
                           });
    return true;
  }
  if (route != "versions" && !CanReadHistory(*role)) {
    reply(Error(req, http::status::forbidden, "forbidden",
                "a plan's history needs the auditor role or above; this "
                "token is " +
                    std::string(RoleName(*role))));
    return true;
  }
  std::map<std::string, std::string> params;
  if (Status s = ParseParams(target, &params); !s.ok()) {
    reply(Error(req, http::status::bad_request, "bad_request", s.message()));
    return true;
  }
  std::string query = at_query             ? "at"
                      : route == "history" ? "changes"
                      : route == "history/export" ? "changes"
                                                  : std::string(route);
  protocol::HistoryQuery q;
  if (Status s = protocol::HistoryQueryFromParams(params, query, &q);
      !s.ok()) {
    reply(Error(req, http::status::bad_request, "bad_request", s.message()));
    return true;
  }
  if (route == "history/export") {
    if (q.format.empty()) q.format = "csv";
    if (q.format != "csv" && q.format != "json") {
      reply(Error(req, http::status::bad_request, "bad_request",
                  "format: expected csv or json"));
      return true;
    }
    q.query = "export";
  }
  if (at_query) {
    // The same shape as GET /api/plans/{id}: the state itself.
    history->Query(plan, std::move(q), [req, plan, reply](HistoryAnswer a) {
      if (a.status.ok() && a.body.contains("state")) {
        Json state = std::move(a.body["state"]);
        a.body = std::move(state);
      }
      reply(FromAnswer(req, plan, std::move(a)));
    });
    return true;
  }
  history->Query(plan, std::move(q), done);
  return true;
}

}  // namespace samplan
