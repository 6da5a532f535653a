#include "crdt/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace samplan {
namespace {

std::string Encode(const FieldValue& v) {
  std::string out;
  Writer w(&out);
  v.EncodeTo(&w);
  return out;
}

Status Decode(std::string_view bytes, FieldValue* out) {
  Reader r(bytes);
  return FieldValue::DecodeFrom(&r, out);
}

std::vector<FieldValue> SampleValues() {
  return {
      FieldValue::Null(),
      FieldValue::Bool(false),
      FieldValue::Bool(true),
      FieldValue::Int(0),
      FieldValue::Int(-1),
      FieldValue::Int(42),
      FieldValue::Int(std::numeric_limits<int64_t>::min()),
      FieldValue::Int(std::numeric_limits<int64_t>::max()),
      FieldValue::Number(0.0),
      FieldValue::Number(-0.0),
      FieldValue::Number(0.1),
      FieldValue::Number(-123.456e78),
      FieldValue::Number(std::numeric_limits<double>::max()),
      FieldValue::Number(std::numeric_limits<double>::denorm_min()),
      FieldValue::String(""),
      FieldValue::String("Kvinesdal"),
      FieldValue::String("Råde \xF0\x9F\x8C\xB2 \"q\""),
      FieldValue::Date("2024-05-01"),
      FieldValue::Date("2024-02-29"),
      FieldValue::StringList({}),
      FieldValue::StringList({"Moss", "Råde"}),
      FieldValue::StringList({"", "a", ""}),
  };
}

TEST(ValueTypeTest, NamesRoundTrip) {
  const ValueType all[] = {ValueType::kNull,   ValueType::kBool,
                           ValueType::kInt,    ValueType::kNumber,
                           ValueType::kString, ValueType::kDate,
                           ValueType::kStringList};
  for (ValueType t : all) {
    ValueType parsed = ValueType::kNull;
    ASSERT_TRUE(ParseValueType(ValueTypeName(t), &parsed))
        << ValueTypeName(t);
    EXPECT_EQ(parsed, t);
  }
  EXPECT_STREQ(ValueTypeName(ValueType::kStringList), "string_list");
  EXPECT_STREQ(ValueTypeName(ValueType::kNumber), "number");
}

TEST(ValueTypeTest, ParseRejectsUnknownNames) {
  ValueType t = ValueType::kBool;
  EXPECT_FALSE(ParseValueType("", &t));
  EXPECT_FALSE(ParseValueType("String", &t));
  EXPECT_FALSE(ParseValueType("unknown", &t));
  EXPECT_FALSE(ParseValueType("string ", &t));
  EXPECT_EQ(t, ValueType::kBool);  // unchanged
}

TEST(FieldValueTest, FactoriesSetTypeAndPayload) {
  EXPECT_EQ(FieldValue::Null().type, ValueType::kNull);
  EXPECT_EQ(FieldValue::Bool(true).type, ValueType::kBool);
  EXPECT_TRUE(FieldValue::Bool(true).b);
  EXPECT_EQ(FieldValue::Int(-5).i, -5);
  EXPECT_EQ(FieldValue::Number(2.5).d, 2.5);
  EXPECT_EQ(FieldValue::String("x").s, "x");
  EXPECT_EQ(FieldValue::Date("2024-05-01").type, ValueType::kDate);
  EXPECT_EQ(FieldValue::Date("2024-05-01").s, "2024-05-01");
  EXPECT_EQ(FieldValue::StringList({"a", "b"}).list,
            (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(FieldValue::Int(1), FieldValue::Number(1));
  EXPECT_NE(FieldValue::String("2024-05-01"), FieldValue::Date("2024-05-01"));
}

TEST(FieldValueTest, SampleValuesAreValid) {
  for (const FieldValue& v : SampleValues()) {
    EXPECT_TRUE(v.Validate().ok()) << v.DebugString() << " "
                                   << v.Validate().ToString();
  }
}

TEST(FieldValueTest, ValidateRejectsBadUtf8) {
  const Status st = FieldValue::String("ab\xC3").Validate();
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("string"), std::string::npos) << st.message();
  EXPECT_FALSE(FieldValue::String("\xED\xA0\x80").Validate().ok());  // surrogate
  EXPECT_FALSE(FieldValue::String("\xC0\xAF").Validate().ok());      // overlong

  const Status list_st =
      FieldValue::StringList({"ok", "bad\xFF"}).Validate();
  EXPECT_EQ(list_st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(list_st.message().find("item 1"), std::string::npos)
      << list_st.message();
}

TEST(FieldValueTest, ValidateRejectsNonFiniteNumbers) {
  EXPECT_FALSE(
      FieldValue::Number(std::numeric_limits<double>::infinity()).Validate().ok());
  EXPECT_FALSE(FieldValue::Number(-std::numeric_limits<double>::infinity())
                   .Validate()
                   .ok());
  const Status st =
      FieldValue::Number(std::numeric_limits<double>::quiet_NaN()).Validate();
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("finite"), std::string::npos) << st.message();
}

TEST(FieldValueTest, ValidateDates) {
  const char* good[] = {"2024-05-01", "2024-02-29", "2000-02-29", "1999-12-31",
                        "0001-01-01", "9999-12-31", "2023-01-31", "2023-04-30"};
  for (const char* d : good) {
    EXPECT_TRUE(FieldValue::Date(d).Validate().ok()) << d;
  }
  const char* bad[] = {
      "",           "2024-5-01",   "2024-05-1",   "2024/05/01", "20240501",
      "2024-05-01 ", " 2024-05-01", "2024-05-01T00:00", "2023-02-29",
      "1900-02-29", "2100-02-29",  "2024-02-30",  "2024-04-31", "2024-13-01",
      "2024-00-10", "2024-01-00",  "2024-01-32",  "0000-01-01", "2024-0a-01",
      "+024-01-01", "-024-01-01",  "2024-01--1",
  };
  for (const char* d : bad) {
    const Status st = FieldValue::Date(d).Validate();
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << d;
    EXPECT_NE(st.message().find("date"), std::string::npos) << st.message();
  }
}

TEST(FieldValueTest, DebugStringIsDeterministicAndReadable) {
  EXPECT_EQ(FieldValue::Null().DebugString(), "null");
  EXPECT_EQ(FieldValue::Bool(true).DebugString(), "true");
  EXPECT_EQ(FieldValue::Bool(false).DebugString(), "false");
  EXPECT_EQ(FieldValue::Int(-42).DebugString(), "-42");
  EXPECT_EQ(FieldValue::Int(std::numeric_limits<int64_t>::min()).DebugString(),
            "-9223372036854775808");
  EXPECT_EQ(FieldValue::Number(2.5).DebugString(), "2.5");
  EXPECT_EQ(FieldValue::Number(0.1).DebugString(), "0.1");
  EXPECT_EQ(FieldValue::Number(1e300).DebugString(), "1e+300");
  EXPECT_EQ(FieldValue::String("text").DebugString(), "\"text\"");
  EXPECT_EQ(FieldValue::String("a\"b\\c\nd").DebugString(),
            "\"a\\\"b\\\\c\\nd\"");
  EXPECT_EQ(FieldValue::String(std::string("\x01", 1)).DebugString(),
            "\"\\u0001\"");
  EXPECT_EQ(FieldValue::String("Råde").DebugString(), "\"Råde\"");
  EXPECT_EQ(FieldValue::String("a\xFF").DebugString(), "\"a\\xff\"");
  EXPECT_EQ(FieldValue::Date("2024-05-01").DebugString(), "date:2024-05-01");
  EXPECT_EQ(FieldValue::Date("nope").DebugString(), "date:\"nope\"");
  EXPECT_EQ(FieldValue::StringList({"Moss", "Råde"}).DebugString(),
            "[\"Moss\",\"Råde\"]");
  EXPECT_EQ(FieldValue::StringList({}).DebugString(), "[]");
}

TEST(FieldValueTest, NumberDebugStringRoundTrips) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  std::vector<double> samples = {0.1,
                                 1.0 / 3.0,
                                 2.0 / 3.0,
                                 5e-324,
                                 std::numeric_limits<double>::max(),
                                 std::numeric_limits<double>::min(),
                                 0.30000000000000004,
                                 123456789012345678.0};
  for (int k = 0; k < 1000; ++k) samples.push_back(dist(rng));
  for (double d : samples) {
    const std::string s = FieldValue::Number(d).DebugString();
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), d) << s;
  }
}

TEST(FieldValueTest, EncodeDecodeRoundTrip) {
  for (const FieldValue& v : SampleValues()) {
    const std::string bytes = Encode(v);
    FieldValue back = FieldValue::String("junk");
    Reader r(bytes);
    ASSERT_TRUE(FieldValue::DecodeFrom(&r, &back).ok()) << v.DebugString();
    EXPECT_TRUE(r.AtEnd()) << v.DebugString();
    EXPECT_EQ(back, v) << v.DebugString();
    // -0.0 == 0.0 compares equal; check the bit pattern survives too.
    if (v.type == ValueType::kNumber) {
      EXPECT_EQ(std::signbit(back.d), std::signbit(v.d));
    }
  }
}

TEST(FieldValueTest, EncodingLayout) {
  EXPECT_EQ(Encode(FieldValue::Null()), std::string("\x00", 1));
  EXPECT_EQ(Encode(FieldValue::Bool(true)), std::string("\x01\x01", 2));
  // Zig-zag: -1 -> 1, 1 -> 2, 64 -> 128 (two varint bytes).
  EXPECT_EQ(Encode(FieldValue::Int(-1)), std::string("\x02\x01", 2));
  EXPECT_EQ(Encode(FieldValue::Int(1)), std::string("\x02\x02", 2));
  EXPECT_EQ(Encode(FieldValue::Int(64)), std::string("\x02\x80\x01", 3));
  EXPECT_EQ(Encode(FieldValue::Number(1.0)),
            std::string("\x03\x00\x00\x00\x00\x00\x00\xF0\x3F", 9));
  EXPECT_EQ(Encode(FieldValue::String("ab")), std::string("\x04\x02" "ab", 4));
  EXPECT_EQ(Encode(FieldValue::Date("2024-05-01")),
            std::string("\x05\x0A" "2024-05-01", 12));
  EXPECT_EQ(Encode(FieldValue::StringList({"a", ""})),
            std::string("\x06\x02\x01" "a\x00", 5));
}

TEST(FieldValueTest, DecodeSequenceOfValues) {
  std::string bytes;
  Writer w(&bytes);
  const std::vector<FieldValue> values = SampleValues();
  for (const FieldValue& v : values) v.EncodeTo(&w);
  Reader r(bytes);
  for (const FieldValue& v : values) {
    FieldValue back;
    ASSERT_TRUE(FieldValue::DecodeFrom(&r, &back).ok());
    EXPECT_EQ(back, v);
  }
  EXPECT_TRUE(r.AtEnd());
}

void ExpectCorruption(std::string_view bytes, std::string_view needle) {
  FieldValue out = FieldValue::Int(99);
  const Status st = Decode(bytes, &out);
  EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find(needle), std::string::npos)
      << "'" << st.message() << "' lacks '" << needle << "'";
  EXPECT_EQ(out, FieldValue::Int(99)) << "output changed on failure";
}

TEST(FieldValueTest, DecodeRejectsUnknownTypeByte) {
  ExpectCorruption(std::string("\x07", 1), "unknown value type byte 7");
  ExpectCorruption(std::string("\xFF\x00", 2), "unknown value type byte 255");
}

TEST(FieldValueTest, DecodeRejectsBadPayloads) {
  ExpectCorruption(std::string("\x01\x02", 2), "bool");
  ExpectCorruption(std::string("\x04\x01\xFF", 3), "UTF-8");
  ExpectCorruption(std::string("\x04\x02\xC3\x28", 4), "string value");
  ExpectCorruption(std::string("\x06\x02\x01" "a\x01\x80", 6), "item 1");
  ExpectCorruption(std::string("\x05\x0A" "2023-02-29", 12), "date");
  ExpectCorruption(std::string("\x05\x03" "abc", 5), "date");
  // NaN and +inf bit patterns.
  ExpectCorruption(std::string("\x03\x00\x00\x00\x00\x00\x00\xF8\x7F", 9),
                   "finite");
  ExpectCorruption(std::string("\x03\x00\x00\x00\x00\x00\x00\xF0\x7F", 9),
                   "finite");
  // Overlong varint for an int.
  ExpectCorruption(std::string("\x02\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF"
                               "\x01",
                               12),
                   "int value");
  // A list count that the input cannot hold.
  ExpectCorruption(std::string("\x06\xFF\xFF\xFF\xFF\x0F", 6),
                   "string list length");
}

TEST(FieldValueTest, DecodeRejectsEveryTruncation) {
  for (const FieldValue& v : SampleValues()) {
    const std::string bytes = Encode(v);
    for (size_t n = 0; n < bytes.size(); ++n) {
      FieldValue out = FieldValue::Int(99);
      const Status st = Decode(std::string_view(bytes).substr(0, n), &out);
      EXPECT_EQ(st.code(), Status::Code::kCorruption)
          << v.DebugString() << " cut at " << n;
      // A cut list may also be caught by the count guard.
      EXPECT_TRUE(st.message().find("truncated") != std::string::npos ||
                  st.message().find("exceeds the input") != std::string::npos)
          << st.message();
      EXPECT_EQ(out, FieldValue::Int(99));
    }
  }
}

TEST(FieldValueTest, DecodeRandomBytesNeverCrashes) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> len_dist(0, 24);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  std::uniform_int_distribution<int> type_dist(0, 8);
  int ok_count = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string bytes;
    const int len = len_dist(rng);
    for (int k = 0; k < len; ++k) {
      // Bias the first byte towards valid types so payload paths are hit.
      const int b = k == 0 ? type_dist(rng) : byte_dist(rng);
      bytes.push_back(static_cast<char>(b));
    }
    FieldValue out;
    Reader r(bytes);
    const Status st = FieldValue::DecodeFrom(&r, &out);
    if (st.ok()) {
      ++ok_count;
      // Whatever decodes is valid and survives a re-encode.
      EXPECT_TRUE(out.Validate().ok()) << out.DebugString();
      FieldValue again;
      ASSERT_TRUE(Decode(Encode(out), &again).ok());
      EXPECT_EQ(again, out);
    } else {
      EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.ToString();
      EXPECT_FALSE(st.message().empty());
    }
  }
  EXPECT_GT(ok_count, 0);
}

TEST(FieldValueTest, DecodeMutatedEncodingsNeverCrashes) {
  std::mt19937 rng(99);
  const std::vector<FieldValue> values = SampleValues();
  for (int iter = 0; iter < 20000; ++iter) {
    std::string bytes = Encode(values[rng() % values.size()]);
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xFF);
    }
    FieldValue out;
    Reader r(bytes);
    const Status st = FieldValue::DecodeFrom(&r, &out);
    if (st.ok()) {
      EXPECT_TRUE(out.Validate().ok()) << out.DebugString();
    } else {
      EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.ToString();
    }
  }
}

}  // namespace
}  // namespace samplan
