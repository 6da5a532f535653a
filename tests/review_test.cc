// Integration tests of live review (issue 9) through the real
// `samplan serve` binary: comment threads, suggestions, conflicts and
// sign-off, made by Editor clients (a Replica synced over WebSocket) and
// read back live by other members, through review_query over WebSocket,
// through the HTTP review endpoints, from a restarted server, and from the
// stored log (`samplan log`, `samplan verify`).
//
// The rights table of every role and the randomized convergence test with
// review operations are in review_rights_test.cc.
//
// Every wait is bounded; no test asserts a time.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crdt/utf8.h"
#include "protocol/json_codec.h"
#include "protocol/plan_state.h"
#include "protocol/review_json.h"
#include "tests/server_harness.h"

namespace samplan::testing {
namespace {

constexpr char kPlan[] = "demo";
const Ms kWait(10000);

// ---- helpers ---------------------------------------------------------------

// A member of the demo plan whose local ops carry its own author slots (the
// server stamps them again), so the core's "only the author edits a
// comment" check sees the same user locally as on the server.
std::unique_ptr<Editor> Member(ServerFixture& f, const std::string& user,
                               const std::string& municipality, Role role) {
  auto e = std::make_unique<Editor>(f.server.port(),
                                    f.Token(user, municipality, role));
  if (!e->Open()) return nullptr;
  if (e->Join(kPlan)["type"] != "joined") return nullptr;
  e->replica().SetAuthor(Author{user, municipality, 0});
  return e;
}

// Every batch each editor sent is answered (ack or error).
::testing::AssertionResult Answered(const std::vector<Editor*>& eds) {
  for (Editor* e : eds) {
    if (!e->PumpUntil(
            [&] { return e->acks() + e->errors().size() >= e->sent_batches(); },
            kWait)) {
      return ::testing::AssertionFailure()
             << "editor " << e->replica_id() << " got no answer";
    }
  }
  return ::testing::AssertionSuccess();
}

// Waits for every batch to be acknowledged without error, then for every
// editor to hold everything the others sent.
::testing::AssertionResult Settle(const std::vector<Editor*>& eds) {
  if (auto a = Answered(eds); !a) return a;
  VersionVector all;
  for (Editor* e : eds) {
    if (!e->errors().empty()) {
      return ::testing::AssertionFailure() << "editor " << e->replica_id()
                                           << " got " << e->errors()[0].dump();
    }
    all.Merge(e->replica().version());
  }
  for (Editor* e : eds) {
    if (!e->PumpUntil([&] { return e->replica().version() == all; }, kWait)) {
      return ::testing::AssertionFailure()
             << "editor " << e->replica_id() << " never caught up to "
             << all.ToString() << ", has " << e->replica().version().ToString();
    }
  }
  return ::testing::AssertionSuccess();
}

// Applies a local review edit that makes an item and sends it; the item's
// id, or kNullId when the core refused it.
OpId Make(Editor& e, const std::function<Result<OpId>(Replica&)>& edit,
          bool send = true) {
  OpId id;
  const bool ok = e.Edit(
      [&](Replica& r) {
        Result<OpId> made = edit(r);
        if (!made.ok()) return made.status();
        id = *made;
        return Status::OK();
      },
      send);
  return ok ? id : kNullId;
}

// A review_query over a WebSocket session of its own (queries are rate
// limited per session): the `review` answer or the error message.
Json WsReview(ServerFixture& f, const std::string& token, Json query) {
  WsClient ws;
  if (!ws.Connect(f.server.port())) return Json{{"type", "test_no_connect"}};
  ws.Send(Json{{"v", 1}, {"type", "auth"}, {"token", token}});
  if (!ws.ReadType("authenticated", kWait)) return Json{{"type", "test_no_auth"}};
  ws.Send(Json{{"v", 1}, {"type", "join"}, {"plan", kPlan}});
  if (!ws.ReadType("joined", kWait)) return Json{{"type", "test_no_join"}};
  query["v"] = 1;
  query["type"] = "review_query";
  query["ref"] = "q1";
  ws.Send(query);
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<Json> m = ws.Read(Ms(200));
    if (!m) {
      if (ws.closed()) break;
      continue;
    }
    const std::string type = m->value("type", "");
    if ((type == "review" || type == "error") && m->value("ref", "") == "q1") {
      return *m;
    }
  }
  return Json{{"type", "test_timeout"}};
}

// GET /api/plans/demo/<path> as JSON, or {"http_status", "body"} when not
// 200.
Json HttpReview(ServerFixture& f, const std::string& token,
                const std::string& path) {
  auto [status, body] = HttpRequest(f.server.port(), "GET",
                                    std::string("/api/plans/") + kPlan + "/" + path,
                                    token);
  Json j = Json::parse(body, nullptr, false);
  if (status != 200 || j.is_discarded()) {
    return Json{{"http_status", status}, {"body", body}};
  }
  return j;
}

// The plan state of GET /api/plans/demo.
Json HttpState(ServerFixture& f, const std::string& token) {
  auto [status, body] =
      HttpRequest(f.server.port(), "GET", std::string("/api/plans/") + kPlan, token);
  Json j = Json::parse(body, nullptr, false);
  if (status != 200 || j.is_discarded()) return Json{{"http_status", status}};
  return j;
}

// The plan's last sequence number now.
uint64_t Seq(ServerFixture& f) {
  return HttpState(f, f.Token("vera", "Våler", Role::kViewer)).value("seq", uint64_t{0});
}

// A review view of a local replica, as `user` sees it.
Json LocalView(const Replica& r, Json query, const std::string& user = "",
               const std::string& municipality = "") {
  if (!user.empty()) query["viewer"] = Json{{"user", user}, {"municipality", municipality}};
  protocol::ReviewQuery q;
  if (!protocol::ReviewQueryFromJson(query, &q).ok()) return Json{{"error", "query"}};
  Result<Json> out = protocol::RunReviewQuery(r, q);
  return out.ok() ? *out : Json{{"error", out.status().ToString()}};
}

Json IdJson(OpId id) { return protocol::OpIdToJson(id); }

// The item of `items` with id `id` (null when absent).
Json Item(const Json& answer, OpId id) {
  if (!answer.contains("items")) return nullptr;
  for (const Json& it : answer["items"]) {
    if (it.contains("id") && it["id"] == IdJson(id)) return it;
  }
  return nullptr;
}

// The ids of an answer's items, as "R:C" strings.
std::set<std::string> Ids(const Json& answer) {
  std::set<std::string> out;
  if (!answer.contains("items")) return {"<no items: " + answer.dump().substr(0, 300) + ">"};
  for (const Json& it : answer["items"]) {
    out.insert(std::to_string(it["id"][0].get<uint64_t>()) + ":" +
               std::to_string(it["id"][1].get<uint64_t>()));
  }
  return out;
}

std::set<std::string> IdSet(std::initializer_list<OpId> ids) {
  std::set<std::string> out;
  for (OpId id : ids) out.insert(id.ToString());
  return out;
}

// Demo plan landmarks.
std::vector<OpId> ChildrenOfKind(const Replica& r, OpId parent, const std::string& kind) {
  std::vector<OpId> out;
  for (OpId c : r.Children(parent)) {
    if (r.KindOf(c) == kind) out.push_back(c);
  }
  return out;
}
OpId Goal(const Replica& r, size_t i) { return ChildrenOfKind(r, kRootNode, "goal").at(i); }
OpId Indicator(const Replica& r) { return ChildrenOfKind(r, kRootNode, "indicator").at(0); }
// The measure of `goal` owned by `municipality` alone.
OpId MeasureOf(const Replica& r, OpId goal, const std::string& municipality) {
  for (OpId m : ChildrenOfKind(r, goal, "measure")) {
    Result<FieldRead> owner = r.Field(m, "owner");
    if (owner.ok() && owner->value.list == std::vector<std::string>{municipality}) return m;
  }
  return kNullId;
}

std::string TextOf(const Replica& r, OpId node, const char* field) {
  Result<std::string> t = r.Text(node, field);
  return t.ok() ? *t : "<error>";
}

// Code point offset of `needle` in `text` (npos when absent).
size_t FindCp(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  return at == std::string::npos ? at : utf8::CountCodePoints(text.substr(0, at));
}

// Code points [from, to) of `text`.
std::string Slice(const std::string& text, size_t from, size_t to) {
  Result<std::u32string> cps = utf8::Decode(text);
  if (!cps.ok() || from > to || to > cps->size()) return "<bad range>";
  return utf8::Encode(std::u32string_view(*cps).substr(from, to - from));
}

// The node `id` in a plan state JSON (null when absent).
Json FindNode(const Json& node, const Json& id) {
  if (node.value("id", Json()) == id) return node;
  if (node.contains("children")) {
    for (const Json& c : node["children"]) {
      Json found = FindNode(c, id);
      if (!found.is_null()) return found;
    }
  }
  return nullptr;
}


// `samplan log --json` of the demo plan: one object per op stored after
// sequence number `after` (the demo plan's own review items come first).
std::vector<Json> StoredLog(ServerFixture& f, uint64_t after) {
  auto [rc, out] = RunSamplan("log --data " + f.data() + " --plan " + kPlan +
                              " --json --from " + std::to_string(after + 1));
  std::vector<Json> lines;
  EXPECT_EQ(rc, 0) << out.substr(0, 2000);
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    Json j = Json::parse(out.substr(start, end - start), nullptr, false);
    if (!j.is_discarded()) lines.push_back(std::move(j));
    start = end + 1;
  }
  return lines;
}

// The stored ops of `kind` by `user`.
size_t CountStored(const std::vector<Json>& log, const std::string& kind,
                   const std::string& user) {
  return std::count_if(log.begin(), log.end(), [&](const Json& j) {
    return j.value("kind", "") == kind && j.value("user", "") == user;
  });
}

bool IsRefusal(const Json& error) {
  const std::string code = error.value("code", "");
  return code == "forbidden" || code == "invalid_op";
}

// ---- comment threads -------------------------------------------------------

TEST(ReviewTest, ThreadsOnNodeFieldCellAndTextAreSeenLiveWithTheirAuthor) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  auto vera = Member(f, "vera", "Våler", Role::kViewer);
  ASSERT_TRUE(per && anne && vera);
  Replica& r = per->replica();
  const OpId goal = Goal(r, 0);
  const OpId ind = Indicator(r);
  const Table* table = r.TableOf(ind, "values");
  ASSERT_NE(table, nullptr);
  const OpId row = table->VisibleLines(TableAxis::kRow)[1];
  const OpId col = table->VisibleLines(TableAxis::kColumn)[2];
  const std::string body = TextOf(r, goal, "body");
  const size_t at = FindCp(body, "lovpålagte oppgaver");
  ASSERT_NE(at, std::string::npos);

  const OpId on_node = Make(*per, [&](Replica& x) {
    return x.AddThread(Replica::ThreadAnchorSpec::OnNode(goal), "Hele målet er for vagt.");
  });
  const OpId on_field = Make(*per, [&](Replica& x) {
    return x.AddThread(Replica::ThreadAnchorSpec::OnField(goal, "target_year"),
                       "Er 2026 realistisk?");
  });
  const OpId on_cell = Make(*per, [&](Replica& x) {
    return x.AddThread(Replica::ThreadAnchorSpec::OnCell(ind, "values", row, col),
                       "Kilden for Vestby?");
  });
  const OpId on_text = Make(*per, [&](Replica& x) {
    return x.AddThread(Replica::ThreadAnchorSpec::OnText(goal, "body", at, at + 19),
                       "Hvilke oppgaver?", {"municipality:Moss"});
  });
  for (OpId id : {on_node, on_field, on_cell, on_text}) ASSERT_FALSE(id.IsNull());
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));

  // Live on the editor's and the viewer's replicas, with the author the
  // server stamped.
  for (Editor* e : {anne.get(), vera.get()}) {
    // (The demo plan has threads of its own; pia is not among their authors.)
    Json threads = LocalView(e->replica(), {{"query", "threads"}, {"author", "pia"}});
    ASSERT_EQ(Ids(threads), IdSet({on_node, on_field, on_cell, on_text})) << threads.dump();
    for (Json t : threads["items"]) {
      EXPECT_EQ(t["author"]["user"], "pia");
      EXPECT_EQ(t["author"]["municipality"], "Vestby");
      EXPECT_GT(t["author"]["time"].get<int64_t>(), 0);
      EXPECT_EQ(t["comments"].size(), 1u);
    }
  }
  Json threads = LocalView(vera->replica(), {{"query", "threads"}, {"author", "pia"}});
  EXPECT_EQ(Item(threads, on_node)["anchor"]["kind"], "node");
  EXPECT_EQ(Item(threads, on_field)["anchor"]["kind"], "field");
  EXPECT_EQ(Item(threads, on_field)["anchor"]["field"], "target_year");
  Json cell = Item(threads, on_cell);
  EXPECT_EQ(cell["anchor"]["kind"], "cell");
  EXPECT_EQ(cell["anchor"]["row"], IdJson(row));
  EXPECT_EQ(cell["anchor"]["column"], IdJson(col));
  EXPECT_EQ(cell["place"]["orphaned"], false);
  Json text = Item(threads, on_text);
  EXPECT_EQ(text["anchor"]["kind"], "text");
  EXPECT_EQ(text["quote"], "lovpålagte oppgaver");
  EXPECT_EQ(text["place"]["from"], at);
  EXPECT_EQ(text["place"]["to"], at + 19);
  EXPECT_EQ(text["comments"][0]["body"], "Hvilke oppgaver?");
  EXPECT_EQ(text["comments"][0]["mentions"], Json::array({"municipality:Moss"}));

  // The server's own view says the same.
  Json served =
      HttpReview(f, f.Token("vera", "Våler", Role::kViewer), "threads?author=pia");
  ASSERT_EQ(Ids(served), IdSet({on_node, on_field, on_cell, on_text})) << served.dump();
  EXPECT_EQ(served["plan"], kPlan);
  EXPECT_EQ(Item(served, on_text)["author"]["user"], "pia");
  EXPECT_EQ(Item(served, on_text)["place"], text["place"]);
  EXPECT_EQ(Item(served, on_cell)["anchor"], cell["anchor"]);
  EXPECT_TRUE(anne->errors().empty());
}

TEST(ReviewTest, TextAnchorFollowsConcurrentEditsAndASubtreeMove) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  auto ola = Member(f, "ola", "Vestby", Role::kEditor);
  ASSERT_TRUE(per && anne && ola);
  const OpId goal1 = Goal(per->replica(), 0);
  const OpId goal2 = Goal(per->replica(), 1);
  const OpId sub = ChildrenOfKind(per->replica(), goal1, "subgoal").at(0);
  const std::string title = TextOf(per->replica(), sub, "title");
  const std::string quote = "kjerneoppgave";
  const size_t at = FindCp(title, quote);
  ASSERT_NE(at, std::string::npos);
  const OpId thread = Make(*per, [&](Replica& r) {
    return r.AddThread(Replica::ThreadAnchorSpec::OnText(sub, "title", at, at + 13),
                       "Hva betyr kjerneoppgave her?");
  });
  ASSERT_FALSE(thread.IsNull());
  ASSERT_TRUE(Settle({per.get(), anne.get(), ola.get()}));

  // Concurrently: ola types before the range, anne deletes a word before it
  // and moves the subgoal (and so the thread) under another goal, and the
  // reviewer types after it. Nobody sees the others' edits first.
  ASSERT_TRUE(ola->Edit([&](Replica& r) { return r.InsertText(sub, "title", 0, "Ny tekst: "); }));
  ASSERT_TRUE(anne->Edit([&](Replica& r) { return r.DeleteText(sub, "title", 0, 12); }));
  ASSERT_TRUE(anne->Edit([&](Replica& r) { return r.MoveNode(sub, goal2, 0); }));
  ASSERT_TRUE(per->Edit([&](Replica& r) {
    // The reviewer may not edit content; its thread reply is concurrent.
    return r.Reply(thread, "Og hvem eier den?").status();
  }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), ola.get()}));

  std::string seen;
  for (Editor* e : {per.get(), anne.get(), ola.get()}) {
    Replica& r = e->replica();
    EXPECT_EQ(r.ParentOf(sub), goal2);
    const Thread* t = r.review().FindThread(thread);
    ASSERT_NE(t, nullptr);
    const Replica::ThreadPlace place = r.LocateThread(*t);
    EXPECT_FALSE(place.orphaned);
    EXPECT_FALSE(place.node_deleted);
    const std::string now = TextOf(r, sub, "title");
    EXPECT_EQ(Slice(now, place.from, place.to), quote) << now;
    if (seen.empty()) seen = now;
    EXPECT_EQ(now, seen);
    EXPECT_EQ(r.CanonicalDump(), per->replica().CanonicalDump());
  }
  // The server's thread view and its plan state agree.
  const std::string token = f.Token("vera", "Våler", Role::kViewer);
  Json served = Item(HttpReview(f, token, "threads"), thread);
  ASSERT_FALSE(served.is_null());
  EXPECT_EQ(served["place"]["orphaned"], false);
  EXPECT_EQ(served["quote"], quote);
  EXPECT_EQ(served["comments"].size(), 2u);
  Json state = HttpState(f, token);
  Json node = FindNode(state["root"], IdJson(sub));
  ASSERT_FALSE(node.is_null()) << state.dump().substr(0, 500);
  EXPECT_EQ(node["texts"]["title"], seen);
  EXPECT_EQ(Slice(node["texts"]["title"].get<std::string>(),
                  served["place"]["from"].get<size_t>(),
                  served["place"]["to"].get<size_t>()),
            quote);
  // The moved subgoal is under goal 2 in the server's state.
  EXPECT_FALSE(FindNode(FindNode(state["root"], IdJson(goal2)), IdJson(sub)).is_null());
  // And the thread is in goal 2's subtree now, not goal 1's.
  EXPECT_EQ(Ids(HttpReview(f, token, "threads?node=" + goal2.ToString())).count(thread.ToString()),
            1u);
  EXPECT_EQ(Ids(HttpReview(f, token, "threads?node=" + goal1.ToString())).count(thread.ToString()),
            0u);
}

TEST(ReviewTest, OrphanedThreadKeepsItsQuoteAndNewTextDoesNotReviveIt) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  ASSERT_TRUE(per && anne);
  const OpId goal = Goal(per->replica(), 2);
  const std::string quote = "unge uføre";
  const size_t at = FindCp(TextOf(per->replica(), goal, "body"), quote);
  ASSERT_NE(at, std::string::npos);
  const size_t len = utf8::CountCodePoints(quote);
  const OpId thread = Make(*per, [&](Replica& r) {
    return r.AddThread(Replica::ThreadAnchorSpec::OnText(goal, "body", at, at + len),
                       "Tall på dette?");
  });
  ASSERT_FALSE(thread.IsNull());
  ASSERT_TRUE(Settle({per.get(), anne.get()}));
  // All of the range's text is deleted: orphaned, quote kept.
  ASSERT_TRUE(anne->Edit([&](Replica& r) { return r.DeleteText(goal, "body", at, len); }));
  ASSERT_TRUE(Settle({per.get(), anne.get()}));
  const std::string token = f.Token("pia", "Vestby", Role::kReviewer);
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "after the delete" : "after retyping the text");
    Json local = Item(LocalView(per->replica(), {{"query", "threads"}}), thread);
    Json served = Item(HttpReview(f, token, "threads"), thread);
    for (Json t : {local, served}) {
      ASSERT_FALSE(t.is_null());
      EXPECT_EQ(t["place"]["orphaned"], true) << t.dump();
      EXPECT_FALSE(t["place"].contains("from")) << t.dump();
      EXPECT_EQ(t["quote"], quote);
      EXPECT_EQ(t["anchor"]["kind"], "text");
    }
    if (pass == 0) {
      // The same words typed again where they were.
      ASSERT_TRUE(anne->Edit([&](Replica& r) { return r.InsertText(goal, "body", at, quote); }));
      ASSERT_TRUE(Settle({per.get(), anne.get()}));
      EXPECT_NE(TextOf(per->replica(), goal, "body").find(quote), std::string::npos);
    }
  }
}

TEST(ReviewTest, RepliesAndOwnCommentEditsKeepTheirHistory) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  auto vera = Member(f, "vera", "Våler", Role::kViewer);
  ASSERT_TRUE(per && anne && vera);
  const OpId goal = Goal(per->replica(), 1);
  const uint64_t seq = Seq(f);
  const OpId thread = Make(*per, [&](Replica& r) {
    return r.AddThread(Replica::ThreadAnchorSpec::OnNode(goal), "Første utkast");
  });
  ASSERT_FALSE(thread.IsNull());
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));
  const OpId reply = Make(*anne, [&](Replica& r) { return r.Reply(thread, "Enig, vi ser på det."); });
  ASSERT_FALSE(reply.IsNull());
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));  // replies in this order
  const OpId own_reply = Make(*per, [&](Replica& r) { return r.Reply(thread, "Glem dette."); });
  ASSERT_FALSE(own_reply.IsNull());
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));
  // The author edits the first comment and deletes its own reply.
  ASSERT_TRUE(per->Edit([&](Replica& r) {
    return r.EditComment(thread, "Andre utkast", {"user:anne"});
  }));
  ASSERT_TRUE(per->Edit([&](Replica& r) { return r.DeleteComment(own_reply); }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));

  // Someone else's comment: the core refuses it locally; a client that
  // claims to be the author anyway is refused by the server.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto forger = Member(f, "anne", "Moss", Role::kEditor);
    ASSERT_TRUE(forger);
    EXPECT_FALSE(forger->replica().EditComment(thread, "Overskrevet").ok());
    forger->replica().SetAuthor(Author{"pia", "Vestby", 0});
    ASSERT_TRUE(forger->Edit([&](Replica& r) {
      return attempt == 0 ? r.EditComment(thread, "Overskrevet av anne")
                          : r.DeleteComment(thread);
    }));
    ASSERT_TRUE(Answered({forger.get()}));
    ASSERT_EQ(forger->errors().size(), 1u);
    EXPECT_TRUE(IsRefusal(forger->errors()[0])) << forger->errors()[0].dump();
    EXPECT_EQ(forger->acks(), 0u);
  }
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));

  for (Editor* e : {anne.get(), vera.get()}) {
    Json t = Item(LocalView(e->replica(), {{"query", "threads"}}), thread);
    ASSERT_FALSE(t.is_null());
    ASSERT_EQ(t["comments"].size(), 3u) << t.dump();
    const Json& first = t["comments"][0];
    EXPECT_EQ(first["id"], IdJson(thread));
    EXPECT_EQ(first["body"], "Andre utkast");
    EXPECT_EQ(first["mentions"], Json::array({"user:anne"}));
    EXPECT_EQ(first["revisions"], 1);
    EXPECT_FALSE(first["edited"].is_null());
    EXPECT_EQ(first["deleted"], false);
    EXPECT_EQ(first["author"]["user"], "pia");
    EXPECT_EQ(t["comments"][1]["id"], IdJson(reply));
    EXPECT_EQ(t["comments"][1]["author"]["user"], "anne");
    EXPECT_EQ(t["comments"][1]["body"], "Enig, vi ser på det.");
    EXPECT_EQ(t["comments"][2]["id"], IdJson(own_reply));
    EXPECT_EQ(t["comments"][2]["deleted"], true);
    EXPECT_EQ(t["comments"][2]["body"], "");
  }
  // The earlier texts stay in history: a fresh auditor gets the original
  // comment, the edit and the delete, and nothing forged.
  auto audun = Member(f, "audun", "Våler", Role::kAuditor);
  ASSERT_TRUE(audun);
  std::vector<std::string> texts;
  for (const Op* op : audun->replica().review().OpsInOrder()) {
    if (op->kind == OpKind::kAddComment || op->kind == OpKind::kEditComment) {
      texts.push_back(op->text);
    }
    EXPECT_NE(op->author.user, "") << DescribeOp(*op);
  }
  EXPECT_NE(std::find(texts.begin(), texts.end(), "Første utkast"), texts.end());
  EXPECT_NE(std::find(texts.begin(), texts.end(), "Andre utkast"), texts.end());
  EXPECT_NE(std::find(texts.begin(), texts.end(), "Glem dette."), texts.end());
  EXPECT_EQ(std::find(texts.begin(), texts.end(), "Overskrevet av anne"), texts.end());
  // And in the stored log, by who made them.
  const std::vector<Json> log = StoredLog(f, seq);
  EXPECT_EQ(CountStored(log, "add_comment", "pia"), 2u);
  EXPECT_EQ(CountStored(log, "add_comment", "anne"), 1u);
  EXPECT_EQ(CountStored(log, "edit_comment", "pia"), 1u);
  EXPECT_EQ(CountStored(log, "delete_comment", "pia"), 1u);
  EXPECT_EQ(CountStored(log, "edit_comment", "anne"), 0u);
  EXPECT_EQ(CountStored(log, "delete_comment", "anne"), 0u);
}

TEST(ReviewTest, ResolveReopenMentionsAndAssignmentWithDueDate) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  auto vera = Member(f, "vera", "Våler", Role::kViewer);
  ASSERT_TRUE(per && anne && vera);
  const OpId goal = Goal(per->replica(), 0);
  const OpId thread = Make(*per, [&](Replica& r) {
    return r.AddThread(Replica::ThreadAnchorSpec::OnField(goal, "target_year"),
                       "Moss og Ola: kan dere se på fristen?",
                       {"municipality:Moss", "user:ola"});
  });
  ASSERT_FALSE(thread.IsNull());
  ASSERT_TRUE(per->Edit([&](Replica& r) {
    return r.SetThread(thread, "assignee", FieldValue::String("municipality:Moss"));
  }));
  ASSERT_TRUE(per->Edit([&](Replica& r) {
    return r.SetThread(thread, "due", FieldValue::Date("2027-01-31"));
  }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));
  const std::string token = f.Token("vera", "Våler", Role::kViewer);
  auto check = [&](bool resolved, const char* assignee) {
    for (Json t : {Item(LocalView(vera->replica(), {{"query", "threads"}}), thread),
                          Item(HttpReview(f, token, "threads"), thread)}) {
      ASSERT_FALSE(t.is_null());
      EXPECT_EQ(t["resolved"], resolved) << t.dump();
      EXPECT_EQ(t["assignee"], assignee);
      EXPECT_EQ(t["due"], "2027-01-31");
      EXPECT_EQ(t["comments"][0]["mentions"],
                Json::array({"municipality:Moss", "user:ola"}));
      EXPECT_EQ(t["conflicted"], false);
    }
  };
  check(false, "municipality:Moss");
  // The editor resolves, reopens, resolves again and hands it to a user.
  ASSERT_TRUE(anne->Edit([&](Replica& r) {
    return r.SetThread(thread, "resolved", FieldValue::Bool(true));
  }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));
  check(true, "municipality:Moss");
  ASSERT_TRUE(anne->Edit([&](Replica& r) {
    return r.SetThread(thread, "resolved", FieldValue::Bool(false));
  }));
  ASSERT_TRUE(anne->Edit([&](Replica& r) {
    return r.SetThread(thread, "assignee", FieldValue::String("user:ola"));
  }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));
  check(false, "user:ola");
  // Unassigning clears it (null).
  ASSERT_TRUE(per->Edit([&](Replica& r) {
    return r.SetThread(thread, "assignee", FieldValue::Null());
  }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));
  EXPECT_TRUE(Item(HttpReview(f, token, "threads"), thread)["assignee"].is_null());
  // Mentions put the thread in the inboxes of ola and of Moss's users.
  for (const auto& [user, mun] : {std::pair{"ola", "Vestby"}, std::pair{"kari", "Moss"}}) {
    Json inbox = HttpReview(f, f.Token(user, mun, Role::kEditor), "inbox");
    Json t = Item(inbox, thread);
    ASSERT_FALSE(t.is_null()) << user << ": " << inbox.dump().substr(0, 500);
    EXPECT_NE(std::find(t["reasons"].begin(), t["reasons"].end(), "mention"),
              t["reasons"].end());
  }
  // Råde is not mentioned, assigned or owner of the (joint) goal.
  EXPECT_TRUE(Item(HttpReview(f, f.Token("rita", "Råde", Role::kEditor), "inbox"), thread)
                  .is_null());
}

// ---- queries ---------------------------------------------------------------

TEST(ReviewTest, QueriesOverWebSocketAndHttpFilterAndCountUnread) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  auto ola = Member(f, "ola", "Vestby", Role::kEditor);
  ASSERT_TRUE(per && anne && ola);
  Replica& r = per->replica();
  const OpId goal1 = Goal(r, 0), goal2 = Goal(r, 1), goal3 = Goal(r, 2);
  const OpId vestby_measure = MeasureOf(r, goal1, "Vestby");
  const OpId moss_measure = MeasureOf(r, goal2, "Moss");
  ASSERT_FALSE(vestby_measure.IsNull());
  ASSERT_FALSE(moss_measure.IsNull());
  const std::string token = f.Token("ola", "Vestby", Role::kEditor);

  // Each query, on both transports. The demo plan carries review items of
  // its own: what each query listed before this test's items is its base.
  struct Case {
    Json ws;           // the review_query members
    std::string http;  // the same as an HTTP path
    std::set<std::string> base;
  };
  std::vector<Case> cases = {
      {{{"query", "threads"}}, "threads", {}},
      {{{"query", "threads"}, {"node", IdJson(goal1)}}, "threads?node=" + goal1.ToString(), {}},
      {{{"query", "threads"}, {"node", IdJson(goal2)}}, "threads?node=" + goal2.ToString(), {}},
      {{{"query", "threads"}, {"status", "open"}}, "threads?status=open", {}},
      {{{"query", "threads"}, {"status", "resolved"}}, "threads?status=resolved", {}},
      {{{"query", "threads"}, {"author", "pia"}}, "threads?author=pia", {}},
      {{{"query", "threads"}, {"municipality", "Moss"}}, "threads?municipality=Moss", {}},
      {{{"query", "threads"}, {"assignee", "user:ola"}}, "threads?assignee=user%3Aola", {}},
      {{{"query", "threads"}, {"mention", "user:ola"}}, "threads?mention=user%3Aola", {}},
      {{{"query", "threads"}, {"mention", "municipality:Råde"}},
       "threads?mention=municipality%3AR%C3%A5de", {}},
      {{{"query", "threads"}, {"status", "open"}, {"author", "anne"}},
       "threads?status=open&author=anne", {}},
      {{{"query", "suggestions"}}, "suggestions", {}},
      {{{"query", "suggestions"}, {"status", "open"}}, "suggestions?status=open", {}},
      {{{"query", "suggestions"}, {"status", "rejected"}}, "suggestions?status=rejected", {}},
      {{{"query", "suggestions"}, {"author", "anne"}}, "suggestions?author=anne", {}},
      {{{"query", "suggestions"}, {"node", IdJson(goal1)}},
       "suggestions?node=" + goal1.ToString(), {}},
      {{{"query", "inbox"}}, "inbox", {}},
      {{{"query", "inbox"}, {"status", "open"}}, "inbox?status=open", {}},
  };
  for (Case& c : cases) {
    Json before = HttpReview(f, token, c.http);
    ASSERT_TRUE(before.contains("items")) << c.http << ": " << before.dump();
    c.base = Ids(before);
  }
  Json inbox_before = HttpReview(f, token, "inbox");
  const size_t base_unread = inbox_before["unread"].get<size_t>();
  const size_t base_unread_threads = inbox_before["unread_threads"].get<size_t>();

  // t1: pia on goal 1, mentions Råde. t2: pia on Vestby's measure, assigned
  // to user:ola. t3: anne on Moss's measure in goal 2, resolved. t4: anne
  // on goal 3, mentions user:ola.
  const OpId t1 = Make(*per, [&](Replica& x) {
    return x.AddThread(Replica::ThreadAnchorSpec::OnNode(goal1), "Råde?", {"municipality:Råde"});
  });
  const OpId t2 = Make(*per, [&](Replica& x) {
    return x.AddThread(Replica::ThreadAnchorSpec::OnField(vestby_measure, "status"), "Status?");
  });
  ASSERT_TRUE(per->Edit([&](Replica& x) {
    return x.SetThread(t2, "assignee", FieldValue::String("user:ola"));
  }));
  const OpId t3 = Make(*anne, [&](Replica& x) {
    return x.AddThread(Replica::ThreadAnchorSpec::OnNode(moss_measure), "Ferdig.");
  });
  ASSERT_TRUE(anne->Edit([&](Replica& x) {
    return x.SetThread(t3, "resolved", FieldValue::Bool(true));
  }));
  const OpId t4 = Make(*anne, [&](Replica& x) {
    return x.AddThread(Replica::ThreadAnchorSpec::OnField(goal3, "body"), "Ola, se her.",
                       {"user:ola"});
  });
  for (OpId id : {t1, t2, t3, t4}) ASSERT_FALSE(id.IsNull());
  // Two suggestions, one rejected.
  const OpId s1 = Make(*per, [&](Replica& x) {
    return x.SuggestField(goal1, "target_year", FieldValue::Int(2027));
  });
  const OpId s2 = Make(*anne, [&](Replica& x) {
    return x.SuggestField(goal2, "target_year", FieldValue::Int(2028));
  });
  ASSERT_FALSE(s1.IsNull());
  ASSERT_FALSE(s2.IsNull());
  ASSERT_TRUE(Settle({per.get(), anne.get(), ola.get()}));
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.RejectSuggestion(s2, "Nei."); }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), ola.get()}));

  // What each query adds to its base. ola's inbox: t2 (assigned, and
  // Vestby owns the measure) and t4 (mention); not t1 (Råde's mention on a
  // joint goal) nor t3 (Moss's).
  const std::vector<std::set<std::string>> added = {
      IdSet({t1, t2, t3, t4}), IdSet({t1, t2}), IdSet({t3}), IdSet({t1, t2, t4}), IdSet({t3}),
      IdSet({t1, t2}),         IdSet({t3, t4}), IdSet({t2}), IdSet({t4}),         IdSet({t1}),
      IdSet({t4}),             IdSet({s1, s2}), IdSet({s1}), IdSet({s2}),         IdSet({s2}),
      IdSet({s1}),             IdSet({t2, t4}), IdSet({t2, t4})};
  ASSERT_EQ(added.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.http);
    std::set<std::string> want = c.base;
    want.insert(added[i].begin(), added[i].end());
    Json ws = WsReview(f, token, c.ws);
    ASSERT_EQ(ws["type"], "review") << ws.dump();
    EXPECT_EQ(ws["query"], c.ws["query"]);
    EXPECT_TRUE(ws.contains("seq"));
    EXPECT_EQ(Ids(ws), want);
    Json http = HttpReview(f, token, c.http);
    EXPECT_EQ(Ids(http), want) << http.dump().substr(0, 300);
    EXPECT_EQ(http["plan"], kPlan);
    EXPECT_EQ(http["items"], ws["items"]);
  }
  // Bad filters are refused, naming the member.
  Json bad = WsReview(f, token, {{"query", "threads"}, {"status", "accepted"}});
  EXPECT_EQ(bad["type"], "error");
  EXPECT_EQ(bad["code"], "bad_message");
  EXPECT_NE(bad.value("message", "").find("status"), std::string::npos) << bad.dump();
  EXPECT_EQ(HttpReview(f, token, "threads?status=accepted")["http_status"], 400);
  EXPECT_EQ(HttpReview(f, token, "threads?node=999:999")["http_status"], 400);
  EXPECT_EQ(HttpReview(f, token, "nonsense")["http_status"], 404);
  EXPECT_EQ(HttpReview(f, "", "threads")["http_status"], 401);

  Json inbox = WsReview(f, token, {{"query", "inbox"}});
  ASSERT_EQ(inbox["type"], "review") << inbox.dump();
  Json i2 = Item(inbox, t2);
  EXPECT_NE(std::find(i2["reasons"].begin(), i2["reasons"].end(), "assigned"), i2["reasons"].end());
  EXPECT_NE(std::find(i2["reasons"].begin(), i2["reasons"].end(), "owner"), i2["reasons"].end());
  EXPECT_EQ(Item(inbox, t4)["reasons"], Json::array({"mention"}));
  EXPECT_EQ(Item(inbox, t2)["unread"], 1);
  EXPECT_EQ(Item(inbox, t4)["unread"], 1);
  EXPECT_EQ(inbox["unread"], base_unread + 2);
  EXPECT_EQ(inbox["unread_threads"], base_unread_threads + 2);
  EXPECT_EQ(HttpReview(f, token, "inbox")["items"], inbox["items"]);
  // Replies by others add unread comments; ola's own reply does not.
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.Reply(t4, "Påminnelse").status(); }));
  ASSERT_TRUE(ola->Edit([&](Replica& x) { return x.Reply(t2, "Ser på det").status(); }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), ola.get()}));
  inbox = HttpReview(f, token, "inbox");
  EXPECT_EQ(inbox["unread"], base_unread + 3) << inbox.dump().substr(0, 500);
  EXPECT_EQ(Item(inbox, t4)["unread"], 2);
  EXPECT_EQ(Item(inbox, t2)["unread"], 1);
  // Reading a thread lowers the counts, for ola only.
  ASSERT_TRUE(ola->Edit([&](Replica& x) { return x.MarkRead(t4); }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), ola.get()}));
  inbox = WsReview(f, token, {{"query", "inbox"}});
  EXPECT_EQ(inbox["unread"], base_unread + 1) << inbox.dump().substr(0, 500);
  EXPECT_EQ(inbox["unread_threads"], base_unread_threads + 1);
  EXPECT_EQ(Item(inbox, t4)["unread"], 0);
  EXPECT_EQ(HttpReview(f, token, "inbox")["unread"], base_unread + 1);
  EXPECT_EQ(Item(HttpReview(f, token, "threads"), t4)["unread"], 0);
  const std::string other = f.Token("olaf", "Vestby", Role::kEditor);
  EXPECT_EQ(Item(HttpReview(f, other, "threads"), t4)["unread"], 2);
  // A resolved thread is still listed, but its comments are not counted.
  ASSERT_TRUE(anne->Edit([&](Replica& x) {
    return x.SetThread(t2, "resolved", FieldValue::Bool(true));
  }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), ola.get()}));
  inbox = HttpReview(f, token, "inbox");
  EXPECT_EQ(Ids(inbox).count(t2.ToString()), 1u);
  EXPECT_EQ(inbox["unread"], base_unread);
  EXPECT_EQ(inbox["unread_threads"], base_unread_threads);
  EXPECT_EQ(Ids(HttpReview(f, token, "inbox?status=open")).count(t2.ToString()), 0u);
  // The other views answer on both transports.
  for (const char* view : {"conflicts", "signoff"}) {
    Json ws = WsReview(f, token, {{"query", view}});
    EXPECT_EQ(ws["type"], "review") << ws.dump();
    Json http = HttpReview(f, token, view);
    EXPECT_EQ(http["items"], ws["items"]) << view;
  }
  EXPECT_TRUE(WsReview(f, token, {{"query", "signoff"}}).contains("complete"));
}

// ---- suggestions -----------------------------------------------------------

TEST(ReviewTest, SuggestionsOfEveryKindAreLiveAndChangeNothing) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  ASSERT_TRUE(per && anne);
  Replica& r = per->replica();
  const OpId goal1 = Goal(r, 0), goal2 = Goal(r, 1);
  const OpId sub = ChildrenOfKind(r, goal1, "subgoal").at(1);
  const OpId ind = Indicator(r);
  const Table* table = r.TableOf(ind, "values");
  ASSERT_NE(table, nullptr);
  const OpId row = table->VisibleLines(TableAxis::kRow)[0];
  const OpId col = table->VisibleLines(TableAxis::kColumn)[0];
  const std::string body = TextOf(r, goal1, "body");
  const size_t word = FindCp(body, "lovpålagte");
  ASSERT_NE(word, std::string::npos);
  Json before = HttpState(f, f.Token("anne", "Moss", Role::kEditor))["root"];
  const std::string dump_before = anne->replica().CanonicalDump();

  struct Made {
    OpId id;
    const char* kind;
  };
  std::vector<Made> made;
  auto add = [&](const char* kind, const std::function<Result<OpId>(Replica&)>& edit) {
    const OpId id = Make(*per, edit);
    EXPECT_FALSE(id.IsNull()) << kind;
    made.push_back({id, kind});
  };
  add("text", [&](Replica& x) { return x.SuggestText(goal1, "body", 0, 0, "Først: "); });
  add("text", [&](Replica& x) { return x.SuggestText(goal1, "body", word, 11, ""); });
  add("text", [&](Replica& x) { return x.SuggestText(goal1, "body", word, 10, "lovbestemte"); });
  add("field", [&](Replica& x) { return x.SuggestField(goal1, "target_year", FieldValue::Int(2030)); });
  add("cell", [&](Replica& x) { return x.SuggestCell(ind, "values", row, col, FieldValue::Number(1)); });
  add("node", [&](Replica& x) { return x.SuggestNode(goal2, 0, "measure", "Nytt tiltak"); });
  add("move", [&](Replica& x) { return x.SuggestMove(sub, goal2, 0); });
  add("delete", [&](Replica& x) { return x.SuggestDelete(sub); });
  ASSERT_TRUE(Settle({per.get(), anne.get()}));

  // Live on the editor's replica and on the server, with the author; open.
  // (pia made none of the demo plan's suggestions.)
  Json local =
      LocalView(anne->replica(), {{"query", "suggestions"}, {"author", "pia"}});
  Json served =
      HttpReview(f, f.Token("anne", "Moss", Role::kEditor), "suggestions?author=pia");
  for (const Json& view : {local, served}) {
    ASSERT_EQ(view["items"].size(), made.size()) << view.dump().substr(0, 500);
    for (const Made& m : made) {
      Json s = Item(view, m.id);
      ASSERT_FALSE(s.is_null()) << m.kind;
      EXPECT_EQ(s["kind"], m.kind);
      EXPECT_EQ(s["author"]["user"], "pia");
      EXPECT_EQ(s["author"]["municipality"], "Vestby");
      EXPECT_EQ(s["status"], "open");
      EXPECT_EQ(s["stale"], false) << s.dump();
      EXPECT_TRUE(s["decided_by"].is_null());
    }
  }
  EXPECT_EQ(Item(served, made[0].id)["text"], "Først: ");
  EXPECT_EQ(Item(served, made[1].id)["quote"], "lovpålagte ");
  EXPECT_EQ(Item(served, made[2].id)["quote"], "lovpålagte");
  EXPECT_EQ(Item(served, made[2].id)["text"], "lovbestemte");
  EXPECT_EQ(Item(served, made[2].id)["place"], (Json{{"from", word}, {"to", word + 10}}));
  EXPECT_EQ(Item(served, made[3].id)["value"], protocol::ValueToJson(FieldValue::Int(2030)));
  EXPECT_EQ(Item(served, made[5].id)["node_kind"], "measure");
  EXPECT_EQ(Item(served, made[5].id)["text"], "Nytt tiltak");
  EXPECT_EQ(Item(served, made[6].id)["parent"], IdJson(goal2));
  EXPECT_EQ(Item(served, made[6].id)["former_parent"], IdJson(goal1));
  EXPECT_EQ(Item(served, made[7].id)["node"], IdJson(sub));
  // Nothing changed in the plan.
  EXPECT_EQ(HttpState(f, f.Token("anne", "Moss", Role::kEditor))["root"], before);
  EXPECT_EQ(protocol::PlanStateToJson(anne->replica())["root"], before);
  EXPECT_EQ(TextOf(anne->replica(), goal1, "body"), body);
  EXPECT_EQ(anne->replica().ParentOf(sub), goal1);
  EXPECT_NE(anne->replica().CanonicalDump(), dump_before);  // the review part
}

TEST(ReviewTest, AcceptAndRejectAreAttributedToBothPeople) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  auto vera = Member(f, "vera", "Våler", Role::kViewer);
  ASSERT_TRUE(per && anne && vera);
  const OpId goal = Goal(per->replica(), 0);
  const std::string body = TextOf(per->replica(), goal, "body");
  const size_t word = FindCp(body, "lovpålagte");
  ASSERT_NE(word, std::string::npos);
  const uint64_t seq = Seq(f);
  const OpId replace = Make(*per, [&](Replica& x) {
    return x.SuggestText(goal, "body", word, 10, "lovbestemte");
  });
  const OpId field = Make(*per, [&](Replica& x) {
    return x.SuggestField(goal, "target_year", FieldValue::Int(2031));
  });
  ASSERT_FALSE(replace.IsNull());
  ASSERT_FALSE(field.IsNull());
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.AcceptSuggestion(replace); }));
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.RejectSuggestion(field, "2026 står."); }));
  ASSERT_TRUE(Settle({per.get(), anne.get(), vera.get()}));

  Replica& seen = vera->replica();
  std::string expected = body;
  expected.replace(expected.find("lovpålagte"), std::string("lovpålagte").size(), "lovbestemte");
  EXPECT_EQ(TextOf(seen, goal, "body"), expected);
  EXPECT_EQ(seen.Field(goal, "target_year")->value.i, 2026);
  const Suggestion* s = seen.review().FindSuggestion(replace);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->status, SuggestionStatus::kAccepted);
  EXPECT_EQ(s->op.author.user, "pia");      // still the reviewer's
  EXPECT_EQ(s->decided_by.user, "anne");    // decided by the editor
  ASSERT_FALSE(s->applied.empty());
  // The edits that applied it are ordinary ops authored by the editor, and
  // the accept op names them.
  const Op* accept = nullptr;
  for (const Op* op : seen.review().OpsInOrder()) {
    if (op->kind == OpKind::kAcceptSuggestion && op->target == replace) accept = op;
  }
  ASSERT_NE(accept, nullptr);
  EXPECT_EQ(accept->author.user, "anne");
  EXPECT_EQ(accept->spans, s->applied);
  size_t edits = 0;
  for (const Op& op : seen.log()) {
    for (const IdSpan& span : s->applied) {
      if (op.id.replica == span.replica && op.id.counter >= span.counter &&
          op.id.counter < span.counter + span.length) {
        ++edits;
        EXPECT_TRUE(op.kind == OpKind::kDeleteText || op.kind == OpKind::kInsertText)
            << DescribeOp(op);
        EXPECT_EQ(op.author.user, "anne");
        EXPECT_EQ(op.author.municipality, "Moss");
      }
    }
  }
  EXPECT_GE(edits, 2u);  // a delete and an insert
  const Suggestion* r = seen.review().FindSuggestion(field);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, SuggestionStatus::kRejected);
  EXPECT_EQ(r->reason, "2026 står.");
  EXPECT_EQ(r->decided_by.user, "anne");
  // The server's view shows both people.
  Json served = HttpReview(f, f.Token("vera", "Våler", Role::kViewer), "suggestions");
  Json a = Item(served, replace);
  EXPECT_EQ(a["status"], "accepted");
  EXPECT_EQ(a["author"]["user"], "pia");
  EXPECT_EQ(a["decided_by"]["user"], "anne");
  EXPECT_FALSE(a["applied"].empty());
  EXPECT_EQ(a["stale_accepted"], false);
  Json j = Item(served, field);
  EXPECT_EQ(j["status"], "rejected");
  EXPECT_EQ(j["reason"], "2026 står.");
  EXPECT_EQ(j["decided_by"]["user"], "anne");
  // And the stored log: the editor's edits and decisions, the reviewer's
  // suggestions.
  const std::vector<Json> log = StoredLog(f, seq);
  EXPECT_EQ(CountStored(log, "suggest_text", "pia"), 1u);
  EXPECT_EQ(CountStored(log, "suggest_field", "pia"), 1u);
  EXPECT_EQ(CountStored(log, "accept_suggestion", "anne"), 1u);
  EXPECT_EQ(CountStored(log, "reject_suggestion", "anne"), 1u);
  EXPECT_GE(CountStored(log, "insert_text", "anne"), 1u);
  EXPECT_GE(CountStored(log, "delete_text", "anne"), 1u);
  EXPECT_EQ(CountStored(log, "insert_text", "pia"), 0u);
}

TEST(ReviewTest, BulkAcceptOfOnePersonAndOfASubtree) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto siri = Member(f, "siv", "Råde", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  ASSERT_TRUE(per && siri && anne);
  Replica& r = per->replica();
  const OpId goal1 = Goal(r, 0), goal2 = Goal(r, 1), goal3 = Goal(r, 2);
  // per: three in goal 1 and one in goal 3; siri: two in goal 2, one in 3.
  std::vector<OpId> per_ids, siri_goal2, siri_goal3;
  for (int i = 0; i < 3; ++i) {
    per_ids.push_back(Make(*per, [&](Replica& x) {
      return x.SuggestText(goal1, "title", 0, 0, "P" + std::to_string(i) + " ");
    }));
  }
  per_ids.push_back(Make(*per, [&](Replica& x) {
    return x.SuggestNode(goal3, 0, "subgoal", "Per sitt delmål");
  }));
  for (int i = 0; i < 2; ++i) {
    siri_goal2.push_back(Make(*siri, [&](Replica& x) {
      return x.SuggestText(goal2, "body", 0, 0, "S" + std::to_string(i) + " ");
    }));
  }
  siri_goal3.push_back(Make(*siri, [&](Replica& x) {
    return x.SuggestField(goal3, "target_year", FieldValue::Int(2029));
  }));
  ASSERT_TRUE(Settle({per.get(), siri.get(), anne.get()}));
  const std::string token = f.Token("anne", "Moss", Role::kEditor);
  // All of per's, as a client does it: list them, accept each.
  auto accept_all = [&](const std::string& path) {
    Json list = HttpReview(f, token, path);
    EXPECT_TRUE(list.contains("items")) << list.dump();
    for (const Json& s : list.value("items", Json::array())) {
      OpId id;
      ASSERT_TRUE(protocol::OpIdFromJson(s["id"], "id", &id).ok());
      ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.AcceptSuggestion(id); })) << s.dump();
    }
    ASSERT_TRUE(Settle({per.get(), siri.get(), anne.get()}));
  };
  accept_all("suggestions?author=pia&status=open");
  EXPECT_EQ(Ids(HttpReview(f, token, "suggestions?status=accepted&author=pia")),
            IdSet({per_ids[0], per_ids[1], per_ids[2], per_ids[3]}));
  EXPECT_EQ(Ids(HttpReview(f, token, "suggestions?status=open&author=pia")), IdSet({}));
  // Then all in goal 2's subtree (siri's two there, not her one in goal 3).
  accept_all("suggestions?node=" + goal2.ToString() + "&status=open");
  EXPECT_EQ(Ids(HttpReview(f, token, "suggestions?status=open&author=siv")),
            IdSet({siri_goal3[0]}));
  EXPECT_EQ(Ids(HttpReview(f, token, "suggestions?status=accepted&author=siv")),
            IdSet({siri_goal2[0], siri_goal2[1]}));
  const std::string title = TextOf(siri->replica(), goal1, "title");
  for (const char* p : {"P0 ", "P1 ", "P2 "}) EXPECT_NE(title.find(p), std::string::npos);
  const std::string body2 = TextOf(siri->replica(), goal2, "body");
  EXPECT_NE(body2.find("S0 "), std::string::npos);
  EXPECT_NE(body2.find("S1 "), std::string::npos);
  bool created = false;
  for (OpId c : ChildrenOfKind(siri->replica(), goal3, "subgoal")) {
    created = created || TextOf(siri->replica(), c, "title") == "Per sitt delmål";
  }
  EXPECT_TRUE(created);
  EXPECT_EQ(siri->replica().Field(goal3, "target_year")->value.i, 2026);
  EXPECT_EQ(siri->replica().CanonicalDump(), anne->replica().CanonicalDump());
}

TEST(ReviewTest, StaleSuggestionIsAcceptedOnlyExplicitly) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto ola = Member(f, "ola", "Vestby", Role::kEditor);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  ASSERT_TRUE(per && ola && anne);
  const OpId goal = Goal(per->replica(), 1);
  const std::string body = TextOf(per->replica(), goal, "body");
  const size_t at = FindCp(body, "Kultur er en magnet");
  ASSERT_NE(at, std::string::npos);
  const OpId field = Make(*per, [&](Replica& x) {
    return x.SuggestField(goal, "target_year", FieldValue::Int(2030));
  });
  const OpId text = Make(*per, [&](Replica& x) {
    return x.SuggestText(goal, "body", at, 6, "Kunst");
  });
  ASSERT_FALSE(field.IsNull());
  ASSERT_FALSE(text.IsNull());
  ASSERT_TRUE(Settle({per.get(), ola.get(), anne.get()}));
  // The targets change after the suggestions were made.
  ASSERT_TRUE(ola->Edit([&](Replica& x) { return x.SetField(goal, "target_year", FieldValue::Int(2028)); }));
  ASSERT_TRUE(ola->Edit([&](Replica& x) { return x.InsertText(goal, "body", at + 3, "XX"); }));
  ASSERT_TRUE(Settle({per.get(), ola.get(), anne.get()}));
  const std::string token = f.Token("anne", "Moss", Role::kEditor);
  Json served = HttpReview(f, token, "suggestions");
  for (OpId id : {field, text}) {
    Json s = Item(served, id);
    EXPECT_EQ(s["stale"], true) << s.dump();
    EXPECT_FALSE(s["change"].get<std::string>().empty());
  }
  EXPECT_EQ(Item(served, field)["now"], protocol::ValueToJson(FieldValue::Int(2028)));
  EXPECT_NE(Item(served, field)["change"].get<std::string>().find("ola"), std::string::npos)
      << Item(served, field)["change"];
  // Not without saying so: the core refuses, nothing is sent.
  const size_t sent = anne->sent_batches();
  EXPECT_FALSE(anne->Edit([&](Replica& x) { return x.AcceptSuggestion(field, false); }));
  EXPECT_FALSE(anne->Edit([&](Replica& x) { return x.AcceptSuggestion(text); }));
  EXPECT_EQ(anne->sent_batches(), sent);
  // Explicitly: accepted, and marked so.
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.AcceptSuggestion(field, true); }));
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.AcceptSuggestion(text, true); }));
  ASSERT_TRUE(Settle({per.get(), ola.get(), anne.get()}));
  served = HttpReview(f, token, "suggestions");
  for (OpId id : {field, text}) {
    Json s = Item(served, id);
    EXPECT_EQ(s["status"], "accepted");
    EXPECT_EQ(s["stale_accepted"], true) << s.dump();
  }
  EXPECT_EQ(per->replica().Field(goal, "target_year")->value.i, 2030);
  EXPECT_NE(TextOf(per->replica(), goal, "body").find("Kunst"), std::string::npos);
  EXPECT_EQ(TextOf(per->replica(), goal, "body").find("KulXXtur"), std::string::npos);
}

TEST(ReviewTest, AcceptIntoAnotherMunicipalitysPartIsRefused) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  ASSERT_TRUE(per && anne);
  const OpId measure = MeasureOf(per->replica(), Goal(per->replica(), 0), "Moss");
  ASSERT_FALSE(measure.IsNull());
  const std::string title = TextOf(per->replica(), measure, "title");
  const OpId text = Make(*per, [&](Replica& x) { return x.SuggestText(measure, "title", 0, 0, "Nytt: "); });
  const OpId status = Make(*per, [&](Replica& x) {
    return x.SuggestField(measure, "status", FieldValue::String("done"));
  });
  const OpId del = Make(*per, [&](Replica& x) { return x.SuggestDelete(measure); });
  for (OpId id : {text, status, del}) ASSERT_FALSE(id.IsNull());
  ASSERT_TRUE(Settle({per.get(), anne.get()}));
  const std::string token = f.Token("pia", "Vestby", Role::kReviewer);
  const uint64_t seq = HttpState(f, token)["seq"].get<uint64_t>();
  // ola of Vestby accepts or rejects each: the server refuses, and stores
  // nothing (each try from a fresh client: a refused one holds ops the
  // server does not have).
  for (OpId id : {text, status, del}) {
    for (bool accept : {true, false}) {
      auto ola = Member(f, "ola", "Vestby", Role::kEditor);
      ASSERT_TRUE(ola);
      ASSERT_TRUE(ola->Edit([&](Replica& x) {
        return accept ? x.AcceptSuggestion(id) : x.RejectSuggestion(id, "nei");
      }));
      ASSERT_TRUE(Answered({ola.get()}));
      ASSERT_EQ(ola->errors().size(), 1u) << id.ToString();
      EXPECT_EQ(ola->errors()[0]["code"], "forbidden") << ola->errors()[0].dump();
      EXPECT_NE(ola->errors()[0].value("message", "").find("Moss"), std::string::npos)
          << ola->errors()[0].dump();
    }
  }
  EXPECT_EQ(HttpState(f, token)["seq"].get<uint64_t>(), seq);
  anne->Pump(Ms(50));
  EXPECT_EQ(Ids(HttpReview(f, token, "suggestions?status=open&author=pia")),
            IdSet({text, status, del}));
  EXPECT_EQ(TextOf(anne->replica(), measure, "title"), title);
  // Moss's editor may.
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.AcceptSuggestion(text); }));
  ASSERT_TRUE(Settle({per.get(), anne.get()}));
  EXPECT_EQ(TextOf(per->replica(), measure, "title"), "Nytt: " + title);
}

// ---- conflicts -------------------------------------------------------------

TEST(ReviewTest, ConcurrentWritesAreListedWithWritersAndResolved) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  auto ola = Member(f, "ola", "Vestby", Role::kEditor);
  ASSERT_TRUE(anne && ola);
  const OpId goal = Goal(anne->replica(), 0);
  const OpId measure = ChildrenOfKind(anne->replica(), goal, "measure").at(0);
  const std::string token = f.Token("vera", "Våler", Role::kViewer);
  EXPECT_EQ(HttpReview(f, token, "conflicts")["items"], Json::array());
  // Both set the same field without seeing the other's write.
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.SetField(goal, "target_year", FieldValue::Int(2027)); }));
  ASSERT_TRUE(ola->Edit([&](Replica& x) { return x.SetField(goal, "target_year", FieldValue::Int(2028)); }));
  ASSERT_TRUE(Settle({anne.get(), ola.get()}));
  Json conflicts = HttpReview(f, token, "conflicts");
  ASSERT_EQ(conflicts["items"].size(), 1u) << conflicts.dump();
  const Json& c = conflicts["items"][0];
  EXPECT_EQ(c["node"], IdJson(goal));
  EXPECT_EQ(c["field"], "target_year");
  ASSERT_EQ(c["values"].size(), 2u);
  std::set<std::pair<std::string, int64_t>> writes;
  for (const Json& v : c["values"]) {
    writes.insert({v["author"]["user"].get<std::string>(), v["value"]["value"].get<int64_t>()});
  }
  EXPECT_EQ(writes, (std::set<std::pair<std::string, int64_t>>{{"anne", 2027}, {"ola", 2028}}));
  // The winner is listed first, as the field reads.
  EXPECT_EQ(c["values"][0]["value"]["value"], anne->replica().Field(goal, "target_year")->value.i);
  Json ws = WsReview(f, token, {{"query", "conflicts"}});
  EXPECT_EQ(ws["items"], conflicts["items"]);
  EXPECT_EQ(Ids(WsReview(f, token, {{"query", "conflicts"}, {"node", IdJson(measure)}})), IdSet({}));
  // An editor resolves by writing a value: it supersedes both.
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.SetField(goal, "target_year", FieldValue::Int(2029)); }));
  ASSERT_TRUE(Settle({anne.get(), ola.get()}));
  conflicts = HttpReview(f, token, "conflicts");
  EXPECT_EQ(conflicts["items"], Json::array()) << conflicts.dump();
  EXPECT_EQ(ola->replica().Field(goal, "target_year")->value.i, 2029);
  EXPECT_TRUE(ola->replica().Field(goal, "target_year")->conflicts.empty());
}

// ---- sign-off --------------------------------------------------------------

TEST(ReviewTest, SignoffApprovalsBecomeOutdatedAndMissingOnesAreListed) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto kari = Member(f, "kari", "Moss", Role::kAdmin);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  ASSERT_TRUE(kari && anne);
  const OpId goal1 = Goal(kari->replica(), 0), goal2 = Goal(kari->replica(), 1);
  const OpId measure = ChildrenOfKind(kari->replica(), goal2, "measure").at(0);
  // Goal 2 becomes Moss's alone; goal 1 stays joint.
  ASSERT_TRUE(kari->Edit([&](Replica& x) {
    return x.SetField(goal2, "owner", FieldValue::StringList({"Moss"}));
  }));
  ASSERT_TRUE(Settle({kari.get(), anne.get()}));
  const std::string token = f.Token("vera", "Våler", Role::kViewer);
  auto part = [&](const Json& signoff, OpId node) {
    for (const Json& p : signoff.value("items", Json::array())) {
      if (p["node"] == IdJson(node)) return p;
    }
    return Json();
  };
  const std::vector<std::string> all = {"Moss", "Vestby", "Råde", "Våler"};
  Json signoff = HttpReview(f, token, "signoff");
  EXPECT_EQ(signoff["complete"], false);
  EXPECT_EQ(part(signoff, goal2)["owners"], Json::array({"Moss"}));
  EXPECT_EQ(part(signoff, goal2)["missing"], Json::array({"Moss"}));
  EXPECT_EQ(part(signoff, goal1)["owners"], Json(all));
  EXPECT_EQ(part(signoff, goal1)["missing"], Json(all));
  EXPECT_EQ(part(signoff, kRootNode)["missing"], Json(all));
  EXPECT_EQ(part(signoff, measure), Json());  // measures are not parts

  // Moss approves goal 2 (its own) and goal 1 (joint, for Moss).
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.Approve(goal2, "Moss"); }));
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.Approve(goal1, "Moss"); }));
  ASSERT_TRUE(Settle({kari.get(), anne.get()}));
  // Vestby may approve the joint goal for itself, but not goal 2 (Moss's),
  // and not for another municipality.
  struct Try {
    OpId node;
    const char* municipality;
    bool allowed;
  };
  for (const Try& t : {Try{goal2, "Vestby", false}, Try{goal1, "Moss", false},
                       Try{goal2, "Moss", false}, Try{goal1, "Vestby", true}}) {
    SCOPED_TRACE(t.node.ToString() + " for " + t.municipality);
    auto ola = Member(f, "ola", "Vestby", Role::kEditor);
    ASSERT_TRUE(ola);
    ASSERT_TRUE(ola->Edit([&](Replica& x) { return x.Approve(t.node, t.municipality); }));
    ASSERT_TRUE(Answered({ola.get()}));
    if (t.allowed) {
      EXPECT_EQ(ola->acks(), 1u);
      EXPECT_TRUE(ola->errors().empty()) << ola->errors()[0].dump();
    } else {
      ASSERT_EQ(ola->errors().size(), 1u);
      EXPECT_EQ(ola->errors()[0]["code"], "forbidden");
    }
  }
  ASSERT_TRUE(Settle({kari.get(), anne.get()}));
  signoff = HttpReview(f, token, "signoff");
  Json p2 = part(signoff, goal2);
  EXPECT_EQ(p2["missing"], Json::array()) << p2.dump();
  ASSERT_EQ(p2["approvals"].size(), 1u) << p2.dump();
  EXPECT_EQ(p2["approvals"][0]["municipality"], "Moss");
  EXPECT_EQ(p2["approvals"][0]["author"]["user"], "anne");
  EXPECT_GT(p2["approvals"][0]["author"]["time"].get<int64_t>(), 0);
  EXPECT_EQ(p2["approvals"][0]["outdated"], false);
  EXPECT_EQ(part(signoff, goal1)["missing"], Json::array({"Råde", "Våler"}));

  // A later edit inside goal 2 (its measure) outdates Moss's approval.
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.InsertText(measure, "title", 0, "Endret: "); }));
  ASSERT_TRUE(Settle({kari.get(), anne.get()}));
  signoff = HttpReview(f, token, "signoff");
  p2 = part(signoff, goal2);
  ASSERT_EQ(p2["approvals"].size(), 1u);
  EXPECT_EQ(p2["approvals"][0]["outdated"], true) << p2.dump();
  EXPECT_FALSE(p2["approvals"][0]["outdated_by"].is_null());
  EXPECT_EQ(p2["missing"], Json::array({"Moss"}));
  // Goal 1's approvals are not touched by it.
  // (A named copy: a range-for over a member of a temporary reads freed
  // memory.)
  const Json goal1_part = part(signoff, goal1);
  for (const Json& a : goal1_part["approvals"]) EXPECT_EQ(a["outdated"], false);
  EXPECT_EQ(WsReview(f, token, {{"query", "signoff"}})["items"], signoff["items"]);
  // Approving again makes it current; revoking lists it missing again.
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.Approve(goal2, "Moss"); }));
  ASSERT_TRUE(Settle({kari.get(), anne.get()}));
  EXPECT_EQ(part(HttpReview(f, token, "signoff"), goal2)["missing"], Json::array());
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.RevokeApproval(goal2, "Moss"); }));
  ASSERT_TRUE(Settle({kari.get(), anne.get()}));
  p2 = part(HttpReview(f, token, "signoff"), goal2);
  EXPECT_EQ(p2["missing"], Json::array({"Moss"}));
  EXPECT_EQ(p2["approvals"], Json::array());
}

// ---- offline and durability ------------------------------------------------

TEST(ReviewTest, OfflineReviewerCommentsSyncOnReconnect) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  ASSERT_TRUE(per && anne);
  const OpId goal = Goal(per->replica(), 2);
  per->Disconnect();
  // On the train: a thread, a reply, a suggestion; all local.
  const OpId thread = Make(*per, [&](Replica& x) {
    return x.AddThread(Replica::ThreadAnchorSpec::OnText(goal, "title", 0, 13),
                       "Skrevet på toget");
  }, /*send=*/false);
  ASSERT_FALSE(thread.IsNull());
  const OpId reply = Make(*per, [&](Replica& x) { return x.Reply(thread, "Og en til"); }, false);
  const OpId sug = Make(*per, [&](Replica& x) {
    return x.SuggestText(goal, "title", 0, 0, "Forslag: ");
  }, false);
  ASSERT_FALSE(reply.IsNull());
  ASSERT_FALSE(sug.IsNull());
  // Meanwhile the editor edits the anchored text online.
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.InsertText(goal, "title", 0, "Mål 3: "); }));
  ASSERT_TRUE(Answered({anne.get()}));
  EXPECT_EQ(anne->replica().review().FindThread(thread), nullptr);
  // Back online as the same replica.
  per->Reset(f.server.port());
  ASSERT_TRUE(per->Open());
  Json joined = per->Join(kPlan);
  ASSERT_EQ(joined["type"], "joined") << joined.dump();
  EXPECT_EQ(joined["replica"].get<uint64_t>(), per->replica_id());
  ASSERT_TRUE(per->SendPending());
  ASSERT_TRUE(per->PumpUntil([&] { return per->acks() >= 1; }, kWait));
  EXPECT_TRUE(per->errors().empty()) << per->errors()[0].dump();
  ASSERT_TRUE(Settle({per.get(), anne.get()}));
  EXPECT_EQ(per->replica().CanonicalDump(), anne->replica().CanonicalDump());
  Json t = Item(LocalView(anne->replica(), {{"query", "threads"}}), thread);
  ASSERT_FALSE(t.is_null());
  EXPECT_EQ(t["author"]["user"], "pia");
  EXPECT_EQ(t["comments"].size(), 2u);
  EXPECT_EQ(t["quote"], "Mosseregionen");
  EXPECT_EQ(Slice(TextOf(anne->replica(), goal, "title"), t["place"]["from"].get<size_t>(),
                  t["place"]["to"].get<size_t>()),
            "Mosseregionen");
  EXPECT_FALSE(Item(HttpReview(f, f.Token("anne", "Moss", Role::kEditor), "suggestions"), sug)
                   .is_null());
}

TEST(ReviewTest, ReviewItemsSurviveSigkillAndAreInTheVerifiedLog) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto per = Member(f, "pia", "Vestby", Role::kReviewer);
  auto anne = Member(f, "anne", "Moss", Role::kEditor);
  ASSERT_TRUE(per && anne);
  const OpId goal = Goal(per->replica(), 0);
  const uint64_t seq = Seq(f);
  const size_t approvals = per->replica().review().approvals().size();
  const OpId thread = Make(*per, [&](Replica& x) {
    return x.AddThread(Replica::ThreadAnchorSpec::OnNode(goal), "Før krasjet", {"user:anne"});
  });
  const OpId sug = Make(*per, [&](Replica& x) {
    return x.SuggestField(goal, "target_year", FieldValue::Int(2032));
  });
  ASSERT_FALSE(thread.IsNull());
  ASSERT_FALSE(sug.IsNull());
  ASSERT_TRUE(Settle({per.get(), anne.get()}));
  ASSERT_TRUE(anne->Edit([&](Replica& x) { return x.Approve(goal, "Moss"); }));
  ASSERT_TRUE(anne->Edit([&](Replica& x) {
    return x.SetThread(thread, "due", FieldValue::Date("2026-12-01"));
  }));
  ASSERT_TRUE(Settle({per.get(), anne.get()}));
  const std::string dump = anne->replica().CanonicalDump();
  const std::string token = f.Token("vera", "Våler", Role::kViewer);
  Json threads = HttpReview(f, token, "threads");
  Json suggestions = HttpReview(f, token, "suggestions");
  Json signoff = HttpReview(f, token, "signoff");
  // kill -9 right after the acks.
  EXPECT_EQ(f.server.Signal(SIGKILL, Ms(5000)), 128 + SIGKILL);
  ASSERT_TRUE(f.Start()) << f.server.log();
  auto fresh = Member(f, "vera", "Våler", Role::kViewer);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->replica().CanonicalDump(), dump);
  EXPECT_NE(fresh->replica().review().FindThread(thread), nullptr);
  EXPECT_NE(fresh->replica().review().FindSuggestion(sug), nullptr);
  EXPECT_EQ(fresh->replica().review().approvals().size(), approvals + 1);
  EXPECT_EQ(HttpReview(f, token, "threads")["items"], threads["items"]);
  EXPECT_EQ(HttpReview(f, token, "suggestions")["items"], suggestions["items"]);
  EXPECT_EQ(HttpReview(f, token, "signoff")["items"], signoff["items"]);
  Json t = Item(threads, thread);
  EXPECT_EQ(t["comments"][0]["body"], "Før krasjet");
  EXPECT_EQ(t["due"], "2026-12-01");
  // In the stored log, by who made them, and the chain verifies.
  const std::vector<Json> log = StoredLog(f, seq);
  EXPECT_EQ(CountStored(log, "add_comment", "pia"), 1u);
  EXPECT_EQ(CountStored(log, "suggest_field", "pia"), 1u);
  EXPECT_EQ(CountStored(log, "approve", "anne"), 1u);
  EXPECT_EQ(CountStored(log, "set_thread", "anne"), 1u);
  for (const Json& line : log) {
    if (line.value("kind", "") == "add_comment") {
      EXPECT_EQ(line["op_id"], thread.ToString());
      EXPECT_EQ(line["municipality"], "Vestby");
    }
  }
  auto [rc, out] = RunSamplan("verify --data " + f.data());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("all consistent"), std::string::npos) << out;
  // The old clients reconnect and keep reviewing.
  per->Reset(f.server.port());
  ASSERT_TRUE(per->Open());
  ASSERT_EQ(per->Join(kPlan)["type"], "joined");
  ASSERT_TRUE(per->Edit([&](Replica& x) { return x.Reply(thread, "Etter krasjet").status(); }));
  ASSERT_TRUE(Answered({per.get()}));
  EXPECT_TRUE(per->errors().empty());
  auto again = Member(f, "vera", "Våler", Role::kViewer);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->replica().review().FindThread(thread)->comments.size(), 2u);
}

}  // namespace
}  // namespace samplan::testing
