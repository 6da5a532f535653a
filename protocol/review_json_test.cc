// Tests of the review views and requests (protocol/review_json.h) on
// replicas of a small plan edited by several users.
#include "protocol/review_json.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "crdt/replica.h"

namespace samplan::protocol {
namespace {

void Sync(const Replica& from, Replica* to) {
  std::vector<Op> ops;
  ASSERT_TRUE(from.OpsSince(to->version(), &ops).ok());
  ASSERT_TRUE(to->ApplyAll(ops).ok());
}

// ola (Vestby, editor) writes the plan; per (Viken, reviewer) and anne
// (Moss) review it. Goal "moss" is owned by Moss, goal "joint" by nobody.
struct Fixture {
  Replica ola{4294967301};
  Replica per{4294967302};
  Replica anne{4294967303};
  OpId chapter, moss, joint, measure, indicator, row, col;

  Fixture() {
    ola.SetAuthor(Author{"ola", "Vestby", 1000});
    per.SetAuthor(Author{"per", "Viken", 2000});
    anne.SetAuthor(Author{"anne", "Moss", 3000});
    EXPECT_TRUE(ola.SetField(kRootNode, "municipalities",
                             FieldValue::StringList({"Moss", "Vestby"}))
                    .ok());
    chapter = *ola.CreateNode(kRootNode, 0, "chapter");
    moss = *ola.CreateNode(chapter, 0, "goal");
    EXPECT_TRUE(ola.SetField(moss, "owner", FieldValue::StringList({"Moss"})).ok());
    EXPECT_TRUE(ola.InsertText(moss, "title", 0, "Økt sysselsetting i Moss 😀").ok());
    measure = *ola.CreateNode(moss, 0, "measure");
    joint = *ola.CreateNode(chapter, 1, "goal");
    EXPECT_TRUE(ola.InsertText(joint, "title", 0, "Felles mål").ok());
    indicator = *ola.CreateNode(joint, 0, "indicator");
    row = *ola.InsertTableLine(indicator, "values", TableAxis::kRow, 0);
    col = *ola.InsertTableLine(indicator, "values", TableAxis::kColumn, 0);
    EXPECT_TRUE(ola.SetCell(indicator, "values", row, col, FieldValue::Number(1)).ok());
    SyncAll();
  }
  void SyncAll() {
    for (Replica* a : {&ola, &per, &anne}) {
      for (Replica* b : {&ola, &per, &anne}) {
        if (a != b) Sync(*a, b);
      }
    }
  }
};

Json Query(const Replica& r, const std::string& json) {
  ReviewQuery q;
  const Status parsed = ReviewQueryFromJson(Json::parse(json), &q);
  EXPECT_TRUE(parsed.ok()) << parsed.ToString();
  Result<Json> out = RunReviewQuery(r, q);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : Json();
}

Json Request(Replica* r, const std::string& json, OpId* id = nullptr) {
  Result<OpId> out = ApplyReviewRequest(r, Json::parse(json));
  EXPECT_TRUE(out.ok()) << json << " -> " << out.status().ToString();
  if (id != nullptr && out.ok()) *id = *out;
  return out.ok() ? OpIdToJson(*out) : Json();
}

std::string Id(OpId id) { return OpIdToJson(id).dump(); }

TEST(ReviewJsonTest, ThreadsShowAnchorsPlacesCommentsAndUnread) {
  Fixture f;
  OpId thread, reply;
  // per comments on "sysselsetting" (code points 4..17), mentioning Moss.
  Request(&f.per, R"({"op":"add_thread","node":)" + Id(f.moss) +
                      R"(,"field":"title","from":4,"to":17,"body":"Tallfest dette?",)"
                      R"("mentions":["municipality:Moss"]})",
          &thread);
  f.SyncAll();
  Request(&f.anne, R"({"op":"reply","thread":)" + Id(thread) + R"(,"body":"Ja"})", &reply);
  f.SyncAll();
  // ola types before the range: it follows.
  ASSERT_TRUE(f.ola.InsertText(f.moss, "title", 0, "Mye ").ok());
  f.SyncAll();
  Json all = Query(f.per, R"({"query":"threads","viewer":{"user":"per"}})");
  ASSERT_EQ(all["items"].size(), 1u);
  const Json& t = all["items"][0];
  EXPECT_EQ(t["id"], OpIdToJson(thread));
  EXPECT_EQ(t["anchor"]["kind"], "text");
  EXPECT_EQ(t["anchor"]["field"], "title");
  EXPECT_EQ(t["quote"], "sysselsetting");
  EXPECT_EQ(t["place"]["from"], 8);
  EXPECT_EQ(t["place"]["to"], 21);
  EXPECT_FALSE(t["place"]["orphaned"]);
  EXPECT_EQ(t["owner"], Json::array({"Moss"}));
  EXPECT_EQ(t["author"]["user"], "per");
  EXPECT_EQ(t["author"]["municipality"], "Viken");
  ASSERT_EQ(t["comments"].size(), 2u);
  EXPECT_EQ(t["comments"][1]["id"], OpIdToJson(reply));
  EXPECT_EQ(t["comments"][1]["body"], "Ja");
  EXPECT_EQ(t["comments"][0]["mentions"], Json::array({"municipality:Moss"}));
  EXPECT_EQ(t["unread"], 1) << "anne's reply";
  EXPECT_FALSE(t["resolved"]);
  EXPECT_TRUE(t["assignee"].is_null());
  EXPECT_FALSE(t["conflicted"]);
  // Read marks: per reads, then the count is 0.
  Request(&f.per, R"({"op":"mark_read","thread":)" + Id(thread) + "}");
  EXPECT_EQ(Query(f.per, R"({"query":"threads","viewer":{"user":"per"}})")["items"][0]["unread"], 0);
  EXPECT_FALSE(Query(f.per, R"({"query":"threads"})")["items"][0].contains("unread"));
  // Edited and deleted comments.
  Request(&f.anne, R"({"op":"edit_comment","comment":)" + Id(reply) + R"(,"body":"Ja, 2027"})");
  Json edited = Query(f.anne, R"({"query":"threads"})")["items"][0]["comments"][1];
  EXPECT_EQ(edited["body"], "Ja, 2027");
  EXPECT_EQ(edited["revisions"], 1);
  EXPECT_EQ(edited["edited"], 3000);
  Request(&f.anne, R"({"op":"delete_comment","comment":)" + Id(reply) + "}");
  Json deleted = Query(f.anne, R"({"query":"threads"})")["items"][0]["comments"][1];
  EXPECT_TRUE(deleted["deleted"]);
  EXPECT_EQ(deleted["body"], "");
  // All of the range deleted: orphaned, the quote stays.
  ASSERT_TRUE(f.ola.DeleteText(f.moss, "title", 8, 13).ok());
  f.SyncAll();
  Json orphan = Query(f.per, R"({"query":"threads"})")["items"][0];
  EXPECT_TRUE(orphan["place"]["orphaned"]);
  EXPECT_FALSE(orphan["place"].contains("from"));
  EXPECT_EQ(orphan["quote"], "sysselsetting");
}

TEST(ReviewJsonTest, ThreadFiltersSelect) {
  Fixture f;
  OpId t1, t2, t3;
  Request(&f.per, R"({"op":"add_thread","node":)" + Id(f.moss) +
                      R"(,"body":"Om målet","mentions":["user:ola"]})", &t1);
  Request(&f.per, R"({"op":"add_thread","node":)" + Id(f.indicator) +
                      R"(,"field":"values","row":)" + Id(f.row) + R"(,"column":)" +
                      Id(f.col) + R"(,"body":"Kilde?"})", &t2);
  f.SyncAll();  // threads are listed in (lamport, id) order
  Request(&f.anne, R"({"op":"add_thread","node":)" + Id(f.measure) +
                       R"(,"field":"deadline","body":"For sent"})", &t3);
  f.SyncAll();
  Request(&f.ola, R"({"op":"set_thread","thread":)" + Id(t2) +
                      R"(,"attribute":"resolved","value":true})");
  Request(&f.ola, R"({"op":"set_thread","thread":)" + Id(t3) +
                      R"(,"attribute":"assignee","value":"municipality:Moss"})");
  Request(&f.ola, R"({"op":"set_thread","thread":)" + Id(t3) +
                      R"(,"attribute":"due","value":{"type":"date","value":"2027-01-31"}})");
  auto ids = [&](const std::string& q) {
    std::vector<Json> out;
    const Json answer = Query(f.ola, q);
    for (const Json& t : answer["items"]) out.push_back(t["id"]);
    return out;
  };
  using V = std::vector<Json>;
  EXPECT_EQ(ids(R"({"query":"threads"})"), (V{OpIdToJson(t1), OpIdToJson(t2), OpIdToJson(t3)}));
  EXPECT_EQ(ids(R"({"query":"threads","node":)" + Id(f.moss) + "}"),
            (V{OpIdToJson(t1), OpIdToJson(t3)}));
  EXPECT_EQ(ids(R"({"query":"threads","status":"resolved"})"), (V{OpIdToJson(t2)}));
  EXPECT_EQ(ids(R"({"query":"threads","status":"open"})"), (V{OpIdToJson(t1), OpIdToJson(t3)}));
  EXPECT_EQ(ids(R"({"query":"threads","author":"anne"})"), (V{OpIdToJson(t3)}));
  EXPECT_EQ(ids(R"({"query":"threads","municipality":"Viken"})"), (V{OpIdToJson(t1), OpIdToJson(t2)}));
  EXPECT_EQ(ids(R"({"query":"threads","assignee":"municipality:Moss"})"), (V{OpIdToJson(t3)}));
  EXPECT_EQ(ids(R"({"query":"threads","mention":"user:ola"})"), (V{OpIdToJson(t1)}));
  const Json t3j = Query(f.ola, R"({"query":"threads","author":"anne"})")["items"][0];
  EXPECT_EQ(t3j["anchor"]["kind"], "field");
  EXPECT_EQ(t3j["due"], "2027-01-31");
  EXPECT_EQ(t3j["assignee"], "municipality:Moss");
  const Json t2j = Query(f.ola, R"({"query":"threads","status":"resolved"})")["items"][0];
  EXPECT_EQ(t2j["anchor"]["kind"], "cell");
  EXPECT_EQ(t2j["anchor"]["row"], OpIdToJson(f.row));
  EXPECT_TRUE(t2j["resolved"]);
  EXPECT_TRUE(t2j["owner"].empty()) << "a joint part";
  // Concurrent assignments are shown as a conflict.
  f.SyncAll();
  Request(&f.per, R"({"op":"set_thread","thread":)" + Id(t1) +
                      R"(,"attribute":"assignee","value":"user:ola"})");
  Request(&f.anne, R"({"op":"set_thread","thread":)" + Id(t1) +
                       R"(,"attribute":"assignee","value":"user:anne"})");
  f.SyncAll();
  EXPECT_TRUE(Query(f.ola, R"({"query":"threads","mention":"user:ola"})")["items"][0]["conflicted"]);
}

TEST(ReviewJsonTest, InboxListsMentionsAssignmentsAndOwnedPartsWithUnread) {
  Fixture f;
  OpId mention, assigned, owned, other, resolved;
  Request(&f.per, R"({"op":"add_thread","node":)" + Id(f.joint) +
                      R"(,"body":"@anne?","mentions":["user:anne"]})", &mention);
  Request(&f.per, R"({"op":"add_thread","node":)" + Id(f.joint) + R"(,"body":"Frist?"})", &assigned);
  Request(&f.per, R"({"op":"add_thread","node":)" + Id(f.measure) + R"(,"body":"Moss sitt"})", &owned);
  Request(&f.per, R"({"op":"add_thread","node":)" + Id(f.joint) + R"(,"body":"Ikke til Moss"})", &other);
  Request(&f.per, R"({"op":"add_thread","node":)" + Id(f.moss) + R"(,"body":"Gammelt"})", &resolved);
  Request(&f.per, R"({"op":"set_thread","thread":)" + Id(assigned) +
                      R"(,"attribute":"assignee","value":"municipality:Moss"})");
  Request(&f.per, R"({"op":"set_thread","thread":)" + Id(resolved) +
                      R"(,"attribute":"resolved","value":true})");
  f.SyncAll();
  Json inbox = Query(f.anne, R"({"query":"inbox","viewer":{"user":"anne","municipality":"Moss"}})");
  ASSERT_EQ(inbox["items"].size(), 4u) << inbox.dump();
  EXPECT_EQ(inbox["items"][0]["id"], OpIdToJson(mention));
  EXPECT_EQ(inbox["items"][0]["reasons"], Json::array({"mention"}));
  EXPECT_EQ(inbox["items"][1]["reasons"], Json::array({"assigned"}));
  EXPECT_EQ(inbox["items"][2]["reasons"], Json::array({"owner"}));
  EXPECT_EQ(inbox["items"][3]["id"], OpIdToJson(resolved));
  EXPECT_EQ(inbox["unread"], 3) << "the resolved thread's comment does not count";
  EXPECT_EQ(inbox["unread_threads"], 3);
  Request(&f.anne, R"({"op":"mark_read","thread":)" + Id(owned) + "}");
  Request(&f.anne, R"({"op":"reply","thread":)" + Id(mention) + R"(,"body":"Her"})");
  inbox = Query(f.anne, R"({"query":"inbox","viewer":{"user":"anne","municipality":"Moss"}})");
  EXPECT_EQ(inbox["unread"], 2) << "her own reply is not unread for her";
  EXPECT_EQ(inbox["unread_threads"], 2);
  // An inbox needs someone to be for.
  ReviewQuery q;
  ASSERT_TRUE(ReviewQueryFromJson(Json::parse(R"({"query":"inbox"})"), &q).ok());
  EXPECT_EQ(RunReviewQuery(f.anne, q).status().message(),
            "viewer: the inbox needs a viewer user");
}

TEST(ReviewJsonTest, SuggestionsShowStatusStalenessAndPlace) {
  Fixture f;
  OpId replace, insert, field, cell, node, move, del;
  Request(&f.per, R"({"op":"suggest_text","node":)" + Id(f.joint) +
                      R"(,"field":"title","pos":0,"length":6,"text":"Vårt"})", &replace);
  Request(&f.per, R"({"op":"suggest_text","node":)" + Id(f.joint) +
                      R"(,"field":"title","pos":10,"text":" 2030"})", &insert);
  Request(&f.per, R"({"op":"suggest_field","node":)" + Id(f.measure) +
                      R"(,"field":"deadline","value":"2027-06-30"})", &field);
  Request(&f.per, R"({"op":"suggest_cell","node":)" + Id(f.indicator) +
                      R"(,"table":"values","row":)" + Id(f.row) + R"(,"column":)" + Id(f.col) +
                      R"(,"value":2.5})", &cell);
  Request(&f.per, R"({"op":"suggest_node","parent":)" + Id(f.joint) +
                      R"(,"index":1,"kind":"measure","title":"Sykkelvei"})", &node);
  Request(&f.per, R"({"op":"suggest_move","node":)" + Id(f.measure) + R"(,"parent":)" +
                      Id(f.joint) + R"(,"index":0})", &move);
  Request(&f.per, R"({"op":"suggest_delete","node":)" + Id(f.indicator) + "}", &del);
  f.SyncAll();
  Json all = Query(f.ola, R"({"query":"suggestions"})");
  ASSERT_EQ(all["items"].size(), 7u);
  const Json& r = all["items"][0];
  EXPECT_EQ(r["kind"], "text");
  EXPECT_EQ(r["quote"], "Felles");
  EXPECT_EQ(r["text"], "Vårt");
  EXPECT_EQ(r["place"], (Json{{"from", 0}, {"to", 6}}));
  EXPECT_EQ(r["status"], "open");
  EXPECT_FALSE(r["stale"]);
  EXPECT_EQ(r["author"]["user"], "per");
  EXPECT_TRUE(r["owner"].empty());
  EXPECT_EQ(all["items"][1]["place"], (Json{{"from", 10}, {"to", 10}}));
  EXPECT_FALSE(all["items"][1]["after"].is_null());
  EXPECT_EQ(all["items"][2]["value"], ValueToJson(FieldValue::Date("2027-06-30")));
  EXPECT_EQ(all["items"][2]["owner"], Json::array({"Moss"}));
  EXPECT_EQ(all["items"][3]["value"], ValueToJson(FieldValue::Number(2.5)));
  EXPECT_EQ(all["items"][3]["row"], OpIdToJson(f.row));
  EXPECT_EQ(all["items"][4]["node_kind"], "measure");
  EXPECT_EQ(all["items"][4]["left"], OpIdToJson(f.indicator));
  EXPECT_EQ(all["items"][5]["former_parent"], OpIdToJson(f.moss));
  EXPECT_EQ(all["items"][6]["kind"], "delete");
  // ola changes the text under the replacement: it is stale, says what
  // changed and what is there now.
  ASSERT_TRUE(f.ola.DeleteText(f.joint, "title", 0, 1).ok());
  Json stale = Query(f.ola, R"({"query":"suggestions","author":"per"})")["items"][0];
  EXPECT_TRUE(stale["stale"]);
  EXPECT_NE(stale["change"].get<std::string>().find("elles"), std::string::npos)
      << stale["change"];
  EXPECT_EQ(stale["now"], ValueToJson(FieldValue::String("elles")));
  // Accept one, reject one, and filter.
  Request(&f.ola, R"({"op":"accept","suggestion":)" + Id(cell) + "}");
  Request(&f.ola, R"({"op":"reject","suggestion":)" + Id(node) + R"(,"reason":"Ikke nå"})");
  Json accepted = Query(f.ola, R"({"query":"suggestions","status":"accepted"})");
  ASSERT_EQ(accepted["items"].size(), 1u);
  EXPECT_EQ(accepted["items"][0]["decided_by"]["user"], "ola");
  EXPECT_EQ(accepted["items"][0]["applied"].size(), 1u);
  EXPECT_FALSE(accepted["items"][0]["stale"]);
  Json rejected = Query(f.ola, R"({"query":"suggestions","status":"rejected"})");
  ASSERT_EQ(rejected["items"].size(), 1u);
  EXPECT_EQ(rejected["items"][0]["reason"], "Ikke nå");
  EXPECT_EQ(Query(f.ola, R"({"query":"suggestions","status":"open"})")["items"].size(), 5u);
  EXPECT_EQ(Query(f.ola, R"({"query":"suggestions","node":)" + Id(f.moss) + "}")["items"].size(),
            2u) << "the deadline and the move of the measure";
  // A stale one is accepted only explicitly.
  Result<OpId> refused = ApplyReviewRequest(
      &f.ola, Json::parse(R"({"op":"accept","suggestion":)" + Id(replace) + "}"));
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  Request(&f.ola, R"({"op":"accept","suggestion":)" + Id(replace) + R"(,"stale":true})");
  EXPECT_TRUE(Query(f.ola, R"({"query":"suggestions","status":"accepted"})")["items"][0]
                  ["stale_accepted"]);
}

TEST(ReviewJsonTest, ConflictsListEveryConcurrentValueWithItsAuthor) {
  Fixture f;
  ASSERT_TRUE(f.ola.SetField(f.measure, "deadline", FieldValue::Date("2027-01-01")).ok());
  ASSERT_TRUE(f.anne.SetField(f.measure, "deadline", FieldValue::Date("2027-06-30")).ok());
  ASSERT_TRUE(f.ola.SetCell(f.indicator, "values", f.row, f.col, FieldValue::Number(3)).ok());
  ASSERT_TRUE(f.anne.SetCell(f.indicator, "values", f.row, f.col, FieldValue::Number(4)).ok());
  f.SyncAll();
  Json c = Query(f.per, R"({"query":"conflicts"})");
  ASSERT_EQ(c["items"].size(), 2u) << c.dump();
  const Json& field = c["items"][0];
  EXPECT_EQ(field["node"], OpIdToJson(f.measure));
  EXPECT_EQ(field["field"], "deadline");
  ASSERT_EQ(field["values"].size(), 2u);
  std::set<std::string> who;
  for (const Json& v : field["values"]) who.insert(v["author"]["user"].get<std::string>());
  EXPECT_EQ(who, (std::set<std::string>{"ola", "anne"}));
  const Result<FieldRead> read = f.per.Field(f.measure, "deadline");
  EXPECT_EQ(field["values"][0]["id"], OpIdToJson(read->winner)) << "winner first";
  const Json& cell = c["items"][1];
  EXPECT_EQ(cell["table"], "values");
  EXPECT_EQ(cell["row"], OpIdToJson(f.row));
  EXPECT_EQ(cell["column"], OpIdToJson(f.col));
  EXPECT_EQ(cell["values"].size(), 2u);
  // Writing a value supersedes them all.
  ASSERT_TRUE(f.per.SetField(f.measure, "deadline", FieldValue::Date("2027-03-01")).ok());
  EXPECT_EQ(Query(f.per, R"({"query":"conflicts"})")["items"].size(), 1u);
}

TEST(ReviewJsonTest, SignoffShowsOwnersApprovalsOutdatedAndMissing) {
  Fixture f;
  Request(&f.anne, R"({"op":"approve","node":)" + Id(f.moss) + R"(,"municipality":"Moss"})");
  Request(&f.ola, R"({"op":"approve","node":)" + Id(f.chapter) + R"(,"municipality":"Vestby"})");
  f.SyncAll();
  Json s = Query(f.per, R"({"query":"signoff"})");
  ASSERT_EQ(s["items"].size(), 4u) << "root, chapter, two goals";
  EXPECT_EQ(s["items"][0]["node"], OpIdToJson(kRootNode));
  EXPECT_EQ(s["items"][0]["owners"], Json::array({"Moss", "Vestby"}));
  EXPECT_EQ(s["items"][0]["missing"], Json::array({"Moss", "Vestby"}));
  const Json& chapter = s["items"][1];
  EXPECT_EQ(chapter["kind"], "chapter");
  EXPECT_EQ(chapter["number"], "1");
  EXPECT_EQ(chapter["missing"], Json::array({"Moss"}));
  ASSERT_EQ(chapter["approvals"].size(), 1u);
  EXPECT_EQ(chapter["approvals"][0]["municipality"], "Vestby");
  EXPECT_EQ(chapter["approvals"][0]["author"]["user"], "ola");
  EXPECT_FALSE(chapter["approvals"][0]["outdated"]);
  const Json& moss = s["items"][2];
  EXPECT_EQ(moss["title"], "Økt sysselsetting i Moss 😀");
  EXPECT_EQ(moss["owners"], Json::array({"Moss"}));
  EXPECT_TRUE(moss["missing"].empty());
  const Json& joint = s["items"][3];
  EXPECT_EQ(joint["missing"], Json::array({"Moss"})) << "Vestby approved the chapter";
  EXPECT_FALSE(s["complete"]);
  // An edit inside Moss's goal outdates Moss's approval.
  ASSERT_TRUE(f.ola.InsertText(f.measure, "title", 0, "Nytt").ok());
  Sync(f.ola, &f.per);
  s = Query(f.per, R"({"query":"signoff","node":)" + Id(f.moss) + "}");
  ASSERT_EQ(s["items"].size(), 1u);
  EXPECT_TRUE(s["items"][0]["approvals"][0]["outdated"]);
  EXPECT_FALSE(s["items"][0]["approvals"][0]["outdated_by"].is_null());
  EXPECT_EQ(s["items"][0]["missing"], Json::array({"Moss"}));
  // Revoked approvals are not listed.
  Request(&f.ola, R"({"op":"revoke","node":)" + Id(f.chapter) + R"(,"municipality":"Vestby"})");
  EXPECT_TRUE(Query(f.ola, R"({"query":"signoff","node":)" + Id(f.chapter) + "}")["items"][0]
                  ["approvals"].empty());
}

TEST(ReviewJsonTest, BadQueriesAndRequestsNameTheMember) {
  Fixture f;
  struct Case {
    const char* json;
    const char* message;
  } queries[] = {
      {R"({})", "query: expected threads, inbox, suggestions, conflicts or signoff"},
      {R"({"query":"everything"})", "query: expected"},
      {R"({"query":"threads","status":"accepted"})", "status: expected open or resolved"},
      {R"({"query":"suggestions","status":"resolved"})", "status: expected open, accepted or rejected"},
      {R"({"query":"threads","node":"root"})", "node: expected [replica, counter]"},
      {R"({"query":"threads","author":5})", "author: expected a string"},
      {R"({"query":"threads","viewer":"per"})", "viewer: expected"},
  };
  for (const Case& c : queries) {
    ReviewQuery q;
    const Status s = ReviewQueryFromJson(Json::parse(c.json), &q);
    EXPECT_FALSE(s.ok()) << c.json;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.json << " -> " << s.message();
  }
  ReviewQuery q;
  ASSERT_TRUE(ReviewQueryFromJson(Json::parse(R"({"query":"threads","node":[9,9],"extra":1})"), &q).ok());
  EXPECT_EQ(RunReviewQuery(f.ola, q).status().message(), "node: unknown node 9:9");
  const Case requests[] = {
      {R"([])", "request: expected an object"},
      {R"({"op":"dance"})", "op: unknown review request 'dance'"},
      {R"({"op":"reply","body":"x"})", "thread: missing"},
      {R"({"op":"reply","thread":[1],"body":"x"})", "thread: expected [replica, counter]"},
      {R"({"op":"reply","thread":[1,2],"body":7})", "body: expected a string"},
      {R"({"op":"add_thread","node":[0,1],"body":"x","mentions":[1]})", "mentions: expected"},
      {R"({"op":"add_thread","node":[0,1],"body":"x","from":5,"to":2})", "to: before from"},
      {R"({"op":"suggest_text","node":[0,1],"field":"title","pos":-1})", "pos: expected"},
      {R"({"op":"set_thread","thread":[1,2],"attribute":"colour"})", "attribute: expected"},
      {R"({"op":"accept","suggestion":[1,2],"stale":"yes"})", "stale: expected true or false"},
      {R"({"op":"reply","thread":[1,2],"body":"x"})", "unknown thread"},
  };
  const size_t before = f.ola.log().size();
  for (const Case& c : requests) {
    Result<OpId> r = ApplyReviewRequest(&f.ola, Json::parse(c.json));
    EXPECT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.json << " -> " << r.status().message();
  }
  EXPECT_EQ(f.ola.log().size(), before) << "nothing changed";
}

TEST(ReviewJsonTest, TextIsEscapedAsJson) {
  Fixture f;
  const std::string body = "Sitat: \"a\\b\"\n\tny linje \x01 😀 æøå";
  ASSERT_TRUE(f.per.AddThread({f.joint, "", 0, 0, kNullId, kNullId}, body).ok());
  ReviewQuery q;
  ASSERT_TRUE(ReviewQueryFromJson(Json::parse(R"({"query":"threads"})"), &q).ok());
  Result<std::string> text = RunReviewQueryText(f.per, q);
  ASSERT_TRUE(text.ok());
  const Json j = Json::parse(*text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << *text;
  EXPECT_EQ(j["items"][0]["comments"][0]["body"], body);
}

// Many threads on shared nodes: one pass, every item answered (the bench,
// bench/, measures the time; here only the result is checked).
TEST(ReviewJsonTest, ManyThreadsAnswerInOnePass) {
  Fixture f;
  for (int i = 0; i < 400; ++i) {
    const OpId node = i % 2 ? f.measure : f.joint;
    Request(&f.per, R"({"op":"add_thread","node":)" + Id(node) + R"(,"body":"Nr )" +
                        std::to_string(i) + R"(","mentions":["municipality:Moss"]})");
  }
  Json inbox = Query(f.per, R"({"query":"inbox","viewer":{"user":"anne","municipality":"Moss"}})");
  EXPECT_EQ(inbox["items"].size(), 400u);
  EXPECT_EQ(inbox["unread"], 400);
  EXPECT_EQ(Query(f.per, R"({"query":"threads","node":)" + Id(f.moss) + "}")["items"].size(), 200u);
}

}  // namespace
}  // namespace samplan::protocol
