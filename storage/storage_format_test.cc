// Key and value encodings of the RocksDB store.
#include "storage/storage_format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace samplan {
namespace {

namespace sf = storage_format;

TEST(StorageFormatTest, SeqKeysSortByPlanThenSeq) {
  std::vector<std::pair<std::string, uint64_t>> order = {
      {"a", 1}, {"a", 2}, {"a", 255}, {"a", 256}, {"a", 1ull << 40},
      {"a-b", 1}, {"ab", 0}, {"ab", 7}, {"b", 1}};
  std::vector<std::string> keys;
  for (const auto& [plan, seq] : order) keys.push_back(sf::SeqKey(plan, seq));
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  // Plan "a"'s keys all start with its prefix, "ab"'s do not.
  EXPECT_TRUE(keys[4].starts_with(sf::PlanPrefix("a")));
  EXPECT_FALSE(keys[6].starts_with(sf::PlanPrefix("a")));
  EXPECT_EQ(sf::SeqKey("p", 0x0102030405060708ull),
            std::string("p\0\x01\x02\x03\x04\x05\x06\x07\x08", 10));
  uint64_t seq = 0;
  EXPECT_TRUE(sf::ParseSeqKey(keys[4], "a", &seq));
  EXPECT_EQ(seq, 1ull << 40);
  EXPECT_FALSE(sf::ParseSeqKey(keys[4], "ab", &seq));
  EXPECT_FALSE(sf::ParseSeqKey("a", "a", &seq));
  EXPECT_FALSE(sf::ParseSeqKey(keys[6], "a", &seq));
}

TEST(StorageFormatTest, PlanRecordRoundTripsAndRejectsDamage) {
  sf::PlanRecord r;
  r.last_seq = 123456;
  r.head[0] = 9;
  r.head[31] = 200;
  r.created_ms = 1700000000000;
  r.last_time_ms = -5;
  r.title = "Handlingsplan Råde";
  const std::string bytes = sf::EncodePlanRecord(r);
  sf::PlanRecord back;
  ASSERT_TRUE(sf::DecodePlanRecord(bytes, &back).ok());
  EXPECT_EQ(back.last_seq, r.last_seq);
  EXPECT_EQ(back.head, r.head);
  EXPECT_EQ(back.created_ms, r.created_ms);
  EXPECT_EQ(back.last_time_ms, r.last_time_ms);
  EXPECT_EQ(back.title, r.title);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(sf::DecodePlanRecord(bytes.substr(0, n), &back).code(),
              Status::Code::kCorruption);
  }
  EXPECT_EQ(sf::DecodePlanRecord(bytes + "x", &back).code(),
            Status::Code::kCorruption);
  std::string other_version = bytes;
  other_version[0] = 2;
  EXPECT_EQ(sf::DecodePlanRecord(other_version, &back).code(),
            Status::Code::kCorruption);
}

TEST(StorageFormatTest, OpRecordRoundTripsAndIsCanonical) {
  Op op;
  op.id = OpId{3, 10};
  op.lamport = 12;
  op.kind = OpKind::kInsertText;
  op.node = OpId{3, 1};
  op.name = "title";
  op.text = "Grønn 🌱";
  op.author = Author{"kari", "Moss", 1234};
  const std::string op_bytes = CanonicalOpBytes(op);
  ChainHash chain = NextChain(ChainHash{}, op_bytes);
  const std::string value = sf::EncodeOpRecord(chain, op_bytes);
  StoredOp stored;
  std::string_view raw;
  ASSERT_TRUE(sf::DecodeStoredOp(7, value, &stored, &raw).ok());
  EXPECT_EQ(stored.seq, 7u);
  EXPECT_EQ(stored.op, op);
  EXPECT_EQ(stored.chain, chain);
  EXPECT_EQ(stored.user, "kari");
  EXPECT_EQ(stored.municipality, "Moss");
  EXPECT_EQ(stored.server_time_ms, 1234);
  EXPECT_EQ(raw, op_bytes);
  // Every truncation fails cleanly.
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_FALSE(sf::DecodeStoredOp(7, value.substr(0, n), &stored, nullptr).ok())
        << n;
  }
}

TEST(StorageFormatTest, ChainIsSha256OfPreviousAndBytes) {
  // SHA-256 of 32 zero bytes followed by "abc".
  std::string input(32, '\0');
  input += "abc";
  EXPECT_EQ(NextChain(ChainHash{}, "abc"), sf::Sha256(input));
  // SHA-256("abc"), the FIPS 180-2 example.
  EXPECT_EQ(ChainToHex(sf::Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(StorageFormatTest, SnapshotRecordChecksDigest) {
  ChainHash chain{};
  chain[3] = 1;
  const std::string value = sf::EncodeSnapshotRecord(chain, "SPS snapshot");
  ChainHash back;
  std::string_view bytes;
  ASSERT_TRUE(sf::DecodeSnapshotRecord(value, &back, &bytes).ok());
  EXPECT_EQ(back, chain);
  EXPECT_EQ(bytes, "SPS snapshot");
  std::string damaged = value;
  damaged.back() ^= 1;
  EXPECT_EQ(sf::DecodeSnapshotRecord(damaged, &back, &bytes).code(),
            Status::Code::kCorruption);
}

}  // namespace
}  // namespace samplan
