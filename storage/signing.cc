#include "storage/signing.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <string>
#include <utility>

#include "storage/storage_format.h"

namespace samplan {

namespace {

constexpr size_t kPublicKeyBytes = 32;
constexpr size_t kSignatureBytes = 64;

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::string Errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

Status RawPublicKey(EVP_PKEY* key, std::string* out) {
  size_t len = kPublicKeyBytes;
  out->assign(kPublicKeyBytes, '\0');
  if (EVP_PKEY_get_raw_public_key(
          key, reinterpret_cast<unsigned char*>(out->data()), &len) != 1 ||
      len != kPublicKeyBytes) {
    return Status::Corruption("not an Ed25519 key");
  }
  return Status::OK();
}

// Writes `contents` to `path` atomically with `mode`: a temporary file in
// the same directory, fsync, rename over `path`, fsync of the directory.
Status WriteFileAtomically(const std::string& dir, const std::string& name,
                           std::string_view contents, mode_t mode) {
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                        mode);
  if (fd < 0) return Status::FailedPrecondition(Errno("creating " + tmp));
  ::fchmod(fd, mode);  // in case it existed with other bits
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const Status s = Status::FailedPrecondition(Errno("writing " + tmp));
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const Status s = Status::FailedPrecondition(Errno("syncing " + tmp));
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const Status s = Status::FailedPrecondition(Errno("renaming " + tmp));
    ::unlink(tmp.c_str());
    return s;
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

Status ReadFile(const std::string& path, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::FailedPrecondition(Errno("opening " + path));
  }
  out->clear();
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const Status s = Status::FailedPrecondition(Errno("reading " + path));
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::OK();
}

// Creates `dir` with mode 0700 (and its missing parents, normally).
Status MakePrivateDir(const std::string& dir) {
  const size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    std::error_code ec;
    std::filesystem::create_directories(dir.substr(0, slash), ec);
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::FailedPrecondition(Errno("creating " + dir));
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::FailedPrecondition(dir + " is not a directory");
  }
  if ((st.st_mode & 077) != 0) ::chmod(dir.c_str(), 0700);
  return Status::OK();
}

std::string KeysText(const std::vector<PublicKeyInfo>& keys) {
  std::string out;
  for (const PublicKeyInfo& k : keys) {
    out += k.id + " " + Base64Encode(k.public_key) + " " +
           std::to_string(k.created_ms) + " " + std::to_string(k.retired_ms) +
           "\n";
  }
  return out;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

Status ParseKeysText(const std::string& path, std::string_view text,
                     std::vector<PublicKeyInfo>* out) {
  out->clear();
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    std::vector<std::string_view> fields;
    while (!line.empty()) {
      const size_t sp = line.find(' ');
      fields.push_back(line.substr(0, sp));
      line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    }
    const std::string where = path + " line " + std::to_string(line_no);
    PublicKeyInfo k;
    if (fields.size() != 4) return Status::Corruption(where + ": expected 4 fields");
    k.id = std::string(fields[0]);
    if (!Base64Decode(fields[1], &k.public_key).ok() ||
        k.public_key.size() != kPublicKeyBytes) {
      return Status::Corruption(where + ": bad public key");
    }
    if (KeyIdOf(k.public_key) != k.id) {
      return Status::Corruption(where + ": key id does not match the public key");
    }
    if (!ParseInt64(fields[2], &k.created_ms) ||
        !ParseInt64(fields[3], &k.retired_ms)) {
      return Status::Corruption(where + ": bad time");
    }
    out->push_back(std::move(k));
  }
  return Status::OK();
}

std::string PrivateKeyFileName(const std::string& id) {
  return "ed25519-" + id + ".pem";
}

}  // namespace

struct KeyRing::PrivateKey {
  PkeyPtr key;
};

KeyRing::~KeyRing() = default;

namespace {

// Generates a key and writes its private key file into `dir`.
Status NewKey(const std::string& dir, int64_t now_ms, PublicKeyInfo* info,
              PkeyPtr* key) {
  key->reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (*key == nullptr) return Status::FailedPrecondition("Ed25519 key generation failed");
  SAMPLAN_RETURN_IF_ERROR(RawPublicKey(key->get(), &info->public_key));
  info->id = KeyIdOf(info->public_key);
  info->created_ms = now_ms;
  info->retired_ms = 0;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key->get(), nullptr, nullptr, 0,
                               nullptr, nullptr) != 1) {
    return Status::FailedPrecondition("encoding the private key failed");
  }
  return WriteFileAtomically(dir, PrivateKeyFileName(info->id),
                             BioContents(bio.get()), 0600);
}

}  // namespace

Status KeyRing::Load(const std::string& data_dir,
                     std::unique_ptr<KeyRing>* out) {
  const std::string dir = data_dir + "/keys";
  std::string text;
  SAMPLAN_RETURN_IF_ERROR(ReadFile(dir + "/keys.txt", &text));
  std::unique_ptr<KeyRing> ring(new KeyRing());
  ring->dir_ = dir;
  SAMPLAN_RETURN_IF_ERROR(ParseKeysText(dir + "/keys.txt", text, &ring->keys_));
  size_t active = ring->keys_.size();
  for (size_t i = 0; i < ring->keys_.size(); ++i) {
    if (ring->keys_[i].retired_ms != 0) continue;
    if (active != ring->keys_.size()) {
      return Status::Corruption(dir + "/keys.txt: more than one active key");
    }
    active = i;
  }
  if (active == ring->keys_.size()) {
    return Status::Corruption(dir + "/keys.txt: no active key");
  }
  if (active + 1 != ring->keys_.size()) {
    return Status::Corruption(dir + "/keys.txt: the active key is not the newest");
  }
  const PublicKeyInfo& info = ring->keys_[active];
  const std::string pem_path = dir + "/" + PrivateKeyFileName(info.id);
  std::string pem;
  Status s = ReadFile(pem_path, &pem);
  if (!s.ok()) {
    return Status::Corruption("the active key's private key: " + s.message());
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                  : nullptr);
  std::string public_key;
  if (key == nullptr || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519 ||
      !RawPublicKey(key.get(), &public_key).ok()) {
    return Status::Corruption(pem_path + ": not an Ed25519 private key");
  }
  if (public_key != info.public_key) {
    return Status::Corruption(pem_path + ": does not match key " + info.id +
                              " in keys.txt");
  }
  ring->active_ = std::make_unique<PrivateKey>();
  ring->active_->key = std::move(key);
  *out = std::move(ring);
  return Status::OK();
}

Status LoadPublicKeys(const std::string& data_dir,
                      std::vector<PublicKeyInfo>* out) {
  const std::string path = data_dir + "/keys/keys.txt";
  std::string text;
  SAMPLAN_RETURN_IF_ERROR(ReadFile(path, &text));
  return ParseKeysText(path, text, out);
}

Status KeyRing::LoadOrCreate(const std::string& data_dir, int64_t now_ms,
                             std::unique_ptr<KeyRing>* out) {
  Status s = Load(data_dir, out);
  if (s.code() != Status::Code::kNotFound) return s;
  const std::string dir = data_dir + "/keys";
  SAMPLAN_RETURN_IF_ERROR(MakePrivateDir(dir));
  std::unique_ptr<KeyRing> ring(new KeyRing());
  ring->dir_ = dir;
  PublicKeyInfo info;
  PkeyPtr key;
  SAMPLAN_RETURN_IF_ERROR(NewKey(dir, now_ms, &info, &key));
  std::vector<PublicKeyInfo> keys{info};
  SAMPLAN_RETURN_IF_ERROR(
      WriteFileAtomically(dir, "keys.txt", KeysText(keys), 0600));
  ring->keys_ = std::move(keys);
  ring->active_ = std::make_unique<PrivateKey>();
  ring->active_->key = std::move(key);
  *out = std::move(ring);
  return Status::OK();
}

Status KeyRing::Rotate(int64_t now_ms) {
  PublicKeyInfo info;
  PkeyPtr key;
  SAMPLAN_RETURN_IF_ERROR(MakePrivateDir(dir_));
  SAMPLAN_RETURN_IF_ERROR(NewKey(dir_, now_ms, &info, &key));
  std::vector<PublicKeyInfo> keys = keys_;
  for (PublicKeyInfo& k : keys) {
    if (k.retired_ms == 0) k.retired_ms = now_ms > 0 ? now_ms : 1;
  }
  keys.push_back(info);
  SAMPLAN_RETURN_IF_ERROR(
      WriteFileAtomically(dir_, "keys.txt", KeysText(keys), 0600));
  keys_ = std::move(keys);
  active_->key = std::move(key);
  return Status::OK();
}

const PublicKeyInfo& KeyRing::active() const { return keys_.back(); }

const std::vector<PublicKeyInfo>& KeyRing::keys() const { return keys_; }

std::string KeyRing::Sign(std::string_view message) const {
  std::string sig(kSignatureBytes, '\0');
  size_t len = sig.size();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr,
                         active_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                     &len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      len != kSignatureBytes) {
    // Only on allocation failure: treated as fatal like out-of-memory.
    std::fputs("samplan: Ed25519 signing (OpenSSL EVP) failed\n", stderr);
    std::abort();
  }
  return sig;
}

bool VerifyEd25519(std::string_view public_key, std::string_view message,
                   std::string_view signature) {
  if (public_key.size() != kPublicKeyBytes ||
      signature.size() != kSignatureBytes) {
    return false;
  }
  PkeyPtr key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size()));
  if (key == nullptr) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx != nullptr &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr,
                              key.get()) == 1 &&
         EVP_DigestVerify(
             ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
             signature.size(),
             reinterpret_cast<const unsigned char*>(message.data()),
             message.size()) == 1;
}

std::string KeyIdOf(std::string_view public_key) {
  return ChainToHex(storage_format::Sha256(public_key)).substr(0, 16);
}

std::string PublicKeyPem(std::string_view public_key) {
  if (public_key.size() != kPublicKeyBytes) return "";
  PkeyPtr key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size()));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (key == nullptr || bio == nullptr ||
      PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    return "";
  }
  return BioContents(bio.get());
}

const PublicKeyInfo* FindKey(const std::vector<PublicKeyInfo>& keys,
                             std::string_view key_id) {
  for (const PublicKeyInfo& k : keys) {
    if (k.id == key_id) return &k;
  }
  return nullptr;
}

namespace {
constexpr char kBase64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) |
                       uint32_t{static_cast<uint8_t>(bytes[i + 2])};
    out.push_back(kBase64[v >> 18]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(kBase64[(v >> 6) & 63]);
    out.push_back(kBase64[v & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    out.push_back(kBase64[v >> 18]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Status Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 != 0) {
    return Status::InvalidArgument("base64: length is not a multiple of 4");
  }
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out->reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      int d = 0;
      if (j >= 4 - static_cast<size_t>(pad)) {
        if (text[i + j] != '=') return Status::InvalidArgument("base64: bad padding");
      } else {
        d = value(text[i + j]);
        if (d < 0) {
          return Status::InvalidArgument("base64: invalid character at " +
                                         std::to_string(i + j));
        }
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    // Non-canonical encodings (stray bits under the padding) are refused,
    // so that one byte string has exactly one text.
    if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) {
      return Status::InvalidArgument("base64: non-zero bits in padding");
    }
    out->push_back(static_cast<char>(v >> 16));
    if (pad < 2) out->push_back(static_cast<char>((v >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(v & 0xff));
  }
  return Status::OK();
}

}  // namespace samplan
