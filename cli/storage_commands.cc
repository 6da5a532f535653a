#include "cli/storage_commands.h"

#include <stdlib.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "crdt/history.h"
#include "crdt/history_entries.h"
#include "crdt/op.h"
#include "cli/cli.h"
#include "cli/bundle_commands.h"
#include "protocol/history_json.h"
#include "protocol/history_points.h"
#include "protocol/messages.h"
#include "storage/backup.h"
#include "storage/people.h"
#include "storage/checkpoint_log.h"
#include "storage/named_version.h"
#include "storage/signing.h"
#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"

namespace samplan {

namespace cli_util {

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

Status OpenForWriting(const std::string& data_dir,
                      std::unique_ptr<RocksDbPlanStore>* store) {
  std::string db;
  bool server_layout;
  SAMPLAN_RETURN_IF_ERROR(FindDatabase(data_dir, &db, &server_layout));
  RocksDbPlanStoreOptions options;
  options.create_if_missing = false;
  Status s = RocksDbPlanStore::Open(db, options, store);
  if (!s.ok() && s.message().find("lock") != std::string::npos) {
    return Status::FailedPrecondition(
        db + " is in use (a server is running): stop the server first");
  }
  return s;
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

ScratchDir::ScratchDir() {
  std::error_code ec;
  path_ = (std::filesystem::temp_directory_path(ec) / "samplan-read-XXXXXX")
              .string();
  if (mkdtemp(path_.data()) == nullptr) path_.clear();
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

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

int Usage(const char* command, const std::string& message) {
  std::fprintf(stderr, "samplan %s: %s (see `samplan help %s`)\n", command,
               message.c_str(), command);
  return kExitUsage;
}

}  // namespace cli_util

namespace {


using Args = CommandArgs;

using cli_util::Usage;

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

using cli_util::FindDatabase;
using cli_util::IsoTime;
using cli_util::OpenForReading;
using cli_util::ScratchDir;

// Verifies every plan of `store` (or `only`); prints per plan and a
// summary (into *summary instead when non-null, for the caller to print
// after its further checks). Returns the exit status.
int VerifyStore(const char* command, RocksDbPlanStore* store,
                std::string_view only, std::string* summary = nullptr) {
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
  char line[200];
  std::snprintf(line, sizeof(line),
                "verified %zu plans, %llu operations, %llu snapshots",
                checked, static_cast<unsigned long long>(ops),
                static_cast<unsigned long long>(snapshots));
  if (summary != nullptr) {
    *summary = line;
  } else {
    std::printf("%s: all consistent\n", line);
  }
  return kExitOk;
}

// Checks every named version of the plans (or `only`): signed by a listed
// key, its head still the chain value at its seq. Prints one INCONSISTENT
// line per problem; *checked counts the versions. Returns false on any.
bool VerifyVersions(RocksDbPlanStore* store, std::string_view only,
                    const std::vector<PublicKeyInfo>& keys, size_t* checked) {
  *checked = 0;
  std::vector<PlanInfo> plans;
  if (Status s = store->ListPlans(&plans); !s.ok()) {
    std::printf("INCONSISTENT: %s\n", s.ToString().c_str());
    return false;
  }
  bool ok = true;
  for (const PlanInfo& info : plans) {
    if (!only.empty() && info.plan_id != only) continue;
    std::vector<NamedVersion> versions;
    if (Status s = store->ListVersions(info.plan_id, &versions); !s.ok()) {
      std::printf("INCONSISTENT plan %s: named versions: %s\n",
                  info.plan_id.c_str(), s.ToString().c_str());
      ok = false;
      continue;
    }
    for (const NamedVersion& v : versions) {
      ++*checked;
      const std::string where =
          "INCONSISTENT plan " + info.plan_id + " version '" + v.name + "'";
      const PublicKeyInfo* key = FindKey(keys, v.key_id);
      if (key == nullptr) {
        std::printf("%s: signed with unknown key %s\n", where.c_str(),
                    v.key_id.c_str());
        ok = false;
        continue;
      }
      if (!VerifyEd25519(key->public_key, VersionSigningMessage(v),
                         v.signature)) {
        std::printf("%s: signature does not verify with key %s (forged or "
                    "altered)\n",
                    where.c_str(), v.key_id.c_str());
        ok = false;
        continue;
      }
      if (v.plan_id != info.plan_id) {
        std::printf("%s: the signed version belongs to plan '%s'\n",
                    where.c_str(), v.plan_id.c_str());
        ok = false;
        continue;
      }
      if (v.seq > info.last_seq) {
        std::printf("%s: signed seq %llu but the log ends at seq %llu: "
                    "operations were cut off or the plan record rewound\n",
                    where.c_str(), static_cast<unsigned long long>(v.seq),
                    static_cast<unsigned long long>(info.last_seq));
        ok = false;
        continue;
      }
      std::vector<StoredOp> page;
      Status s = store->ReadRange(info.plan_id, v.seq, 1, &page);
      if (!s.ok() || page.empty() || page[0].seq != v.seq) {
        std::printf("%s: op %llu cannot be read: %s\n", where.c_str(),
                    static_cast<unsigned long long>(v.seq),
                    s.ok() ? "missing" : s.ToString().c_str());
        ok = false;
        continue;
      }
      if (page[0].chain != v.head) {
        std::printf("%s: chain at seq %llu is %s but the version signed %s: "
                    "history rewritten\n",
                    where.c_str(), static_cast<unsigned long long>(v.seq),
                    ChainToHex(page[0].chain).c_str(),
                    ChainToHex(v.head).c_str());
        ok = false;
      }
    }
  }
  return ok;
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

// One stored operation as `samplan log` prints it.
void PrintStoredOp(const StoredOp& op, bool json) {
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
}

// `samplan log` with filters: the plan's history is built from the store
// (PlanHistory) and filtered as the server's history queries filter it;
// prints the matching operations, or with `changes` the who-changed-what
// entries (newest first).
int PrintFilteredLog(RocksDbPlanStore* store, const std::string& plan,
                     const std::map<std::string, std::string>& params,
                     uint64_t from, uint64_t limit, bool json, bool changes) {
  protocol::HistoryQuery q;
  if (Status s = protocol::HistoryQueryFromParams(params, "changes", &q);
      !s.ok()) {
    return Usage("log", s.message());
  }
  PlanHistory h;
  std::vector<ChainHash> chains;
  std::vector<StoredOp> page;
  while (true) {
    page.clear();
    Status s = store->ReadRange(plan, h.last_seq() + 1, 8192, &page);
    if (s.ok()) {
      for (const StoredOp& op : page) {
        s = h.Append(op.op);
        if (!s.ok()) break;
        chains.push_back(op.chain);
      }
    }
    if (!s.ok()) {
      std::fprintf(stderr, "samplan log: %s\n", s.ToString().c_str());
      return kExitFailure;
    }
    if (page.empty()) break;
  }
  std::vector<NamedVersion> versions;
  (void)store->ListVersions(plan, &versions);
  auto lookup = [&versions](std::string_view name, uint64_t* seq) {
    for (const NamedVersion& v : versions) {
      if (v.name == name) {
        *seq = v.seq;
        return true;
      }
    }
    return false;
  };
  HistoryFilter f;
  if (Status s = protocol::HistoryFilterFromQuery(q, h, lookup, &f); !s.ok()) {
    return Usage("log", s.message());
  }
  f.from_seq = std::max(f.from_seq, from);
  std::vector<HistoryEntry> entries;
  uint64_t next = 0;
  const size_t entry_limit =
      changes && limit < (uint64_t{1} << 32) ? static_cast<size_t>(limit) : 0;
  if (Status s = HistoryEntries(h, f, 0, entry_limit, &entries, &next);
      !s.ok()) {
    return Usage("log", s.message());
  }
  if (changes) {
    std::vector<Person> people;
    (void)store->ListPeople(&people);
    const protocol::PeopleView names = [&people](std::string_view user) {
      for (const Person& p : people) {
        if (p.user == user) return protocol::PersonName{p.name, p.erased_ms != 0};
      }
      return protocol::PersonName{};
    };
    for (const HistoryEntry& e : entries) {
      if (json) {
        std::printf("%s\n", protocol::Dump(protocol::HistoryEntryToJson(e, names)).c_str());
      } else {
        std::printf("%llu-%llu  %s  %s  %s  %s %s  %s\n",
                    static_cast<unsigned long long>(e.seq),
                    static_cast<unsigned long long>(e.seq_last),
                    IsoTime(e.time).c_str(), OrDash(e.user),
                    OrDash(e.municipality), e.number.empty() ? "-" : e.number.c_str(),
                    e.title.c_str(), e.summary.c_str());
      }
    }
    return kExitOk;
  }
  // The operations the entries group: the same user, node and kinds.
  std::vector<uint64_t> seqs;
  for (const HistoryEntry& e : entries) {
    for (uint64_t s = e.seq; s <= e.seq_last; ++s) {
      const Author a = h.AuthorAt(s);
      if (a.user == e.user && a.municipality == e.municipality &&
          h.NodeAt(s) == e.node &&
          std::find(e.kinds.begin(), e.kinds.end(), h.KindAt(s)) !=
              e.kinds.end()) {
        seqs.push_back(s);
      }
    }
  }
  std::sort(seqs.begin(), seqs.end());
  uint64_t printed = 0;
  for (uint64_t s : seqs) {
    if (printed++ == limit) break;
    StoredOp op;
    op.seq = s;
    op.op = h.OpAt(s);
    op.op.author = h.AuthorAt(s);
    op.user = op.op.author.user;
    op.municipality = op.op.author.municipality;
    op.server_time_ms = op.op.author.wall_time_ms;
    op.chain = chains[s - 1];
    PrintStoredOp(op, json);
  }
  return kExitOk;
}

}  // namespace

int RunVerifyCommand(Args args) {
  for (std::string_view arg : args) {
    if (arg == "--bundle") return RunVerifyBundle(args);
  }
  Options opts;
  int code = kExitUsage;
  if (!ParseOptions("verify", args, {"--data", "--plan", "--checkpoints"},
                    {"-h", "--help"}, &opts, &code)) {
    return code;
  }
  if (opts.Has("-h") || opts.Has("--help")) {
    std::printf(
        "usage: samplan verify --data DIR [--plan ID] [--checkpoints FILE]\n"
        "       samplan verify --bundle FILE\n\n%.*s",
        static_cast<int>(kVerifyUsage.size()), kVerifyUsage.data());
    return kExitOk;
  }
  const std::string_view* data = opts.Find("--data");
  if (data == nullptr) return Usage("verify", "--data DIR is required");
  const std::string data_dir(*data);
  const std::string_view* plan = opts.Find("--plan");
  const std::string_view only = plan != nullptr ? *plan : std::string_view();

  // The checkpoint file: given (must exist), or the server's default.
  std::string checkpoint_path;
  std::vector<Checkpoint> checkpoints;
  bool torn = false;
  if (const std::string_view* f = opts.Find("--checkpoints")) {
    checkpoint_path = std::string(*f);
  } else {
    std::error_code ec;
    if (std::filesystem::exists(data_dir + "/checkpoints.log", ec)) {
      checkpoint_path = data_dir + "/checkpoints.log";
    }
  }
  bool checkpoints_readable = true;
  if (!checkpoint_path.empty()) {
    Status s = ReadCheckpoints(checkpoint_path, &checkpoints, &torn);
    if (s.code() == Status::Code::kNotFound ||
        s.code() == Status::Code::kFailedPrecondition) {
      std::fprintf(stderr, "samplan verify: %s\n", s.ToString().c_str());
      return kExitUsage;
    }
    if (!s.ok()) {
      checkpoints_readable = false;
      std::printf("INCONSISTENT: checkpoint file: %s\n", s.message().c_str());
    }
  }
  if (!only.empty()) {
    std::erase_if(checkpoints,
                  [&](const Checkpoint& c) { return c.plan_id != only; });
  }

  ScratchDir scratch;
  std::unique_ptr<RocksDbPlanStore> store;
  if (Status s = OpenForReading("verify", data_dir, &scratch, &store);
      !s.ok()) {
    std::fprintf(stderr, "samplan verify: %s\n", s.ToString().c_str());
    return s.code() == Status::Code::kCorruption ? kExitFailure : kExitUsage;
  }
  std::string summary;
  const int log_code = VerifyStore("verify", store.get(), only, &summary);
  if (log_code == kExitUsage) return log_code;
  bool ok = log_code == kExitOk && checkpoints_readable;

  // What the server signed needs its public keys (never the private ones).
  std::vector<PublicKeyInfo> keys;
  Status keys_status = LoadPublicKeys(data_dir, &keys);
  if (!keys_status.ok() && keys_status.code() != Status::Code::kNotFound) {
    std::printf("INCONSISTENT: signing keys: %s\n",
                keys_status.message().c_str());
    ok = false;
  }
  size_t versions = 0;
  if (!VerifyVersions(store.get(), only, keys, &versions)) ok = false;
  if (versions > 0 && keys_status.code() == Status::Code::kNotFound) {
    std::printf("INCONSISTENT: %zu named versions are signed but %s/keys/"
                "keys.txt is missing\n",
                versions, data_dir.c_str());
  }
  if (!checkpoints.empty()) {
    std::vector<std::string> problems;
    Status s = VerifyAgainstCheckpoints(store.get(), checkpoints, keys,
                                        &problems);
    if (!s.ok()) {
      std::printf("INCONSISTENT: checking checkpoints: %s\n",
                  s.ToString().c_str());
      ok = false;
    }
    for (const std::string& p : problems) {
      std::printf("INCONSISTENT against %s: %s\n", checkpoint_path.c_str(),
                  p.c_str());
      ok = false;
    }
  }
  if (torn) {
    std::printf("note: the last line of %s is incomplete (the server "
                "stopped while writing it) and was ignored\n",
                checkpoint_path.c_str());
  }
  if (!ok) return kExitFailure;
  std::string signed_part = std::to_string(versions) + " named versions";
  if (!checkpoint_path.empty()) {
    signed_part += ", " + std::to_string(checkpoints.size()) +
                   " checkpoints in " + checkpoint_path;
  }
  std::printf("%s, %s: all consistent\n", summary.c_str(),
              signed_part.c_str());
  return kExitOk;
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
    // The signing keys (DIR/keys, 0700 with 0600 files), so that the copy
    // goes on signing with the same keys and what they signed verifies.
    if (std::filesystem::is_directory(from_dir + "/keys", ec)) {
      std::filesystem::copy(from_dir + "/keys", to_dir + "/keys",
                            std::filesystem::copy_options::recursive, ec);
      if (!ec) {
        std::filesystem::permissions(to_dir + "/keys",
                                     std::filesystem::perms::owner_all, ec);
      }
      if (ec) {
        std::fprintf(stderr, "samplan backup: copying %s/keys: %s\n",
                     from_dir.c_str(), ec.message().c_str());
        return kExitUsage;
      }
    }
    // The server's other files (the token secret, the checkpoint log):
    // small, copied as is.
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
                     "--until", "--user", "--municipality", "--kinds",
                     "--node"},
                    {"--json", "-h", "--help", "--no-subtree", "--changes"},
                    &opts, &code)) {
    return code;
  }
  if (opts.Has("-h") || opts.Has("--help")) {
    std::printf(
        "usage: samplan log --data DIR --plan ID [--from N] [--limit N] "
        "[--since MS] [--until MS] [--user U] [--municipality M] "
        "[--kinds K,K] [--node R:C [--no-subtree]] [--changes] [--json]"
        "\n\n%.*s",
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
  const bool filtered = opts.Find("--user") || opts.Find("--municipality") ||
                        opts.Find("--kinds") || opts.Find("--node") ||
                        opts.Has("--changes");
  if (filtered) {
    std::map<std::string, std::string> params;
    for (const char* name : {"--user", "--municipality", "--kinds", "--node"}) {
      if (const auto* v = opts.Find(name)) params[name + 2] = std::string(*v);
    }
    if (opts.Has("--no-subtree")) params["subtree"] = "false";
    if (opts.Find("--since")) params["since"] = "time:" + std::to_string(since);
    // --until is exclusive here, as without filters.
    if (opts.Find("--until")) {
      params["until"] = "time:" + std::to_string(until - 1);
    }
    return PrintFilteredLog(store.get(), plan, params, from, limit, json,
                            opts.Has("--changes"));
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
      PrintStoredOp(op, json);
      ++printed;
      next = op.seq + 1;
      after = op.seq;
    }
  }
  return kExitOk;
}

}  // namespace samplan
