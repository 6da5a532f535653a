#include "cli/people_commands.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli.h"
#include "cli/storage_commands.h"
#include "storage/append_builder.h"
#include "storage/people.h"
#include "storage/rocksdb_plan_store.h"

namespace samplan {

namespace {

using cli_util::Usage;

// "--name value" pairs; false (with a usage error printed) on anything
// not in `allowed` or a missing value. Flags (no value) go to *flags.
bool ParsePairs(const char* command, CommandArgs args,
                std::initializer_list<std::string_view> allowed,
                std::initializer_list<std::string_view> allowed_flags,
                std::vector<std::pair<std::string_view, std::string>>* out,
                std::vector<std::string_view>* flags, int* code) {
  for (size_t i = 0; i < args.size(); ++i) {
    bool known = false;
    for (std::string_view f : allowed_flags) {
      if (args[i] == f) {
        flags->push_back(f);
        known = true;
      }
    }
    for (std::string_view a : allowed) {
      if (args[i] != a) continue;
      if (i + 1 == args.size()) {
        *code = Usage(command, std::string(a) + " needs a value");
        return false;
      }
      out->emplace_back(a, std::string(args[++i]));
      known = true;
    }
    if (!known) {
      *code = Usage(command, "unknown argument '" + std::string(args[i]) + "'");
      return false;
    }
  }
  return true;
}

const std::string* Find(
    const std::vector<std::pair<std::string_view, std::string>>& pairs,
    std::string_view name) {
  for (const auto& [n, v] : pairs) {
    if (n == name) return &v;
  }
  return nullptr;
}

bool HasFlag(const std::vector<std::string_view>& flags, std::string_view f) {
  for (std::string_view x : flags) {
    if (x == f) return true;
  }
  return false;
}

// Opens DIR's store for writing, or prints why not (exit status in *code).
bool Open(const char* command, const std::string& data,
          std::unique_ptr<RocksDbPlanStore>* store, int* code) {
  Status s = cli_util::OpenForWriting(data, store);
  if (s.ok()) return true;
  std::fprintf(stderr, "samplan %s: %s\n", command, s.ToString().c_str());
  *code = kExitUsage;
  return false;
}

int PeopleSet(const std::string& data, CommandArgs args) {
  std::vector<std::pair<std::string_view, std::string>> opts;
  std::vector<std::string_view> flags;
  int code = kExitUsage;
  if (!ParsePairs("people", args, {"--user", "--name", "--email"}, {}, &opts,
                  &flags, &code)) {
    return code;
  }
  const std::string* user = Find(opts, "--user");
  const std::string* name = Find(opts, "--name");
  if (user == nullptr || name == nullptr) {
    return Usage("people", "set needs --user ID and --name NAME");
  }
  std::unique_ptr<RocksDbPlanStore> store;
  if (!Open("people", data, &store, &code)) return code;
  Person p;
  p.user = *user;
  p.name = *name;
  if (const std::string* email = Find(opts, "--email")) p.email = *email;
  Status s = store->PutPerson(p);
  if (s.code() == Status::Code::kFailedPrecondition) {
    std::fprintf(stderr,
                 "samplan people: user '%s' was erased (forget-user); no "
                 "personal data is stored for it again\n",
                 user->c_str());
    return kExitFailure;
  }
  if (!s.ok()) {
    std::fprintf(stderr, "samplan people: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  std::printf("stored user %s: name '%s'%s\n", p.user.c_str(), p.name.c_str(),
              p.email.empty() ? "" : (", e-mail " + p.email).c_str());
  return kExitOk;
}

int PeopleList(const std::string& data, CommandArgs args) {
  std::vector<std::pair<std::string_view, std::string>> opts;
  std::vector<std::string_view> flags;
  int code = kExitUsage;
  if (!ParsePairs("people", args, {}, {"--json"}, &opts, &flags, &code)) {
    return code;
  }
  std::unique_ptr<RocksDbPlanStore> store;
  if (!Open("people", data, &store, &code)) return code;
  std::vector<Person> people;
  std::vector<Erasure> erasures;
  Status s = store->ListPeople(&people);
  if (s.ok()) s = store->ListErasures(&erasures);
  if (!s.ok()) {
    std::fprintf(stderr, "samplan people: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  if (HasFlag(flags, "--json")) {
    nlohmann::ordered_json out;
    out["people"] = nlohmann::ordered_json::array();
    for (const Person& p : people) {
      nlohmann::ordered_json j;
      j["user"] = p.user;
      j["name"] = p.erased_ms != 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(p.name);
      j["email"] = p.erased_ms != 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(p.email);
      j["erased"] = p.erased_ms != 0;
      if (p.erased_ms != 0) {
        j["erased_ms"] = p.erased_ms;
        j["erased_by"] = p.erased_by;
      }
      out["people"].push_back(std::move(j));
    }
    out["erasures"] = nlohmann::ordered_json::array();
    for (const Erasure& e : erasures) {
      out["erasures"].push_back(
          {{"user", e.user}, {"by", e.by}, {"reason", e.reason}, {"time_ms", e.time_ms}});
    }
    std::printf("%s\n",
                out.dump(-1, ' ', false,
                         nlohmann::ordered_json::error_handler_t::replace)
                    .c_str());
    return kExitOk;
  }
  for (const Person& p : people) {
    if (p.erased_ms != 0) {
      std::printf("%s  (erased %s by %s)\n", p.user.c_str(),
                  cli_util::IsoTime(p.erased_ms).c_str(), p.erased_by.c_str());
    } else {
      std::printf("%s  %s%s\n", p.user.c_str(), p.name.c_str(),
                  p.email.empty() ? "" : ("  <" + p.email + ">").c_str());
    }
  }
  std::printf("%zu people\n", people.size());
  for (const Erasure& e : erasures) {
    std::printf("erasure: %s  user %s  by %s%s\n",
                cli_util::IsoTime(e.time_ms).c_str(), e.user.c_str(),
                e.by.c_str(),
                e.reason.empty() ? "" : ("  reason: " + e.reason).c_str());
  }
  return kExitOk;
}

}  // namespace

int RunPeopleCommand(CommandArgs args) {
  std::string data;
  size_t i = 0;
  // --data DIR may come before or after the subcommand.
  std::vector<std::string_view> rest;
  std::string_view sub;
  for (; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::printf(
          "usage: samplan people --data DIR set --user ID --name NAME "
          "[--email E]\n       samplan people --data DIR list [--json]\n\n%.*s",
          static_cast<int>(kPeopleUsage.size()), kPeopleUsage.data());
      return kExitOk;
    }
    if (arg == "--data") {
      if (i + 1 == args.size()) return Usage("people", "--data needs a value");
      data = std::string(args[++i]);
    } else if (sub.empty() && (arg == "set" || arg == "list")) {
      sub = arg;
    } else {
      rest.push_back(arg);
      // A value: keep it with its option so that a value "set" is no
      // subcommand.
      if (arg.starts_with("--") && arg != "--json" && i + 1 < args.size()) {
        rest.push_back(args[++i]);
      }
    }
  }
  if (data.empty()) return Usage("people", "--data DIR is required");
  if (sub.empty()) return Usage("people", "expected 'set' or 'list'");
  if (sub == "set") return PeopleSet(data, rest);
  return PeopleList(data, rest);
}

int RunForgetUserCommand(CommandArgs args) {
  std::vector<std::pair<std::string_view, std::string>> opts;
  std::vector<std::string_view> flags;
  int code = kExitUsage;
  if (!ParsePairs("forget-user", args, {"--data", "--user", "--by", "--reason"},
                  {"-h", "--help"}, &opts, &flags, &code)) {
    return code;
  }
  if (HasFlag(flags, "-h") || HasFlag(flags, "--help")) {
    std::printf(
        "usage: samplan forget-user --data DIR --user ID --by OPERATOR "
        "[--reason TEXT]\n\n%.*s",
        static_cast<int>(kForgetUserUsage.size()), kForgetUserUsage.data());
    return kExitOk;
  }
  const std::string* data = Find(opts, "--data");
  const std::string* user = Find(opts, "--user");
  const std::string* by = Find(opts, "--by");
  if (data == nullptr || user == nullptr || by == nullptr) {
    return Usage("forget-user", "--data DIR, --user ID and --by OPERATOR are "
                                "required");
  }
  if (by->empty()) return Usage("forget-user", "--by must name the operator");
  if (Status s = CheckUserId(*user); !s.ok()) {
    return Usage("forget-user", s.message());
  }
  const std::string* reason_arg = Find(opts, "--reason");
  const std::string reason = reason_arg != nullptr ? *reason_arg : "";
  std::unique_ptr<RocksDbPlanStore> store;
  if (!Open("forget-user", *data, &store, &code)) return code;

  Person before;
  Status s = store->GetPerson(*user, &before);
  const bool known = s.ok();
  if (!s.ok() && s.code() != Status::Code::kNotFound) {
    std::fprintf(stderr, "samplan forget-user: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  if (!known) {
    // Nothing stored yet: store an empty record so that the erasure marks
    // the user (no name can be stored for it later) and is recorded.
    Person empty;
    empty.user = *user;
    s = store->PutPerson(empty);
    if (!s.ok()) {
      std::fprintf(stderr, "samplan forget-user: %s\n", s.ToString().c_str());
      return kExitUsage;
    }
  }
  const int64_t now = NowMs();
  s = store->ErasePerson(*user, *by, reason, now);
  if (!s.ok()) {
    std::fprintf(stderr, "samplan forget-user: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  std::printf("erased user %s at %s by %s%s\n", user->c_str(),
              cli_util::IsoTime(now).c_str(), by->c_str(),
              reason.empty() ? "" : (" (reason: " + reason + ")").c_str());
  if (!known) {
    std::printf("  no name or e-mail was stored; the user is marked erased "
                "so that none will be\n");
  } else if (before.erased_ms != 0) {
    std::printf("  the user was already erased (%s by %s); erasure recorded "
                "again\n",
                cli_util::IsoTime(before.erased_ms).c_str(),
                before.erased_by.c_str());
  } else {
    std::printf("  removed: name%s\n", before.email.empty() ? "" : ", e-mail");
  }
  std::printf("  erasure recorded (samplan people --data %s list)\n",
              data->c_str());
  std::printf("  the op log is unchanged: operations keep the user id '%s', "
              "shown as erased; the hash chain, checkpoints and signed "
              "versions stay valid\n",
              user->c_str());
  return kExitOk;
}

}  // namespace samplan
