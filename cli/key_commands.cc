#include "cli/key_commands.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli.h"
#include "cli/storage_commands.h"
#include "storage/append_builder.h"
#include "storage/signing.h"

namespace samplan {

namespace {

int KeysUsage(const std::string& message) {
  std::fprintf(stderr, "samplan keys: %s (see `samplan help keys`)\n",
               message.c_str());
  return kExitUsage;
}

}  // namespace

int RunKeysCommand(CommandArgs args) {
  std::string data;
  bool rotate = false, json = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::printf("usage: samplan keys --data DIR [--rotate] [--json]\n\n%.*s",
                  static_cast<int>(kKeysUsage.size()), kKeysUsage.data());
      return kExitOk;
    } else if (arg == "--rotate") {
      rotate = true;
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--data") {
      if (i + 1 == args.size()) return KeysUsage("--data needs a value");
      data = std::string(args[++i]);
    } else {
      return KeysUsage("unknown argument '" + std::string(arg) + "'");
    }
  }
  if (data.empty()) return KeysUsage("--data DIR is required");

  std::unique_ptr<KeyRing> ring;
  Status s = KeyRing::Load(data, &ring);
  bool created = false;
  if (s.code() == Status::Code::kNotFound) {
    s = KeyRing::LoadOrCreate(data, NowMs(), &ring);
    created = s.ok();
  }
  if (!s.ok()) {
    std::fprintf(stderr, "samplan keys: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  std::string rotated_from;
  if (rotate) {
    rotated_from = ring->active().id;
    if (Status r = ring->Rotate(NowMs()); !r.ok()) {
      std::fprintf(stderr, "samplan keys: rotating: %s\n", r.ToString().c_str());
      return kExitUsage;
    }
  }

  if (json) {
    nlohmann::ordered_json out;
    out["keys"] = nlohmann::ordered_json::array();
    for (const PublicKeyInfo& k : ring->keys()) {
      nlohmann::ordered_json j;
      j["id"] = k.id;
      j["public_key"] = Base64Encode(k.public_key);
      j["created_ms"] = k.created_ms;
      j["retired_ms"] = k.retired_ms;
      j["active"] = k.retired_ms == 0;
      j["pem"] = PublicKeyPem(k.public_key);
      out["keys"].push_back(std::move(j));
    }
    std::printf("%s\n", out.dump().c_str());
    return kExitOk;
  }
  if (created) {
    std::printf("created a signing key in %s/keys\n", data.c_str());
  }
  if (rotate) {
    std::printf("rotated: key %s retired, key %s active (restart a running "
                "server to sign with it)\n",
                rotated_from.c_str(), ring->active().id.c_str());
  }
  for (const PublicKeyInfo& k : ring->keys()) {
    std::printf("key %s\n  created  %s\n", k.id.c_str(),
                cli_util::IsoTime(k.created_ms).c_str());
    if (k.retired_ms == 0) {
      std::printf("  status   active\n");
    } else {
      std::printf("  status   retired %s\n",
                  cli_util::IsoTime(k.retired_ms).c_str());
    }
    std::printf("  ed25519  %s\n%s\n", Base64Encode(k.public_key).c_str(),
                PublicKeyPem(k.public_key).c_str());
  }
  return kExitOk;
}

}  // namespace samplan
