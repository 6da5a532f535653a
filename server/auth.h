// Identity and roles: signed access tokens (JWT, HS256).
//
// A token names a user, the user's municipality and the user's role in
// each plan ("*" = every plan), and expires. It is
// base64url(header).base64url(payload).base64url(HMAC-SHA256(secret, ...))
// with header {"alg":"HS256","typ":"JWT"} and payload
//   {"sub": "ola", "mun": "Vestby", "plans": {"demo": "editor"},
//    "iat": 1764000000, "exp": 1764086400}
// The secret is 32 random bytes generated into the data directory on first
// start (LoadOrCreateSecret); only the server holds it.
//
// Thread-safety: TokenSigner is immutable after construction and safe to
// share between threads.
#ifndef SAMPLAN_SERVER_AUTH_H_
#define SAMPLAN_SERVER_AUTH_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "crdt/status.h"

namespace samplan {

// Ordered by power; only editors and admins change plan content.
enum class Role { kViewer, kAuditor, kReviewer, kEditor, kAdmin };

const char* RoleName(Role role);  // "viewer", "auditor", ...
bool ParseRole(std::string_view name, Role* role);
inline bool CanEditContent(Role role) {
  return role == Role::kEditor || role == Role::kAdmin;
}

struct Claims {
  std::string user;
  std::string municipality;
  std::map<std::string, Role> plans;  // plan id or "*" -> role
  int64_t issued_s = 0;
  int64_t expires_s = 0;

  // The role for `plan`: its own entry, else the "*" entry, else none.
  std::optional<Role> RoleFor(std::string_view plan) const;
};

class TokenSigner {
 public:
  // REQUIRES: secret non-empty.
  explicit TokenSigner(std::string secret) : secret_(std::move(secret)) {}

  std::string Mint(const Claims& claims) const;
  // InvalidArgument naming what was wrong: malformed, bad signature,
  // unsupported algorithm, bad claims, expired (relative to now_s).
  Status Verify(std::string_view token, int64_t now_s, Claims* out) const;

 private:
  std::string secret_;
};

// Reads DIR/secret.key, creating it (32 random bytes, hex, mode 0600) when
// it does not exist. REQUIRES: `data_dir` exists.
Status LoadOrCreateSecret(const std::string& data_dir, std::string* secret);

// Seconds since the Unix epoch.
int64_t NowSeconds();

}  // namespace samplan

#endif  // SAMPLAN_SERVER_AUTH_H_
