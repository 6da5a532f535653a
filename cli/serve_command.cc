#include "cli/serve_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "crdt/replica.h"
#include "server/auth.h"
#include "cli/cli.h"
#include "cli/demo_plan.h"
#include "server/event_log.h"
#include "server/http_api.h"
#include "server/room.h"
#include "server/server.h"
#include "server/history_service.h"
#include "server/server_config.h"
#include "storage/checkpoint_log.h"
#include "storage/checkpoint_scheduler.h"
#include "storage/named_version.h"
#include "storage/people.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/signing.h"
#include "storage/snapshot_scheduler.h"

namespace samplan {

namespace {

constexpr const char* kDemoPlan = kDemoPlanId;
// The replica id the demo plan is written as (ids below 2^32 are reserved
// for the server; kServerReplica is the rooms' own id).
constexpr ReplicaId kDemoBuilderReplica = 2;

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

int Usage(const char* cmd, const std::string& msg) {
  std::fprintf(stderr, "samplan %s: %s (see samplan help %s)\n", cmd,
               msg.c_str(), cmd);
  return kExitUsage;
}

bool MakeDir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
  return ::mkdir(dir.c_str(), 0700) == 0;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The demo accounts' names and e-mail addresses (fictional), kept in the
// people table apart from the operations (docs/audit.md, "Personal data").
struct DemoPerson {
  const char* user;
  const char* name;
  const char* email;
};
constexpr DemoPerson kDemoPeople[] = {
    {"kari", "Kari Holm", "kari.holm@moss.example.no"},
    {"ola", "Ola Berg", "ola.berg@vestby.example.no"},
    {"anne", "Anne Lie", "anne.lie@moss.example.no"},
    {"siri", "Siri Dahl", "siri.dahl@rade.example.no"},
    {"per", "Per Aas", "per.aas@viken.example.no"},
    {"arne", "Arne Moen", "arne.moen@moss.example.no"},
    {"vera", "Vera Lund", "vera.lund@valer.example.no"},
};

// Appends the builder's ops from `from` on (each keeps its author) and
// names the resulting head, signed with `keys`.
Status AppendAndName(PlanStore* store, const KeyRing& keys,
                     const Replica& builder, size_t from, const char* name,
                     const char* reference, int64_t created_ms) {
  std::vector<Op> ops(builder.log().begin() + static_cast<ptrdiff_t>(from),
                      builder.log().end());
  AppendContext context{"samplan", "", 0};
  context.op_authors = true;
  std::vector<StoredOp> stored;
  SAMPLAN_RETURN_IF_ERROR(store->Append(kDemoPlan, ops, context, &stored));
  NamedVersion v;
  v.plan_id = kDemoPlan;
  v.name = name;
  v.reference = reference;
  v.seq = stored.back().seq;
  v.head = stored.back().chain;
  v.time_ms = stored.back().server_time_ms;
  v.created_by = "kari";
  v.created_ms = std::max(created_ms, v.time_ms);
  v.key_id = keys.active().id;
  v.signature = keys.Sign(VersionSigningMessage(v));
  return store->PutVersion(v);
}

// Creates the demo plan through the store, as its first operations: the
// plan as sent on public hearing three weeks ago (named "Høringsutkast"),
// then its revision after the hearing and the review at work (named
// "Vedtatt i regionrådet"), so that history, diff and blame have something
// to show at once.
Status CreateDemoPlan(PlanStore* store, const KeyRing& keys) {
  const int64_t now = NowMs();
  constexpr int64_t kDay = 24 * 3600 * 1000;
  Replica builder(kDemoBuilderReplica);
  builder.SetAuthor(Author{"kari", "Moss", now - 21 * kDay});
  SAMPLAN_RETURN_IF_ERROR(BuildDemoPlan(&builder));
  SAMPLAN_RETURN_IF_ERROR(store->CreatePlan(
      kDemoPlan, "Mosseregionen: felles handlingsplan for næringsutvikling 2026"));
  for (const DemoPerson& p : kDemoPeople) {
    SAMPLAN_RETURN_IF_ERROR(store->PutPerson(Person{p.user, p.name, p.email}));
  }
  SAMPLAN_RETURN_IF_ERROR(AppendAndName(
      store, keys, builder, 0, "Høringsutkast",
      "Regionrådet sak 12/2026: sendt på høring", now - 21 * kDay + 3600000));
  const size_t hearing = builder.log().size();
  const Op last_of_hearing = builder.log().back();
  SAMPLAN_RETURN_IF_ERROR(BuildDemoRevision(&builder, now - 7 * kDay));
  SAMPLAN_RETURN_IF_ERROR(BuildDemoReview(&builder, now - 2 * kDay));
  if (!(builder.log()[hearing - 1] == last_of_hearing)) {
    // A later edit merged into an op already stored: never rewrite it.
    return Status::FailedPrecondition("demo: a stored op was extended");
  }
  return AppendAndName(store, keys, builder, hearing, "Vedtatt i regionrådet",
                       "Regionrådet sak 31/2026: handlingsplanen vedtatt",
                       now - kDay);
}

// The repository folder holding the build folder of this executable
// (build/samplan -> the checkout), or "" when it cannot be told.
std::string CheckoutOfExecutable() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  std::string exe(buf, static_cast<size_t>(n));
  const size_t slash = exe.rfind('/');
  if (slash == std::string::npos) return "";
  const std::string build_dir = exe.substr(0, slash);
  const size_t up = build_dir.rfind('/');
  return up == std::string::npos ? "" : build_dir.substr(0, up);
}

bool IsFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Defaults for --web-root and --core-dir: the checkout's web-client/app
// and build-wasm/, when they exist.
void ResolveWebClient(bool web_root_given, bool core_dir_given,
                      ServerConfig* cfg) {
  if (web_root_given && cfg->web_root == "none") cfg->web_root.clear();
  const std::string checkout = CheckoutOfExecutable();
  if (!web_root_given && !checkout.empty() &&
      IsFile(checkout + "/web-client/app/index.html")) {
    cfg->web_root = checkout + "/web-client/app";
  }
  if (!core_dir_given && !checkout.empty() &&
      IsFile(checkout + "/build-wasm/samplan_core_web.mjs")) {
    cfg->core_dir = checkout + "/build-wasm";
  }
}

}  // namespace

int RunServeCommand(std::span<const std::string_view> args) {
  ServerConfig cfg;
  bool quiet = false;
  bool origins_given = false;
  bool web_root_given = false;
  bool core_dir_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kServeUsage, stdout);
      return kExitOk;
    }
    if (a == "--no-demo") {
      cfg.demo = false;
      continue;
    }
    if (a == "--allow-public-demo") {
      cfg.allow_public_demo = true;
      continue;
    }
    if (a == "--no-sync") {
      cfg.sync = false;
      continue;
    }
    if (a == "--quiet") {
      quiet = true;
      continue;
    }
    if (i + 1 == args.size()) return Usage("serve", std::string(a) + " needs a value, or is unknown");
    const std::string_view v = args[++i];
    bool ok = true;
    if (a == "--port") {
      ok = ParseNumber(v, &cfg.port);
    } else if (a == "--bind") {
      cfg.bind = std::string(v);
    } else if (a == "--data") {
      cfg.data_dir = std::string(v);
    } else if (a == "--threads") {
      ok = ParseNumber(v, &cfg.threads) && cfg.threads >= 1 && cfg.threads <= 256;
    } else if (a == "--allow-origin") {
      if (!origins_given) cfg.allowed_origins.clear();
      origins_given = true;
      cfg.allowed_origins.emplace_back(v);
    } else if (a == "--max-message-bytes") {
      ok = ParseNumber(v, &cfg.max_message_bytes) && cfg.max_message_bytes >= 1024;
    } else if (a == "--max-batch-ops") {
      ok = ParseNumber(v, &cfg.max_ops_per_batch) && cfg.max_ops_per_batch >= 1;
    } else if (a == "--rate") {
      int n = 0;
      ok = ParseNumber(v, &n) && n >= 1;
      cfg.rate_per_second = n;
    } else if (a == "--burst") {
      int n = 0;
      ok = ParseNumber(v, &n) && n >= 1;
      cfg.rate_burst = n;
    } else if (a == "--idle-timeout") {
      ok = ParseNumber(v, &cfg.idle_timeout_s) && cfg.idle_timeout_s >= 1;
    } else if (a == "--handshake-timeout") {
      ok = ParseNumber(v, &cfg.handshake_timeout_s) && cfg.handshake_timeout_s >= 1;
    } else if (a == "--auth-timeout") {
      ok = ParseNumber(v, &cfg.auth_timeout_s) && cfg.auth_timeout_s >= 1;
    } else if (a == "--send-queue-limit") {
      ok = ParseNumber(v, &cfg.send_queue_limit) && cfg.send_queue_limit >= 1;
    } else if (a == "--send-queue-bytes") {
      ok = ParseNumber(v, &cfg.send_queue_bytes) && cfg.send_queue_bytes >= 1024;
    } else if (a == "--snapshot-every") {
      ok = ParseNumber(v, &cfg.snapshot_every_ops);
    } else if (a == "--checkpoint-every") {
      ok = ParseNumber(v, &cfg.checkpoint_every_ops);
    } else if (a == "--checkpoint-interval") {
      ok = ParseNumber(v, &cfg.checkpoint_every_s) &&
           cfg.checkpoint_every_s >= 1;
    } else if (a == "--snapshot-interval") {
      ok = ParseNumber(v, &cfg.snapshot_every_s) && cfg.snapshot_every_s >= 1;
    } else if (a == "--max-plans-per-user") {
      ok = ParseNumber(v, &cfg.max_plans_per_user);
    } else if (a == "--max-connections") {
      ok = ParseNumber(v, &cfg.max_connections) && cfg.max_connections >= 1;
    } else if (a == "--test-append-delay-ms") {
      ok = ParseNumber(v, &cfg.test_append_delay_ms) &&
           cfg.test_append_delay_ms >= 0 && cfg.test_append_delay_ms <= 60000;
    } else if (a == "--web-root") {
      cfg.web_root = std::string(v);
      web_root_given = true;
    } else if (a == "--core-dir") {
      cfg.core_dir = std::string(v);
      core_dir_given = true;
    } else if (a == "--max-plan-chars") {
      ok = ParseNumber(v, &cfg.max_plan_chars) && cfg.max_plan_chars >= 1;
    } else if (a == "--max-plan-nodes") {
      ok = ParseNumber(v, &cfg.max_plan_nodes) && cfg.max_plan_nodes >= 1;
    } else if (a == "--max-pending-ops") {
      ok = ParseNumber(v, &cfg.max_pending_ops) && cfg.max_pending_ops >= 1;
    } else if (a == "--max-pending-batches") {
      ok = ParseNumber(v, &cfg.max_pending_batches) &&
           cfg.max_pending_batches >= 1;
    } else {
      return Usage("serve", "unknown option '" + std::string(a) + "'");
    }
    if (!ok) {
      return Usage("serve", "bad value '" + std::string(v) + "' for " +
                                std::string(a));
    }
  }
  ResolveWebClient(web_root_given, core_dir_given, &cfg);
  if (quiet) SetEventLogEnabled(false);
  boost::system::error_code bind_ec;
  const boost::asio::ip::address bind_address =
      boost::asio::ip::make_address(cfg.bind, bind_ec);
  if (bind_ec) {
    return Usage("serve", "--bind: '" + cfg.bind + "' is not an IP address");
  }
  if (!MakeDir(cfg.data_dir)) {
    std::fprintf(stderr, "samplan serve: cannot create data directory %s\n",
                 cfg.data_dir.c_str());
    return kExitUsage;
  }
  std::string secret;
  if (Status s = LoadOrCreateSecret(cfg.data_dir, &secret); !s.ok()) {
    std::fprintf(stderr, "samplan serve: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  RocksDbPlanStoreOptions options;
  options.sync = cfg.sync;
  std::unique_ptr<RocksDbPlanStore> store;
  if (Status s = RocksDbPlanStore::Open(cfg.data_dir + "/db", options, &store);
      !s.ok()) {
    std::fprintf(stderr, "samplan serve: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  std::unique_ptr<KeyRing> keys;
  if (Status s = KeyRing::LoadOrCreate(cfg.data_dir, NowMs(), &keys);
      !s.ok()) {
    std::fprintf(stderr, "samplan serve: signing keys: %s\n",
                 s.ToString().c_str());
    return kExitUsage;
  }
  std::vector<PlanInfo> plans;
  if (Status s = store->ListPlans(&plans); !s.ok()) {
    std::fprintf(stderr, "samplan serve: %s\n", s.ToString().c_str());
    return kExitFailure;
  }
  if (plans.empty() && cfg.demo) {
    if (Status s = CreateDemoPlan(store.get(), *keys); !s.ok()) {
      std::fprintf(stderr, "samplan serve: creating the demo plan: %s\n",
                   s.ToString().c_str());
      return kExitFailure;
    }
    std::printf("samplan serve: created the demo plan '%s' in %s\n", kDemoPlan,
                cfg.data_dir.c_str());
  }
  if (cfg.demo) {
    PlanInfo info;
    cfg.demo_login = store->GetPlanInfo(kDemoPlan, &info).ok();
  }
  // Demo login hands out tokens to whoever asks: only on loopback unless
  // the operator opens it on purpose. Checked before binding anything.
  if (cfg.demo_login && !bind_address.is_loopback() && !cfg.allow_public_demo) {
    std::fprintf(stderr,
                 "samplan serve: demo login (POST /api/demo-login) gives a "
                 "token to anyone who can reach %s; bind to 127.0.0.1, run "
                 "with --no-demo, or pass --allow-public-demo to open it on "
                 "purpose\n",
                 cfg.bind.c_str());
    return kExitUsage;
  }
  const bool demo = cfg.demo_login;
  std::unique_ptr<SnapshotScheduler> snapshots;
  if (cfg.snapshot_every_ops > 0) {
    SnapshotPolicy policy;
    policy.every_ops = cfg.snapshot_every_ops;
    policy.every = std::chrono::seconds(cfg.snapshot_every_s);
    snapshots = std::make_unique<SnapshotScheduler>(store.get(), policy);
  }
  // Signed heads every N ops or S seconds per plan, to a file an operator
  // can ship elsewhere (docs/audit.md).
  const std::string checkpoint_path = cfg.data_dir + "/checkpoints.log";
  std::vector<Checkpoint> existing;
  if (Status s = ReadCheckpoints(checkpoint_path, &existing);
      !s.ok() && s.code() != Status::Code::kNotFound) {
    std::fprintf(stderr, "samplan serve: %s: %s\n", checkpoint_path.c_str(),
                 s.ToString().c_str());
    return kExitFailure;
  }
  std::unique_ptr<CheckpointLog> checkpoint_log;
  std::unique_ptr<CheckpointScheduler> checkpoints;
  if (cfg.checkpoint_every_ops > 0) {
    if (Status s = CheckpointLog::Open(checkpoint_path, &checkpoint_log);
        !s.ok()) {
      std::fprintf(stderr, "samplan serve: %s\n", s.ToString().c_str());
      return kExitUsage;
    }
    CheckpointPolicy policy;
    policy.every_ops = cfg.checkpoint_every_ops;
    policy.every = std::chrono::seconds(cfg.checkpoint_every_s);
    checkpoints = std::make_unique<CheckpointScheduler>(
        store.get(), keys.get(), checkpoint_log.get(), policy, existing);
    // Plans whose head moved since their last checkpoint (the demo just
    // created, or a log written while checkpoints were off) get one.
    std::vector<PlanInfo> all;
    if (store->ListPlans(&all).ok()) {
      for (const PlanInfo& p : all) {
        checkpoints->NoteAppended(p.plan_id, p.last_seq);
      }
    }
  }
  HistoryService history(store.get(), keys.get());
  Server server(cfg, store.get(), secret);
  server.set_snapshots(snapshots.get());
  server.set_history(&history);
  server.set_checkpoints(checkpoints.get());
  if (Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "samplan serve: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  const std::string host = cfg.bind.find(':') != std::string::npos
                               ? "[" + cfg.bind + "]"
                               : cfg.bind;
  std::printf("samplan serve: listening on http://%s:%u (WebSocket ws://%s:%u/ws)\n",
              host.c_str(), server.port(), host.c_str(), server.port());
  if (!cfg.web_root.empty()) {
    std::printf("samplan serve: plan editor at http://%s:%u/\n", host.c_str(),
                server.port());
    if (cfg.core_dir.empty() || !IsFile(cfg.core_dir + "/samplan_core_web.mjs")) {
      std::printf("samplan serve: the wasm core is missing (run "
                  "scripts/build-wasm.sh); the editor cannot start without "
                  "it\n");
    }
  }
  if (demo) {
    TokenSigner signer(secret);
    std::printf("demo login is on: it is for trying Samplan out, anyone who "
                "can reach this port gets a demo token; samplan serve "
                "--no-demo gives a server with no open door\n");
    std::printf("demo accounts (tokens for plan '%s', valid 12 h; or POST "
                "/api/demo-login {\"user\": NAME}, except the admin):\n",
                kDemoPlan);
    for (const DemoAccount& a : DemoAccounts()) {
      const Claims c = DemoClaims(a);
      std::printf("  %-5s %-8s %-22s %s\n", a.user.c_str(), RoleName(a.role),
                  a.municipality.c_str(), signer.Mint(c).c_str());
    }
    std::printf("try: curl -H 'Authorization: Bearer <token>' "
                "http://%s:%u/api/plans/demo\n",
                host.c_str(), server.port());
  }
  std::fflush(stdout);
  server.Run();
  if (checkpoints) checkpoints->CheckpointAllNow();
  std::printf("samplan serve: stopped\n");
  std::fflush(stdout);
  return kExitOk;
}

int RunTokenCommand(std::span<const std::string_view> args) {
  Claims c;
  std::string plan;
  std::string role_name;
  std::string data_dir = "./samplan-data";
  int64_t ttl = 86400;
  bool have_municipality = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kTokenUsage, stdout);
      return kExitOk;
    }
    if (i + 1 == args.size()) return Usage("token", std::string(a) + " needs a value, or is unknown");
    const std::string_view v = args[++i];
    if (a == "--user") {
      c.user = std::string(v);
    } else if (a == "--municipality") {
      c.municipality = std::string(v);
      have_municipality = true;
    } else if (a == "--plan") {
      plan = std::string(v);
    } else if (a == "--role") {
      role_name = std::string(v);
    } else if (a == "--ttl") {
      if (!ParseNumber(v, &ttl) || ttl < 1) {
        return Usage("token", "--ttl takes a positive number of seconds");
      }
    } else if (a == "--data") {
      data_dir = std::string(v);
    } else {
      return Usage("token", "unknown option '" + std::string(a) + "'");
    }
  }
  Role role;
  if (c.user.empty() || !have_municipality || plan.empty()) {
    return Usage("token", "--user, --municipality and --plan are required");
  }
  if (!ParseRole(role_name, &role)) {
    return Usage("token", "--role must be admin, editor, reviewer, auditor or viewer");
  }
  if (!MakeDir(data_dir)) {
    std::fprintf(stderr, "samplan token: cannot create %s\n", data_dir.c_str());
    return kExitUsage;
  }
  std::string secret;
  if (Status s = LoadOrCreateSecret(data_dir, &secret); !s.ok()) {
    std::fprintf(stderr, "samplan token: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  c.plans[plan] = role;
  c.issued_s = NowSeconds();
  c.expires_s = c.issued_s + ttl;
  std::printf("%s\n", TokenSigner(secret).Mint(c).c_str());
  return kExitOk;
}

}  // namespace samplan
