// Tests of the wire format: JSON <-> core types and client message parsing.
#include "protocol/json_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

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


// A plan on which every review op kind has been made once (twice for
// suggest_text: a replacement and an insertion).
std::vector<Op> EveryReviewKind() {
  Replica r(4294967301);
  r.SetAuthor(Author{"ola", "Vestby", 1764090000123});
  const OpId goal = *r.CreateNode(kRootNode, 0, "goal");
  const OpId goal2 = *r.CreateNode(kRootNode, 1, "goal");
  const OpId measure = *r.CreateNode(goal2, 0, "measure");
  EXPECT_TRUE(r.InsertText(goal, "title", 0, "Økt sysselsetting 😀").ok());
  const OpId ind = *r.CreateNode(goal, 0, "indicator");
  const OpId row = *r.InsertTableLine(ind, "values", TableAxis::kRow, 0);
  const OpId col = *r.InsertTableLine(ind, "values", TableAxis::kColumn, 0);
  EXPECT_TRUE(r.SetCell(ind, "values", row, col, FieldValue::Number(1)).ok());
  const size_t first_review = r.log().size();
  Replica::ThreadAnchorSpec range{goal, "title", 0, 4, kNullId, kNullId};
  const OpId thread =
      *r.AddThread(range, "Bør vi tallfeste dette?", {"municipality:Moss", "user:ola"});
  const OpId reply = *r.Reply(thread, "Ja");
  EXPECT_TRUE(r.EditComment(reply, "Ja, i 2027", {"user:per"}).ok());
  EXPECT_TRUE(r.DeleteComment(reply).ok());
  EXPECT_TRUE(r.SetThread(thread, "assignee", FieldValue::String("municipality:Moss")).ok());
  EXPECT_TRUE(r.SetThread(thread, "due", FieldValue::Date("2027-01-31")).ok());
  EXPECT_TRUE(r.SetThread(thread, "resolved", FieldValue::Bool(true)).ok());
  EXPECT_TRUE(r.SetThread(thread, "assignee", FieldValue::Null()).ok());
  EXPECT_TRUE(r.MarkRead(thread).ok());
  Replica::ThreadAnchorSpec cell{ind, "values", 0, 0, row, col};
  EXPECT_TRUE(r.AddThread(cell, "Kilde?").ok());
  EXPECT_TRUE(r.SuggestText(goal, "title", 4, 3, "høy").ok());
  const OpId insert = *r.SuggestText(goal, "title", 2, 0, "x");
  EXPECT_TRUE(r.SuggestField(goal, "status", FieldValue::String("done")).ok());
  EXPECT_TRUE(r.SuggestCell(ind, "values", row, col, FieldValue::Number(2.5)).ok());
  EXPECT_TRUE(r.SuggestNode(goal, 1, "measure", "Nytt tiltak").ok());
  EXPECT_TRUE(r.SuggestMove(measure, goal, 0).ok());
  EXPECT_TRUE(r.SuggestDelete(goal2).ok());
  EXPECT_TRUE(r.AcceptSuggestion(insert).ok());
  const OpId field = *r.SuggestField(goal, "status", FieldValue::String("x"));
  EXPECT_TRUE(r.RejectSuggestion(field, "Nei takk").ok());
  EXPECT_TRUE(r.Approve(goal, "Vestby").ok());
  EXPECT_TRUE(r.RevokeApproval(goal, "Vestby").ok());
  std::vector<Op> ops;
  for (size_t i = first_review; i < r.log().size(); ++i) {
    if (IsReviewKind(r.log()[i].kind)) ops.push_back(r.log()[i]);
  }
  return ops;
}

TEST(JsonCodecTest, EveryReviewKindRoundTrips) {
  const std::vector<Op> ops = EveryReviewKind();
  std::set<OpKind> kinds;
  for (const Op& op : ops) {
    kinds.insert(op.kind);
    const Json j = OpToJson(op);
    Op back;
    const Status s = OpFromJson(j, "op", &back);
    ASSERT_TRUE(s.ok()) << s.ToString() << " " << j.dump();
    EXPECT_EQ(back, op) << j.dump();
    // Through text, as it travels.
    Op again;
    ASSERT_TRUE(OpFromJson(Json::parse(j.dump()), "op", &again).ok());
    EXPECT_EQ(again, op);
    // And it equals what the store keeps of it.
    std::vector<Op> stored;
    ASSERT_TRUE(DecodeOps(EncodeOps({back}), &stored).ok());
    EXPECT_EQ(stored[0], op);
    // Only the members that are set are written.
    for (const char* key : {"node", "parent", "left", "right", "target", "column"}) {
      const OpId id = std::string(key) == "node"     ? op.node
                      : std::string(key) == "parent" ? op.parent
                      : std::string(key) == "left"   ? op.left
                      : std::string(key) == "right"  ? op.right
                      : std::string(key) == "target" ? op.target
                                                     : op.column;
      EXPECT_EQ(j.contains(key), !id.IsNull()) << key << " " << j.dump();
    }
    EXPECT_EQ(j.contains("quote"), !op.quote.empty());
    EXPECT_EQ(j.contains("value"), op.value.type != ValueType::kNull);
    EXPECT_EQ(j.contains("spans"), !op.spans.empty());
    EXPECT_FALSE(j.contains("axis"));
  }
  EXPECT_EQ(kinds.size(), 15u) << "every review kind is covered";
  // Approve carries the approver's version vector in spans.
  const auto approve = std::find_if(ops.begin(), ops.end(), [](const Op& o) {
    return o.kind == OpKind::kApprove;
  });
  ASSERT_NE(approve, ops.end());
  EXPECT_FALSE(approve->spans.empty());
  EXPECT_TRUE(OpToJson(*approve)["spans"].is_array());
}

TEST(JsonCodecTest, ReviewOpFromTheSpecExample) {
  const Json j = Json::parse(R"({"id":[4294967301,5],"lamport":90,"deps":[[2,177]],
      "kind":"add_comment","node":[2,640],"name":"body","left":[2,700],"right":[2,712],
      "text":"Bør vi tallfeste dette?",
      "value":{"type":"string_list","value":["municipality:Moss","user:ola"]},
      "quote":"økt sysselsetting", "axis":"column", "colour":"red"})");
  Op op;
  const Status s = OpFromJson(j, "op", &op);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(op.kind, OpKind::kAddComment);
  EXPECT_EQ(op.node, (OpId{2, 640}));
  EXPECT_EQ(op.left, (OpId{2, 700}));
  EXPECT_EQ(op.right, (OpId{2, 712}));
  EXPECT_EQ(op.quote, "økt sysselsetting");
  EXPECT_EQ(op.value.list.size(), 2u);
  EXPECT_EQ(op.axis, TableAxis::kRow) << "axis is no member of review kinds";
  const Json back = OpToJson(op, /*with_author=*/false);
  EXPECT_FALSE(back.contains("author"));
  EXPECT_FALSE(back.contains("colour"));
  EXPECT_EQ(back["quote"], "økt sysselsetting");
}

TEST(JsonCodecTest, HostileReviewOpsAreRefusedByPath) {
  const std::string head = R"({"id":[4294967301,5],"lamport":90,"kind":)";
  struct Case {
    std::string body;
    std::string message;  // a part of the error
  } cases[] = {
      {R"("add_comment","node":"root","text":"x"})", "op.node: expected [replica, counter]"},
      {R"("add_comment","node":[2,1],"text":7})", "op.text: expected a string"},
      {R"("add_comment","node":[2,1],"text":"x","quote":["a"]})", "op.quote: expected a string"},
      {R"("add_comment","node":[2,1],"text":"x","value":{"type":"string_list","value":[1]}})",
       "op.value.value[0]: expected a string"},
      {R"("add_comment","node":[2,1],"text":"x","value":{"type":"string_list","value":["ola"]}})",
       "mention"},
      {R"("add_comment","node":[2,1]})", "comment text is empty"},
      {R"("add_comment","node":[2,1],"text":"x","left":[2,3]})", "first and last"},
      {R"("add_comment","node":[2,1],"text":"x","spans":[[1,1,1]]})", "unexpected spans"},
      {R"("edit_comment","text":"x"})", "comment missing"},
      {R"("set_thread","target":[2,1],"name":"colour","value":{"type":"bool","value":true}})",
       "resolved, assignee or due"},
      {R"("set_thread","target":[2,1],"name":"due","value":{"type":"string","value":"x"}})",
       "due must be null or a date"},
      {R"("set_thread","target":[2,1],"name":"resolved","supersedes":[[0,5]]})", "superseded ids must be real"},
      {R"("mark_read","target":[2,1],"text":"hei"})", "unexpected text"},
      {R"("suggest_text","node":[2,1],"name":"title"})", "an insertion needs text"},
      {R"("suggest_node","parent":[2,1],"name":"goal","text":"t","node":[2,9]})", "unexpected node"},
      {R"("suggest_move","node":[2,1],"parent":[0,1]})", "former parent missing"},
      {R"("accept_suggestion","target":[2,1]})", "no operations applied it"},
      {R"("accept_suggestion","target":[2,1],"spans":[[4294967301,1,9]]})", "before this one"},
      {R"("accept_suggestion","target":[2,1],"spans":[[4294967301,1]]})",
       "op.spans[0]: expected [replica, counter, length(, backward)]"},
      {R"("approve","node":[2,1],"name":"Moss","spans":[[3,1,2],[2,1,5]]})", "each replica once"},
      {R"("approve","node":[2,1],"name":"Moss","spans":[[2,4,2]]})", "each replica once"},
      {R"("approve","node":[2,1],"name":"Moss","spans":"all"})", "op.spans: expected an array of spans"},
      {R"("revoke_approval","node":[2,1]})", "municipality missing"},
      {R"("reject_suggestion","target":[2,1],"text":false})", "op.text: expected a string"},
  };
  for (const Case& c : cases) {
    Op op;
    const Status s = OpFromJson(Json::parse(head + c.body), "op", &op);
    EXPECT_FALSE(s.ok()) << c.body;
    EXPECT_NE(s.message().find(c.message), std::string::npos)
        << c.body << " -> " << s.message();
  }
  // An approve with a proper version vector passes.
  Op op;
  EXPECT_TRUE(OpFromJson(Json::parse(head + R"("approve","node":[2,1],"name":"Moss",)"
                                            R"("spans":[[2,1,177],[4294967301,1,4]]})"),
                         "op", &op)
                  .ok());
  EXPECT_EQ(op.spans.size(), 2u);
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
  ASSERT_TRUE(ParseClientMessage(
      R"({"v":1,"type":"review_query","ref":"q1","query":"threads","node":[2,640],)"
      R"("status":"open","mention":"municipality:Moss","viewer":{"user":"kari"}})",
      limits, &m, &e));
  EXPECT_EQ(m.type, ClientType::kReviewQuery);
  EXPECT_EQ(m.ref, "q1");
  EXPECT_EQ(m.review.view, ReviewView::kThreads);
  EXPECT_EQ(m.review.node, (OpId{2, 640}));
  EXPECT_EQ(m.review.status, "open");
  EXPECT_EQ(m.review.mention, "municipality:Moss");
  EXPECT_EQ(m.review.viewer_user, "") << "the server asks as the session's user";
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
      {R"({"v":1,"type":"review_query"})", kCodeBadMessage},
      {R"({"v":1,"type":"review_query","query":"all"})", kCodeBadMessage},
      {R"({"v":1,"type":"review_query","query":"threads","status":"accepted"})", kCodeBadMessage},
      {R"({"v":1,"type":"review_query","query":"inbox","node":"x"})", kCodeBadMessage},
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
  Json review = Json::parse(MakeReview(
      Json{{"query", "inbox"}, {"items", Json::array()}, {"unread", 0}}, 12, "q1"));
  EXPECT_EQ(review["type"], "review");
  EXPECT_EQ(review["ref"], "q1");
  EXPECT_EQ(review["seq"], 12);
  EXPECT_EQ(review["query"], "inbox");
  EXPECT_EQ(review["unread"], 0);
  Json err = Json::parse(MakeError("forbidden", "no", "r1"));
  EXPECT_EQ(err["code"], "forbidden");
  EXPECT_EQ(err["ref"], "r1");
}

}  // namespace
}  // namespace samplan::protocol
