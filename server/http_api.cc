#include "server/http_api.h"

#include <memory>
#include <nlohmann/json.hpp>

#include "protocol/messages.h"
#include "server/room.h"
#include "server/server.h"

namespace samplan {

namespace http = boost::beast::http;
using Json = nlohmann::json;

namespace {

HttpResponse Make(const HttpRequest& req, http::status status,
                  std::string body, const char* type = "application/json") {
  HttpResponse res{status, req.version()};
  res.set(http::field::server, "samplan");
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse Error(const HttpRequest& req, http::status status,
                   std::string_view code, std::string_view message) {
  Json j = {{"error", {{"code", code}, {"message", message}}}};
  return Make(req, status, protocol::Dump(j));
}

}  // namespace

const std::vector<DemoAccount>& DemoAccounts() {
  static const std::vector<DemoAccount> kAccounts = {
      {"kari", "Moss", Role::kAdmin},
      {"ola", "Vestby", Role::kEditor},
      {"anne", "Moss", Role::kEditor},
      {"siri", "Råde", Role::kEditor},
      {"per", "Viken fylkeskommune", Role::kReviewer},
      {"arne", "Moss", Role::kAuditor},
      {"vera", "Våler", Role::kViewer},
  };
  return kAccounts;
}

Claims DemoClaims(const DemoAccount& account) {
  Claims c;
  c.user = account.user;
  c.municipality = account.municipality;
  c.plans["*"] = account.role;
  c.issued_s = NowSeconds();
  c.expires_s = c.issued_s + 12 * 3600;
  return c;
}

bool OriginAllowed(std::string_view origin,
                   const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  for (const std::string& a : allowed) {
    if (a == "*" || origin == a) return true;
    if (origin.size() > a.size() && origin.substr(0, a.size()) == a &&
        origin[a.size()] == ':') {
      const std::string_view port = origin.substr(a.size() + 1);
      bool digits = !port.empty();
      for (char c : port) digits = digits && c >= '0' && c <= '9';
      if (digits) return true;
    }
  }
  return false;
}

std::optional<Claims> BearerClaims(Server* server, const HttpRequest& req,
                                   std::string* error) {
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return std::nullopt;
  std::string_view value(it->value().data(), it->value().size());
  if (!value.starts_with("Bearer ")) {
    *error = "Authorization must be 'Bearer <token>'";
    return std::nullopt;
  }
  Claims claims;
  Status s = server->signer().Verify(value.substr(7), NowSeconds(), &claims);
  if (!s.ok()) {
    *error = s.message();
    return std::nullopt;
  }
  return claims;
}

// The caller's claims, or nullopt after replying 401 naming what is wrong.
std::optional<Claims> RequireClaims(
    Server* server, const HttpRequest& req,
    const std::function<void(HttpResponse)>& reply) {
  std::string error;
  std::optional<Claims> claims = BearerClaims(server, req, &error);
  if (!claims) {
    reply(Error(req, http::status::unauthorized, "not_authenticated",
                error.empty() ? "Authorization: Bearer <token> required"
                              : error));
  }
  return claims;
}

void HandleHttpRequest(Server* server, const HttpRequest& req,
                       std::function<void(HttpResponse)> reply) {
  server->metrics().http_requests_total.fetch_add(1);
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = req.method() == http::verb::get;
  if (path == "/healthz" && get) {
    reply(Make(req, http::status::ok, "ok\n", "text/plain"));
    return;
  }
  if (path == "/metrics" && get) {
    reply(Make(req, http::status::ok, server->metrics().RenderPrometheus(),
               "text/plain; version=0.0.4"));
    return;
  }
  if (path == "/api/demo-login" && req.method() == http::verb::post) {
    if (!server->config().demo) {
      reply(Error(req, http::status::not_found, "not_found",
                  "demo login is disabled"));
      return;
    }
    Json body = Json::parse(req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("user") ||
        !body["user"].is_string()) {
      reply(Error(req, http::status::bad_request, "bad_request",
                  "expected {\"user\": \"<demo user>\"}"));
      return;
    }
    const std::string user = body["user"].get<std::string>();
    for (const DemoAccount& a : DemoAccounts()) {
      if (a.user != user) continue;
      const Claims c = DemoClaims(a);
      Json out = {{"token", server->signer().Mint(c)},
                  {"user", a.user},
                  {"municipality", a.municipality},
                  {"role", RoleName(a.role)},
                  {"expires", c.expires_s}};
      reply(Make(req, http::status::ok, protocol::Dump(out)));
      return;
    }
    reply(Error(req, http::status::not_found, "not_found",
                "no demo user '" + user + "'"));
    return;
  }
  if (path == "/api/plans" && req.method() == http::verb::post) {
    std::optional<Claims> claims = RequireClaims(server, req, reply);
    if (!claims) return;
    Json body = Json::parse(req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("id") ||
        !body["id"].is_string() ||
        (body.contains("title") && !body["title"].is_string())) {
      reply(Error(req, http::status::bad_request, "bad_request",
                  "expected {\"id\": \"plan-id\", \"title\": \"...\"}"));
      return;
    }
    const std::string id = body["id"].get<std::string>();
    const std::string title = body.value("title", "");
    std::optional<Role> role = claims->RoleFor(id);
    if (!role || *role != Role::kAdmin) {
      reply(Error(req, http::status::forbidden, "forbidden",
                  "only an admin of the plan (or of \"*\") may create it"));
      return;
    }
    Status s = server->store()->CreatePlan(id, title);
    if (!s.ok()) {
      const bool exists = s.code() == Status::Code::kFailedPrecondition;
      reply(Error(req, exists ? http::status::conflict : http::status::bad_request,
                  exists ? "plan_exists" : "bad_request", s.message()));
      return;
    }
    reply(Make(req, http::status::created,
               protocol::Dump({{"id", id}, {"title", title}, {"seq", 0}})));
    return;
  }
  if (path == "/api/plans" || path.starts_with("/api/plans/")) {
    if (!get) {
      reply(Error(req, http::status::method_not_allowed, "method_not_allowed",
                  "only GET"));
      return;
    }
    std::optional<Claims> claims = RequireClaims(server, req, reply);
    if (!claims) return;
    if (path == "/api/plans") {
      std::vector<PlanInfo> plans;
      Status s = server->store()->ListPlans(&plans);
      if (!s.ok()) {
        reply(Error(req, http::status::service_unavailable, "storage_error",
                    s.ToString()));
        return;
      }
      Json list = Json::array();
      for (const PlanInfo& p : plans) {
        std::optional<Role> role = claims->RoleFor(p.plan_id);
        if (!role) continue;
        list.push_back({{"id", p.plan_id},
                        {"title", p.title},
                        {"seq", p.last_seq},
                        {"role", RoleName(*role)},
                        {"created_ms", p.created_ms}});
      }
      reply(Make(req, http::status::ok, protocol::Dump({{"plans", list}})));
      return;
    }
    const std::string plan(path.substr(std::string_view("/api/plans/").size()));
    if (plan.empty() || plan.find('/') != std::string::npos ||
        !claims->RoleFor(plan)) {
      reply(Error(req, http::status::not_found, "plan_not_found",
                  "plan '" + plan +
                      "' does not exist or is not visible to this token"));
      return;
    }
    std::shared_ptr<Room> room = server->AcquireRoom(plan);
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    room->RenderState([server, room, version, keep_alive,
                       reply = std::move(reply)](int status, std::string body) {
      HttpResponse res{static_cast<http::status>(status), version};
      res.set(http::field::server, "samplan");
      res.set(http::field::content_type, "application/json");
      res.set(http::field::cache_control, "no-store");
      res.keep_alive(keep_alive);
      res.body() = std::move(body);
      res.prepare_payload();
      reply(std::move(res));
      server->ReleaseRoom(room);
    });
    return;
  }
  reply(Error(req, http::status::not_found, "not_found",
              "no route for " + std::string(path)));
}

}  // namespace samplan
