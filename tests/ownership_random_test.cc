// Randomized test of the ownership rules under concurrency, against the
// real `samplan serve` binary on a loopback port.
//
// Editors of Moss, Vestby and Råde and an admin each make one random edit
// per round on their own (stale) replica - create, move, delete, restore,
// text, fields, and for the admin ownership changes - and send it at the
// same time as the others; many are forbidden. Every few rounds a throwaway
// Vestby client forges an edit of a deleted node (which only a peer, not
// the local core, can send). A read-only auditor collects what the server
// broadcasts and replays it on an oracle replica, re-checking each accepted
// op with CheckOpPermission on the state it was applied to, with the author
// slots the server filled: so no forbidden change can be visible. Batches
// of one round are appended concurrently and may be broadcast in another
// order than the server applied them, so the oracle accepts a round when
// some order of its (at most five) batches passes.
//
// Afterwards every client, and a fresh client per user, has exactly the
// oracle's plan, as have a fresh viewer and GET /api/plans/demo, and the
// server is still up.
//
// Bounded: kRounds rounds (SAMPLAN_LONG=1: many more) and a time budget
// after which no new round starts; every wait has a timeout. Seeded
// (SAMPLAN_SERVER_SEED). Never asserts wall-clock times.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "crdt/utf8.h"
#include "protocol/json_codec.h"
#include "protocol/plan_state.h"
#include "server/permissions.h"
#include "tests/server_harness.h"

namespace samplan::testing {
namespace {

constexpr char kPlan[] = "demo";

struct User {
  const char* name;
  const char* municipality;
  Role role;
};

const User kUsers[] = {{"anne", "Moss", Role::kEditor},
                       {"ola", "Vestby", Role::kEditor},
                       {"rita", "Råde", Role::kEditor},
                       {"kari", "Moss", Role::kAdmin}};
constexpr char kForger[] = "olaf";  // a second Vestby editor, forging ops

const User* FindUser(const std::string& name) {
  for (const User& u : kUsers) {
    if (name == u.name) return &u;
  }
  static const User kForgerUser{kForger, "Vestby", Role::kEditor};
  return name == kForger ? &kForgerUser : nullptr;
}

bool LongRun() {
  const char* v = std::getenv("SAMPLAN_LONG");
  return v != nullptr && std::string(v) == "1";
}

template <typename T>
const T& Pick(const std::vector<T>& v, std::mt19937& rng) {
  return v[rng() % v.size()];
}

// One random local edit as `user`; false when the core refused it (then
// nothing was logged).
bool RandomEdit(Replica& r, std::mt19937& rng, const User& user) {
  const std::vector<OpId> nodes = LiveNodes(r);
  const std::vector<OpId> trash = r.Children(kTrashNode);
  const OpId node = Pick(nodes, rng);
  const KindSchema* kind = r.schema().Find(r.KindOf(node));
  if (kind == nullptr) return false;
  const int dice = static_cast<int>(rng() % 100);
  if (dice < 28 && !kind->texts.empty()) {
    auto it = kind->texts.begin();
    std::advance(it, rng() % kind->texts.size());
    const size_t len = utf8::CountCodePoints(*r.Text(node, *it));
    const char* words[] = {"å", "Vestby ", "😀", "Moss ", "ø"};
    return r.InsertText(node, *it, rng() % (len + 1), words[rng() % 5]).ok();
  }
  if (dice < 36 && !kind->texts.empty()) {
    const std::string field = *kind->texts.begin();
    const size_t len = utf8::CountCodePoints(*r.Text(node, field));
    if (len == 0) return false;
    const size_t pos = rng() % len;
    return r.DeleteText(node, field, pos, 1 + rng() % std::min<size_t>(3, len - pos))
        .ok();
  }
  if (dice < 48 && !kind->children.empty()) {
    auto it = kind->children.begin();
    std::advance(it, rng() % kind->children.size());
    return r.CreateNode(node, rng() % (r.Children(node).size() + 1), *it).ok();
  }
  if (dice < 62 && node != kRootNode) {
    const OpId parent = Pick(nodes, rng);
    if (!r.schema().CheckChild(r.KindOf(parent), r.KindOf(node)).ok()) return false;
    return r.MoveNode(node, parent, rng() % (r.Children(parent).size() + 1)).ok();
  }
  if (dice < 70 && !trash.empty()) {  // restore
    const OpId deleted = Pick(trash, rng);
    const OpId parent = Pick(nodes, rng);
    if (!r.schema().CheckChild(r.KindOf(parent), r.KindOf(deleted)).ok()) {
      return false;
    }
    return r.MoveNode(deleted, parent, rng() % (r.Children(parent).size() + 1)).ok();
  }
  if (dice < 80 && node != kRootNode) return r.DeleteNode(node).ok();
  if (dice < 90 || kind->fields.count("owner") == 0) {
    for (const auto& [name, type] : kind->fields) {
      if (type == ValueType::kString) {
        return r.SetField(node, name, FieldValue::String("v" + std::to_string(rng() % 100)))
            .ok();
      }
      if (type == ValueType::kInt) {
        return r.SetField(node, name, FieldValue::Int(rng() % 3000)).ok();
      }
    }
    return false;
  }
  // Ownership: the admin hands parts around; an editor tries to (and is
  // always refused).
  const std::vector<std::vector<std::string>> owners = {
      {"Moss"}, {"Vestby"}, {"Råde"}, {"Moss", "Vestby"}, {}};
  std::vector<std::string> pick = Pick(owners, rng);
  if (user.role != Role::kAdmin) pick = {user.municipality};
  return r.SetField(node, "owner", FieldValue::StringList(pick)).ok();
}

std::unique_ptr<Replica> Copy(const Replica& r) {
  Result<std::unique_ptr<Replica>> c = Replica::DecodeSnapshot(r.EncodeSnapshot(), 999999);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

// Applies the batches in `order` to a copy of `base`, checking every op
// with the rules first, as the server must have. Returns the result, or
// nullptr with `why` set.
std::unique_ptr<Replica> Replay(const Replica& base,
                                const std::vector<std::vector<Op>>& batches,
                                const std::vector<size_t>& order, std::string* why) {
  std::unique_ptr<Replica> r = Copy(base);
  if (!r) return nullptr;
  for (size_t b : order) {
    for (const Op& op : batches[b]) {
      const User* user = FindUser(op.author.user);
      if (user == nullptr || op.author.municipality != user->municipality) {
        *why = "op " + DescribeOp(op) + " has author slots " + op.author.user + "/" +
               op.author.municipality;
        return nullptr;
      }
      const Status allowed =
          CheckOpPermission(*r, op, user->role, user->municipality);
      if (!allowed.ok()) {
        *why = "accepted op " + DescribeOp(op) + " by " + user->name + " (" +
               user->municipality + ") breaks the rules: " + allowed.message();
        return nullptr;
      }
      const size_t pending = r->pending_count();
      const Status applied = r->Apply(op);
      if (!applied.ok() || r->pending_count() != pending) {
        *why = "op " + DescribeOp(op) + " does not apply in this order";
        return nullptr;
      }
    }
  }
  return r;
}

// A fresh client of `user` (a new replica id), joined.
std::unique_ptr<Editor> Join(uint16_t port, const std::string& token) {
  auto e = std::make_unique<Editor>(port, token);
  if (!e->Open()) return nullptr;
  if (e->Join(kPlan)["type"] != "joined") return nullptr;
  return e;
}

TEST(OwnershipRandomTest, ConcurrentEditorsNeverChangeWhatTheyDoNotOwn) {
  TempDir dir;
  ServerProcess server;
  const std::string data = dir.path() + "/data";
  ASSERT_TRUE(server.Start(data)) << server.log();
  const uint16_t port = server.port();
  auto token = [&](const User& u) {
    return MintToken(data, u.name, u.municipality, kPlan, u.role);
  };
  const std::string forger_token = MintToken(data, kForger, "Vestby", kPlan, Role::kEditor);

  // The auditor reads the raw broadcasts itself (its replica stays as it
  // joined; the oracle is a copy that it advances).
  Editor auditor(port, MintToken(data, "audun", "Våler", kPlan, Role::kAuditor));
  ASSERT_TRUE(auditor.Open());
  ASSERT_EQ(auditor.Join(kPlan)["type"], "joined");
  std::unique_ptr<Replica> oracle = Copy(auditor.replica());
  ASSERT_NE(oracle, nullptr);

  constexpr size_t kClients = std::size(kUsers);
  std::vector<std::unique_ptr<Editor>> clients(kClients);
  for (size_t i = 0; i < kClients; ++i) {
    clients[i] = Join(port, token(kUsers[i]));
    ASSERT_NE(clients[i], nullptr) << server.log();
  }

  const char* seed_env = std::getenv("SAMPLAN_SERVER_SEED");
  const unsigned seed = seed_env != nullptr ? std::atoi(seed_env) : 7;
  std::mt19937 rng(seed);
  const int rounds = LongRun() ? 600 : 40;
  const auto budget = LongRun() ? std::chrono::minutes(20) : std::chrono::minutes(2);
  const auto start = std::chrono::steady_clock::now();
  size_t accepted = 0, forbidden = 0, forged_tries = 0, broadcasts = 0;
  int round = 0;
  for (; round < rounds && std::chrono::steady_clock::now() - start < budget; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
    // Everyone edits its own, possibly stale, replica, then all send.
    std::vector<size_t> sent_before(kClients), acks_before(kClients);
    for (size_t i = 0; i < kClients; ++i) {
      Editor& e = *clients[i];
      sent_before[i] = e.sent_batches();
      acks_before[i] = e.acks();
      for (int tries = 0; tries < 5; ++tries) {
        if (RandomEdit(e.replica(), rng, kUsers[i])) break;
      }
    }
    for (auto& e : clients) ASSERT_TRUE(e->SendPending());
    // Sometimes a throwaway Vestby client forges an edit of a deleted node.
    std::unique_ptr<Editor> forger;
    if (rng() % 4 == 0) {
      forger = Join(port, forger_token);
      ASSERT_NE(forger, nullptr);
      Replica& fr = forger->replica();
      const std::vector<OpId> trash = fr.Children(kTrashNode);
      // The core stamps id, Lamport and deps on a harmless local edit; the
      // forged op reuses them for an edit of the deleted node.
      if (!trash.empty() && fr.InsertText(kRootNode, "title", 0, "x").ok()) {
        Op op = fr.log().back();
        op.node = Pick(trash, rng);
        const KindSchema* kind = fr.schema().Find(fr.KindOf(op.node));
        if (kind != nullptr && !kind->texts.empty()) {
          op.name = *kind->texts.begin();
          op.left = op.right = kNullId;
          op.text = "forged";
          ++forged_tries;
          ASSERT_TRUE(forger->ws().Send(Json{{"v", 1}, {"type", "ops"}, {"ref", "forged"},
                                             {"ops", protocol::OpsToJson({op}, false)}}));
          ASSERT_TRUE(forger->PumpUntil(
              [&] { return forger->acks() + forger->errors().size() >= 1; }, Ms(10000)));
          for (const Json& err : forger->errors()) {
            ASSERT_EQ(err["code"], "forbidden") << err.dump();
            ++forbidden;
          }
          accepted += forger->acks();
        }
      }
    }
    // Wait for each client's answer; a client whose edit was refused
    // rejoins as a fresh replica (its local op is not on the server).
    for (size_t i = 0; i < kClients; ++i) {
      Editor& e = *clients[i];
      ASSERT_TRUE(e.PumpUntil([&] { return e.acks() + e.errors().size() >= e.sent_batches(); },
                              Ms(10000)))
          << "client " << i << " got no answer\n" << server.log();
      accepted += e.acks() - acks_before[i];
      if (!e.errors().empty()) {
        for (const Json& err : e.errors()) {
          ASSERT_EQ(err["code"], "forbidden") << kUsers[i].name << ": " << err.dump();
          ++forbidden;
        }
        clients[i] = Join(port, token(kUsers[i]));
        ASSERT_NE(clients[i], nullptr) << server.log();
      }
    }
    // The auditor gets one broadcast per accepted batch.
    std::vector<std::vector<Op>> batches;
    std::vector<uint64_t> seqs;
    const auto deadline = std::chrono::steady_clock::now() + Ms(10000);
    while (broadcasts < accepted && std::chrono::steady_clock::now() < deadline) {
      std::optional<Json> m = auditor.ws().Read(Ms(200));
      if (!m || m->value("type", "") != "ops") continue;
      std::vector<Op> ops;
      ASSERT_TRUE(protocol::OpsFromJson((*m)["ops"], "ops", 1u << 20, &ops).ok());
      batches.push_back(std::move(ops));
      seqs.push_back((*m)["first_seq"].get<uint64_t>());
      ++broadcasts;
    }
    ASSERT_EQ(broadcasts, accepted) << "the auditor missed broadcasts";
    // Replay in broadcast-seq order first, then any other order.
    std::vector<size_t> order(batches.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return seqs[a] < seqs[b]; });
    std::string first_why;
    std::unique_ptr<Replica> next;
    std::vector<size_t> perm = order;
    std::sort(perm.begin(), perm.end());
    next = Replay(*oracle, batches, order, &first_why);
    for (int tries = 0; next == nullptr && tries < 130; ++tries) {
      std::string why;
      next = Replay(*oracle, batches, perm, &why);
      if (!std::next_permutation(perm.begin(), perm.end())) break;
    }
    ASSERT_NE(next, nullptr) << "no order of this round's batches obeys the rules: "
                             << first_why;
    oracle = std::move(next);
  }
  SCOPED_TRACE("seed " + std::to_string(seed) + " after " + std::to_string(round) + " rounds");
  // The rules were exercised both ways.
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(forbidden, 0u);
  EXPECT_TRUE(oracle->CheckInvariants().ok());

  // Everyone converges to the oracle's plan: a fresh viewer, the HTTP
  // state, every client, and a fresh client per user.
  const std::string expected = oracle->CanonicalDump();
  Editor viewer(port, MintToken(data, "vera", "Våler", kPlan, Role::kViewer));
  ASSERT_TRUE(viewer.Open());
  ASSERT_EQ(viewer.Join(kPlan)["type"], "joined");
  EXPECT_EQ(viewer.replica().CanonicalDump(), expected);
  const auto [status, body] =
      HttpRequest(port, "GET", std::string("/api/plans/") + kPlan, token(kUsers[1]));
  ASSERT_EQ(status, 200) << body;
  Json state = Json::parse(body, nullptr, false);
  ASSERT_FALSE(state.is_discarded());
  Json want = protocol::PlanStateToJson(*oracle);
  for (const char* key : {"plan", "seq"}) state.erase(key);
  EXPECT_EQ(state, want);
  for (size_t i = 0; i < kClients; ++i) {
    Editor& e = *clients[i];
    ASSERT_TRUE(e.PumpUntil([&] { return e.replica().version() == viewer.replica().version(); },
                            Ms(15000)))
        << kUsers[i].name;
    EXPECT_EQ(e.replica().CanonicalDump(), expected) << kUsers[i].name;
    EXPECT_TRUE(e.errors().empty()) << kUsers[i].name;
    std::unique_ptr<Editor> again = Join(port, token(kUsers[i]));
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->replica().CanonicalDump(), expected) << kUsers[i].name << " rejoined";
  }
  // The server is up and well.
  EXPECT_TRUE(server.running());
  EXPECT_EQ(HttpRequest(port, "GET", "/healthz").first, 200);
  EXPECT_EQ(server.log().find("plan_poisoned"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace samplan::testing
