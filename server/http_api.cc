#include "server/http_api.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crdt/utf8.h"
#include "protocol/messages.h"
#include "protocol/review_json.h"
#include "server/event_log.h"
#include "server/http_history.h"
#include "server/http_util.h"
#include "server/room.h"
#include "server/server.h"
#include "server/static_files.h"

namespace samplan {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Json = nlohmann::json;

namespace {

// The review query of GET /api/plans/{id}/{view}?node=R:C&status=...:
// the same members as the WebSocket review_query, percent-decoded.
Status ReviewQueryFromParams(std::string_view target, const std::string& view,
                             protocol::ReviewQuery* out) {
  Json q = Json::object();
  q["query"] = view;
  for (const char* key :
       {"node", "status", "author", "municipality", "assignee", "mention"}) {
    const std::string raw = QueryParam(target, key);
    if (raw.empty()) continue;
    std::optional<std::string> value = PercentDecode(raw);
    if (!value || !utf8::Validate(*value).ok()) {
      return Status::InvalidArgument(std::string(key) +
                                     ": bad percent-encoding or UTF-8");
    }
    if (std::string_view(key) == "node") {
      // R:C, as ids are written in messages and logs.
      const size_t colon = value->find(':');
      uint64_t parts[2] = {0, 0};
      bool ok = colon != std::string::npos && colon > 0 &&
                colon + 1 < value->size() && value->size() <= 40;
      for (size_t i = 0; ok && i < value->size(); ++i) {
        const char c = (*value)[i];
        if (i == colon) continue;
        ok = c >= '0' && c <= '9' &&
             parts[i > colon] <= protocol::kMaxWireInteger / 10;
        if (ok) parts[i > colon] = parts[i > colon] * 10 + (c - '0');
      }
      if (!ok) return Status::InvalidArgument("node: expected R:C");
      q["node"] = Json::array({parts[0], parts[1]});
    } else {
      q[key] = *value;
    }
  }
  return protocol::ReviewQueryFromJson(q, out);
}

// Plans created per user (--max-plans-per-user), persisted in
// DATA/plans-created.json so that a restart does not reset the quota. Only
// touched on the blocking pool, under `mu` (creates are serialized: a
// user's concurrent creates cannot overshoot).
struct PlanQuota {
  std::mutex mu;
  bool loaded = false;
  std::map<std::string, uint64_t> created;
};

PlanQuota& Quota() {
  static PlanQuota quota;  // one server per process
  return quota;
}

std::string QuotaPath(const Server* server) {
  return server->config().data_dir + "/plans-created.json";
}

// REQUIRES: quota.mu held.
void LoadQuota(const Server* server, PlanQuota* quota) {
  if (quota->loaded) return;
  quota->loaded = true;
  std::ifstream in(QuotaPath(server));
  if (!in) return;
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, false);
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_number_unsigned()) quota->created[it.key()] = it->get<uint64_t>();
  }
}

// REQUIRES: quota.mu held. Writes a temporary file and renames it over the
// old one, so a crash leaves one of the two.
void SaveQuota(const Server* server, const PlanQuota& quota) {
  Json j = Json::object();
  for (const auto& [user, n] : quota.created) j[user] = n;
  const std::string path = QuotaPath(server);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << protocol::Dump(j);
    if (!out) {
      LogEvent({{"event", "plan_quota_save_failed"}, {"path", tmp}});
      return;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    LogEvent({{"event", "plan_quota_save_failed"}, {"path", path}});
  }
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
  c.plans[kDemoPlanId] = account.role;
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
    Server* server, const HttpRequest& http_req,
    const std::function<void(HttpResponse)>& reply) {
  std::string error;
  std::optional<Claims> claims = BearerClaims(server, http_req, &error);
  if (!claims) {
    reply(Error(MetaOf(http_req), http::status::unauthorized, "not_authenticated",
                error.empty() ? "Authorization: Bearer <token> required"
                              : error));
  }
  return claims;
}

namespace {

// The browser app's files, read on the blocking pool (server/static_files.h).
void ServeStaticFile(Server* server, const HttpRequest& http_req,
                     std::string path, bool head,
                     std::function<void(HttpResponse)> reply) {
  const RequestMeta req = MetaOf(http_req);
  std::string if_none_match(http_req[http::field::if_none_match]);
  asio::post(server->blocking_pool(), [server, req, path = std::move(path),
                                       head, if_none_match,
                                       reply = std::move(reply)]() {
    const StaticFiles files(server->config().web_root,
                            server->config().core_dir);
    std::optional<StaticFile> file = files.Read(path, if_none_match);
    if (!file) {
      reply(Error(req, http::status::not_found, "not_found",
                  files.enabled()
                      ? "no file " + path
                      : "the web client is not served: start samplan serve "
                        "with --web-root (scripts/run.sh does)"));
      return;
    }
    const bool not_modified = file->not_modified;
    HttpResponse res{not_modified ? http::status::not_modified
                                  : http::status::ok,
                     req.version};
    res.set(http::field::server, "samplan");
    res.set(http::field::content_type, file->content_type);
    res.set(http::field::cache_control, "no-cache");
    res.set(http::field::etag, file->etag);
    for (const auto& [name, value] : StaticFiles::SecurityHeaders()) {
      res.set(name, value);
    }
    res.keep_alive(req.keep_alive);
    if (!not_modified) {
      res.body() = std::move(file->body);
      res.prepare_payload();
      // HEAD: the length of the body a GET would get, and no body.
      if (head) res.body().clear();
    }
    reply(std::move(res));
  });
}

}  // namespace

void HandleHttpRequest(Server* server, const HttpRequest& http_req,
                       std::function<void(HttpResponse)> reply) {
  server->metrics().http_requests_total.fetch_add(1);
  const RequestMeta req = MetaOf(http_req);
  const std::string_view target(http_req.target().data(),
                                http_req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = http_req.method() == http::verb::get;
  if (path == "/healthz" && get) {
    reply(Make(req, http::status::ok, "ok\n", "text/plain"));
    return;
  }
  if (path == "/metrics" && get) {
    reply(Make(req, http::status::ok, server->metrics().RenderPrometheus(),
               "text/plain; version=0.0.4"));
    return;
  }
  if (path == "/api/demo-login" && http_req.method() == http::verb::post) {
    if (!server->config().demo_login) {
      reply(Error(req, http::status::not_found, "not_found",
                  "demo login is disabled on this server (started with "
                  "--no-demo, or its data has no demo plan)"));
      return;
    }
    Json body = Json::parse(http_req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("user") ||
        !body["user"].is_string()) {
      reply(Error(req, http::status::bad_request, "bad_request",
                  "expected {\"user\": \"<demo user>\"}"));
      return;
    }
    const std::string user = body["user"].get<std::string>();
    for (const DemoAccount& a : DemoAccounts()) {
      if (a.user != user) continue;
      if (a.role == Role::kAdmin) {
        // An admin may write owners and create plans: not for whoever can
        // reach the port. Its token is on the server's console.
        reply(Error(req, http::status::forbidden, "forbidden",
                    "the admin demo account '" + a.user +
                        "' is not available over HTTP; its token is printed "
                        "on the server console at start-up"));
        return;
      }
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
  if (path == "/api/plans" && http_req.method() == http::verb::post) {
    std::optional<Claims> claims = RequireClaims(server, http_req, reply);
    if (!claims) return;
    Json body = Json::parse(http_req.body(), nullptr, false);
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
    if (CodePoints(title) > kMaxPlanTitleCodePoints) {
      reply(Error(req, http::status::bad_request, "bad_request",
                  "title: " + std::to_string(CodePoints(title)) +
                      " characters exceed the limit of " +
                      std::to_string(kMaxPlanTitleCodePoints)));
      return;
    }
    asio::post(server->blocking_pool(), [server, req, id, title,
                                         user = claims->user,
                                         reply = std::move(reply)] {
      PlanQuota& quota = Quota();
      std::lock_guard<std::mutex> lock(quota.mu);
      LoadQuota(server, &quota);
      const uint64_t limit = server->config().max_plans_per_user;
      if (quota.created[user] >= limit) {
        reply(Error(req, http::status::forbidden, "quota_exceeded",
                    "user '" + user + "' has already created " +
                        std::to_string(quota.created[user]) +
                        " plans, the limit of --max-plans-per-user (" +
                        std::to_string(limit) + ")"));
        return;
      }
      Status s = server->store()->CreatePlan(id, title);
      if (!s.ok()) {
        const bool exists = s.code() == Status::Code::kFailedPrecondition;
        reply(Error(req,
                    exists ? http::status::conflict : http::status::bad_request,
                    exists ? "plan_exists" : "bad_request", s.message()));
        return;
      }
      ++quota.created[user];
      SaveQuota(server, quota);
      reply(Make(req, http::status::created,
                 protocol::Dump({{"id", id}, {"title", title}, {"seq", 0}})));
    });
    return;
  }
  if (HandleHistoryHttp(server, http_req, reply)) return;
  if (path == "/api/plans" || path.starts_with("/api/plans/")) {
    if (!get) {
      reply(Error(req, http::status::method_not_allowed, "method_not_allowed",
                  "only GET"));
      return;
    }
    std::optional<Claims> claims = RequireClaims(server, http_req, reply);
    if (!claims) return;
    if (path == "/api/plans") {
      size_t limit = kDefaultPlansPage;
      const std::string limit_text = QueryParam(target, "limit");
      if (!limit_text.empty()) {
        size_t n = 0;
        bool digits = limit_text.size() <= 6;
        for (char c : limit_text) {
          digits = digits && c >= '0' && c <= '9';
          if (digits) n = n * 10 + static_cast<size_t>(c - '0');
        }
        if (!digits || n < 1 || n > kMaxPlansPage) {
          reply(Error(req, http::status::bad_request, "bad_request",
                      "limit: expected 1 to " + std::to_string(kMaxPlansPage)));
          return;
        }
        limit = n;
      }
      std::string after = QueryParam(target, "after");
      asio::post(server->blocking_pool(), [server, req, limit,
                                           after = std::move(after),
                                           claims = std::move(*claims),
                                           reply = std::move(reply)] {
        std::vector<PlanInfo> plans;
        Status s = server->store()->ListPlans(&plans);
        if (!s.ok()) {
          reply(Error(req, http::status::service_unavailable, "storage_error",
                      s.ToString()));
          return;
        }
        std::sort(plans.begin(), plans.end(),
                  [](const PlanInfo& a, const PlanInfo& b) {
                    return a.plan_id < b.plan_id;
                  });
        Json list = Json::array();
        Json next = nullptr;
        for (const PlanInfo& p : plans) {
          if (!after.empty() && p.plan_id <= after) continue;
          std::optional<Role> role = claims.RoleFor(p.plan_id);
          if (!role) continue;
          if (list.size() == limit) {
            next = list.back()["id"];  // there is more after this page
            break;
          }
          list.push_back(
              {{"id", p.plan_id},
               {"title", CutCodePoints(p.title, kMaxPlanTitleCodePoints)},
               {"seq", p.last_seq},
               {"role", RoleName(*role)},
               {"created_ms", p.created_ms}});
        }
        reply(Make(req, http::status::ok,
                   protocol::Dump({{"plans", list}, {"next", next}})));
      });
      return;
    }
    std::string plan(path.substr(std::string_view("/api/plans/").size()));
    // /api/plans/{id}/{view}: a review view (protocol/review_json.h).
    std::optional<protocol::ReviewQuery> review;
    if (const size_t slash = plan.find('/'); slash != std::string::npos) {
      const std::string view = plan.substr(slash + 1);
      plan.resize(slash);
      protocol::ReviewView v;
      if (!protocol::ParseReviewView(view, &v) || !claims->RoleFor(plan)) {
        reply(Error(req, http::status::not_found,
                    claims->RoleFor(plan) ? "not_found" : "plan_not_found",
                    claims->RoleFor(plan)
                        ? "no route for " + std::string(path) +
                              " (threads, inbox, suggestions, conflicts or "
                              "signoff)"
                        : "plan '" + plan +
                              "' does not exist or is not visible to this "
                              "token"));
        return;
      }
      Status parsed = ReviewQueryFromParams(target, view, &review.emplace());
      if (!parsed.ok()) {
        reply(Error(req, http::status::bad_request, "bad_request",
                    parsed.message()));
        return;
      }
      review->viewer_user = claims->user;
      review->viewer_municipality = claims->municipality;
    }
    if (plan.empty() || plan.find('/') != std::string::npos ||
        !claims->RoleFor(plan)) {
      reply(Error(req, http::status::not_found, "plan_not_found",
                  "plan '" + plan +
                      "' does not exist or is not visible to this token"));
      return;
    }
    // The existence check reads the store: on the blocking pool. A plan
    // that does not exist never gets a room.
    asio::post(server->blocking_pool(), [server, req, plan,
                                         review = std::move(review),
                                         reply = std::move(reply)]() mutable {
      PlanInfo info;
      Status s = server->store()->GetPlanInfo(plan, &info);
      if (!s.ok()) {
        const bool missing = s.code() == Status::Code::kNotFound;
        reply(Error(req,
                    missing ? http::status::not_found
                            : http::status::service_unavailable,
                    missing ? "plan_not_found" : "storage_error",
                    missing ? "plan '" + plan +
                                  "' does not exist or is not visible to "
                                  "this token"
                            : s.ToString()));
        return;
      }
      std::shared_ptr<Room> room = server->AcquireRoom(plan);
      auto done = [server, room, req, reply = std::move(reply)](
                      int status, std::string body) {
        reply(Make(req, static_cast<http::status>(status), std::move(body)));
        server->ReleaseRoom(room);
      };
      if (review) {
        room->RenderReview(std::move(*review), std::move(done));
      } else {
        room->RenderState(std::move(done));
      }
    });
    return;
  }
  const bool head = http_req.method() == http::verb::head;
  if ((get || head) && !path.starts_with("/api/")) {
    ServeStaticFile(server, http_req, std::string(path), head,
                    std::move(reply));
    return;
  }
  reply(Error(req, http::status::not_found, "not_found",
              "no route for " + std::string(path)));
}

}  // namespace samplan
