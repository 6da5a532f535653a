// Integration tests of `samplan serve`: the real binary on a loopback port
// with a temporary data directory, driven by WebSocket clients.
#include <signal.h>

#include <gtest/gtest.h>

#include <random>

#include "protocol/json_codec.h"
#include "crdt/utf8.h"
#include "tests/server_harness.h"

namespace samplan::testing {
namespace {

constexpr char kPlan[] = "demo";

// The first goal (joint) and its first measure (owned by Moss).
OpId FirstGoal(Replica& r) { return r.Children(kRootNode)[0]; }
OpId MossMeasure(Replica& r) {
  for (OpId c : r.Children(FirstGoal(r))) {
    if (r.KindOf(c) == "measure") return c;
  }
  return kNullId;
}

std::string Text(Replica& r, OpId node, const char* field) {
  Result<std::string> t = r.Text(node, field);
  return t.ok() ? *t : "<error>";
}

Status InsertAtRandom(Replica& r, OpId node, std::mt19937& rng,
                      const std::string& s) {
  const size_t len = utf8::CountCodePoints(*r.Text(node, "title"));
  return r.InsertText(node, "title", rng() % (len + 1), s);
}

TEST(ServerTest, ConcurrentEditsConvergeIncludingLateJoiner) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  std::vector<std::unique_ptr<Editor>> eds;
  eds.push_back(std::make_unique<Editor>(f.server.port(), f.Token("ola", "Vestby", Role::kEditor)));
  eds.push_back(std::make_unique<Editor>(f.server.port(), f.Token("anne", "Moss", Role::kEditor)));
  eds.push_back(std::make_unique<Editor>(f.server.port(), f.Token("kari", "Moss", Role::kAdmin)));
  for (auto& e : eds) {
    ASSERT_TRUE(e->Open());
    ASSERT_EQ(e->Join(kPlan)["type"], "joined");
  }
  std::mt19937 rng(42);
  const char* words[] = {"æøå ", "Grønn ", "😀", "Råde ", "x"};
  constexpr int kRounds = 15;
  for (int round = 0; round < kRounds; ++round) {
    for (size_t i = 0; i < eds.size(); ++i) {
      Editor& e = *eds[i];
      const OpId goal = FirstGoal(e.replica());
      ASSERT_TRUE(e.Edit([&](Replica& r) {
        return InsertAtRandom(r, goal, rng, words[(round + i) % 5]);
      }));
      if (round % 5 == 4) {
        ASSERT_TRUE(e.Edit([&](Replica& r) {
          return r.SetField(goal, "target_year",
                            FieldValue::Int(2026 + static_cast<int>(i)));
        }));
      }
    }
    for (auto& e : eds) e->Pump(Ms(5));
  }
  for (auto& e : eds) {
    ASSERT_TRUE(e->PumpUntil([&] { return e->acks() == e->sent_batches(); },
                             Ms(10000)));
    EXPECT_TRUE(e->errors().empty()) << e->errors()[0].dump();
  }
  // A client that joins now gets everything.
  Editor late(f.server.port(), f.Token("siri", "Råde", Role::kEditor));
  ASSERT_TRUE(late.Open());
  ASSERT_EQ(late.Join(kPlan)["type"], "joined");
  const VersionVector final_version = late.replica().version();
  for (auto& e : eds) {
    ASSERT_TRUE(e->PumpUntil(
        [&] { return e->replica().version() == final_version; }, Ms(10000)));
    EXPECT_EQ(e->replica().CanonicalDump(), late.replica().CanonicalDump());
    EXPECT_TRUE(e->replica().CheckInvariants().ok());
  }
  const std::string title = Text(late.replica(), FirstGoal(late.replica()), "title");
  EXPECT_NE(title.find("😀"), std::string::npos);
  // The HTTP state shows the same text.
  auto [status, body] = HttpRequest(f.server.port(), "GET", "/api/plans/demo",
                                    f.Token("vera", "Våler", Role::kViewer));
  ASSERT_EQ(status, 200) << body;
  Json state = Json::parse(body);
  EXPECT_EQ(state["root"]["children"][0]["texts"]["title"], title);
  EXPECT_EQ(state["version"], protocol::VersionToJson(final_version));
}

TEST(ServerTest, AcknowledgedEditsSurviveSigkillAndSigterm) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  const std::string token = f.Token("anne", "Moss", Role::kEditor);
  Editor e(f.server.port(), token);
  ASSERT_TRUE(e.Open());
  ASSERT_EQ(e.Join(kPlan)["type"], "joined");
  const OpId goal = FirstGoal(e.replica());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(e.Edit([&](Replica& r) {
      return r.InsertText(goal, "title", 0, "k" + std::to_string(i) + " ");
    }));
  }
  ASSERT_TRUE(e.PumpUntil([&] { return e.acks() == 20; }, Ms(10000)));
  const std::string expected = Text(e.replica(), goal, "title");
  const std::string dump = e.replica().CanonicalDump();
  // kill -9 right after the acks.
  EXPECT_EQ(f.server.Signal(SIGKILL, Ms(5000)), 128 + SIGKILL);
  ASSERT_TRUE(f.Start()) << f.server.log();
  {
    Editor fresh(f.server.port(), token);
    ASSERT_TRUE(fresh.Open());
    ASSERT_EQ(fresh.Join(kPlan)["type"], "joined");
    EXPECT_EQ(Text(fresh.replica(), goal, "title"), expected);
    EXPECT_EQ(fresh.replica().CanonicalDump(), dump);
  }
  // The old client reconnects as the same replica and keeps editing.
  e.Reset(f.server.port());
  ASSERT_TRUE(e.Open());
  ASSERT_EQ(e.Join(kPlan)["type"], "joined");
  ASSERT_TRUE(e.Edit([&](Replica& r) { return r.InsertText(goal, "title", 0, "Z"); }));
  ASSERT_TRUE(e.PumpUntil([&] { return e.acks() == 21; }, Ms(10000)));
  // A clean stop: SIGTERM closes sessions with 1001 and exits 0.
  EXPECT_EQ(f.server.Signal(SIGTERM, Ms(15000)), 0) << f.server.log();
  EXPECT_TRUE(e.ws().WaitClosed(Ms(2000)));
  EXPECT_EQ(e.ws().close_code(), 1001);
  ASSERT_TRUE(f.Start()) << f.server.log();
  Editor after(f.server.port(), token);
  ASSERT_TRUE(after.Open());
  ASSERT_EQ(after.Join(kPlan)["type"], "joined");
  EXPECT_EQ(Text(after.replica(), goal, "title"), "Z" + expected);
}

TEST(ServerTest, OfflineEditsConvergeAfterReconnect) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  Editor a(f.server.port(), f.Token("anne", "Moss", Role::kEditor));
  Editor b(f.server.port(), f.Token("ola", "Vestby", Role::kEditor));
  ASSERT_TRUE(a.Open());
  ASSERT_TRUE(b.Open());
  ASSERT_EQ(a.Join(kPlan)["type"], "joined");
  ASSERT_EQ(b.Join(kPlan)["type"], "joined");
  const OpId goal = FirstGoal(a.replica());
  a.Disconnect();
  // Offline on the train: edits stay local.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(a.Edit([&](Replica& r) { return r.InsertText(goal, "body", 0, "tog "); },
                       /*send=*/false));
  }
  ASSERT_TRUE(a.Edit([&](Replica& r) {
    return r.CreateNode(goal, 0, "subgoal").ok() ? Status::OK()
                                                  : Status::InvalidArgument("x");
  }, false));
  // Meanwhile b edits online.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(b.Edit([&](Replica& r) { return r.InsertText(goal, "body", 0, "kontor "); }));
  }
  ASSERT_TRUE(b.PumpUntil([&] { return b.acks() == 5; }, Ms(10000)));
  a.Reset(f.server.port());
  ASSERT_TRUE(a.Open());
  Json joined = a.Join(kPlan);
  ASSERT_EQ(joined["type"], "joined") << joined.dump();
  EXPECT_EQ(joined["replica"].get<uint64_t>(), a.replica_id());
  ASSERT_TRUE(a.SendPending());
  ASSERT_TRUE(a.PumpUntil([&] { return a.acks() == 1; }, Ms(10000)));
  ASSERT_TRUE(b.PumpUntil([&] { return b.replica().version() == a.replica().version(); },
                          Ms(10000)));
  EXPECT_EQ(a.replica().CanonicalDump(), b.replica().CanonicalDump());
  EXPECT_TRUE(a.errors().empty());
}

TEST(ServerTest, ForbiddenEditsAreRejectedAndNeverBroadcast) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  Editor reviewer(f.server.port(), f.Token("per", "Viken", Role::kReviewer));
  Editor vestby(f.server.port(), f.Token("ola", "Vestby", Role::kEditor));
  Editor moss(f.server.port(), f.Token("anne", "Moss", Role::kEditor));
  Editor admin(f.server.port(), f.Token("kari", "Moss", Role::kAdmin));
  Editor watcher(f.server.port(), f.Token("vera", "Våler", Role::kViewer));
  for (Editor* e : {&reviewer, &vestby, &moss, &admin, &watcher}) {
    ASSERT_TRUE(e->Open());
    ASSERT_EQ(e->Join(kPlan)["type"], "joined");
  }
  const OpId goal = FirstGoal(admin.replica());
  const OpId measure = MossMeasure(admin.replica());
  ASSERT_FALSE(measure.IsNull());
  // A reviewer may not change content.
  ASSERT_TRUE(reviewer.Edit([&](Replica& r) { return r.InsertText(goal, "title", 0, "R"); }));
  ASSERT_TRUE(reviewer.PumpUntil([&] { return !reviewer.errors().empty(); }, Ms(5000)));
  EXPECT_EQ(reviewer.errors()[0]["code"], "forbidden");
  EXPECT_EQ(reviewer.errors()[0]["ref"], "b1");
  // An editor of Vestby may not change Moss's measure, nor set owners.
  ASSERT_TRUE(vestby.Edit([&](Replica& r) { return r.InsertText(measure, "title", 0, "V"); }));
  ASSERT_TRUE(vestby.PumpUntil([&] { return vestby.errors().size() == 1; }, Ms(5000)));
  EXPECT_EQ(vestby.errors()[0]["code"], "forbidden");
  EXPECT_NE(vestby.errors()[0]["message"].get<std::string>().find("owned by Moss"),
            std::string::npos);
  // The rejected op is not stored: the next op of this replica is missing
  // its predecessor, and is refused too.
  ASSERT_TRUE(vestby.Edit([&](Replica& r) { return r.InsertText(goal, "title", 0, "V"); }));
  ASSERT_TRUE(vestby.PumpUntil([&] { return vestby.errors().size() == 2; }, Ms(5000)));
  EXPECT_EQ(vestby.errors()[1]["code"], "missing_dependencies");
  // Moss may edit its own measure; nobody but admins may set "owner".
  ASSERT_TRUE(moss.Edit([&](Replica& r) { return r.InsertText(measure, "title", 0, "M"); }));
  ASSERT_TRUE(moss.PumpUntil([&] { return moss.acks() == 1; }, Ms(5000)));
  ASSERT_TRUE(moss.Edit([&](Replica& r) {
    return r.SetField(goal, "owner", FieldValue::StringList({"Moss"}));
  }));
  ASSERT_TRUE(moss.PumpUntil([&] { return moss.errors().size() == 1; }, Ms(5000)));
  EXPECT_EQ(moss.errors()[0]["code"], "forbidden");
  // The admin may set ownership; then Vestby's fresh replica can't edit it.
  ASSERT_TRUE(admin.Edit([&](Replica& r) {
    return r.SetField(goal, "owner", FieldValue::StringList({"Moss"}));
  }));
  ASSERT_TRUE(admin.PumpUntil([&] { return admin.acks() == 1; }, Ms(5000)));
  // The watcher saw exactly the two accepted batches (anne's text, kari's
  // owner), never a rejected one.
  ASSERT_TRUE(watcher.PumpUntil([&] { return watcher.ops_messages() >= 2; }, Ms(5000)));
  watcher.Pump(Ms(300));
  EXPECT_EQ(watcher.ops_messages(), 2u);
  EXPECT_EQ(Text(watcher.replica(), measure, "title").substr(0, 1), "M");
  EXPECT_EQ(Text(watcher.replica(), goal, "title").find('R'), std::string::npos);
  EXPECT_EQ(Text(watcher.replica(), goal, "title").find('V'), std::string::npos);
  Editor vestby2(f.server.port(), f.Token("ola", "Vestby", Role::kEditor));
  ASSERT_TRUE(vestby2.Open());
  ASSERT_EQ(vestby2.Join(kPlan)["type"], "joined");
  const OpId subgoal = vestby2.replica().Children(goal)[0];
  ASSERT_TRUE(vestby2.Edit([&](Replica& r) { return r.InsertText(subgoal, "title", 0, "V"); }));
  ASSERT_TRUE(vestby2.PumpUntil([&] { return vestby2.errors().size() == 1; }, Ms(5000)));
  EXPECT_EQ(vestby2.errors()[0]["code"], "forbidden") << "ownership is inherited";
  // The viewer cannot send ops either.
  ASSERT_TRUE(watcher.Edit([&](Replica& r) { return r.InsertText(goal, "body", 0, "W"); }));
  ASSERT_TRUE(watcher.PumpUntil([&] { return watcher.errors().size() == 1; }, Ms(5000)));
  EXPECT_EQ(watcher.errors()[0]["code"], "forbidden");
  // A replica id is bound to its session: forging another's is refused.
  Json forged = {{"v", 1}, {"type", "ops"}, {"ref", "f"},
                 {"ops", Json::array({{{"id", {admin.replica_id(), 999}},
                                       {"lamport", 99999},
                                       {"kind", "set_field"},
                                       {"node", {goal.replica, goal.counter}},
                                       {"name", "status"},
                                       {"value", {{"type", "string"}, {"value", "x"}}}}})}};
  ASSERT_TRUE(moss.ws().Send(forged));
  ASSERT_TRUE(moss.PumpUntil([&] { return moss.errors().size() == 2; }, Ms(5000)));
  EXPECT_EQ(moss.errors()[1]["code"], "forbidden");
}

TEST(ServerTest, BadInputGetsErrorsWhileOthersKeepWorking) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--max-message-bytes", "65536", "--rate", "50", "--burst",
                       "50", "--max-batch-ops", "10"}))
      << f.server.log();
  Editor good(f.server.port(), f.Token("anne", "Moss", Role::kEditor));
  ASSERT_TRUE(good.Open());
  ASSERT_EQ(good.Join(kPlan)["type"], "joined");
  const OpId goal = FirstGoal(good.replica());
  WsClient bad;
  ASSERT_TRUE(bad.Connect(f.server.port()));
  auto expect_error = [&](const std::string& text, const std::string& code, bool binary) {
    ASSERT_TRUE(binary ? bad.SendBinary(text) : bad.SendText(text));
    std::optional<Json> m = bad.ReadType("error", Ms(5000));
    ASSERT_TRUE(m) << "no error for " << text.substr(0, 60);
    EXPECT_EQ((*m)["code"], code) << m->dump();
  };
  expect_error("{not json", "bad_json", false);
  expect_error("[1,2]", "bad_message", false);
  expect_error(R"({"v":1,"type":"launch_missiles"})", "unknown_type", false);
  expect_error(R"({"v":2,"type":"ping"})", "unsupported_version", false);
  expect_error(R"({"v":1,"type":"join","plan":"demo"})", "not_authenticated", false);
  expect_error(std::string("{\"v\":1,\"type\":\"ping\",\"ref\":\"\xff\xfe\"}"), "bad_json", true);
  expect_error(R"({"v":1,"type":"auth","token":"abc.def.ghi"})", "auth_failed", false);
  ASSERT_TRUE(bad.Send(Json{{"v", 1}, {"type", "auth"},
                            {"token", f.Token("ola", "Vestby", Role::kEditor)}}));
  ASSERT_TRUE(bad.ReadType("authenticated", Ms(5000)));
  expect_error(R"({"v":1,"type":"join","plan":"nope"})", "plan_not_found", false);
  ASSERT_TRUE(bad.Send(Json{{"v", 1}, {"type", "join"}, {"plan", kPlan}}));
  ASSERT_TRUE(bad.ReadType("joined", Ms(5000)));
  expect_error(R"({"v":1,"type":"ops","ops":[{"kind":"insert_text","id":"x"}]})",
               "invalid_op", false);
  expect_error(R"({"v":1,"type":"ops","ops":[{"kind":"insert_text","id":[5000000000,1],"lamport":1,"node":[1,2],"name":"title","text":"x"}]})",
               "forbidden", false);
  Json big_batch = {{"v", 1}, {"type", "ops"}, {"ops", Json::array()}};
  for (int i = 0; i < 11; ++i) big_batch["ops"].push_back(Json::object());
  expect_error(big_batch.dump(), "batch_too_large", false);
  // The connection still works.
  ASSERT_TRUE(bad.SendText(R"({"v":1,"type":"ping","ref":"p"})"));
  std::optional<Json> pong = bad.ReadType("pong", Ms(5000));
  ASSERT_TRUE(pong);
  EXPECT_EQ((*pong)["ref"], "p");
  // Flooding: past the rate limit messages are dropped with rate_limited.
  for (int i = 0; i < 200; ++i) bad.SendText(R"({"v":1,"type":"ping"})");
  std::optional<Json> limited = bad.ReadType("error", Ms(5000));
  ASSERT_TRUE(limited);
  EXPECT_EQ((*limited)["code"], "rate_limited");
  // Oversized: closed with 1009.
  // If the server's close overtakes the client's own write, TCP may reset
  // the connection and drop the close frame before the client reads it;
  // that is a transport race, so try again on a fresh connection and
  // demand 1009 from an attempt whose write went through.
  int oversized_attempts = 0;
  for (bool done = false; !done && oversized_attempts < 5;) {
    WsClient huge;
    ASSERT_TRUE(huge.Connect(f.server.port()));
    ++oversized_attempts;
    const bool sent = huge.SendText(std::string(100000, ' '));
    EXPECT_TRUE(huge.WaitClosed(Ms(5000)));
    if (!sent) continue;
    EXPECT_EQ(huge.close_code(), 1009) << "read error: " << huge.close_error();
    done = true;
  }
  // Meanwhile the good client edits as usual.
  ASSERT_TRUE(good.Edit([&](Replica& r) { return r.InsertText(goal, "title", 0, "ok "); }));
  ASSERT_TRUE(good.PumpUntil([&] { return good.acks() == 1; }, Ms(5000)));
  EXPECT_TRUE(good.errors().empty());
  auto [status, metrics] = HttpRequest(f.server.port(), "GET", "/metrics");
  EXPECT_EQ(status, 200);
  EXPECT_NE(metrics.find("samplan_oversized_messages_total " +
                         std::to_string(oversized_attempts)),
            std::string::npos);
  EXPECT_NE(metrics.find("samplan_ops_accepted_total 1"), std::string::npos);
}

TEST(ServerTest, ClientThatStopsReadingIsDisconnected) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--send-queue-limit", "8", "--send-queue-bytes", "2000000"}))
      << f.server.log();
  Editor writer(f.server.port(), f.Token("kari", "Moss", Role::kAdmin));
  ASSERT_TRUE(writer.Open());
  ASSERT_EQ(writer.Join(kPlan)["type"], "joined");
  Editor sleeper(f.server.port(), f.Token("vera", "Våler", Role::kViewer));
  ASSERT_TRUE(sleeper.Open());
  ASSERT_EQ(sleeper.Join(kPlan)["type"], "joined");
  Editor reader(f.server.port(), f.Token("per", "Viken", Role::kReviewer));
  ASSERT_TRUE(reader.Open());
  ASSERT_EQ(reader.Join(kPlan)["type"], "joined");
  // The sleeper never reads; 80 broadcasts of 200 KB (a field rewritten,
  // so memory stays flat) overflow its socket buffers and then its queue,
  // while the reader keeps up.
  for (int i = 0; i < 80; ++i) {
    const std::string value(200000, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(writer.Edit([&](Replica& r) {
      return r.SetField(kRootNode, "vision", FieldValue::String(value));
    }));
    ASSERT_TRUE(writer.PumpUntil([&] { return writer.acks() == static_cast<size_t>(i + 1); },
                                 Ms(10000)));
    ASSERT_TRUE(reader.PumpUntil(
        [&] { return reader.replica().version() == writer.replica().version(); },
        Ms(10000)));
  }
  auto [status, metrics] = HttpRequest(f.server.port(), "GET", "/metrics");
  EXPECT_NE(metrics.find("samplan_slow_clients_disconnected_total 1"), std::string::npos)
      << metrics;
  EXPECT_TRUE(sleeper.ws().WaitClosed(Ms(10000)));
}

TEST(ServerTest, PresenceIsSharedAndClearedOnDisconnect) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  Editor a(f.server.port(), f.Token("anne", "Moss", Role::kEditor));
  Editor b(f.server.port(), f.Token("per", "Viken", Role::kReviewer));
  ASSERT_TRUE(a.Open());
  ASSERT_TRUE(b.Open());
  ASSERT_EQ(a.Join(kPlan)["type"], "joined");
  Json joined = b.Join(kPlan);
  ASSERT_EQ(joined["peers"].size(), 1u);
  EXPECT_EQ(joined["peers"][0]["user"], "anne");
  const OpId goal = FirstGoal(a.replica());
  Result<Anchor> anchor = a.replica().AnchorAtText(goal, "title", 3, Anchor::Side::kBefore);
  Result<Anchor> head = a.replica().AnchorAtText(goal, "title", 7, Anchor::Side::kAfter);
  ASSERT_TRUE(anchor.ok());
  ASSERT_TRUE(head.ok());
  // A selection: caret (anchor) and its other end (head).
  a.ws().Send(Json{{"v", 1}, {"type", "presence"},
                   {"anchor", protocol::AnchorToJson(*anchor)},
                   {"head", protocol::AnchorToJson(*head)}, {"typing", true}});
  ASSERT_TRUE(b.PumpUntil([&] {
    for (const Json& p : b.presence()) {
      if (p["type"] == "presence" && p["user"] == "anne" && p["typing"] == true &&
          p["head"] == protocol::AnchorToJson(*head) &&
          p["anchor"] == protocol::AnchorToJson(*anchor)) {
        return true;
      }
    }
    return false;
  }, Ms(5000)));
  a.Disconnect();
  ASSERT_TRUE(b.PumpUntil([&] { return b.presence().back()["type"] == "presence_left"; },
                          Ms(5000)));
}

TEST(ServerTest, HttpApiAndOriginChecks) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--allow-origin", "https://plan.example"})) << f.server.log();
  const uint16_t port = f.server.port();
  EXPECT_EQ(HttpRequest(port, "GET", "/healthz").first, 200);
  EXPECT_EQ(HttpRequest(port, "GET", "/api/plans").first, 401);
  EXPECT_EQ(HttpRequest(port, "GET", "/api/plans", "garbage").first, 401);
  auto [status, body] = HttpRequest(port, "GET", "/api/plans",
                                    f.Token("arne", "Moss", Role::kAuditor));
  ASSERT_EQ(status, 200);
  Json plans = Json::parse(body);
  ASSERT_EQ(plans["plans"].size(), 1u);
  EXPECT_EQ(plans["plans"][0]["id"], "demo");
  EXPECT_EQ(plans["plans"][0]["role"], "auditor");
  const std::string other = MintToken(f.data(), "x", "Moss", "other", Role::kAdmin);
  EXPECT_EQ(Json::parse(HttpRequest(port, "GET", "/api/plans", other).second)["plans"].size(), 0u);
  EXPECT_EQ(HttpRequest(port, "GET", "/api/plans/demo", other).first, 404);
  // Creating a plan: admins only; then it can be joined and edited.
  const std::string admin = MintToken(f.data(), "kari", "Moss", "*", Role::kAdmin);
  EXPECT_EQ(HttpRequest(port, "POST", "/api/plans", f.Token("ola", "Vestby", Role::kEditor),
                        R"({"id":"demo2"})").first, 403);
  EXPECT_EQ(HttpRequest(port, "POST", "/api/plans", admin, R"({"id":"bad id"})").first, 400);
  EXPECT_EQ(HttpRequest(port, "POST", "/api/plans", admin,
                        R"({"id":"vestby-2027","title":"Vestby 2027"})").first, 201);
  EXPECT_EQ(HttpRequest(port, "POST", "/api/plans", admin, R"({"id":"vestby-2027"})").first,
            409);
  {
    Editor e(port, admin);
    ASSERT_TRUE(e.Open());
    ASSERT_EQ(e.Join("vestby-2027")["type"], "joined");
    ASSERT_TRUE(e.Edit([](Replica& r) { return r.CreateNode(kRootNode, 0, "goal").status(); }));
    ASSERT_TRUE(e.PumpUntil([&] { return e.acks() == 1; }, Ms(5000)));
  }
  EXPECT_EQ(Json::parse(HttpRequest(port, "GET", "/api/plans", admin).second)["plans"].size(), 2u);
  auto [s2, login] = HttpRequest(port, "POST", "/api/demo-login", "", R"({"user":"ola"})");
  ASSERT_EQ(s2, 200);
  const std::string token = Json::parse(login)["token"];
  EXPECT_EQ(HttpRequest(port, "GET", "/api/plans/demo", token).first, 200);
  // Origins: an allowed one, a foreign one, none (not a browser).
  WsClient ok, evil, none;
  EXPECT_TRUE(ok.Connect(port, "https://plan.example"));
  EXPECT_FALSE(evil.Connect(port, "https://evil.example"));
  EXPECT_TRUE(none.Connect(port, "", token));
  // A Bearer header on the upgrade authenticates directly.
  ASSERT_TRUE(none.Send(Json{{"v", 1}, {"type", "join"}, {"plan", kPlan}}));
  EXPECT_TRUE(none.ReadType("joined", Ms(5000)));
}

}  // namespace
}  // namespace samplan::testing

namespace samplan::testing {
namespace {

TEST(ServerTest, UnauthenticatedClientsAreClosedAndCliTokensWork) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--auth-timeout", "1"})) << f.server.log();
  WsClient idle;
  ASSERT_TRUE(idle.Connect(f.server.port()));
  std::optional<Json> m = idle.ReadType("error", Ms(5000));
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["code"], "not_authenticated");
  EXPECT_TRUE(idle.WaitClosed(Ms(5000)));
  EXPECT_EQ(idle.close_code(), 1008);
  // `samplan token` mints with the same secret.
  const std::string cmd = std::string(SAMPLAN_BINARY) +
                          " token --user siri --municipality Råde --plan demo"
                          " --role editor --ttl 60 --data " + f.data();
  std::FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096] = {0};
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, p);
  EXPECT_EQ(::pclose(p), 0);
  std::string token(buf, n);
  while (!token.empty() && token.back() == '\n') token.pop_back();
  Editor e(f.server.port(), token);
  ASSERT_TRUE(e.Open());
  Json joined = e.Join(kPlan);
  EXPECT_EQ(joined["type"], "joined");
  EXPECT_EQ(joined["role"], "editor");
  // An expired token is refused.
  Editor old(f.server.port(), MintToken(f.data(), "x", "Moss", kPlan, Role::kAdmin, -5));
  EXPECT_FALSE(old.Open());
}

}  // namespace
}  // namespace samplan::testing

namespace samplan::testing {
namespace {

// One random local edit of any kind; an edit the core refuses (a move
// into its own subtree, a kind not allowed there, ...) is simply skipped.
void RandomEdit(Replica& r, std::mt19937& rng) {
  const std::vector<OpId> nodes = LiveNodes(r);
  const OpId node = nodes[rng() % nodes.size()];
  const KindSchema* kind = r.schema().Find(r.KindOf(node));
  if (kind == nullptr) return;
  const int dice = rng() % 100;
  if (dice < 35 && !kind->texts.empty()) {
    const std::string field = *kind->texts.begin();
    const size_t len = utf8::CountCodePoints(*r.Text(node, field));
    const char* words[] = {"å", "Vestby ", "😀", "mål ", "ø"};
    (void)r.InsertText(node, field, rng() % (len + 1), words[rng() % 5]);
  } else if (dice < 45 && !kind->texts.empty()) {
    const std::string field = *kind->texts.begin();
    const size_t len = utf8::CountCodePoints(*r.Text(node, field));
    if (len > 0) {
      const size_t pos = rng() % len;
      (void)r.DeleteText(node, field, pos, 1 + rng() % std::min<size_t>(3, len - pos));
    }
  } else if (dice < 60 && !kind->children.empty()) {
    auto it = kind->children.begin();
    std::advance(it, rng() % kind->children.size());
    (void)r.CreateNode(node, rng() % (r.Children(node).size() + 1), *it);
  } else if (dice < 72 && node != kRootNode) {
    const OpId parent = nodes[rng() % nodes.size()];
    if (r.schema().CheckChild(r.KindOf(parent), r.KindOf(node)).ok()) {
      (void)r.MoveNode(node, parent, rng() % (r.Children(parent).size() + 1));
    }
  } else if (dice < 77 && node != kRootNode) {
    (void)r.DeleteNode(node);
  } else {
    for (const auto& [name, type] : kind->fields) {
      if (type == ValueType::kString && name != "owner") {
        (void)r.SetField(node, name, FieldValue::String("v" + std::to_string(rng() % 100)));
        break;
      }
      if (type == ValueType::kInt) {
        (void)r.SetField(node, name, FieldValue::Int(rng() % 3000));
        break;
      }
    }
  }
}

TEST(ServerTest, RandomizedTreeTextAndFieldEditsConverge) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  constexpr int kClients = 4;
  std::vector<std::unique_ptr<Editor>> eds;
  for (int i = 0; i < kClients; ++i) {
    eds.push_back(std::make_unique<Editor>(
        f.server.port(), f.Token("admin" + std::to_string(i), "Moss", Role::kAdmin)));
    ASSERT_TRUE(eds[i]->Open());
    ASSERT_EQ(eds[i]->Join(kPlan)["type"], "joined");
  }
  const char* seed = std::getenv("SAMPLAN_SERVER_SEED");
  std::mt19937 rng(seed != nullptr ? std::atoi(seed) : 2026);
  constexpr int kRounds = 40;
  size_t lost_acks = 0;
  for (int round = 0; round < kRounds; ++round) {
    // Client 3 is offline for rounds 10..24 and keeps editing locally.
    if (round == 10) {
      // Batches not acknowledged yet lose their acks (not their ops).
      lost_acks = eds[3]->sent_batches() - eds[3]->acks();
      eds[3]->Disconnect();
    }
    if (round == 25) {
      eds[3]->Reset(f.server.port());
      ASSERT_TRUE(eds[3]->Open());
      ASSERT_EQ(eds[3]->Join(kPlan)["type"], "joined");
      ASSERT_TRUE(eds[3]->SendPending());
    }
    const bool offline = round >= 10 && round < 25;
    for (int i = 0; i < kClients; ++i) {
      const int edits = 1 + rng() % 3;
      for (int k = 0; k < edits; ++k) RandomEdit(eds[i]->replica(), rng);
      if (i == 3 && offline) continue;
      ASSERT_TRUE(eds[i]->SendPending());
    }
    for (int i = 0; i < kClients; ++i) {
      if (i == 3 && offline) continue;
      eds[i]->Pump(Ms(rng() % 3 == 0 ? 20 : 1));
    }
  }
  // Client 3 may have lost acks when it dropped its connection; the
  // others get one ack per batch.
  for (int i = 0; i < kClients; ++i) {
    Editor& e = *eds[i];
    const size_t lost = i == 3 ? lost_acks : 0;
    e.PumpUntil([&] { return e.acks() + e.errors().size() + lost >= e.sent_batches(); },
                Ms(15000));
    ASSERT_TRUE(e.errors().empty()) << e.errors()[0].dump();
    ASSERT_GE(e.acks() + lost, e.sent_batches()) << "client " << i << "\n" << f.server.log();
  }
  Editor late(f.server.port(), f.Token("late", "Våler", Role::kViewer));
  ASSERT_TRUE(late.Open());
  ASSERT_EQ(late.Join(kPlan)["type"], "joined");
  const std::string expected = late.replica().CanonicalDump();
  for (auto& e : eds) {
    ASSERT_TRUE(e->PumpUntil(
        [&] { return e->replica().version() == late.replica().version(); }, Ms(15000)));
    EXPECT_EQ(e->replica().CanonicalDump(), expected);
    EXPECT_TRUE(e->replica().CheckInvariants().ok());
  }
  // And the server has the same after a restart.
  EXPECT_EQ(f.server.Signal(SIGTERM, Ms(15000)), 0);
  ASSERT_TRUE(f.Start()) << f.server.log();
  Editor after(f.server.port(), f.Token("after", "Våler", Role::kViewer));
  ASSERT_TRUE(after.Open());
  ASSERT_EQ(after.Join(kPlan)["type"], "joined");
  EXPECT_EQ(after.replica().CanonicalDump(), expected);
}

}  // namespace
}  // namespace samplan::testing

namespace samplan::testing {
namespace {

TEST(ServerTest, PlansReloadFromSnapshotsAndNewClientsGetOne) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--snapshot-every", "20", "--snapshot-interval", "1"}))
      << f.server.log();
  const std::string token = f.Token("anne", "Moss", Role::kEditor);
  Editor e(f.server.port(), token);
  ASSERT_TRUE(e.Open());
  ASSERT_EQ(e.Join(kPlan)["type"], "joined");
  const OpId goal = FirstGoal(e.replica());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(e.Edit([&](Replica& r) {
      return r.SetField(goal, "target_year", FieldValue::Int(2000 + i));
    }));
  }
  ASSERT_TRUE(e.PumpUntil([&] { return e.acks() == 40; }, Ms(10000)));
  // Let the scheduler write the snapshot (bounded wait), then restart.
  std::this_thread::sleep_for(Ms(1500));
  EXPECT_EQ(f.server.Signal(SIGTERM, Ms(15000)), 0);
  ASSERT_TRUE(f.Start({"--snapshot-every", "20"})) << f.server.log();
  Editor fresh(f.server.port(), f.Token("vera", "Våler", Role::kViewer));
  ASSERT_TRUE(fresh.Open());
  ASSERT_EQ(fresh.Join(kPlan)["type"], "joined");
  EXPECT_EQ(fresh.snapshots(), 1u) << "the room was loaded from a snapshot";
  EXPECT_EQ(fresh.replica().CanonicalDump(), e.replica().CanonicalDump());
  // The old client resumes with its version: it gets ops, not a snapshot,
  // and both keep converging.
  e.Reset(f.server.port());
  ASSERT_TRUE(e.Open());
  Json ej = e.Join(kPlan);
  ASSERT_EQ(ej["type"], "joined") << ej.dump();
  EXPECT_EQ(e.snapshots(), 0u);
  ASSERT_TRUE(e.Edit([&](Replica& r) { return r.InsertText(goal, "title", 0, "S "); }));
  ASSERT_TRUE(e.PumpUntil([&] { return e.acks() == 41; }, Ms(10000)));
  ASSERT_TRUE(fresh.PumpUntil(
      [&] { return fresh.replica().version() == e.replica().version(); }, Ms(10000)));
  EXPECT_EQ(fresh.replica().CanonicalDump(), e.replica().CanonicalDump());
}

}  // namespace
}  // namespace samplan::testing

namespace samplan::testing {
namespace {

TEST(ServerTest, IdleAndInvalidUtf8ConnectionsAreClosed) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--idle-timeout", "2"})) << f.server.log();
  const std::string token = f.Token("vera", "Våler", Role::kViewer);
  // A client that answers pings (it is reading) stays.
  WsClient alive;
  ASSERT_TRUE(alive.Connect(f.server.port(), "", token));
  // One that never reads is closed by the idle timeout (no pong).
  WsClient silent;
  ASSERT_TRUE(silent.Connect(f.server.port(), "", token));
  // Nothing arrives but pings, which are answered while reading; the
  // silent client's idle time runs out meanwhile (ping at 1 s, close at 2 s).
  alive.Read(Ms(3000));
  EXPECT_FALSE(alive.closed());
  EXPECT_TRUE(silent.WaitClosed(Ms(3000)));
  // Invalid UTF-8 in a text frame: closed with 1007 as RFC 6455 requires.
  WsClient bad;
  ASSERT_TRUE(bad.Connect(f.server.port(), "", token));
  bad.SendText(std::string("{\"v\":1,\"type\":\"ping\",\"ref\":\"\xc3\x28\"}"));
  EXPECT_TRUE(bad.WaitClosed(Ms(3000)));
  EXPECT_EQ(bad.close_code(), 1007);
  ASSERT_TRUE(alive.Send(Json{{"v", 1}, {"type", "ping"}, {"ref", "still"}}));
  EXPECT_TRUE(alive.ReadType("pong", Ms(2000)));
}

}  // namespace
}  // namespace samplan::testing
