// Integration tests of the compact join (docs/protocol.md, "join" and
// "joined": "encoding": "binary" answers with "ops_binary", base64 of
// EncodeOps) through the real `samplan serve` binary: a binary join gives
// exactly the ops, order and author stamps of a JSON join of the demo plan
// with review items, a bad encoding is refused naming the member, a rejoin
// with a version gets only what it lacks, and the room's encoded fresh
// join follows new appends.
//
// Every wait is bounded; no test asserts a time.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crdt/op.h"
#include "protocol/base64.h"
#include "protocol/json_codec.h"
#include "tests/server_harness.h"

namespace samplan::testing {
namespace {

constexpr char kPlan[] = "demo";
const Ms kWait(10000);

// The joined (or error) answer to the join just sent.
Json ReadJoinAnswer(WsClient& ws) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<Json> m = ws.Read(Ms(200));
    if (!m) {
      if (ws.closed()) break;
      continue;
    }
    const std::string type = m->value("type", "");
    if (type == "joined" || type == "error") return *m;
  }
  return Json{{"type", "test_timeout"}};
}

// A raw authenticated session.
std::unique_ptr<WsClient> Session(ServerFixture& f, const std::string& token) {
  auto ws = std::make_unique<WsClient>();
  if (!ws->Connect(f.server.port())) return nullptr;
  ws->Send(Json{{"v", 1}, {"type", "auth"}, {"token", token}});
  if (!ws->ReadType("authenticated", kWait)) return nullptr;
  return ws;
}

// Sends `join` (plan and ref added) and returns the answer.
Json JoinWith(WsClient& ws, Json join) {
  join["v"] = 1;
  join["type"] = "join";
  join["plan"] = kPlan;
  join["ref"] = "j";
  ws.Send(join);
  return ReadJoinAnswer(ws);
}

// The ops of a joined message, whichever form it has; an empty status
// message on success.
std::string OpsOf(const Json& joined, std::vector<Op>* ops) {
  ops->clear();
  if (joined.value("type", "") != "joined") return "not joined: " + joined.dump();
  if (joined.contains("ops_binary")) {
    if (joined.contains("ops") || joined.contains("snapshot")) {
      return "ops_binary with ops or snapshot";
    }
    if (!joined["ops_binary"].is_string()) return "ops_binary is not a string";
    std::string bytes;
    Status s = protocol::Base64Decode(joined["ops_binary"].get<std::string>(), &bytes);
    if (!s.ok()) return s.ToString();
    s = DecodeOps(bytes, ops);
    return s.ok() ? "" : s.ToString();
  }
  if (!joined.contains("ops")) return "neither ops nor ops_binary";
  Status s = protocol::OpsFromJson(joined["ops"], "ops", 1u << 20, ops);
  return s.ok() ? "" : s.ToString();
}

// A fresh replica holding the joined message's ops.
std::unique_ptr<Replica> ReplicaOf(const Json& joined, std::string* error) {
  std::vector<Op> ops;
  *error = OpsOf(joined, &ops);
  if (!error->empty()) return nullptr;
  auto r = std::make_unique<Replica>(joined["replica"].get<uint64_t>());
  Status s = r->ApplyAll(ops);
  if (!s.ok()) {
    *error = s.ToString();
    return nullptr;
  }
  return r;
}

// A member who adds review items (a thread with a reply, a suggestion) and
// an edit to the demo plan, so the log holds server-stamped review ops of a
// client replica besides the demo's.
::testing::AssertionResult AddReviewWork(ServerFixture& f, const std::string& user,
                                         const std::string& municipality) {
  Editor e(f.server.port(), f.Token(user, municipality, Role::kAdmin));
  if (!e.Open()) return ::testing::AssertionFailure() << "open";
  Json j = e.Join(kPlan);
  if (j.value("type", "") != "joined") {
    return ::testing::AssertionFailure() << "join: " << j.dump();
  }
  e.replica().SetAuthor(Author{user, municipality, 0});
  OpId node = kNullId;
  for (OpId n : LiveNodes(e.replica())) {
    if (e.replica().KindOf(n) == "measure") {
      node = n;
      break;
    }
  }
  if (node == kNullId) return ::testing::AssertionFailure() << "no measure";
  OpId thread = kNullId;
  bool ok = e.Edit([&](Replica& r) {
    Result<OpId> t = r.AddThread(Replica::ThreadAnchorSpec::OnNode(node),
                                 "Hvem følger opp dette tiltaket?", {"user:ola"});
    if (!t.ok()) return t.status();
    thread = *t;
    return Status::OK();
  });
  ok = ok && e.Edit([&](Replica& r) {
    return r.Reply(thread, "Vestby tar det.", {"municipality:Vestby"}).status();
  });
  ok = ok && e.Edit([&](Replica& r) {
    return r.SuggestField(node, "status", FieldValue::String("in progress")).status();
  });
  ok = ok && e.Edit([&](Replica& r) {
    return r.SetField(node, "status", FieldValue::String("planned"));
  });
  if (!ok) return ::testing::AssertionFailure() << "edit refused locally";
  if (!e.PumpUntil([&] { return e.acks() + e.errors().size() >= e.sent_batches(); },
                   kWait) ||
      !e.errors().empty()) {
    return ::testing::AssertionFailure()
           << "not acknowledged: "
           << (e.errors().empty() ? std::string("timeout") : e.errors()[0].dump());
  }
  return ::testing::AssertionSuccess();
}

class CompactJoinTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(f_.Start()) << f_.server.log(); }
  std::string Token(const std::string& user = "ola",
                    const std::string& municipality = "Vestby") {
    return f_.Token(user, municipality, Role::kEditor);
  }
  ServerFixture f_;
};

TEST_F(CompactJoinTest, BinaryJoinHoldsWhatAJsonJoinHolds) {
  ASSERT_TRUE(AddReviewWork(f_, "kari", "Moss"));
  auto json_ws = Session(f_, Token());
  auto bin_ws = Session(f_, Token("per", "Råde"));
  ASSERT_TRUE(json_ws && bin_ws);
  const Json as_json = JoinWith(*json_ws, Json::object());
  const Json as_binary = JoinWith(*bin_ws, Json{{"encoding", "binary"}});
  ASSERT_EQ(as_binary.value("type", ""), "joined") << as_binary.dump().substr(0, 500);
  EXPECT_TRUE(as_binary.contains("ops_binary"));
  EXPECT_FALSE(as_binary.contains("ops"));
  EXPECT_TRUE(as_json.contains("ops"));
  EXPECT_FALSE(as_json.contains("ops_binary"));
  EXPECT_EQ(as_binary["version"], as_json["version"]);
  EXPECT_EQ(as_binary["seq"], as_json["seq"]);
  EXPECT_EQ(as_binary["role"], "editor");
  EXPECT_EQ(as_binary["ref"], "j");
  // The peers: the JSON session, joined first.
  ASSERT_EQ(as_binary["peers"].size(), 1u);
  EXPECT_EQ(as_binary["peers"][0]["user"], "ola");

  // The same ops in the same order with the same authors: the binary list
  // is byte for byte the encoding of the JSON one.
  std::vector<Op> json_ops, bin_ops;
  ASSERT_EQ(OpsOf(as_json, &json_ops), "");
  ASSERT_EQ(OpsOf(as_binary, &bin_ops), "");
  ASSERT_EQ(bin_ops.size(), json_ops.size());
  EXPECT_EQ(EncodeOps(bin_ops), EncodeOps(json_ops));
  size_t stamped = 0, review = 0;
  for (const Op& op : bin_ops) {
    // The demo plan itself is kari's too (built as replica 2): count this
    // test's edits only.
    if (op.author.user == "kari" && op.id.replica != 2) {
      ++stamped;
      EXPECT_EQ(op.author.municipality, "Moss");
      EXPECT_GT(op.author.wall_time_ms, 0);
    }
    review += IsReviewKind(op.kind);
  }
  EXPECT_EQ(stamped, 4u);  // thread, reply, suggestion, field
  EXPECT_GE(review, 3u);

  std::string error;
  std::unique_ptr<Replica> from_json = ReplicaOf(as_json, &error);
  ASSERT_TRUE(from_json) << error;
  std::unique_ptr<Replica> from_binary = ReplicaOf(as_binary, &error);
  ASSERT_TRUE(from_binary) << error;
  EXPECT_EQ(from_binary->CanonicalDump(), from_json->CanonicalDump());
  EXPECT_FALSE(from_binary->review().threads().empty());
  EXPECT_FALSE(from_binary->review().suggestions().empty());
}

TEST_F(CompactJoinTest, UnknownEncodingIsRefusedNamingTheMember) {
  auto ws = Session(f_, Token());
  ASSERT_TRUE(ws);
  for (const Json& bad : {Json("xml"), Json("BINARY"), Json(1), Json(true),
                          Json::array({"binary"})}) {
    const Json answer = JoinWith(*ws, Json{{"encoding", bad}});
    EXPECT_EQ(answer.value("type", ""), "error") << bad.dump();
    EXPECT_EQ(answer.value("code", ""), "bad_message") << bad.dump();
    EXPECT_NE(answer.value("message", "").find("encoding"), std::string::npos)
        << answer.dump();
    EXPECT_EQ(answer.value("ref", ""), "j");
  }
  // The session is not in the plan and still open: "json" (and null) join.
  EXPECT_FALSE(ws->closed());
  const Json ok = JoinWith(*ws, Json{{"encoding", "json"}});
  ASSERT_EQ(ok.value("type", ""), "joined") << ok.dump().substr(0, 300);
  EXPECT_TRUE(ok.contains("ops"));
  EXPECT_FALSE(ok.contains("ops_binary"));
  auto ws2 = Session(f_, Token());
  ASSERT_TRUE(ws2);
  const Json null_enc = JoinWith(*ws2, Json{{"encoding", nullptr}});
  EXPECT_TRUE(null_enc.contains("ops")) << null_enc.dump().substr(0, 300);
}

TEST_F(CompactJoinTest, RejoinWithAVersionGetsOnlyWhatItLacks) {
  auto ws = Session(f_, Token());
  ASSERT_TRUE(ws);
  const Json first = JoinWith(*ws, Json{{"encoding", "binary"}});
  std::string error;
  std::unique_ptr<Replica> mine = ReplicaOf(first, &error);
  ASSERT_TRUE(mine) << error;
  const uint64_t replica = first["replica"].get<uint64_t>();
  const VersionVector had = mine->version();
  ws->CloseNow();

  // Meanwhile another member comments and edits.
  ASSERT_TRUE(AddReviewWork(f_, "kari", "Moss"));

  auto again = Session(f_, Token());
  ASSERT_TRUE(again);
  const Json rejoined = JoinWith(
      *again, Json{{"encoding", "binary"},
                   {"version", protocol::VersionToJson(had)},
                   {"replica", replica}});
  ASSERT_EQ(rejoined.value("type", ""), "joined") << rejoined.dump().substr(0, 300);
  EXPECT_EQ(rejoined["replica"], replica);
  EXPECT_TRUE(rejoined.contains("ops_binary"));
  std::vector<Op> lacking;
  ASSERT_EQ(OpsOf(rejoined, &lacking), "");
  ASSERT_EQ(lacking.size(), 4u);  // kari's four ops, nothing it had
  for (const Op& op : lacking) {
    EXPECT_FALSE(had.Includes(op.id)) << op.id.ToString();
    EXPECT_EQ(op.author.user, "kari");
  }
  ASSERT_TRUE(mine->ApplyAll(lacking).ok());
  EXPECT_EQ(mine->pending_count(), 0u);

  // It now holds what a fresh JSON join holds.
  auto fresh_ws = Session(f_, Token("per", "Råde"));
  ASSERT_TRUE(fresh_ws);
  std::unique_ptr<Replica> fresh = ReplicaOf(JoinWith(*fresh_ws, Json::object()), &error);
  ASSERT_TRUE(fresh) << error;
  EXPECT_EQ(mine->CanonicalDump(), fresh->CanonicalDump());

  // Up to date: an empty list (the 5 bytes of EncodeOps({})).
  again->CloseNow();
  auto third = Session(f_, Token());
  ASSERT_TRUE(third);
  const Json nothing = JoinWith(
      *third, Json{{"encoding", "binary"},
                   {"version", protocol::VersionToJson(mine->version())},
                   {"replica", replica}});
  ASSERT_EQ(nothing.value("type", ""), "joined") << nothing.dump().substr(0, 300);
  EXPECT_EQ(nothing.value("ops_binary", ""), protocol::Base64Encode(EncodeOps({})));
}

// A fresh binary join reuses the room's encoded ops only while nothing new
// is stored: after an append, the next fresh join has it.
TEST_F(CompactJoinTest, FreshBinaryJoinFollowsAppends) {
  auto a = Session(f_, Token());
  auto b = Session(f_, Token("per", "Råde"));
  ASSERT_TRUE(a && b);
  const Json first = JoinWith(*a, Json{{"encoding", "binary"}});
  const Json second = JoinWith(*b, Json{{"encoding", "binary"}});
  ASSERT_EQ(first.value("type", ""), "joined");
  ASSERT_EQ(second.value("type", ""), "joined");
  ASSERT_TRUE(first.contains("ops_binary"));
  EXPECT_EQ(second["ops_binary"], first["ops_binary"]);
  EXPECT_NE(second["replica"], first["replica"]);

  ASSERT_TRUE(AddReviewWork(f_, "kari", "Moss"));
  auto c = Session(f_, Token("lise", "Våler"));
  ASSERT_TRUE(c);
  const Json third = JoinWith(*c, Json{{"encoding", "binary"}});
  std::vector<Op> before, after;
  ASSERT_EQ(OpsOf(first, &before), "");
  ASSERT_EQ(OpsOf(third, &after), "");
  EXPECT_EQ(after.size(), before.size() + 4);
  EXPECT_NE(third["version"], first["version"]);
  std::string error;
  std::unique_ptr<Replica> r = ReplicaOf(third, &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->version(), [&] {
    VersionVector v;
    EXPECT_TRUE(protocol::VersionFromJson(third["version"], "version", &v).ok());
    return v;
  }());
}

}  // namespace
}  // namespace samplan::testing
