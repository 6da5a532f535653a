// Signing: the server's Ed25519 keys and the helpers around them (key ids,
// PEM, base64), for signed named versions and checkpoints.
//
// A KeyRing is the set of keys in DATA/keys/ (mode 0700):
//   ed25519-<id>.pem  the PKCS#8 private key (mode 0600), one per key;
//   keys.txt          one line per key, oldest first:
//                     "<id> <base64 public key> <created_ms> <retired_ms>"
//                     (retired_ms 0: the active key; exactly one, the newest).
// Every file is written atomically (temporary file, fsync, rename, fsync of
// the directory). A key is never deleted: after Rotate the old key stays
// listed (retired) so that what it signed still verifies.
//
// Key id: the first 16 hex characters of SHA-256 of the raw 32-byte public
// key. Signatures are raw 64-byte Ed25519 signatures (RFC 8032) over the
// exact message bytes (OpenSSL 3 EVP, EVP_PKEY_ED25519, no digest).
//
// Thread-safety: a KeyRing is immutable after LoadOrCreate/Load except for
// Rotate (the CLI, with the server stopped); const methods may be called
// concurrently. The free functions are reentrant.
#ifndef SAMPLAN_STORAGE_SIGNING_H_
#define SAMPLAN_STORAGE_SIGNING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/status.h"

namespace samplan {

struct PublicKeyInfo {
  std::string id;          // 16 hex chars: SHA-256(raw public key) prefix
  std::string public_key;  // 32 raw bytes
  int64_t created_ms = 0;
  int64_t retired_ms = 0;  // 0: active
};

class KeyRing {
 public:
  // Loads the key ring of `data_dir` (DATA/keys/), creating the directory
  // and a first key (created at now_ms) when there is none.
  static Status LoadOrCreate(const std::string& data_dir, int64_t now_ms,
                             std::unique_ptr<KeyRing>* out);
  // Loads an existing key ring: NotFound when DATA/keys/keys.txt does not
  // exist; Corruption when a file is malformed, a private key is missing or
  // does not match its listed public key, or not exactly one key is active.
  static Status Load(const std::string& data_dir,
                     std::unique_ptr<KeyRing>* out);

  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // Creates a new active key; the old active key stays listed, retired at
  // now_ms. On error nothing visible changes (keys.txt is replaced last).
  Status Rotate(int64_t now_ms);

  const PublicKeyInfo& active() const;
  const std::vector<PublicKeyInfo>& keys() const;  // oldest first
  // The 64-byte raw Ed25519 signature of `message` with the active key.
  std::string Sign(std::string_view message) const;

 private:
  struct PrivateKey;
  KeyRing() = default;

  std::string dir_;                       // DATA/keys
  std::vector<PublicKeyInfo> keys_;       // oldest first
  std::unique_ptr<PrivateKey> active_;    // the active key's private key
};

// The public keys listed in DATA/keys/keys.txt, oldest first, without
// touching the private keys (for verifiers). NotFound when there is none;
// Corruption when it is malformed.
Status LoadPublicKeys(const std::string& data_dir,
                      std::vector<PublicKeyInfo>* out);

// Whether `signature` (64 raw bytes) is a valid Ed25519 signature of
// `message` by `public_key` (32 raw bytes). False on any malformed input.
bool VerifyEd25519(std::string_view public_key, std::string_view message,
                   std::string_view signature);
// The key id of a raw public key (16 lowercase hex characters).
std::string KeyIdOf(std::string_view public_key);
// The SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----...") of a raw
// public key; "" if it is not 32 bytes.
std::string PublicKeyPem(std::string_view public_key);
// The public key in `keys` with id `key_id`; nullptr if none.
const PublicKeyInfo* FindKey(const std::vector<PublicKeyInfo>& keys,
                             std::string_view key_id);

// Standard base64 (RFC 4648, with padding). Decode rejects anything else
// (InvalidArgument). Here because storage may not use protocol/base64.
std::string Base64Encode(std::string_view bytes);
Status Base64Decode(std::string_view text, std::string* out);

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_SIGNING_H_
