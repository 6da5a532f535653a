// Unicode through the core with the real Norwegian and Swedish plan texts
// in shared/seeds: random edits against a code-point reference model, UTF-8
// never split, UTF-16 offsets converted as a browser would.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "crdt/replica.h"
#include "crdt/utf8.h"

namespace samplan {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* const kSeeds[] = {
    "000_7a68fd880aeeb9a0.txt", "001_71f702930307d31b.txt",
    "002_a13435503486e4b4.txt", "003_030b63f926f439c4.txt",
    "004_46db9b02ff37d069.txt"};

TEST(UnicodeSeedsTest, RandomEditsMatchReferenceModel) {
  for (const char* name : kSeeds) {
    SCOPED_TRACE(name);
    const std::string raw =
        ReadFile(std::string(SAMPLAN_SHARED_DIR) + "/seeds/" + name);
    ASSERT_FALSE(raw.empty());
    ASSERT_TRUE(utf8::Validate(raw).ok());
    const std::u32string source = *utf8::Decode(raw);
    std::u32string model;
    Replica a(1), b(2);
    OpId block = *a.CreateNode(kRootNode, 0, "text_block");
    std::mt19937_64 rng(std::hash<std::string>()(name));
    size_t cursor = 0;  // next code point of the seed to type
    for (int step = 0; step < 1500 && cursor < source.size(); ++step) {
      if (!model.empty() && rng() % 5 == 0) {
        const size_t pos = rng() % model.size();
        const size_t len = 1 + rng() % std::min<size_t>(8, model.size() - pos);
        ASSERT_TRUE(a.DeleteText(block, "body", pos, len).ok());
        model.erase(pos, len);
      } else {
        const size_t len = 1 + rng() % 40;
        const std::u32string piece = source.substr(cursor, len);
        cursor += piece.size();
        const size_t pos = rng() % (model.size() + 1);
        ASSERT_TRUE(a.InsertText(block, "body", pos, utf8::Encode(piece)).ok());
        model.insert(pos, piece);
      }
    }
    EXPECT_EQ(*a.Text(block, "body"), utf8::Encode(model));
    std::vector<Op> ops;
    ASSERT_TRUE(a.OpsSince(VersionVector(), &ops).ok());
    ASSERT_TRUE(b.ApplyAll(ops).ok());
    EXPECT_EQ(*b.Text(block, "body"), utf8::Encode(model));
    auto c = Replica::DecodeSnapshot(a.EncodeSnapshot(), 3);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(*(*c)->Text(block, "body"), utf8::Encode(model));
  }
}

TEST(UnicodeSeedsTest, WholePlanTextRoundTrips) {
  for (const char* name : kSeeds) {
    const std::string raw =
        ReadFile(std::string(SAMPLAN_SHARED_DIR) + "/seeds/" + name);
    Replica a(1);
    OpId block = *a.CreateNode(kRootNode, 0, "text_block");
    ASSERT_TRUE(a.InsertText(block, "body", 0, raw).ok());
    EXPECT_EQ(*a.Text(block, "body"), raw);
    EXPECT_EQ(a.TextOf(block, "body")->size(), utf8::CountCodePoints(raw));
  }
}

TEST(UnicodeSeedsTest, Utf16OffsetsFromABrowser) {
  // "Tiltak 🌱 i Råde": the emoji is one code point, two UTF-16 units.
  const std::u32string text = *utf8::Decode("Tiltak 🌱 i Råde");
  EXPECT_EQ(*utf8::Utf16ToCodePointOffset(text, 7), 7u);
  EXPECT_EQ(*utf8::Utf16ToCodePointOffset(text, 9), 8u);
  EXPECT_FALSE(utf8::Utf16ToCodePointOffset(text, 8).ok());  // mid-pair
  EXPECT_FALSE(utf8::Utf16ToCodePointOffset(text, 99).ok());
  EXPECT_EQ(utf8::CodePointToUtf16Offset(text, 8), 9u);
  EXPECT_EQ(text.size(), 15u);
  EXPECT_EQ(utf8::CodePointToUtf16Offset(text, text.size()), 16u);
}

TEST(UnicodeSeedsTest, InvalidUtf8IsRejectedWithOffset) {
  const char* const kBad[] = {"\xC3", "a\xC3(", "\xED\xA0\x80" /*surrogate*/,
                              "\xC0\xAF" /*overlong*/, "\xF4\x90\x80\x80",
                              "\xFF", "ok\xE2\x82"};
  Replica a(1);
  OpId block = *a.CreateNode(kRootNode, 0, "text_block");
  for (const char* bad : kBad) {
    Status s = a.InsertText(block, "body", 0, bad);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("byte offset"), std::string::npos);
  }
  EXPECT_EQ(*a.Text(block, "body"), "");
}

}  // namespace
}  // namespace samplan
