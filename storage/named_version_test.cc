// Named versions: the signed message, name rules and record round trip.
// (Storing them is tested in plan_store_test.cc on both stores.)
#include "storage/named_version.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <vector>

#include "storage/people.h"
#include "storage/signing.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

NamedVersion Example() {
  NamedVersion v;
  v.plan_id = "demo";
  v.name = "Vedtatt i kommunestyret";
  v.reference = "PS 12/2026";
  v.seq = 812;
  v.head[31] = 0x0f;
  v.time_ms = 1764090000000;
  v.created_by = "admin1";
  v.created_ms = 1764090001234;
  v.key_id = "0123456789abcdef";
  v.signature = std::string(64, 'S');
  return v;
}

TEST(NamedVersionTest, SigningMessageIsExact) {
  EXPECT_EQ(VersionSigningMessage(Example()),
            "samplan-version-v1\nplan:demo\nname:Vedtatt i kommunestyret\n"
            "reference:PS 12/2026\nseq:812\nhead:" +
                std::string(62, '0') +
                "0f\ntime_ms:1764090000000\ncreated_by:admin1\n"
                "created_ms:1764090001234\n");
}

TEST(NamedVersionTest, SignatureCoversEveryField) {
  testing_util::TempDir dir;
  std::unique_ptr<KeyRing> ring;
  ASSERT_TRUE(KeyRing::LoadOrCreate(dir.path(), 1, &ring).ok());
  NamedVersion v = Example();
  v.signature = ring->Sign(VersionSigningMessage(v));
  const std::string& pk = ring->active().public_key;
  EXPECT_TRUE(VerifyEd25519(pk, VersionSigningMessage(v), v.signature));
  std::vector<std::function<void(NamedVersion*)>> changes = {
      [](NamedVersion* x) { x->plan_id = "other"; },
      [](NamedVersion* x) { x->name += "!"; },
      [](NamedVersion* x) { x->reference = ""; },
      [](NamedVersion* x) { x->seq = 811; },
      [](NamedVersion* x) { x->head[0] = 1; },
      [](NamedVersion* x) { x->time_ms += 1; },
      [](NamedVersion* x) { x->created_by = "admin2"; },
      [](NamedVersion* x) { x->created_ms -= 1; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    NamedVersion changed = v;
    changes[i](&changed);
    EXPECT_FALSE(VerifyEd25519(pk, VersionSigningMessage(changed), v.signature))
        << i;
  }
}

TEST(NamedVersionTest, NameRules) {
  EXPECT_TRUE(CheckVersionName("v1").ok());
  EXPECT_TRUE(CheckVersionName("Høringsutkast «2» – mars").ok());
  EXPECT_TRUE(CheckVersionName(std::string(200, 'x')).ok());
  std::string long_utf8;
  for (int i = 0; i < 200; ++i) long_utf8 += "ø";
  EXPECT_TRUE(CheckVersionName(long_utf8).ok());
  EXPECT_FALSE(CheckVersionName(long_utf8 + "ø").ok());
  EXPECT_FALSE(CheckVersionName(std::string(201, 'x')).ok());
  EXPECT_FALSE(CheckVersionName("").ok());
  EXPECT_FALSE(CheckVersionName("a\nb").ok());
  EXPECT_FALSE(CheckVersionName("a\tb").ok());
  EXPECT_FALSE(CheckVersionName("a\x7f").ok());
  EXPECT_FALSE(CheckVersionName("a\xc2\x85").ok());  // NEL (C1)
  EXPECT_FALSE(CheckVersionName("\xff").ok());
  EXPECT_FALSE(CheckVersionName("\xc3").ok());
}

TEST(NamedVersionTest, RecordRoundTrip) {
  const NamedVersion v = Example();
  const std::string bytes = EncodeVersionRecord(v);
  NamedVersion back;
  ASSERT_TRUE(DecodeVersionRecord(bytes, &back).ok());
  EXPECT_EQ(VersionSigningMessage(back), VersionSigningMessage(v));
  EXPECT_EQ(back.key_id, v.key_id);
  EXPECT_EQ(back.signature, v.signature);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeVersionRecord(bytes.substr(0, n), &back).code(),
              Status::Code::kCorruption)
        << n;
  }
  EXPECT_FALSE(DecodeVersionRecord(bytes + "x", &back).ok());
}

TEST(PeopleTest, RecordsRoundTripAndUserIds) {
  const Person p{"kari", "Kari Nordmann", "kari@moss.no", 5, "dpo"};
  Person back;
  ASSERT_TRUE(DecodePersonRecord(EncodePersonRecord(p), &back).ok());
  EXPECT_EQ(back.user, p.user);
  EXPECT_EQ(back.name, p.name);
  EXPECT_EQ(back.email, p.email);
  EXPECT_EQ(back.erased_ms, 5);
  EXPECT_EQ(back.erased_by, "dpo");
  const Erasure e{"kari", "dpo", "art. 17", 99};
  Erasure eback;
  const std::string bytes = EncodeErasureRecord(e);
  ASSERT_TRUE(DecodeErasureRecord(bytes, &eback).ok());
  EXPECT_EQ(eback.user, "kari");
  EXPECT_EQ(eback.by, "dpo");
  EXPECT_EQ(eback.reason, "art. 17");
  EXPECT_EQ(eback.time_ms, 99);
  EXPECT_FALSE(DecodeErasureRecord(bytes.substr(0, bytes.size() - 1), &eback).ok());
  EXPECT_FALSE(DecodePersonRecord("", &back).ok());

  EXPECT_TRUE(CheckUserId("kari").ok());
  EXPECT_TRUE(CheckUserId("user@moss.kommune.no").ok());
  EXPECT_FALSE(CheckUserId("").ok());
  EXPECT_FALSE(CheckUserId("a\nb").ok());
  EXPECT_FALSE(CheckUserId(std::string(257, 'a')).ok());
  EXPECT_FALSE(CheckUserId("\xff").ok());
}

}  // namespace
}  // namespace samplan
