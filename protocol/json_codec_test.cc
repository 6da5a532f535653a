// Tests of the wire format: JSON <-> core types and client message parsing.
#include "protocol/json_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "crdt/replica.h"
#include "protocol/messages.h"

namespace samplan::protocol {
namespace {

// Found by fuzz/parse_message_fuzzer: members an op's kind does not use
// were kept in the parsed op although the store drops them, so the server's
// replica saw another op (a stray "parent" naming an unknown id held it
// back) than any replay of the log.
TEST(JsonCodecTest, MembersTheKindDoesNotUseAreIgnored) {
  Json j = Json::parse(R"({"id": [4294967301, 1], "lamport": 5,
      "kind": "set_field", "node": [2, 3], "name": "status",
      "value": {"type": "string", "value": "done"},
      "parent": [99, 99], "left": [98, 1], "target": [97, 1],
      "column": [96, 1], "text": "zz", "axis": "column",
      "spans": [[95, 1, 2]]})");
  Op op;
  ASSERT_TRUE(OpFromJson(j, "op", &op).ok());
  EXPECT_EQ(op.parent, kNullId);
  EXPECT_EQ(op.left, kNullId);
  EXPECT_EQ(op.target, kNullId);
  EXPECT_EQ(op.column, kNullId);
  EXPECT_EQ(op.text, "");
  EXPECT_TRUE(op.spans.empty());
  std::vector<Op> stored;
  ASSERT_TRUE(DecodeOps(EncodeOps({op}), &stored).ok());
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0], op);
}


TEST(JsonCodecTest, ValuesVersionsAnchorsRoundTrip) {
  for (const FieldValue& v :
       {FieldValue::Null(), FieldValue::Bool(true), FieldValue::Int(-42),
        FieldValue::Number(2.5), FieldValue::String("Råde 😀"),
        FieldValue::Date("2023-06-21"),
        FieldValue::StringList({"Moss", "Vestby"})}) {
    FieldValue back;
    ASSERT_TRUE(ValueFromJson(ValueToJson(v), "v", &back).ok()) << v.DebugString();
    EXPECT_EQ(back, v);
  }
  VersionVector vv;
  vv.Set(3, 10);
  vv.Set(uint64_t{1} << 40, 2);
  VersionVector vback;
  ASSERT_TRUE(VersionFromJson(VersionToJson(vv), "version", &vback).ok());
  EXPECT_EQ(vback, vv);
  Anchor a{OpId{5, 6}, "title", OpId{5, 9}, Anchor::Side::kAfter};
  Anchor aback;
  ASSERT_TRUE(AnchorFromJson(AnchorToJson(a), "anchor", &aback).ok());
  EXPECT_EQ(aback, a);
}

TEST(JsonCodecTest, BadInputNamesThePath) {
  FieldValue v;
  Status s = ValueFromJson(Json::parse(R"({"type":"date","value":"2023-02-30"})"), "x", &v);
  EXPECT_FALSE(s.ok());
  s = ValueFromJson(Json::parse(R"({"type":"int","value":1.5})"), "x", &v);
  EXPECT_EQ(s.message(), "x.value: expected an integer");
  Op op;
  s = OpFromJson(Json::parse(R"({"kind":"insert_text","id":[1,-2],"lamport":1})"), "ops[0]", &op);
  EXPECT_EQ(s.message(), "ops[0].id: expected a non-negative integer");
  s = OpFromJson(Json::parse(R"({"kind":"teleport","id":[1,2],"lamport":1})"), "ops[0]", &op);
  EXPECT_EQ(s.message(), "ops[0].kind: unknown operation kind");
  s = OpFromJson(Json::parse(R"({"kind":"delete_text","id":[1,2],"lamport":1,"spans":[[1,2]]})"),
                 "o", &op);
  EXPECT_FALSE(s.ok());
  VersionVector vv;
  s = VersionFromJson(Json::parse("[[1,2],[1,3]]"), "version", &vv);
  EXPECT_EQ(s.message(), "version[1]: replica listed twice");
  s = VersionFromJson(Json::parse("[[9007199254740992,1]]"), "version", &vv);
  EXPECT_FALSE(s.ok());
}

TEST(JsonCodecTest, Base64RoundTripsAndRejectsGarbage) {
  std::mt19937 rng(1);
  for (size_t n = 0; n < 40; ++n) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(rng()));
    std::string back;
    ASSERT_TRUE(Base64Decode(Base64Encode(bytes), &back).ok());
    EXPECT_EQ(back, bytes);
  }
  std::string out;
  EXPECT_FALSE(Base64Decode("abc", &out).ok());
  EXPECT_FALSE(Base64Decode("ab!d", &out).ok());
  EXPECT_FALSE(Base64Decode("a=bc", &out).ok());
}

TEST(MessagesTest, ParsesEveryClientMessage) {
  ParseLimits limits;
  ClientMessage m;
  ProtocolError e;
  ASSERT_TRUE(ParseClientMessage(R"({"v":1,"type":"auth","token":"t"})", limits, &m, &e));
  EXPECT_EQ(m.type, ClientType::kAuth);
  EXPECT_EQ(m.token, "t");
  ASSERT_TRUE(ParseClientMessage(
      R"({"v":1,"type":"join","plan":"demo","version":[[4294967296,3]],"replica":4294967296,"ref":"j"})",
      limits, &m, &e));
  EXPECT_EQ(m.type, ClientType::kJoin);
  EXPECT_EQ(m.version.Get(uint64_t{1} << 32), 3u);
  EXPECT_EQ(*m.replica, uint64_t{1} << 32);
  EXPECT_EQ(m.ref, "j");
  ASSERT_TRUE(ParseClientMessage(
      R"({"v":1,"type":"presence","anchor":{"node":[0,1]},"typing":true})", limits, &m, &e));
  EXPECT_TRUE(m.typing);
  EXPECT_EQ(m.anchor->node, kRootNode);
  EXPECT_FALSE(m.head);
  ASSERT_TRUE(ParseClientMessage(
      R"({"v":1,"type":"presence","anchor":{"node":[2,5],"field":"title","char":[2,6],"side":"before"},)"
      R"("head":{"node":[2,5],"field":"title","char":[2,9],"side":"after"}})",
      limits, &m, &e));
  ASSERT_TRUE(m.head);
  EXPECT_EQ(m.head->character, (OpId{2, 9}));
  EXPECT_EQ(m.head->side, Anchor::Side::kAfter);
  ASSERT_TRUE(ParseClientMessage(R"({"v":1,"type":"ping"})", limits, &m, &e));
  ASSERT_TRUE(ParseClientMessage(R"({"v":1,"type":"leave"})", limits, &m, &e));
  ASSERT_TRUE(ParseClientMessage(
      R"({"v":1,"type":"ops","ops":[{"id":[5,1],"lamport":1,"kind":"set_field","node":[0,1],"name":"status","value":{"type":"string","value":"adopted"}}]})",
      limits, &m, &e));
  ASSERT_EQ(m.ops.size(), 1u);
  EXPECT_EQ(m.ops[0].value.s, "adopted");
}

TEST(MessagesTest, RejectsBadMessagesWithCodes) {
  ParseLimits limits;
  limits.max_ops_per_batch = 2;
  struct Case {
    std::string text;
    const char* code;
  } cases[] = {
      {"", kCodeBadJson},
      {"{", kCodeBadJson},
      {"\"x\"", kCodeBadMessage},
      {std::string("{\"v\":1,\"type\":\"ping\",\"ref\":\"\xc3\x28\"}"), kCodeBadJson},
      {R"({"type":"ping"})", kCodeBadMessage},
      {R"({"v":"1","type":"ping"})", kCodeBadMessage},
      {R"({"v":3,"type":"ping"})", kCodeUnsupportedVersion},
      {R"({"v":1,"type":7})", kCodeBadMessage},
      {R"({"v":1,"type":"dance"})", kCodeUnknownType},
      {R"({"v":1,"type":"auth"})", kCodeBadMessage},
      {R"({"v":1,"type":"join","plan":1})", kCodeBadMessage},
      {R"({"v":1,"type":"join","plan":"p","replica":0})", kCodeBadMessage},
      {R"({"v":1,"type":"ops"})", kCodeBadMessage},
      {R"({"v":1,"type":"ops","ops":[]})", kCodeBadMessage},
      {R"({"v":1,"type":"ops","ops":[{},{},{}]})", kCodeBatchTooLarge},
      {R"({"v":1,"type":"ops","ops":{}})", kCodeInvalidOp},
      {R"({"v":1,"type":"ops","ops":[{"kind":"set_field"}]})", kCodeInvalidOp},
      {R"({"v":1,"type":"presence","typing":"yes"})", kCodeBadMessage},
      {R"({"v":1,"type":"presence","anchor":{"node":"root"}})", kCodeBadMessage},
      {R"({"v":1,"type":"presence","head":{"node":[0,1]}})", kCodeBadMessage},
      {R"({"v":1,"type":"presence","anchor":{"node":[0,1]},"head":{"node":7}})", kCodeBadMessage},
  };
  for (const Case& c : cases) {
    ClientMessage m;
    ProtocolError e;
    EXPECT_FALSE(ParseClientMessage(c.text, limits, &m, &e)) << c.text;
    EXPECT_EQ(e.code, c.code) << c.text << " -> " << e.message;
    EXPECT_FALSE(e.message.empty());
  }
  // The field-size bound holds for a selection's other end too.
  ClientMessage m;
  ProtocolError e;
  const std::string long_head =
      R"({"v":1,"type":"presence","anchor":{"node":[0,1]},"head":{"node":[0,1],"field":")" +
      std::string(300, 'a') + R"("}})";
  EXPECT_FALSE(ParseClientMessage(long_head, limits, &m, &e));
  EXPECT_EQ(e.code, kCodeBadMessage);
  EXPECT_NE(e.message.find("head.field: 300 bytes"), std::string::npos) << e.message;
}

TEST(MessagesTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  const std::string seed =
      R"({"v":1,"type":"ops","ref":"r","ops":[{"id":[5,1],"lamport":1,"kind":"insert_text","node":[0,1],"name":"title","left":[0,0],"right":[0,0],"text":"hei"}]})";
  for (int i = 0; i < 3000; ++i) {
    std::string s = seed;
    const int edits = 1 + rng() % 4;
    for (int k = 0; k < edits; ++k) {
      s[rng() % s.size()] = static_cast<char>(rng() % 256);
    }
    ClientMessage m;
    ProtocolError e;
    if (!ParseClientMessage(s, ParseLimits{}, &m, &e)) {
      EXPECT_FALSE(e.code.empty());
    }
  }
}

TEST(MessagesTest, ServerMessagesAreVersionedJson) {
  for (const std::string& s :
       {MakeError("forbidden", "no", "r1"), MakeAck("r", 1, 2, 2, 0), MakePong(""),
        MakePresenceLeft("s1"), MakeOpsBroadcast(1, 1, {}),
        MakeAuthenticated("u", "Moss", 5, "")}) {
    Json j = Json::parse(s, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << s;
    EXPECT_EQ(j["v"], 1);
    EXPECT_TRUE(j["type"].is_string());
  }
  Json err = Json::parse(MakeError("forbidden", "no", "r1"));
  EXPECT_EQ(err["code"], "forbidden");
  EXPECT_EQ(err["ref"], "r1");
}

}  // namespace
}  // namespace samplan::protocol
