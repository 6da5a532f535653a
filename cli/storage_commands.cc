#include "cli/storage_commands.h"

#include <stdlib.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "crdt/op.h"
#include "cli/cli.h"
#include "storage/backup.h"
#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"

namespace samplan {
namespace {


using Args = CommandArgs;

int Usage(const char* command, const std::string& message) {
  std::fprintf(stderr, "samplan %s: %s (see `samplan help %s`)\n", command,
               message.c_str(), command);
  return kExitUsage;
}

// Parsed "--name value" options; flags without a value are listed in
// `flags`.
struct Options {
  std::vector<std::pair<std::string_view, std::string_view>> values;
  std::vector<std::string_view> flags;
  const std::string_view* Find(std::string_view name) const {
    for (const auto& [n, v] : values) {
      if (n == name) return &v;
    }
    return nullptr;
  }
  bool Has(std::string_view flag) const {
    for (std::string_view f : flags) {
      if (f == flag) return true;
    }
    return false;
  }
};

// Fills `out` from args; `valued` and `flags` list what is allowed.
bool ParseOptions(const char* command, Args args,
                  std::initializer_list<std::string_view> valued,
                  std::initializer_list<std::string_view> flags, Options* out,
                  int* exit_code) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    bool known = false;
    for (std::string_view f : flags) {
      if (arg == f) {
        out->flags.push_back(arg);
        known = true;
      }
    }
    for (std::string_view v : valued) {
      if (arg == v) {
        if (i + 1 == args.size()) {
          *exit_code = Usage(command, std::string(arg) + " needs a value");
          return false;
        }
        out->values.emplace_back(arg, args[++i]);
        known = true;
      }
    }
    if (!known) {
      *exit_code = Usage(command, "unknown argument '" + std::string(arg) + "'");
      return false;
    }
  }
  return true;
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// A temporary directory removed on scope exit (the secondary instance's).
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    path_ = (std::filesystem::temp_directory_path(ec) / "samplan-read-XXXXXX")
                .string();
    if (mkdtemp(path_.data()) == nullptr) path_.clear();
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The database of a data directory: DIR/db for a server's data directory
// (`samplan serve --data DIR`), or DIR itself when it is a bare database.
// Sets *server_layout accordingly.
Status FindDatabase(const std::string& data_dir, std::string* db,
                    bool* server_layout) {
  std::error_code ec;
  if (std::filesystem::exists(data_dir + "/db/CURRENT", ec)) {
    *db = data_dir + "/db";
    *server_layout = true;
    return Status::OK();
  }
  if (std::filesystem::exists(data_dir + "/CURRENT", ec)) {
    *db = data_dir;
    *server_layout = false;
    return Status::OK();
  }
  return Status::NotFound("no samplan database in " + data_dir +
                          " (expected " + data_dir + "/db)");
}

// Opens the store of data directory `data_dir` for reading: normally, or,
// when a server holds it, as a secondary instance.
Status OpenForReading(const char* command, const std::string& data_dir,
                      ScratchDir* scratch,
                      std::unique_ptr<RocksDbPlanStore>* store) {
  RocksDbPlanStoreOptions options;
  options.create_if_missing = false;
  std::string dir;
  bool server_layout;
  SAMPLAN_RETURN_IF_ERROR(FindDatabase(data_dir, &dir, &server_layout));
  Status s = RocksDbPlanStore::Open(dir, options, store);
  if (s.ok() || s.message().find("lock") == std::string::npos) return s;
  std::fprintf(stderr,
               "samplan %s: %s is in use (a server is running); reading it "
               "as a secondary instance, as of now\n",
               command, dir.c_str());
  options.secondary_path = scratch->path();
  return RocksDbPlanStore::Open(dir, options, store);
}

// Verifies every plan of `store` (or `only`); prints per plan and a
// summary. Returns the exit status.
int VerifyStore(const char* command, RocksDbPlanStore* store,
                std::string_view only) {
  if (Status s = store->VerifyChecksums(); !s.ok()) {
    std::printf("INCONSISTENT: %s\n", s.ToString().c_str());
    return kExitFailure;
  }
  std::vector<PlanInfo> plans;
  if (Status s = store->ListPlans(&plans); !s.ok()) {
    std::printf("INCONSISTENT: %s\n", s.ToString().c_str());
    return kExitFailure;
  }
  uint64_t ops = 0, snapshots = 0;
  size_t checked = 0;
  for (const PlanInfo& info : plans) {
    if (!only.empty() && info.plan_id != only) continue;
    PlanVerifyReport report;
    Status s = VerifyPlan(store, info.plan_id, &report);
    if (!s.ok()) {
      std::printf("INCONSISTENT plan %s seq %llu: %s\n", info.plan_id.c_str(),
                  static_cast<unsigned long long>(report.bad_seq),
                  report.problem.empty() ? s.ToString().c_str()
                                         : report.problem.c_str());
      return kExitFailure;
    }
    std::printf("plan %s: %llu operations, %llu snapshots, head %s\n",
                info.plan_id.c_str(),
                static_cast<unsigned long long>(report.ops),
                static_cast<unsigned long long>(report.snapshots),
                ChainToHex(report.head).c_str());
    ops += report.ops;
    snapshots += report.snapshots;
    ++checked;
  }
  if (!only.empty() && checked == 0) {
    std::fprintf(stderr, "samplan %s: unknown plan '%.*s'\n", command,
                 static_cast<int>(only.size()), only.data());
    return kExitUsage;
  }
  std::printf("verified %zu plans, %llu operations, %llu snapshots: all "
              "consistent\n",
              checked, static_cast<unsigned long long>(ops),
              static_cast<unsigned long long>(snapshots));
  return kExitOk;
}

std::string IsoTime(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
                tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
                tm.tm_sec % 100, static_cast<int>(ms % 1000 + 1000) % 1000);
  return buf;
}

const char* OrDash(const std::string& s) { return s.empty() ? "-" : s.c_str(); }

// The part of the op the line names: node (or parent) and field.
std::string Target(const Op& op) {
  switch (op.kind) {
    case OpKind::kCreateNode:
      return "under " + op.parent.ToString() + " (" + op.name + ")";
    case OpKind::kMoveNode:
      return op.node.ToString() + " to " + op.parent.ToString();
    case OpKind::kDeleteNode:
      return op.node.ToString();
    case OpKind::kAddComment:
      if (!op.parent.IsNull()) return "reply to " + op.parent.ToString();
      return "on " + op.node.ToString() +
             (op.name.empty() ? "" : " " + op.name);
    case OpKind::kEditComment:
    case OpKind::kDeleteComment:
      return "comment " + op.target.ToString();
    case OpKind::kSetThread:
      return "thread " + op.target.ToString() + " " + op.name;
    case OpKind::kMarkRead:
      return "thread " + op.target.ToString();
    case OpKind::kSuggestNode:
      return "under " + op.parent.ToString() + " (" + op.name + ")";
    case OpKind::kSuggestMove:
      return op.node.ToString() + " to " + op.parent.ToString();
    case OpKind::kSuggestDelete:
      return op.node.ToString();
    case OpKind::kAcceptSuggestion:
    case OpKind::kRejectSuggestion:
      return "suggestion " + op.target.ToString();
    case OpKind::kApprove:
    case OpKind::kRevokeApproval:
      return op.node.ToString() + " for " + op.name;
    default:
      return op.node.ToString() + " " + op.name;
  }
}

}  // namespace

int RunVerifyCommand(Args args) {
  Options opts;
  int code = kExitUsage;
  if (!ParseOptions("verify", args, {"--data", "--plan"}, {"-h", "--help"},
                    &opts, &code)) {
    return code;
  }
  if (opts.Has("-h") || opts.Has("--help")) {
    std::printf("usage: samplan verify --data DIR [--plan ID]\n\n%.*s",
                static_cast<int>(kVerifyUsage.size()), kVerifyUsage.data());
    return kExitOk;
  }
  const std::string_view* data = opts.Find("--data");
  if (data == nullptr) return Usage("verify", "--data DIR is required");
  const std::string_view* plan = opts.Find("--plan");
  ScratchDir scratch;
  std::unique_ptr<RocksDbPlanStore> store;
  if (Status s = OpenForReading("verify", std::string(*data), &scratch, &store);
      !s.ok()) {
    std::fprintf(stderr, "samplan verify: %s\n", s.ToString().c_str());
    return s.code() == Status::Code::kCorruption ? kExitFailure : kExitUsage;
  }
  return VerifyStore("verify", store.get(),
                     plan != nullptr ? *plan : std::string_view());
}

int RunBackupCommand(Args args) {
  Options opts;
  int code = kExitUsage;
  if (!ParseOptions("backup", args, {"--data", "--to"}, {"-h", "--help"},
                    &opts, &code)) {
    return code;
  }
  if (opts.Has("-h") || opts.Has("--help")) {
    std::printf("usage: samplan backup --data DIR --to DIR2\n\n%.*s",
                static_cast<int>(kBackupUsage.size()), kBackupUsage.data());
    return kExitOk;
  }
  const std::string_view* data = opts.Find("--data");
  const std::string_view* to = opts.Find("--to");
  if (data == nullptr || to == nullptr) {
    return Usage("backup", "--data DIR and --to DIR2 are required");
  }
  const std::string from_dir(*data), to_dir(*to);
  std::string db;
  bool server_layout;
  if (Status s = FindDatabase(from_dir, &db, &server_layout); !s.ok()) {
    std::fprintf(stderr, "samplan backup: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  std::error_code ec;
  if (std::filesystem::exists(to_dir, ec) &&
      !std::filesystem::is_empty(to_dir, ec)) {
    std::fprintf(stderr, "samplan backup: %s exists and is not empty\n",
                 to_dir.c_str());
    return kExitUsage;
  }
  const std::string to_db = server_layout ? to_dir + "/db" : to_dir;
  BackupReport report;
  Status s = BackupDatabase(db, to_db, &report);
  if (!s.ok()) {
    std::fprintf(stderr, "samplan backup: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  if (server_layout) {
    // The server's other files (the token secret): small, copied as is.
    for (const auto& entry : std::filesystem::directory_iterator(from_dir, ec)) {
      if (!entry.is_regular_file()) continue;
      std::filesystem::copy_file(entry.path(),
                                 to_dir + "/" + entry.path().filename().string(),
                                 ec);
      if (ec) {
        std::fprintf(stderr, "samplan backup: copying %s: %s\n",
                     entry.path().c_str(), ec.message().c_str());
        return kExitUsage;
      }
    }
  }
  std::printf("backed up %s to %s: %llu records, %llu bytes\n",
              db.c_str(), to_db.c_str(),
              static_cast<unsigned long long>(report.keys),
              static_cast<unsigned long long>(report.bytes));
  std::unique_ptr<RocksDbPlanStore> store;
  RocksDbPlanStoreOptions options;
  options.create_if_missing = false;
  s = RocksDbPlanStore::Open(to_db, options, &store);
  if (!s.ok()) {
    std::fprintf(stderr, "samplan backup: the backup does not open: %s\n",
                 s.ToString().c_str());
    return kExitFailure;
  }
  return VerifyStore("backup", store.get(), std::string_view());
}

int RunLogCommand(Args args) {
  Options opts;
  int code = kExitUsage;
  if (!ParseOptions("log", args,
                    {"--data", "--plan", "--from", "--limit", "--since",
                     "--until"},
                    {"--json", "-h", "--help"}, &opts, &code)) {
    return code;
  }
  if (opts.Has("-h") || opts.Has("--help")) {
    std::printf(
        "usage: samplan log --data DIR --plan ID [--from N] [--limit N] "
        "[--since MS] [--until MS] [--json]\n\n%.*s",
        static_cast<int>(kLogUsage.size()), kLogUsage.data());
    return kExitOk;
  }
  const std::string_view* data = opts.Find("--data");
  const std::string_view* plan_arg = opts.Find("--plan");
  if (data == nullptr || plan_arg == nullptr) {
    return Usage("log", "--data DIR and --plan ID are required");
  }
  const std::string plan(*plan_arg);
  uint64_t from = 1, limit = ~uint64_t{0};
  int64_t since = INT64_MIN, until = INT64_MAX;
  if (const auto* v = opts.Find("--from"); v && !ParseNumber(*v, &from)) {
    return Usage("log", "--from takes a sequence number");
  }
  if (const auto* v = opts.Find("--limit"); v && !ParseNumber(*v, &limit)) {
    return Usage("log", "--limit takes a number");
  }
  if (const auto* v = opts.Find("--since"); v && !ParseNumber(*v, &since)) {
    return Usage("log", "--since takes milliseconds since 1970");
  }
  if (const auto* v = opts.Find("--until"); v && !ParseNumber(*v, &until)) {
    return Usage("log", "--until takes milliseconds since 1970");
  }
  const bool json = opts.Has("--json");
  const bool by_time = opts.Find("--since") || opts.Find("--until");

  ScratchDir scratch;
  std::unique_ptr<RocksDbPlanStore> store;
  if (Status s = OpenForReading("log", std::string(*data), &scratch, &store);
      !s.ok()) {
    std::fprintf(stderr, "samplan log: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  PlanInfo info;
  if (Status s = store->GetPlanInfo(plan, &info); !s.ok()) {
    std::fprintf(stderr, "samplan log: %s\n", s.ToString().c_str());
    return s.code() == Status::Code::kCorruption ? kExitFailure : kExitUsage;
  }
  constexpr size_t kPage = 1000;
  uint64_t printed = 0;
  uint64_t next = from;  // by seq: next seq; by time: after this seq
  uint64_t after = from > 0 ? from - 1 : 0;
  std::vector<StoredOp> page;
  while (printed < limit) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kPage, limit - printed));
    Status s = by_time ? store->ReadTimeRange(plan, since, until, after, want,
                                              &page)
                       : store->ReadRange(plan, next, want, &page);
    if (!s.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "samplan log: %s\n", s.ToString().c_str());
      return s.code() == Status::Code::kCorruption ? kExitFailure : kExitUsage;
    }
    if (page.empty()) break;
    for (const StoredOp& op : page) {
      if (json) {
        nlohmann::ordered_json j;
        j["seq"] = op.seq;
        j["time_ms"] = op.server_time_ms;
        j["time"] = IsoTime(op.server_time_ms);
        j["user"] = op.user;
        j["municipality"] = op.municipality;
        j["op_id"] = op.op.id.ToString();
        j["kind"] = OpKindName(op.op.kind);
        j["target"] = Target(op.op);
        j["op"] = DescribeOp(op.op);
        j["chain"] = ChainToHex(op.chain);
        std::printf("%s\n",
                    j.dump(-1, ' ', false,
                           nlohmann::ordered_json::error_handler_t::replace)
                        .c_str());
      } else {
        std::printf("%llu  %s  %s  %s  %s  %s  %s\n",
                    static_cast<unsigned long long>(op.seq),
                    IsoTime(op.server_time_ms).c_str(), OrDash(op.user),
                    OrDash(op.municipality), OpKindName(op.op.kind),
                    Target(op.op).c_str(), ChainToHex(op.chain).c_str());
      }
      ++printed;
      next = op.seq + 1;
      after = op.seq;
    }
  }
  return kExitOk;
}

}  // namespace samplan
