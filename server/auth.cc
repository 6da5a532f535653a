#include "server/auth.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "protocol/base64.h"

namespace samplan {
namespace {

using Json = nlohmann::json;

std::string B64UrlEncode(std::string_view in) {
  return protocol::Base64Encode(in, protocol::Base64Variant::kUrl);
}

bool B64UrlDecode(std::string_view in, std::string* out) {
  return protocol::Base64Decode(in, out, protocol::Base64Variant::kUrl).ok();
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

const char kHeader[] = R"({"alg":"HS256","typ":"JWT"})";

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kAuditor:
      return "auditor";
    case Role::kReviewer:
      return "reviewer";
    case Role::kEditor:
      return "editor";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

bool ParseRole(std::string_view name, Role* role) {
  for (Role r : {Role::kViewer, Role::kAuditor, Role::kReviewer, Role::kEditor,
                 Role::kAdmin}) {
    if (name == RoleName(r)) {
      *role = r;
      return true;
    }
  }
  return false;
}

std::optional<Role> Claims::RoleFor(std::string_view plan) const {
  if (auto it = plans.find(std::string(plan)); it != plans.end()) {
    return it->second;
  }
  if (auto it = plans.find("*"); it != plans.end()) return it->second;
  return std::nullopt;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TokenSigner::Mint(const Claims& c) const {
  Json plans = Json::object();
  for (const auto& [plan, role] : c.plans) plans[plan] = RoleName(role);
  Json payload = {{"sub", c.user},      {"mun", c.municipality},
                  {"plans", plans},     {"iat", c.issued_s},
                  {"exp", c.expires_s}};
  const std::string signing_input =
      B64UrlEncode(kHeader) + "." +
      B64UrlEncode(payload.dump(-1, ' ', false, Json::error_handler_t::replace));
  return signing_input + "." + B64UrlEncode(HmacSha256(secret_, signing_input));
}

Status TokenSigner::Verify(std::string_view token, int64_t now_s,
                           Claims* out) const {
  if (token.size() > 8192) return Status::InvalidArgument("token too long");
  const size_t d1 = token.find('.');
  const size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != token.npos) {
    return Status::InvalidArgument("token is not header.payload.signature");
  }
  std::string header, payload, sig;
  if (!B64UrlDecode(token.substr(0, d1), &header) ||
      !B64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1), &payload) ||
      !B64UrlDecode(token.substr(d2 + 1), &sig)) {
    return Status::InvalidArgument("token is not base64url");
  }
  const std::string expected = HmacSha256(secret_, token.substr(0, d2));
  if (sig.size() != expected.size() ||
      CRYPTO_memcmp(sig.data(), expected.data(), sig.size()) != 0) {
    return Status::InvalidArgument("token signature does not verify");
  }
  Json h = Json::parse(header, nullptr, false);
  if (h.is_discarded() || !h.is_object() || h.value("alg", "") != "HS256") {
    return Status::InvalidArgument("token algorithm is not HS256");
  }
  Json p = Json::parse(payload, nullptr, false);
  if (p.is_discarded() || !p.is_object()) {
    return Status::InvalidArgument("token payload is not a JSON object");
  }
  Claims c;
  auto sub = p.find("sub");
  auto mun = p.find("mun");
  auto plans = p.find("plans");
  auto iat = p.find("iat");
  auto exp = p.find("exp");
  if (sub == p.end() || !sub->is_string() || sub->get<std::string>().empty() ||
      mun == p.end() || !mun->is_string() || plans == p.end() ||
      !plans->is_object() || exp == p.end() || !exp->is_number_integer()) {
    return Status::InvalidArgument("token claims are malformed");
  }
  c.user = sub->get<std::string>();
  c.municipality = mun->get<std::string>();
  for (auto it = plans->begin(); it != plans->end(); ++it) {
    Role role;
    if (!it->is_string() || !ParseRole(it->get<std::string>(), &role)) {
      return Status::InvalidArgument("token names an unknown role");
    }
    c.plans[it.key()] = role;
  }
  if (iat != p.end() && iat->is_number_integer()) c.issued_s = iat->get<int64_t>();
  c.expires_s = exp->get<int64_t>();
  if (c.expires_s <= now_s) return Status::InvalidArgument("token has expired");
  *out = std::move(c);
  return Status::OK();
}

Status LoadOrCreateSecret(const std::string& data_dir, std::string* secret) {
  const std::string path = data_dir + "/secret.key";
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[256];
    const size_t n = std::fread(buf, 1, sizeof(buf), f);
    std::fclose(f);
    std::string hex(buf, n);
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) {
      hex.pop_back();
    }
    if (hex.size() < 32) {
      return Status::Corruption(path + " is too short to be a secret");
    }
    *secret = hex;
    return Status::OK();
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof(raw)) != 1) {
    return Status::FailedPrecondition("no randomness for the token secret");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : raw) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::FailedPrecondition("cannot create " + tmp);
  const std::string line = hex + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) ==
                      static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::FailedPrecondition("cannot write " + path);
  }
  *secret = hex;
  return Status::OK();
}

}  // namespace samplan
