// KeyRing (creation, reload, rotation, file modes), Ed25519 signing and
// verification, key ids, PEM and base64.
#include "storage/signing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using testing_util::TempDir;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SigningTest, SignVerifyRoundTripAndForgeries) {
  TempDir dir;
  std::unique_ptr<KeyRing> ring;
  ASSERT_TRUE(KeyRing::LoadOrCreate(dir.path(), 1000, &ring).ok());
  const std::string message = "samplan-version-v1\nplan:demo\n";
  const std::string sig = ring->Sign(message);
  ASSERT_EQ(sig.size(), 64u);
  const std::string& pk = ring->active().public_key;
  ASSERT_EQ(pk.size(), 32u);
  EXPECT_TRUE(VerifyEd25519(pk, message, sig));

  // An altered message, an altered signature, another key: all fail.
  EXPECT_FALSE(VerifyEd25519(pk, message + "x", sig));
  std::string changed = message;
  changed[10] ^= 1;
  EXPECT_FALSE(VerifyEd25519(pk, changed, sig));
  for (size_t i : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    std::string forged = sig;
    forged[i] ^= 0x40;
    EXPECT_FALSE(VerifyEd25519(pk, message, forged)) << i;
  }
  TempDir other_dir;
  std::unique_ptr<KeyRing> other;
  ASSERT_TRUE(KeyRing::LoadOrCreate(other_dir.path(), 1000, &other).ok());
  EXPECT_FALSE(VerifyEd25519(other->active().public_key, message, sig));
  EXPECT_FALSE(VerifyEd25519(pk, message, other->Sign(message)));
  // Malformed inputs are just "does not verify".
  EXPECT_FALSE(VerifyEd25519(pk, message, sig.substr(0, 63)));
  EXPECT_FALSE(VerifyEd25519(pk.substr(0, 31), message, sig));
  EXPECT_FALSE(VerifyEd25519("", message, ""));
}

TEST(SigningTest, KeyRingFilesAndReload) {
  TempDir dir;
  EXPECT_EQ(KeyRing::Load(dir.path(), nullptr).code(), Status::Code::kNotFound);
  std::unique_ptr<KeyRing> ring;
  ASSERT_TRUE(KeyRing::LoadOrCreate(dir.path(), 1234, &ring).ok());
  ASSERT_EQ(ring->keys().size(), 1u);
  const PublicKeyInfo key = ring->active();
  EXPECT_EQ(key.id.size(), 16u);
  EXPECT_EQ(key.id, KeyIdOf(key.public_key));
  EXPECT_EQ(key.created_ms, 1234);
  EXPECT_EQ(key.retired_ms, 0);

  const std::string keys_dir = dir.path() + "/keys";
  EXPECT_EQ(ModeOf(keys_dir), 0700u);
  EXPECT_EQ(ModeOf(keys_dir + "/keys.txt"), 0600u);
  const std::string pem_path = keys_dir + "/ed25519-" + key.id + ".pem";
  EXPECT_EQ(ModeOf(pem_path), 0600u);
  EXPECT_NE(ReadAll(pem_path).find("-----BEGIN PRIVATE KEY-----"),
            std::string::npos);
  EXPECT_EQ(ReadAll(keys_dir + "/keys.txt"),
            key.id + " " + Base64Encode(key.public_key) + " 1234 0\n");
  // No temporary files left behind.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(keys_dir)) {
    EXPECT_EQ(e.path().extension() == ".tmp", false) << e.path();
    ++files;
  }
  EXPECT_EQ(files, 2u);

  // Reloading (also via LoadOrCreate) gives the same key, which signs.
  const std::string sig = ring->Sign("m");
  ring.reset();
  ASSERT_TRUE(KeyRing::LoadOrCreate(dir.path(), 9999, &ring).ok());
  ASSERT_EQ(ring->keys().size(), 1u);
  EXPECT_EQ(ring->active().id, key.id);
  EXPECT_EQ(ring->active().created_ms, 1234);
  EXPECT_TRUE(VerifyEd25519(key.public_key, "m", ring->Sign("m")));
  EXPECT_TRUE(VerifyEd25519(key.public_key, "m", sig));

  const std::string pem = PublicKeyPem(key.public_key);
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u) << pem;
  EXPECT_NE(pem.find("-----END PUBLIC KEY-----"), std::string::npos);
  EXPECT_EQ(PublicKeyPem("short"), "");
}

TEST(SigningTest, RotationKeepsOldKeysAndTheirSignatures) {
  TempDir dir;
  std::unique_ptr<KeyRing> ring;
  ASSERT_TRUE(KeyRing::LoadOrCreate(dir.path(), 1000, &ring).ok());
  const PublicKeyInfo first = ring->active();
  const std::string old_sig = ring->Sign("adopted");
  ASSERT_TRUE(ring->Rotate(2000).ok());
  const PublicKeyInfo second = ring->active();
  EXPECT_NE(second.id, first.id);
  ASSERT_EQ(ring->keys().size(), 2u);
  EXPECT_EQ(ring->keys()[0].id, first.id);
  EXPECT_EQ(ring->keys()[0].retired_ms, 2000);
  EXPECT_EQ(ring->keys()[1].id, second.id);
  EXPECT_EQ(ring->keys()[1].retired_ms, 0);
  const std::string new_sig = ring->Sign("adopted");
  EXPECT_TRUE(VerifyEd25519(second.public_key, "adopted", new_sig));
  EXPECT_FALSE(VerifyEd25519(first.public_key, "adopted", new_sig));

  ASSERT_TRUE(ring->Rotate(3000).ok());
  ring.reset();
  ASSERT_TRUE(KeyRing::Load(dir.path(), &ring).ok());
  ASSERT_EQ(ring->keys().size(), 3u);
  EXPECT_EQ(ring->keys()[0].retired_ms, 2000);
  EXPECT_EQ(ring->keys()[1].retired_ms, 3000);
  EXPECT_EQ(ring->active().retired_ms, 0);
  EXPECT_EQ(ring->active().created_ms, 3000);
  // What the old keys signed still verifies with the listed keys.
  const PublicKeyInfo* k1 = FindKey(ring->keys(), first.id);
  ASSERT_NE(k1, nullptr);
  EXPECT_TRUE(VerifyEd25519(k1->public_key, "adopted", old_sig));
  const PublicKeyInfo* k2 = FindKey(ring->keys(), second.id);
  ASSERT_NE(k2, nullptr);
  EXPECT_TRUE(VerifyEd25519(k2->public_key, "adopted", new_sig));
  EXPECT_EQ(FindKey(ring->keys(), "0000000000000000"), nullptr);
  // Three private key files, all 0600.
  size_t pems = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() + "/keys")) {
    if (e.path().extension() != ".pem") continue;
    EXPECT_EQ(ModeOf(e.path().string()), 0600u);
    ++pems;
  }
  EXPECT_EQ(pems, 3u);
}

TEST(SigningTest, DamagedKeyRingIsRefused) {
  TempDir dir;
  std::unique_ptr<KeyRing> ring;
  ASSERT_TRUE(KeyRing::LoadOrCreate(dir.path(), 1000, &ring).ok());
  const std::string id = ring->active().id;
  const std::string keys_txt = dir.path() + "/keys/keys.txt";
  const std::string good = ReadAll(keys_txt);
  auto write = [&](const std::string& text) {
    std::ofstream(keys_txt, std::ios::trunc) << text;
  };
  write(good.substr(0, good.size() - 2) + "5\n");  // no active key
  EXPECT_EQ(KeyRing::Load(dir.path(), &ring).code(), Status::Code::kCorruption);
  write("nonsense\n");
  EXPECT_EQ(KeyRing::Load(dir.path(), &ring).code(), Status::Code::kCorruption);
  // A listed public key that is not the private key's.
  TempDir other;
  std::unique_ptr<KeyRing> other_ring;
  ASSERT_TRUE(KeyRing::LoadOrCreate(other.path(), 1000, &other_ring).ok());
  std::string swapped = ReadAll(other.path() + "/keys/keys.txt");
  write(swapped);
  EXPECT_EQ(KeyRing::Load(dir.path(), &ring).code(), Status::Code::kCorruption);
  write(good);
  EXPECT_TRUE(KeyRing::Load(dir.path(), &ring).ok());
  // LoadOrCreate never replaces a damaged ring with a new key.
  std::filesystem::remove(dir.path() + "/keys/ed25519-" + id + ".pem");
  EXPECT_EQ(KeyRing::LoadOrCreate(dir.path(), 1, &ring).code(),
            Status::Code::kCorruption);
}

TEST(SigningTest, Base64) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},
      {"foo", "Zm9v"},   {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}, {std::string("\xff\xfe\x00", 3), "//4A"}};
  for (const auto& [raw, text] : cases) {
    EXPECT_EQ(Base64Encode(raw), text);
    std::string back;
    ASSERT_TRUE(Base64Decode(text, &back).ok()) << text;
    EXPECT_EQ(back, raw);
  }
  std::string out;
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zh==", "Zm9v!A==", "=Zg=",
                          "Zm8=Zm8="}) {
    EXPECT_FALSE(Base64Decode(bad, &out).ok()) << bad;
  }
}

}  // namespace
}  // namespace samplan
