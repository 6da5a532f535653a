// Auditable history through the real `samplan serve` (issue 10):
//  - each role gets exactly what it should (history for auditor and above,
//    versions for everyone on the plan, naming a version for admins, the
//    keys for anyone);
//  - the demo plan carries two signed named versions; the plan at the
//    first equals the demo plan as built, diff and blame name the authors
//    of the revision between them;
//  - time travel over HTTP and WebSocket, and a slider's flood of requests
//    is superseded, never queued without bound;
//  - who changed what with filters, paging and exports;
//  - version names are immutable and their signatures verify with the
//    served public key;
//  - checkpoints are written and `samplan verify` checks them; `samplan
//    forget-user` erases a person without touching the chain; a bundle
//    exported from the server's data verifies offline.
//
// Bounded: every wait has a timeout. Never asserts wall-clock times.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/demo_plan.h"
#include "crdt/replica.h"
#include "protocol/json_codec.h"
#include "protocol/plan_state.h"
#include "storage/named_version.h"
#include "storage/signing.h"
#include "tests/server_harness.h"

namespace samplan::testing {
namespace {

const Ms kWait(15000);
constexpr char kHearing[] = "Høringsutkast";
constexpr char kAdopted[] = "Vedtatt i regionrådet";

std::string Encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

Json Get(ServerFixture& f, const std::string& target, const std::string& token,
         int* status = nullptr) {
  auto [code, body] = HttpRequest(f.server.port(), "GET", target, token);
  if (status != nullptr) *status = code;
  Json j = Json::parse(body, nullptr, false);
  return j.is_discarded() ? Json(body) : j;
}

// A WebSocket member of the demo plan.
std::unique_ptr<Editor> Member(ServerFixture& f, const std::string& token) {
  auto e = std::make_unique<Editor>(f.server.port(), token);
  if (!e->Open()) return nullptr;
  if (e->Join("demo")["type"] != "joined") return nullptr;
  return e;
}

// Sends a history request and returns its answer (history or error).
Json AskHistory(Editor& e, Json request) {
  request["v"] = 1;
  request["type"] = "history";
  const std::string ref = request.value("ref", "h");
  request["ref"] = ref;
  if (!e.ws().Send(request)) return nullptr;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<Json> m = e.ws().Read(Ms(500));
    if (!m) continue;
    if (m->value("ref", "") == ref &&
        (m->value("type", "") == "history" || m->value("type", "") == "error")) {
      return *m;
    }
  }
  return nullptr;
}

TEST(HistoryServerTest, EachRoleGetsExactlyWhatItShould) {
  ServerFixture f;
  ASSERT_TRUE(f.Start());
  const std::vector<std::pair<Role, bool>> roles = {
      {Role::kViewer, false},
      {Role::kAuditor, true},
      {Role::kReviewer, true},
      {Role::kEditor, true},
      {Role::kAdmin, true}};
  const std::vector<std::string> history_targets = {
      "/api/plans/demo/history",
      "/api/plans/demo/history/export?format=csv",
      "/api/plans/demo/history/export?format=json",
      "/api/plans/demo?at=10",
      "/api/plans/demo/diff?from=1&to=head",
      "/api/plans/demo/blame"};
  int n = 0;
  for (const auto& [role, may_read] : roles) {
    SCOPED_TRACE(RoleName(role));
    const std::string token = f.Token("u" + std::to_string(n++), "Moss", role);
    for (const std::string& target : history_targets) {
      int status = 0;
      Json body = Get(f, target, token, &status);
      EXPECT_EQ(status, may_read ? 200 : 403) << target << " " << body.dump();
      if (!may_read) {
        EXPECT_EQ(body["error"]["code"], "forbidden");
      }
    }
    int status = 0;
    Json versions = Get(f, "/api/plans/demo/versions", token, &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(versions["versions"].size(), 2u);
    auto [post_status, post_body] = HttpRequest(
        f.server.port(), "POST", "/api/plans/demo/versions", token,
        Json({{"name", std::string("v-") + RoleName(role)}}).dump());
    EXPECT_EQ(post_status, role == Role::kAdmin ? 201 : 403) << post_body;
    // Over the WebSocket the same rule.
    auto e = Member(f, token);
    ASSERT_NE(e, nullptr);
    Json answer = AskHistory(*e, {{"query", "changes"}, {"limit", 5}});
    if (may_read) {
      EXPECT_EQ(answer["type"], "history") << answer.dump();
      EXPECT_EQ(answer["entries"].size(), 5u);
    } else {
      EXPECT_EQ(answer["code"], "forbidden") << answer.dump();
    }
    EXPECT_EQ(AskHistory(*e, {{"query", "versions"}})["type"], "history");
  }
  // Unauthenticated: no history, but the public keys.
  int status = 0;
  Get(f, "/api/plans/demo/history", "", &status);
  EXPECT_EQ(status, 401);
  Json keys = Get(f, "/api/keys", "", &status);
  EXPECT_EQ(status, 200);
  ASSERT_EQ(keys["keys"].size(), 1u);
  EXPECT_EQ(keys["keys"][0]["algorithm"], "Ed25519");
  EXPECT_TRUE(keys["keys"][0]["active"].get<bool>());
}

TEST(HistoryServerTest, DemoVersionsAreSignedAndShowTheRevision) {
  ServerFixture f;
  ASSERT_TRUE(f.Start());
  const std::string arne = f.Token("arne", "Moss", Role::kAuditor);
  Json versions = Get(f, "/api/plans/demo/versions", arne)["versions"];
  ASSERT_EQ(versions.size(), 2u) << versions.dump();
  EXPECT_EQ(versions[0]["name"], kHearing);
  EXPECT_EQ(versions[1]["name"], kAdopted);
  EXPECT_LT(versions[0]["seq"].get<uint64_t>(), versions[1]["seq"].get<uint64_t>());

  // Each signature verifies with the served key over the documented bytes.
  Json keys = Get(f, "/api/keys", "")["keys"];
  std::string public_key;
  ASSERT_TRUE(Base64Decode(keys[0]["public_key"].get<std::string>(), &public_key).ok());
  for (const Json& v : versions) {
    NamedVersion nv;
    nv.plan_id = "demo";
    nv.name = v["name"];
    nv.reference = v["reference"];
    nv.seq = v["seq"];
    std::string head_hex = v["head"];
    for (size_t i = 0; i < 32; ++i) {
      nv.head[i] = static_cast<uint8_t>(std::stoi(head_hex.substr(2 * i, 2), nullptr, 16));
    }
    nv.time_ms = v["time"];
    nv.created_by = v["created_by"];
    nv.created_ms = v["created_ms"];
    nv.key_id = v["key_id"];
    std::string signature;
    ASSERT_TRUE(Base64Decode(v["signature"].get<std::string>(), &signature).ok());
    EXPECT_EQ(nv.key_id, keys[0]["id"]);
    EXPECT_TRUE(VerifyEd25519(public_key, VersionSigningMessage(nv), signature));
    nv.reference += ".";
    EXPECT_FALSE(VerifyEd25519(public_key, VersionSigningMessage(nv), signature));
  }

  // The plan at the hearing version is the demo plan as built.
  Replica built(2);
  ASSERT_TRUE(BuildDemoPlan(&built).ok());
  Json expected = protocol::PlanStateToJson(built);
  int status = 0;
  Json at = Get(f, "/api/plans/demo?at=" + Encode(std::string("version:") + kHearing), arne,
                &status);
  ASSERT_EQ(status, 200) << at.dump();
  EXPECT_EQ(at["root"], expected["root"]);
  EXPECT_EQ(at["version"], expected["version"]);
  EXPECT_EQ(at["seq"], versions[0]["seq"]);
  EXPECT_TRUE(at["read_only"].get<bool>());
  // At the head it is the current state.
  Json now = Get(f, "/api/plans/demo", arne);
  Json head = Get(f, "/api/plans/demo?at=head", arne);
  EXPECT_EQ(head["root"], now["root"]);

  // The diff between the versions names the revision's authors.
  const std::string range = "from=" + Encode(std::string("version:") + kHearing) +
                            "&to=" + Encode(std::string("version:") + kAdopted);
  Json diff = Get(f, "/api/plans/demo/diff?" + range, arne, &status);
  ASSERT_EQ(status, 200) << diff.dump();
  const std::string text = diff.dump();
  for (const char* who : {"anne", "ola", "siri", "kari"}) {
    EXPECT_NE(text.find(std::string("\"") + who + "\""), std::string::npos) << who;
  }
  EXPECT_NE(text.find("Kartlegge behovet for lærlingplasser"), std::string::npos);
  EXPECT_NE(text.find("kulturnæringen løftes fram"), std::string::npos);
  EXPECT_NE(text.find("en viktig rolle er å bidra til"), std::string::npos);
  auto [md_status, markdown] =
      HttpRequest(f.server.port(), "GET", "/api/plans/demo/diff?" + range + "&format=markdown",
                  arne);
  EXPECT_EQ(md_status, 200);
  EXPECT_NE(markdown.find("Kartlegge behovet for lærlingplasser"), std::string::npos);
  EXPECT_NE(markdown.find("#"), std::string::npos);

  // Blame: the sentence anne added is hers.
  Json blame = Get(f, "/api/plans/demo/blame", arne, &status);
  ASSERT_EQ(status, 200) << blame.dump().substr(0, 500);
  bool anne_span = false;
  for (const Json& node : blame["blame"]["nodes"]) {
    if (!node["texts"].contains("body")) continue;
    for (const Json& span : node["texts"]["body"]) {
      if (span["user"] == "anne" && span["municipality"] == "Moss") {
        anne_span = true;
        EXPECT_EQ(span["name"], "Anne Lie");
      }
    }
  }
  EXPECT_TRUE(anne_span);
}

TEST(HistoryServerTest, TimeTravelFollowsEditsAndASliderIsSuperseded) {
  ServerFixture f;
  ASSERT_TRUE(f.Start());
  auto ola = Member(f, f.Token("ola", "Vestby", Role::kEditor));
  ASSERT_NE(ola, nullptr);
  ola->replica().SetAuthor(Author{"ola", "Vestby", 0});
  const OpId goal = ola->replica().Children(kRootNode)[1];
  std::vector<std::string> titles;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(ola->Edit([&](Replica& r) {
      return r.InsertText(goal, "title", 0, "v" + std::to_string(i) + " ");
    }));
    ASSERT_TRUE(ola->PumpUntil([&] { return ola->acks() == ola->sent_batches(); }, kWait));
    titles.push_back(*ola->replica().Text(goal, "title"));
  }
  const std::string arne = f.Token("arne", "Moss", Role::kAuditor);
  Json now = Get(f, "/api/plans/demo", arne);
  const uint64_t last = now["seq"];
  // Each of the last five seqs shows the title as it was then.
  for (int i = 0; i < 5; ++i) {
    Json at = Get(f, "/api/plans/demo?at=" + std::to_string(last - 4 + i), arne);
    EXPECT_EQ(at["root"]["children"][1]["texts"]["title"], titles[i]) << i;
  }
  int status = 0;
  Json beyond = Get(f, "/api/plans/demo?at=" + std::to_string(last + 1), arne, &status);
  EXPECT_EQ(status, 400);
  EXPECT_NE(beyond["error"]["message"].get<std::string>().find("beyond"), std::string::npos);
  Get(f, "/api/plans/demo?at=version:nope", arne, &status);
  EXPECT_EQ(status, 404);

  // A slider: 30 positions sent at once. Every request is answered, by a
  // state or by `superseded`; the last position always by its state.
  auto slider = Member(f, arne);
  ASSERT_NE(slider, nullptr);
  for (int i = 0; i < 30; ++i) {
    Json req = {{"v", 1}, {"type", "history"}, {"ref", "s" + std::to_string(i)},
                {"query", "at"}, {"at", std::to_string(last - 4 + i % 5)}};
    ASSERT_TRUE(slider->ws().Send(req));
  }
  std::set<std::string> answered;
  int states = 0, superseded = 0;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (answered.size() < 30 && std::chrono::steady_clock::now() < deadline) {
    std::optional<Json> m = slider->ws().Read(Ms(500));
    if (!m) continue;
    const std::string ref = m->value("ref", "");
    if (ref.empty() || ref[0] != 's') continue;
    answered.insert(ref);
    if ((*m)["type"] == "history") {
      ++states;
      const int i = std::stoi(ref.substr(1));
      EXPECT_EQ((*m)["state"]["root"]["children"][1]["texts"]["title"], titles[i % 5]);
    } else {
      EXPECT_EQ((*m)["code"], "superseded") << m->dump();
      ++superseded;
    }
  }
  EXPECT_EQ(answered.size(), 30u);
  EXPECT_GE(states, 2);
  EXPECT_GE(superseded, 1);
  EXPECT_EQ(states + superseded, 30);
}

TEST(HistoryServerTest, WhoChangedWhatFiltersPagesAndExports) {
  ServerFixture f;
  ASSERT_TRUE(f.Start());
  const std::string arne = f.Token("arne", "Moss", Role::kAuditor);
  int status = 0;
  // Only ola's entries, each naming him.
  Json ola = Get(f, "/api/plans/demo/history?user=ola&limit=500", arne, &status);
  ASSERT_EQ(status, 200) << ola.dump();
  ASSERT_FALSE(ola["entries"].empty());
  bool status_change = false;
  for (const Json& e : ola["entries"]) {
    EXPECT_EQ(e["user"], "ola");
    EXPECT_EQ(e["name"], "Ola Berg");
    EXPECT_EQ(e["municipality"], "Vestby");
    if (e["field"] == "status" && e["before"] == "in progress" && e["after"] == "done") {
      status_change = true;
      EXPECT_FALSE(e["number"].get<std::string>().empty());
      EXPECT_FALSE(e["title"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(status_change) << ola.dump().substr(0, 2000);
  // Kinds and municipality.
  Json fields = Get(f, "/api/plans/demo/history?kinds=set_field&municipality=Moss&limit=500", arne);
  ASSERT_FALSE(fields["entries"].empty());
  for (const Json& e : fields["entries"]) {
    EXPECT_EQ(e["municipality"], "Moss");
    EXPECT_EQ(e["kinds"], Json::array({"set_field"}));
  }
  // Pages of 7 concatenate to the whole list, newest first, no overlap.
  Json all = Get(f, "/api/plans/demo/history?limit=500", arne);
  std::vector<uint64_t> seqs;
  std::string cursor;
  for (int page = 0; page < 200; ++page) {
    Json p = Get(f, "/api/plans/demo/history?limit=7" +
                        (cursor.empty() ? "" : "&cursor=" + cursor),
                 arne);
    for (const Json& e : p["entries"]) seqs.push_back(e["seq"]);
    if (p["next"].is_null()) break;
    cursor = p["next"];
  }
  ASSERT_EQ(seqs.size(), all["entries"].size());
  for (size_t i = 0; i < seqs.size(); ++i) {
    EXPECT_EQ(seqs[i], all["entries"][i]["seq"].get<uint64_t>());
    if (i > 0) {
      EXPECT_GT(seqs[i - 1], seqs[i]);
    }
  }
  // A subtree: every entry is on that node or under it.
  Json plan = Get(f, "/api/plans/demo", arne);
  const Json& goal = plan["root"]["children"][0];
  const std::string node = std::to_string(goal["id"][0].get<uint64_t>()) + ":" +
                           std::to_string(goal["id"][1].get<uint64_t>());
  Json sub = Get(f, "/api/plans/demo/history?limit=500&node=" + node, arne);
  ASSERT_FALSE(sub["entries"].empty());
  for (const Json& e : sub["entries"]) {
    EXPECT_TRUE(e["number"] == "1" || e["number"].get<std::string>().starts_with("1."))
        << e.dump();
  }
  // A bad filter is named.
  Json bad = Get(f, "/api/plans/demo/history?kinds=frobnicate", arne, &status);
  EXPECT_EQ(status, 400);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("kinds"), std::string::npos);
  // CSV export: header, one line per entry (oldest first), as a download.
  auto [csv_status, csv] = HttpRequest(f.server.port(), "GET",
                                       "/api/plans/demo/history/export?format=csv&user=ola", arne);
  ASSERT_EQ(csv_status, 200);
  EXPECT_NE(csv.find("seq,seq_last,time_utc,user,name,municipality"), std::string::npos);
  EXPECT_NE(csv.find("Ola Berg"), std::string::npos);
  Json exported = Get(f, "/api/plans/demo/history/export?format=json", arne);
  EXPECT_EQ(exported["entries"].size(), all["entries"].size());
  EXPECT_FALSE(exported["truncated"].get<bool>());
}

TEST(HistoryServerTest, VersionNamesAreImmutable) {
  ServerFixture f;
  ASSERT_TRUE(f.Start());
  const std::string kari = f.Token("kari", "Moss", Role::kAdmin);
  const Json body = {{"name", "Til politisk behandling"}, {"reference", "Sak 40/2026"},
                     {"at", "seq:5"}};
  auto [s1, b1] = HttpRequest(f.server.port(), "POST", "/api/plans/demo/versions", kari,
                              body.dump());
  ASSERT_EQ(s1, 201) << b1;
  Json created = Json::parse(b1)["version"];
  EXPECT_EQ(created["seq"], 5);
  EXPECT_EQ(created["created_by"], "kari");
  auto [s2, b2] = HttpRequest(f.server.port(), "POST", "/api/plans/demo/versions", kari,
                              Json({{"name", "Til politisk behandling"}}).dump());
  EXPECT_EQ(s2, 409) << b2;
  Json versions = Get(f, "/api/plans/demo/versions", kari)["versions"];
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[2], created);
  for (const char* bad : {R"({"name": ""})", R"({"name": 5})", "not json",
                          R"({"name": "x", "at": "seq:999999"})"}) {
    auto [s, b] = HttpRequest(f.server.port(), "POST", "/api/plans/demo/versions", kari, bad);
    EXPECT_EQ(s, 400) << bad << " " << b;
  }
}

TEST(HistoryServerTest, CheckpointsForgetUserAndBundleWithTheServersData) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--checkpoint-every", "3"}));
  auto anne = Member(f, f.Token("anne", "Moss", Role::kEditor));
  ASSERT_NE(anne, nullptr);
  anne->replica().SetAuthor(Author{"anne", "Moss", 0});
  const OpId goal = anne->replica().Children(kRootNode)[0];
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(anne->Edit([&](Replica& r) { return r.SetField(goal, "target_year", FieldValue::Int(2027 + i)); }));
    ASSERT_TRUE(anne->PumpUntil([&] { return anne->acks() == anne->sent_batches(); }, kWait));
  }
  anne.reset();
  ASSERT_EQ(f.server.Signal(SIGTERM, Ms(15000)), 0);
  std::ifstream in(f.data() + "/checkpoints.log");
  std::stringstream lines;
  lines << in.rdbuf();
  const std::string text = lines.str();
  EXPECT_GE(std::count(text.begin(), text.end(), '\n'), 2) << text;

  auto [verify_rc, verify_out] = RunSamplan("verify --data " + f.data());
  EXPECT_EQ(verify_rc, 0) << verify_out;

  // `samplan log` takes the same filters: anne's seven target years on the
  // goal, as operations and as one grouped entry; with the goal's subtree
  // also her status change on one of its measures (the demo's revision).
  auto [log_rc, log_out] = RunSamplan("log --data " + f.data() +
                                      " --plan demo --user anne --kinds set_field --node " +
                                      goal.ToString() + " --no-subtree");
  EXPECT_EQ(log_rc, 0) << log_out;
  EXPECT_EQ(std::count(log_out.begin(), log_out.end(), '\n'), 7) << log_out;
  auto [sub_rc, sub_out] = RunSamplan("log --data " + f.data() +
                                      " --plan demo --user anne --kinds set_field --node " +
                                      goal.ToString());
  EXPECT_EQ(sub_rc, 0) << sub_out;
  EXPECT_EQ(std::count(sub_out.begin(), sub_out.end(), '\n'), 8) << sub_out;
  auto [changes_rc, changes_out] = RunSamplan("log --data " + f.data() +
                                              " --plan demo --user anne --changes --json --limit 1");
  EXPECT_EQ(changes_rc, 0) << changes_out;
  Json entry = Json::parse(changes_out, nullptr, false);
  ASSERT_TRUE(entry.is_object()) << changes_out;
  EXPECT_EQ(entry["ops"], 7);
  EXPECT_EQ(entry["field"], "target_year");
  EXPECT_EQ(entry["after"], "2033");

  auto [forget_rc, forget_out] =
      RunSamplan("forget-user --data " + f.data() + " --user anne --by dpo --reason 'request 7'");
  EXPECT_EQ(forget_rc, 0) << forget_out;
  auto [verify2_rc, verify2_out] = RunSamplan("verify --data " + f.data());
  EXPECT_EQ(verify2_rc, 0) << verify2_out;

  const std::string bundle = f.dir.path() + "/demo.bundle.json";
  auto [export_rc, export_out] = RunSamplan("export --data " + f.data() +
                                            " --plan demo --version '" + kAdopted +
                                            "' --out " + bundle);
  ASSERT_EQ(export_rc, 0) << export_out;
  auto [bundle_rc, bundle_out] = RunSamplan("verify --bundle " + bundle);
  EXPECT_EQ(bundle_rc, 0) << bundle_out;

  ASSERT_TRUE(f.Start());
  const std::string arne = f.Token("arne", "Moss", Role::kAuditor);
  Json entries = Get(f, "/api/plans/demo/history?user=anne&limit=500", arne)["entries"];
  ASSERT_FALSE(entries.empty());
  for (const Json& e : entries) {
    EXPECT_EQ(e["user"], "anne");
    EXPECT_TRUE(e["erased"].get<bool>());
    EXPECT_TRUE(e["name"].is_null());
  }
  const std::string csv = HttpRequest(f.server.port(), "GET",
                                      "/api/plans/demo/history/export?format=csv", arne)
                              .second;
  EXPECT_EQ(csv.find("Anne Lie"), std::string::npos);
}

}  // namespace
}  // namespace samplan::testing
