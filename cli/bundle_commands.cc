#include "cli/bundle_commands.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "cli/bundle.h"
#include "cli/cli.h"
#include "cli/storage_commands.h"
#include "storage/rocksdb_plan_store.h"

namespace samplan {
namespace {

using cli_util::OpenForReading;
using cli_util::ScratchDir;
using cli_util::Usage;

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  out->clear();
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec) out->reserve(static_cast<size_t>(size));
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->append(buf, n);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  return ok;
}

// Writes `data` to `path` via a temporary file and a rename, so that a
// failed write leaves no half bundle behind.
bool WriteWholeFile(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return false;
  const bool wrote = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  if (std::fclose(f) != 0 || !wrote) {
    std::remove(tmp.c_str());
    return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::remove(tmp.c_str());
  return !ec;
}

}  // namespace

int RunExportCommand(std::span<const std::string_view> args) {
  std::string data, plan, version, out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::printf(
          "usage: samplan export --data DIR --plan ID --version NAME "
          "[--out FILE]\n\n%.*s",
          static_cast<int>(kExportUsage.size()), kExportUsage.data());
      return kExitOk;
    }
    std::string* target = arg == "--data"      ? &data
                          : arg == "--plan"    ? &plan
                          : arg == "--version" ? &version
                          : arg == "--out"     ? &out
                                               : nullptr;
    if (target == nullptr) {
      return Usage("export", "unknown argument '" + std::string(arg) + "'");
    }
    if (i + 1 == args.size()) {
      return Usage("export", std::string(arg) + " needs a value");
    }
    *target = std::string(args[++i]);
  }
  if (data.empty() || plan.empty() || version.empty()) {
    return Usage("export", "--data DIR, --plan ID and --version NAME are "
                           "required");
  }
  if (out.empty()) {
    out = "./" + plan + "-" + BundleSlug(version) + ".samplan-bundle.json";
  }
  ScratchDir scratch;
  std::unique_ptr<RocksDbPlanStore> store;
  if (Status s = OpenForReading("export", data, &scratch, &store); !s.ok()) {
    std::fprintf(stderr, "samplan export: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  std::string json;
  if (Status s = ExportBundle(store.get(), data, plan, version, &json);
      !s.ok()) {
    std::fprintf(stderr, "samplan export: %s\n", s.ToString().c_str());
    return s.code() == Status::Code::kCorruption ? kExitFailure : kExitUsage;
  }
  store.reset();
  if (!WriteWholeFile(out, json)) {
    std::fprintf(stderr, "samplan export: cannot write %s\n", out.c_str());
    return kExitUsage;
  }
  BundleReport report;
  if (Status s = VerifyBundle(json, &report); !s.ok()) {
    std::fprintf(stderr,
                 "samplan export: wrote %s, but it does not verify: %s\n",
                 out.c_str(), report.problem.c_str());
    return kExitFailure;
  }
  std::printf("wrote %s (%zu bytes)\n%s\n", out.c_str(), json.size(),
              BundleSummary(report).c_str());
  return kExitOk;
}

int RunVerifyBundle(std::span<const std::string_view> args) {
  std::string path;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::printf("usage: samplan verify --bundle FILE\n\n%.*s",
                  static_cast<int>(kVerifyBundleUsage.size()),
                  kVerifyBundleUsage.data());
      return kExitOk;
    }
    if (arg != "--bundle") {
      return Usage("verify", "with --bundle, no other argument ('" +
                                 std::string(arg) + "')");
    }
    if (i + 1 == args.size()) return Usage("verify", "--bundle needs a file");
    if (!path.empty()) return Usage("verify", "one --bundle at a time");
    path = std::string(args[++i]);
  }
  if (path.empty()) return Usage("verify", "--bundle needs a file");
  std::string json;
  if (!ReadWholeFile(path, &json)) {
    std::fprintf(stderr, "samplan verify: cannot read %s\n", path.c_str());
    return kExitUsage;
  }
  BundleReport report;
  if (Status s = VerifyBundle(json, &report); !s.ok()) {
    std::printf("NOT VERIFIED: %s: %s\n", path.c_str(),
                report.problem.c_str());
    return kExitFailure;
  }
  std::printf("%s\n", BundleSummary(report).c_str());
  return kExitOk;
}

}  // namespace samplan
