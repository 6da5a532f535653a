// samplan: the Samplan command-line program.
//
//   samplan <command> [arguments]
//
// Each command is one function taking its arguments (after the command
// name) and returning the exit status; kCommands lists them. To add a
// command, write its Run function (in its own file when it grows) and add
// a row. Exit status: 0 success, 1 the command ran and found a failure,
// 2 usage or I/O error (message on stderr).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/status.h"
#include "crdt/replica.h"
#include "cli/cli.h"
#include "cli/bundle_commands.h"
#include "cli/demo_plan.h"
#include "cli/key_commands.h"
#include "cli/people_commands.h"
#include "cli/replay.h"
#include "cli/serve_command.h"
#include "cli/storage_commands.h"
#include "cli/trace.h"

namespace samplan {
namespace {


using Args = CommandArgs;

struct Command {
  std::string_view name;
  std::string_view synopsis;  // arguments, for the usage line
  std::string_view summary;
  std::string_view details;  // shown by `samplan help <command>`
  int (*run)(Args args);
};

int RunHelp(Args args);
int RunReplay(Args args);
int RunDemo(Args args);
int RunServe(Args args);
int RunToken(Args args);

constexpr Command kCommands[] = {
    {"help", "[COMMAND]", "show this help, or the help of COMMAND", "",
     RunHelp},
    {"demo", "", "build the demo regional plan, edit it concurrently, print it",
     "Builds the Mosseregionen joint action plan (Moss, Vestby, Råde,\n"
     "Våler) in one replica, copies it to a second one, lets the two edit\n"
     "concurrently (text in the same goal, the same measure's status, a\n"
     "measure moved to another goal), exchanges their operations and\n"
     "prints the merged plan, with the field conflict shown, and whether\n"
     "both replicas and a snapshot round trip are identical.\n"
     "Exit status: 0 converged, 1 diverged.\n",
     RunDemo},
    {"replay", "FILE.json.gz [--text-out FILE] [--runs N]",
     "replay an editing trace through the CRDT core and report timings",
     "Replays a sequential or concurrent editing trace (see\n"
     "shared/traces/README.md) as local edits, merges every operation into\n"
     "a fresh replica, encodes and decodes a snapshot, and checks each text\n"
     "against the trace's endContent. Prints one JSON object on stdout.\n"
     "\n"
     "  --text-out FILE  write the final text (UTF-8) of the merged replica\n"
     "  --runs N         repeat the timed work N times (1..1000, default 1)\n"
     "                   and report the median of each timing\n"
     "\n"
     "Exit status: 0 the text matches, 1 it does not (or the core rejected\n"
     "an edit), 2 usage or I/O error.\n",
     RunReplay},
    {"serve", "[--port 8080] [--bind 127.0.0.1] [--data ./samplan-data] ...",
     "run the collaboration server (WebSocket + HTTP API)", kServeUsage,
     RunServe},
    {"token", "--user U --municipality M --plan P --role R [--ttl S] [--data DIR]",
     "mint an access token for the server", kTokenUsage, RunToken},
    {"verify", "--data DIR [--plan ID] [--checkpoints FILE] | --bundle FILE",
     "check hash chains, snapshots, signed versions and checkpoints",
     kVerifyUsage, RunVerifyCommand},
    {"backup", "--data DIR --to DIR2",
     "copy a consistent backup of a (running) server's data and verify it",
     kBackupUsage, RunBackupCommand},
    {"log", "--data DIR --plan ID [--from N] [--json] ...",
     "print a plan's history for auditors", kLogUsage, RunLogCommand},
    {"export", "--data DIR --plan ID --version NAME [--out FILE]",
     "write a signed named version with its history as a verifiable bundle",
     kExportUsage, RunExportCommand},
    {"keys", "--data DIR [--rotate] [--json]",
     "print (or rotate) the server's signing keys", kKeysUsage,
     RunKeysCommand},
    {"people", "--data DIR set --user ID --name NAME [--email E] | list",
     "store or list the names shown for user ids", kPeopleUsage,
     RunPeopleCommand},
    {"forget-user", "--data DIR --user ID --by OPERATOR [--reason TEXT]",
     "erase a user's name and e-mail (the op log stays intact)",
     kForgetUserUsage, RunForgetUserCommand},
};

const Command* FindCommand(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

void PrintUsage(std::FILE* out) {
  std::fputs("usage: samplan <command> [arguments]\n\ncommands:\n", out);
  for (const Command& c : kCommands) {
    const std::string line =
        "  " + std::string(c.name) + " " + std::string(c.synopsis);
    std::fprintf(out, "%s\n      %.*s\n", line.c_str(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  }
}

void PrintCommandUsage(const Command& c, std::FILE* out) {
  std::fprintf(out, "usage: samplan %.*s %.*s\n",
               static_cast<int>(c.name.size()), c.name.data(),
               static_cast<int>(c.synopsis.size()), c.synopsis.data());
  if (!c.details.empty()) {
    std::fprintf(out, "\n%.*s", static_cast<int>(c.details.size()),
                 c.details.data());
  }
}

int UsageError(const Command& c, const std::string& message) {
  std::fprintf(stderr, "samplan %.*s: %s\n", static_cast<int>(c.name.size()),
               c.name.data(), message.c_str());
  PrintCommandUsage(c, stderr);
  return kExitUsage;
}

bool IsHelpFlag(std::string_view arg) { return arg == "-h" || arg == "--help"; }

// ---- help ------------------------------------------------------------------

int RunHelp(Args args) {
  if (args.empty()) {
    PrintUsage(stdout);
    return kExitOk;
  }
  const Command* c = FindCommand(args[0]);
  if (c == nullptr || args.size() > 1) {
    std::fprintf(stderr, "samplan help: unknown command '%.*s'\n",
                 static_cast<int>(args[0].size()), args[0].data());
    PrintUsage(stderr);
    return kExitUsage;
  }
  PrintCommandUsage(*c, stdout);
  return kExitOk;
}

// ---- demo ------------------------------------------------------------------

int RunDemo(Args args) {
  const Command& self = *FindCommand("demo");
  if (!args.empty()) return UsageError(self, "takes no arguments");
  Replica moss(1);
  moss.SetAuthor(Author{"kari", "Moss", 0});
  Status built = BuildDemoPlan(&moss);
  if (!built.ok()) {
    std::fprintf(stderr, "samplan demo: %s\n", built.ToString().c_str());
    return kExitFailure;
  }
  Replica vestby(2);
  vestby.SetAuthor(Author{"ola", "Vestby", 0});
  std::vector<Op> ops;
  if (!moss.OpsSince(vestby.version(), &ops).ok() ||
      !vestby.ApplyAll(ops).ok()) {
    std::fputs("samplan demo: initial sync failed\n", stderr);
    return kExitFailure;
  }
  // Concurrent edits, each on its own replica.
  const std::vector<OpId> goals = moss.Children(kRootNode);
  const OpId goal1 = goals[0], goal2 = goals[1];
  const OpId measure = moss.Children(goal1).back();
  Status edits[] = {
      moss.InsertText(goal1, "title", 0, "Hovedmål: "),
      vestby.InsertText(goal1, "title", 0, "[Vestby] "),
      moss.SetField(measure, "status", FieldValue::String("done")),
      vestby.SetField(measure, "status", FieldValue::String("dropped")),
      vestby.MoveNode(measure, goal2, 0),
  };
  for (const Status& s : edits) {
    if (!s.ok()) {
      std::fprintf(stderr, "samplan demo: %s\n", s.ToString().c_str());
      return kExitFailure;
    }
  }
  for (auto [from, to] : {std::pair{&moss, &vestby}, std::pair{&vestby, &moss}}) {
    if (!from->OpsSince(to->version(), &ops).ok() || !to->ApplyAll(ops).ok()) {
      std::fputs("samplan demo: sync failed\n", stderr);
      return kExitFailure;
    }
  }
  const std::string snapshot = moss.EncodeSnapshot();
  Result<std::unique_ptr<Replica>> loaded = Replica::DecodeSnapshot(snapshot, 3);
  const bool same = moss.CanonicalDump() == vestby.CanonicalDump();
  const bool loads = loaded.ok() &&
                     (*loaded)->CanonicalDump() == moss.CanonicalDump();
  std::printf("%s\n", RenderOutline(moss).c_str());
  std::printf("replicas identical after exchange: %s\n", same ? "yes" : "NO");
  std::printf("snapshot: %zu bytes, round trip identical: %s\n",
              snapshot.size(), loads ? "yes" : "NO");
  return same && loads ? kExitOk : kExitFailure;
}

// ---- serve, token (cli/serve_command.cc) -------------------------------

int RunServe(Args args) { return RunServeCommand(args); }
int RunToken(Args args) { return RunTokenCommand(args); }

// ---- replay ----------------------------------------------------------------

double RoundMs(double ms) { return std::round(ms * 1000) / 1000; }

bool WriteFile(const std::string& path, std::string_view data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool wrote = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && wrote;
}

void PrintJson(const nlohmann::ordered_json& j) {
  const std::string line =
      j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

int RunReplay(Args args) {
  const Command& self = *FindCommand("replay");
  std::string path;
  std::string text_out;
  int runs = 1;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (IsHelpFlag(arg)) {
      PrintCommandUsage(self, stdout);
      return kExitOk;
    }
    if (arg == "--text-out" || arg == "--runs") {
      if (i + 1 == args.size()) {
        return UsageError(self, std::string(arg) + " needs a value");
      }
      const std::string_view value = args[++i];
      if (arg == "--text-out") {
        text_out = std::string(value);
        continue;
      }
      const auto [end, ec] =
          std::from_chars(value.data(), value.data() + value.size(), runs);
      if (ec != std::errc() || end != value.data() + value.size() || runs < 1 ||
          runs > 1000) {
        return UsageError(self, "--runs takes a number from 1 to 1000, not '" +
                                    std::string(value) + "'");
      }
      continue;
    }
    if (arg.starts_with("-")) {
      return UsageError(self, "unknown option '" + std::string(arg) + "'");
    }
    if (!path.empty()) return UsageError(self, "more than one trace file");
    path = std::string(arg);
  }
  if (path.empty()) return UsageError(self, "no trace file given");

  Trace trace;
  if (Status s = LoadTrace(path, &trace); !s.ok()) {
    std::fprintf(stderr, "samplan replay: %s\n", s.ToString().c_str());
    return kExitUsage;
  }

  nlohmann::ordered_json out;
  out["trace"] = TraceName(path);
  out["kind"] = trace.concurrent() ? "concurrent" : "sequential";
  out["txns"] = trace.txns.size();
  out["patches"] = trace.patches.size();
  ReplayOptions options;
  options.runs = runs;
  Result<ReplayReport> report = ReplayTrace(trace, options);
  if (!report.ok()) {
    out["final_ok"] = false;
    out["error"] = report.status().ToString();
    out["peak_rss_bytes"] = PeakRssBytes();
    PrintJson(out);
    std::fprintf(stderr, "samplan replay: %s: %s\n", path.c_str(),
                 report.status().ToString().c_str());
    return kExitFailure;
  }
  const ReplayReport& r = *report;
  if (!text_out.empty() && !WriteFile(text_out, r.final_text)) {
    std::fprintf(stderr, "samplan replay: cannot write %s\n", text_out.c_str());
    return kExitUsage;
  }
  out["final_ok"] = r.final_ok();
  if (!r.final_ok()) out["mismatch"] = r.mismatch;
  out["agents"] = r.agents;
  out["final_chars"] = r.final_chars;
  out["runs"] = runs;
  out["local_ms"] = RoundMs(r.local_ms);
  out["remote_ms"] = RoundMs(r.remote_ms);
  out["ops_since_ms"] = RoundMs(r.ops_since_ms);
  out["encode_ms"] = RoundMs(r.encode_ms);
  out["decode_ms"] = RoundMs(r.decode_ms);
  out["ops"] = r.ops;
  out["ops_bytes"] = r.ops_bytes;
  out["snapshot_bytes"] = r.snapshot_bytes;
  out["doc_memory_bytes"] = r.doc_memory_bytes;
  out["doc_rss_bytes"] = r.doc_rss_bytes;
  if (trace.concurrent()) out["forks"] = r.forks;
  out["trace_bytes"] = trace.MemoryUsage();
  out["peak_rss_bytes"] = PeakRssBytes();
  PrintJson(out);
  if (!r.final_ok()) {
    std::fprintf(stderr, "samplan replay: %s: final text %s\n", path.c_str(),
                 r.mismatch.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace
}  // namespace samplan

int main(int argc, char** argv) {
  using samplan::kExitUsage;
  std::vector<std::string_view> args(argv + (argc > 0 ? 1 : argc), argv + argc);
  if (args.empty()) {
    samplan::PrintUsage(stderr);
    return kExitUsage;
  }
  if (samplan::IsHelpFlag(args[0])) return samplan::RunHelp({});
  const samplan::Command* command = samplan::FindCommand(args[0]);
  if (command == nullptr) {
    std::fprintf(stderr, "samplan: unknown command '%s'\n", argv[1]);
    samplan::PrintUsage(stderr);
    return kExitUsage;
  }
  return command->run(samplan::Args(args).subspan(1));
}
