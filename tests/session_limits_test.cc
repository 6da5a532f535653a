// Trust-boundary tests of `samplan serve` (issue 7, network and session
// part): what an unauthenticated or hostile client can make the server do.
// Each test starts the real binary on 127.0.0.1 with a temporary data
// directory and attacks it over WebSocket/HTTP like a client would. Every
// loop is bounded in count and time; no test asserts a duration.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "protocol/base64.h"
#include "protocol/json_codec.h"
#include "tests/server_harness.h"

namespace samplan::testing {
namespace {

constexpr char kPlan[] = "demo";

Json Auth(const std::string& token) {
  return Json{{"v", 1}, {"type", "auth"}, {"token", token}};
}

// True when `client` gets the pong of a ping (the server still serves it).
bool PingPong(WsClient& client, const std::string& ref) {
  if (!client.Send(Json{{"v", 1}, {"type", "ping"}, {"ref", ref}})) return false;
  std::optional<Json> pong = client.ReadType("pong", Ms(10000));
  return pong && (*pong)["ref"] == ref;
}

// A join whose version vector has `entries` distinct replicas (small ids:
// as many entries per byte as the wire allows).
std::string JoinWithVersion(size_t entries) {
  std::string text = R"({"v":1,"type":"join","plan":"demo","version":[)";
  for (size_t i = 0; i < entries; ++i) {
    if (i) text += ',';
    text += '[' + std::to_string(i + 1) + ",1]";
  }
  return text + "]}";
}

// ---- 1: bounded work before authentication ---------------------------------

TEST(SessionLimitsTest, UnauthenticatedHugeJoinIsClosedWithoutParsing) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  Editor bystander(f.server.port(), f.Token("anne", "Moss", Role::kEditor));
  ASSERT_TRUE(bystander.Open());
  ASSERT_EQ(bystander.Join(kPlan)["type"], "joined");
  // ~1 MiB join with ~95,000 version entries, no token: refused as too big
  // for a stranger (1009), not parsed and answered.
  const std::string huge_join = JoinWithVersion(95000);
  ASSERT_GT(huge_join.size(), 900000u);
  ASSERT_LT(huge_join.size(), size_t{1} << 20);
  for (int attacker = 0; attacker < 3; ++attacker) {
    RawWs ws;
    ASSERT_TRUE(ws.Connect(f.server.port()));
    ws.Write(huge_join, Ms(10000));  // may fail once the server closes
    EXPECT_EQ(ws.WaitCloseCode(Ms(15000)), 1009) << ws.last_error();
    // The bystander is answered between attacks.
    EXPECT_TRUE(PingPong(bystander.ws(), "p" + std::to_string(attacker)));
  }
  // A small message before auth still gets its ordinary answer.
  WsClient stranger;
  ASSERT_TRUE(stranger.Connect(f.server.port()));
  ASSERT_TRUE(stranger.SendText(R"({"v":1,"type":"join","plan":"demo"})"));
  std::optional<Json> err = stranger.ReadType("error", Ms(5000));
  ASSERT_TRUE(err);
  EXPECT_EQ((*err)["code"], "not_authenticated");
  EXPECT_TRUE(PingPong(stranger, "s"));
}

TEST(SessionLimitsTest, JoinVersionVectorIsCapped) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  WsClient c;
  ASSERT_TRUE(c.Connect(f.server.port()));
  ASSERT_TRUE(c.Send(Auth(f.Token("ola", "Vestby", Role::kEditor))));
  ASSERT_TRUE(c.ReadType("authenticated", Ms(5000)));
  ASSERT_TRUE(c.SendText(JoinWithVersion(10001)));
  std::optional<Json> err = c.ReadType("error", Ms(10000));
  ASSERT_TRUE(err);
  EXPECT_EQ((*err)["code"], "bad_message") << err->dump();
  EXPECT_NE((*err)["message"].get<std::string>().find("10000"), std::string::npos)
      << err->dump();
  // Not joined: the session can still join normally.
  ASSERT_TRUE(c.Send(Json{{"v", 1}, {"type", "join"}, {"plan", kPlan}}));
  EXPECT_TRUE(c.ReadType("joined", Ms(10000)));
}

// ---- 2: 1009 reaches a client that is still writing ------------------------

TEST(SessionLimitsTest, OversizedMessageClosesWith1009WhileClientWrites) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();  // limit 1 MiB after auth
  const std::string token = f.Token("ola", "Vestby", Role::kEditor);
  for (size_t mib : {8, 32}) {
    RawWs ws;
    ASSERT_TRUE(ws.Connect(f.server.port()));
    ASSERT_TRUE(ws.Write(Auth(token).dump(), Ms(5000)));
    // One message far over the limit, sent in one write.
    const bool written = ws.Write(std::string(mib << 20, 'x'), Ms(30000));
    EXPECT_TRUE(written) << mib << " MiB: the server stopped draining";
    EXPECT_EQ(ws.WaitCloseCode(Ms(15000)), 1009)
        << mib << " MiB: " << ws.last_error();
  }
  WsClient after;
  ASSERT_TRUE(after.Connect(f.server.port()));
  EXPECT_TRUE(PingPong(after, "after"));
}

// ---- 3 and 4: closing a flooding connection ---------------------------------

// Sends pings in bursts of `burst` with a short pause, so that a few
// tokens refill between bursts (a sustained flood, not one spike), until
// the connection fails or `max_messages` went out.
size_t PacedFlood(WsClient& c, size_t max_messages, size_t burst) {
  size_t sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (sent < max_messages && std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < burst; ++i, ++sent) {
      if (!c.SendText(R"({"v":1,"type":"ping"})")) return sent;
    }
    std::this_thread::sleep_for(Ms(5));
  }
  return sent;
}

TEST(SessionLimitsTest, SustainedFloodIsClosedWith1008) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--rate", "200", "--burst", "10"})) << f.server.log();
  WsClient flooder;
  ASSERT_TRUE(flooder.Connect(f.server.port()));
  ASSERT_TRUE(flooder.Send(Auth(f.Token("ola", "Vestby", Role::kEditor))));
  ASSERT_TRUE(flooder.ReadType("authenticated", Ms(5000)));
  // ~20x the rate: one message in twenty gets a token, the rest are refused.
  PacedFlood(flooder, 20000, 20);
  ASSERT_TRUE(flooder.WaitClosed(Ms(15000)));
  EXPECT_EQ(flooder.close_code(), 1008) << flooder.close_error();
  WsClient other;
  ASSERT_TRUE(other.Connect(f.server.port()));
  EXPECT_TRUE(PingPong(other, "alive"));
}

TEST(SessionLimitsTest, ClosesDuringBroadcastsAndErrorsKeepServerHealthy) {
  ServerFixture f;
  // The writer's 20 edits per round fit in the burst; the flooders' pings
  // do not.
  ASSERT_TRUE(f.Start({"--rate", "100", "--burst", "40"})) << f.server.log();
  const uint16_t port = f.server.port();
  Editor writer(port, f.Token("anne", "Moss", Role::kAdmin));
  ASSERT_TRUE(writer.Open());
  ASSERT_EQ(writer.Join(kPlan)["type"], "joined");
  const OpId goal = writer.replica().Children(kRootNode)[0];
  for (int round = 0; round < 4; ++round) {
    // Flooders joined to the plan: each gets broadcasts, pongs and
    // rate_limited errors queued while the server decides to close it.
    std::vector<std::unique_ptr<Editor>> flooders;
    for (int i = 0; i < 3; ++i) {
      flooders.push_back(std::make_unique<Editor>(
          port, f.Token("vera" + std::to_string(i), "Våler", Role::kViewer)));
      ASSERT_TRUE(flooders.back()->Open());
      ASSERT_EQ(flooders.back()->Join(kPlan)["type"], "joined");
    }
    for (int k = 0; k < 20; ++k) {
      ASSERT_TRUE(writer.Edit([&](Replica& r) {
        return r.InsertText(goal, "title", 0, "x");
      }));
      for (auto& fl : flooders) {
        for (int m = 0; m < 30; ++m) fl->ws().SendText(R"({"v":1,"type":"ping"})");
      }
    }
    for (auto& fl : flooders) PacedFlood(fl->ws(), 3000, 30);
    for (auto& fl : flooders) {
      EXPECT_TRUE(fl->ws().WaitClosed(Ms(15000)));
      EXPECT_EQ(fl->ws().close_code(), 1008) << fl->ws().close_error();
    }
    ASSERT_TRUE(writer.PumpUntil([&] { return writer.acks() == 20u * (round + 1); },
                                 Ms(15000)))
        << "acks " << writer.acks() << ", errors "
        << (writer.errors().empty() ? "" : writer.errors()[0].dump());
  }
  EXPECT_TRUE(writer.errors().empty());
  EXPECT_TRUE(PingPong(writer.ws(), "healthy"));
  EXPECT_EQ(::kill(f.server.pid(), 0), 0);
  EXPECT_EQ(HttpRequest(port, "GET", "/healthz").first, 200);
}

// ---- 5: token expiry closes a silent session --------------------------------

TEST(SessionLimitsTest, ExpiredTokenClosesSilentViewer) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  Editor viewer(f.server.port(), f.Token("vera", "Våler", Role::kViewer, 2));
  ASSERT_TRUE(viewer.Open());
  ASSERT_EQ(viewer.Join(kPlan)["type"], "joined");
  // The viewer stays silent; the server must act on its own.
  std::optional<Json> err = viewer.ws().ReadType("error", Ms(15000));
  ASSERT_TRUE(err) << "no error before close; closed=" << viewer.ws().closed();
  EXPECT_EQ((*err)["code"], "auth_failed");
  EXPECT_NE((*err)["message"].get<std::string>().find("expired"), std::string::npos);
  ASSERT_TRUE(viewer.ws().WaitClosed(Ms(15000)));
  EXPECT_EQ(viewer.ws().close_code(), 1008);
  // A token given on the upgrade request expires the same way.
  WsClient header;
  ASSERT_TRUE(header.Connect(f.server.port(), "",
                             f.Token("vera", "Våler", Role::kViewer, 2)));
  ASSERT_TRUE(header.Send(Json{{"v", 1}, {"type", "join"}, {"plan", kPlan}}));
  ASSERT_TRUE(header.ReadType("joined", Ms(10000)));
  ASSERT_TRUE(header.WaitClosed(Ms(15000)));
  EXPECT_EQ(header.close_code(), 1008);
}

// ---- 6: --max-connections under a burst -------------------------------------

TEST(SessionLimitsTest, MaxConnectionsHoldsUnderBurstOfUpgrades) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--max-connections", "20"})) << f.server.log();
  const uint16_t port = f.server.port();
  constexpr int kClients = 60;
  // All TCP connections first, then all upgrades at once: the server sees
  // 60 connections before any of them has upgraded.
  const UpgradeBurstResult burst =
      UpgradeBurst(port, kClients, std::chrono::seconds(20));
  EXPECT_EQ(burst.done, kClients);
  EXPECT_LE(burst.upgraded, 20);
  EXPECT_GE(burst.upgraded, 1);
  // Slots are given back: the server answers again (bounded retries while
  // it notices the closed connections).
  bool answered = false;
  for (int i = 0; i < 100 && !answered; ++i) {
    answered = HttpRequest(port, "GET", "/healthz").first == 200;
    if (!answered) std::this_thread::sleep_for(Ms(100));
  }
  EXPECT_TRUE(answered);
  std::unique_ptr<WsClient> again;
  bool connected = false;
  for (int i = 0; i < 100 && !connected; ++i) {
    again = std::make_unique<WsClient>();
    connected = again->Connect(port);
    if (!connected) std::this_thread::sleep_for(Ms(100));
  }
  ASSERT_TRUE(connected);
  EXPECT_TRUE(PingPong(*again, "back"));
}

// ---- 7: presence anchors ------------------------------------------------------

TEST(SessionLimitsTest, OversizedPresenceAnchorIsRejectedAndNeverShared) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  const uint16_t port = f.server.port();
  Editor bystander(port, f.Token("anne", "Moss", Role::kEditor));
  ASSERT_TRUE(bystander.Open());
  ASSERT_EQ(bystander.Join(kPlan)["type"], "joined");
  Editor attacker(port, f.Token("per", "Viken", Role::kReviewer));
  ASSERT_TRUE(attacker.Open());
  Json joined = attacker.Join(kPlan);
  ASSERT_EQ(joined["type"], "joined");
  const Json node = protocol::OpIdToJson(attacker.replica().Children(kRootNode)[0]);
  Json big = {{"v", 1}, {"type", "presence"}, {"ref", "big"},
              {"anchor", {{"node", node}, {"field", std::string(900000, 'a')}}}};
  ASSERT_TRUE(attacker.ws().Send(big));
  std::optional<Json> err = attacker.ws().ReadType("error", Ms(10000));
  ASSERT_TRUE(err);
  EXPECT_EQ((*err)["code"], "bad_message");
  EXPECT_EQ((*err)["ref"], "big");
  EXPECT_NE((*err)["message"].get<std::string>().find("256"), std::string::npos)
      << err->dump();
  // A valid presence afterwards is the first the bystander sees of it.
  ASSERT_TRUE(attacker.ws().Send(Json{{"v", 1}, {"type", "presence"},
                                      {"anchor", {{"node", node}, {"field", "title"}}}}));
  // (Presence with a null anchor, from joins, may come first.)
  std::optional<Json> p;
  for (int i = 0; i < 20; ++i) {
    p = bystander.ws().ReadType("presence", Ms(10000));
    if (!p || !(*p)["anchor"].is_null()) break;
  }
  ASSERT_TRUE(p);
  ASSERT_TRUE((*p)["anchor"].is_object()) << p->dump().substr(0, 200);
  EXPECT_EQ((*p)["anchor"]["field"], "title") << p->dump().substr(0, 200);
  // And a later joiner gets only the small anchor.
  Editor late(port, f.Token("siri", "Råde", Role::kEditor));
  ASSERT_TRUE(late.Open());
  Json late_joined = late.Join(kPlan);
  ASSERT_EQ(late_joined["type"], "joined");
  EXPECT_LT(late_joined["peers"].dump().size(), 2000u);
}

// ---- 8: quotas ----------------------------------------------------------------

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(SessionLimitsTest, PlanTitlesCreationAndListingAreBounded) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--max-plans-per-user", "3"})) << f.server.log();
  uint16_t port = f.server.port();
  const std::string admin = MintToken(f.data(), "kari", "Moss", "*", Role::kAdmin);
  auto create = [&](const std::string& token, const std::string& id,
                    const std::string& title) {
    return HttpRequest(port, "POST", "/api/plans", token,
                       Json{{"id", id}, {"title", title}}.dump());
  };
  // Titles: 200 code points (multi-byte) are fine, 201 are not.
  auto [s201, body201] = create(admin, "long", Repeat("ø", 201));
  EXPECT_EQ(s201, 400);
  EXPECT_NE(body201.find("200"), std::string::npos) << body201;
  EXPECT_EQ(create(admin, "p1", Repeat("ø", 200)).first, 201);
  EXPECT_EQ(create(admin, "p2", "two").first, 201);
  EXPECT_EQ(create(admin, "p3", "three").first, 201);
  // The fourth plan of the same user is refused, naming the limit.
  auto [s4, body4] = create(admin, "p4", "four");
  EXPECT_EQ(s4, 403);
  EXPECT_NE(body4.find("quota_exceeded"), std::string::npos) << body4;
  EXPECT_NE(body4.find("--max-plans-per-user"), std::string::npos) << body4;
  // Another admin has a quota of its own.
  const std::string other = MintToken(f.data(), "lise", "Moss", "*", Role::kAdmin);
  EXPECT_EQ(create(other, "q1", "q").first, 201);
  // The quota survives a restart.
  ASSERT_EQ(f.server.Signal(SIGTERM, Ms(15000)), 0);
  ASSERT_TRUE(f.Start({"--max-plans-per-user", "3"})) << f.server.log();
  port = f.server.port();
  EXPECT_EQ(create(admin, "p5", "five").first, 403);
  // Listing is paged: 5 plans (demo, p1-p3, q1) in pages of 2.
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto [status, body] = HttpRequest(
        port, "GET", "/api/plans?limit=2" + (after.empty() ? "" : "&after=" + after),
        admin);
    ASSERT_EQ(status, 200) << body;
    Json j = Json::parse(body);
    ASSERT_LE(j["plans"].size(), 2u);
    for (const Json& p : j["plans"]) seen.push_back(p["id"]);
    if (j["next"].is_null()) break;
    after = j["next"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"demo", "p1", "p2", "p3", "q1"}));
  EXPECT_EQ(HttpRequest(port, "GET", "/api/plans?limit=0", admin).first, 400);
  EXPECT_EQ(HttpRequest(port, "GET", "/api/plans?limit=100000", admin).first, 400);
  Json all = Json::parse(HttpRequest(port, "GET", "/api/plans", admin).second);
  EXPECT_EQ(all["plans"].size(), 5u);
  EXPECT_TRUE(all["next"].is_null());
}

// ---- 9: the HTTP API's storage calls ----------------------------------------

TEST(SessionLimitsTest, HttpApiStorageCallsAnswerUnderConcurrentLoad) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  const uint16_t port = f.server.port();
  const std::string admin = MintToken(f.data(), "kari", "Moss", "*", Role::kAdmin);
  // Lists, creates, and reads of unopened and missing plans from several
  // threads at once; a WebSocket client keeps being served meanwhile.
  Editor e(port, f.Token("anne", "Moss", Role::kEditor));
  ASSERT_TRUE(e.Open());
  ASSERT_EQ(e.Join(kPlan)["type"], "joined");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        ok += HttpRequest(port, "POST", "/api/plans", admin,
                          Json{{"id", id}, {"title", id}}.dump()).first == 201;
        ok += HttpRequest(port, "GET", "/api/plans", admin).first == 200;
        ok += HttpRequest(port, "GET", "/api/plans/" + id, admin).first == 200;
        ok += HttpRequest(port, "GET", "/api/plans/missing-" + id, admin).first == 404;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(ok.load(), 4 * 10 * 4);
  EXPECT_TRUE(PingPong(e.ws(), "served"));
}

// ---- 10: demo login ---------------------------------------------------------

Json TokenPayload(const std::string& token) {
  const size_t a = token.find('.');
  const size_t b = token.find('.', a + 1);
  std::string bytes;
  if (!protocol::Base64Decode(token.substr(a + 1, b - a - 1), &bytes,
                              protocol::Base64Variant::kUrl)
           .ok()) {
    return Json();
  }
  return Json::parse(bytes, nullptr, false);
}

TEST(SessionLimitsTest, DemoLoginNamesOnlyTheDemoPlanAndNeverTheAdmin) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  const uint16_t port = f.server.port();
  const std::string admin = MintToken(f.data(), "kari", "Moss", "*", Role::kAdmin);
  ASSERT_EQ(HttpRequest(port, "POST", "/api/plans", admin, R"({"id":"secret"})").first,
            201);
  auto [status, body] = HttpRequest(port, "POST", "/api/demo-login", "", R"({"user":"ola"})");
  ASSERT_EQ(status, 200) << body;
  const std::string token = Json::parse(body)["token"];
  Json payload = TokenPayload(token);
  EXPECT_EQ(payload["plans"], (Json{{"demo", "editor"}})) << payload.dump();
  EXPECT_EQ(HttpRequest(port, "GET", "/api/plans/secret", token).first, 404);
  Json listed = Json::parse(HttpRequest(port, "GET", "/api/plans", token).second);
  ASSERT_EQ(listed["plans"].size(), 1u);
  EXPECT_EQ(listed["plans"][0]["id"], "demo");
  // The admin demo account is not for strangers.
  auto [s_admin, b_admin] =
      HttpRequest(port, "POST", "/api/demo-login", "", R"({"user":"kari"})");
  EXPECT_EQ(s_admin, 403);
  EXPECT_NE(b_admin.find("console"), std::string::npos) << b_admin;
  EXPECT_EQ(b_admin.find("token\""), std::string::npos);
}

TEST(SessionLimitsTest, DemoLoginOffWithoutDemoPlanOrWithNoDemo) {
  {
    ServerFixture f;
    ASSERT_TRUE(f.Start({"--no-demo"})) << f.server.log();
    auto [status, body] =
        HttpRequest(f.server.port(), "POST", "/api/demo-login", "", R"({"user":"ola"})");
    EXPECT_EQ(status, 404);
    EXPECT_NE(body.find("disabled"), std::string::npos) << body;
  }
  {
    // A data directory with plans but no demo plan: demo login stays off
    // even without --no-demo.
    ServerFixture f;
    ASSERT_TRUE(f.Start({"--no-demo"})) << f.server.log();
    const std::string admin = MintToken(f.data(), "kari", "Moss", "*", Role::kAdmin);
    ASSERT_EQ(HttpRequest(f.server.port(), "POST", "/api/plans", admin,
                          R"({"id":"real"})").first, 201);
    ASSERT_EQ(f.server.Signal(SIGTERM, Ms(15000)), 0);
    ASSERT_TRUE(f.Start()) << f.server.log();
    auto [status, body] =
        HttpRequest(f.server.port(), "POST", "/api/demo-login", "", R"({"user":"ola"})");
    EXPECT_EQ(status, 404) << body;
  }
}

TEST(SessionLimitsTest, PublicBindWithDemoLoginNeedsExplicitFlag) {
  // 192.0.2.1 (TEST-NET-1) is not a local address: even a server that
  // wrongly went ahead could not listen there, so this test never listens
  // beyond loopback. The refusal must come first and name the flag.
  ServerFixture f;
  EXPECT_FALSE(f.Start({"--bind", "192.0.2.1"}));
  EXPECT_NE(f.server.log().find("--allow-public-demo"), std::string::npos)
      << f.server.log();
  // With the flag the demo check passes (and binding fails, as expected
  // for an address this machine does not have).
  ServerFixture h;
  EXPECT_FALSE(h.Start({"--bind", "192.0.2.1", "--allow-public-demo"}));
  EXPECT_EQ(h.server.log().find("--allow-public-demo"), std::string::npos)
      << h.server.log();
  EXPECT_NE(h.server.log().find("cannot listen"), std::string::npos)
      << h.server.log();
  // Loopback is fine as before.
  ServerFixture g;
  EXPECT_TRUE(g.Start({"--bind", "127.0.0.1"})) << g.server.log();
}

}  // namespace
}  // namespace samplan::testing
