// The server's trust boundary against one client, as an attacker or a
// client on a flaky network would try it: acks that must mean stored, ops
// that name unknown ids or lie about their clocks, oversized deletes,
// quotas. Each test drives a real `samplan serve` and checks that the
// offender alone gets an error while a bystander in the same plan keeps
// working and receives nothing that was refused.
#include <signal.h>

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "protocol/json_codec.h"
#include "storage/rocksdb_plan_store.h"
#include "tests/server_harness.h"

namespace samplan::testing {
namespace {

constexpr char kPlan[] = "demo";

OpId FirstGoal(Replica& r) { return r.Children(kRootNode)[0]; }

// A bystander: joined, edits nothing, and must never be disturbed.
struct Bystander {
  explicit Bystander(ServerFixture& f)
      : editor(f.server.port(), f.Token("siri", "Råde", Role::kEditor)) {}
  bool Open() { return editor.Open() && editor.Join(kPlan)["type"] == "joined"; }
  // Still connected and answering pings, counting the ops messages seen
  // in ops_seen. Broadcasts and the pong come from different strands, so
  // it first waits (bounded) until `expected_ops` have arrived.
  bool StillServed(size_t expected_ops) {
    const auto deadline = std::chrono::steady_clock::now() + Ms(5000);
    while (ops_seen < expected_ops &&
           std::chrono::steady_clock::now() < deadline) {
      std::optional<Json> m = editor.ws().Read(Ms(100));
      if (!m && editor.ws().closed()) return false;
      if (m && (*m)["type"] == "ops") ++ops_seen;
    }
    if (!editor.ws().Send(Json{{"v", 1}, {"type", "ping"}, {"ref", "p"}})) {
      return false;
    }
    bool pong = false;
    while (!pong && std::chrono::steady_clock::now() < deadline + Ms(5000)) {
      std::optional<Json> m = editor.ws().Read(Ms(100));
      if (!m) {
        if (editor.ws().closed()) return false;
        continue;
      }
      if ((*m)["type"] == "pong") {
        pong = true;
      } else if ((*m)["type"] == "ops") {
        ++ops_seen;
      }
    }
    return pong && !editor.ws().closed();
  }
  Editor editor;
  size_t ops_seen = 0;
};

Json OpsMessage(const std::string& ref, const Json& ops) {
  return Json{{"v", 1}, {"type", "ops"}, {"ref", ref}, {"ops", ops}};
}

// The next ack or error for `ref`.
std::optional<Json> Answer(WsClient& ws, const std::string& ref, Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<Json> m = ws.Read(Ms(100));
    if (!m) {
      if (ws.closed()) return std::nullopt;
      continue;
    }
    const std::string type = m->value("type", "");
    if ((type == "ack" || type == "error") && m->value("ref", "") == ref) {
      return m;
    }
  }
  return std::nullopt;
}

// A scratch copy of `editor`'s replica, to build ops the editor does not
// apply itself.
std::unique_ptr<Replica> Copy(Editor& editor) {
  Result<std::unique_ptr<Replica>> copy = Replica::DecodeSnapshot(
      editor.replica().EncodeSnapshot(), editor.replica_id());
  EXPECT_TRUE(copy.ok()) << copy.status().ToString();
  return copy.ok() ? std::move(*copy) : nullptr;
}

// An op of `editor`'s replica typing `text` at the start of `goal`'s
// title, as the client would send it (not applied locally).
Op TypingOp(Editor& editor, OpId goal, const std::string& text) {
  std::unique_ptr<Replica> scratch = Copy(editor);
  EXPECT_TRUE(scratch->InsertText(goal, "title", 0, text).ok());
  return scratch->log().back();
}

// ---------------------------------------------------------------------------
// Acknowledged means stored, also for a batch re-sent after a reconnect.

TEST(TrustBoundaryTest, ResentBatchIsAckedOnlyOnceStored) {
  ServerFixture f;
  // A slow disk: each append is held 300 ms, so the re-sent batch surely
  // arrives while its first copy is still on its way to storage.
  const std::vector<std::string> slow = {"--test-append-delay-ms", "300"};
  ASSERT_TRUE(f.Start(slow)) << f.server.log();
  const std::string admin = f.Token("kari", "Moss", Role::kAdmin);
  const std::string anne = f.Token("anne", "Moss", Role::kEditor);
  for (int trial = 0; trial < 3; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    // A bulk writer whose big batches keep the store busy.
    Editor bulk(f.server.port(), admin);
    ASSERT_TRUE(bulk.Open());
    ASSERT_EQ(bulk.Join(kPlan)["type"], "joined");
    const OpId goal = FirstGoal(bulk.replica());
    const std::string chunk(200, 'x');
    for (int b = 0; b < 3; ++b) {
      ASSERT_TRUE(bulk.Edit([&](Replica& r) {
        for (int i = 0; i < 600; ++i) {
          SAMPLAN_RETURN_IF_ERROR(r.InsertText(goal, "body", 0, chunk));
        }
        return Status::OK();
      }));
    }
    // The flaky client: sends a big batch whose last op types a marker,
    // drops the connection while it is being appended, rejoins as the
    // same replica and re-sends it at once.
    Editor flaky(f.server.port(), anne);
    ASSERT_TRUE(flaky.Open());
    ASSERT_EQ(flaky.Join(kPlan)["type"], "joined");
    const std::string marker = "resent-" + std::to_string(trial) + " ";
    std::unique_ptr<Replica> scratch = Copy(flaky);
    for (int i = 0; i < 600; ++i) {
      ASSERT_TRUE(scratch->InsertText(goal, "body", 0, chunk).ok());
    }
    ASSERT_TRUE(scratch->InsertText(goal, "title", 0, marker).ok());
    std::vector<Op> batch;
    ASSERT_TRUE(scratch->OpsSince(flaky.replica().version(), &batch).ok());
    ASSERT_EQ(batch.size(), 601u);
    const Json msg = OpsMessage("x", protocol::OpsToJson(batch, false));
    ASSERT_TRUE(flaky.ws().Send(msg));
    flaky.Disconnect();
    WsClient again;
    ASSERT_TRUE(again.Connect(f.server.port()));
    ASSERT_TRUE(again.Send(Json{{"v", 1}, {"type", "auth"}, {"token", anne}}));
    ASSERT_TRUE(again.ReadType("authenticated", Ms(5000)));
    // The old session may not be gone yet: retry while the id is in use.
    bool joined = false;
    for (int attempt = 0; attempt < 200 && !joined; ++attempt) {
      ASSERT_TRUE(again.Send(
          Json{{"v", 1},
               {"type", "join"},
               {"plan", kPlan},
               {"replica", flaky.replica_id()},
               {"version", protocol::VersionToJson(scratch->version())}}));
      std::optional<Json> m = again.Read(Ms(5000));
      ASSERT_TRUE(m);
      if ((*m)["type"] == "joined") {
        joined = true;
      } else {
        ASSERT_EQ((*m)["code"], "replica_in_use") << m->dump();
        std::this_thread::sleep_for(Ms(1));
      }
    }
    ASSERT_TRUE(joined);
    ASSERT_TRUE(again.Send(msg));
    std::optional<Json> ack = Answer(again, "x", Ms(30000));
    ASSERT_TRUE(ack);
    ASSERT_EQ((*ack)["type"], "ack") << ack->dump();
    // kill -9 on the ack: what was acknowledged must be there.
    EXPECT_EQ(f.server.Signal(SIGKILL, Ms(5000)), 128 + SIGKILL);
    ASSERT_TRUE(f.Start(slow)) << f.server.log();
    Editor check(f.server.port(), admin);
    ASSERT_TRUE(check.Open());
    ASSERT_EQ(check.Join(kPlan)["type"], "joined");
    Result<std::string> title = check.replica().Text(goal, "title");
    ASSERT_TRUE(title.ok());
    EXPECT_EQ(title->rfind(marker, 0), 0u) << "acknowledged op lost: " << *title;
  }
}

// ---------------------------------------------------------------------------
// One op must never take down a plan for everyone.

TEST(TrustBoundaryTest, OpsNamingUnknownIdsAreRefusedToTheSenderAlone) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  Bystander bystander(f);
  ASSERT_TRUE(bystander.Open());
  Editor attacker(f.server.port(), f.Token("kari", "Moss", Role::kAdmin));
  ASSERT_TRUE(attacker.Open());
  ASSERT_EQ(attacker.Join(kPlan)["type"], "joined");
  const OpId goal = FirstGoal(attacker.replica());
  const auto [status_before, state_before] =
      HttpRequest(f.server.port(), "GET", "/api/plans/demo",
                  f.Token("kari", "Moss", Role::kAdmin));
  ASSERT_EQ(status_before, 200);
  const OpId unknown{attacker.replica_id() + 1, 42};
  const Op base = TypingOp(attacker, goal, "y");
  // Every id slot an op has, pointed at an id the server never saw.
  std::vector<std::pair<std::string, Op>> cases;
  auto add = [&](const std::string& name, auto mutate) {
    Op op = base;
    mutate(op);
    cases.emplace_back(name, op);
  };
  add("dependency", [&](Op& op) { op.deps = {unknown}; });
  add("node", [&](Op& op) { op.node = unknown; });
  add("left origin", [&](Op& op) { op.left = unknown; });
  add("right origin", [&](Op& op) { op.right = unknown; });
  add("parent", [&](Op& op) {
    op.kind = OpKind::kCreateNode;
    op.name = "goal";
    op.text.clear();
    op.node = kNullId;
    op.left = op.right = kNullId;
    op.parent = unknown;
  });
  add("moved node", [&](Op& op) {
    op.kind = OpKind::kMoveNode;
    op.text.clear();
    op.left = op.right = kNullId;
    op.node = unknown;
    op.parent = kRootNode;
  });
  add("sibling", [&](Op& op) {
    op.kind = OpKind::kMoveNode;
    op.text.clear();
    op.right = kNullId;
    op.node = goal;
    op.parent = kRootNode;
    op.left = unknown;
  });
  add("superseded value", [&](Op& op) {
    op.kind = OpKind::kSetField;
    op.text.clear();
    op.left = op.right = kNullId;
    op.name = "status";
    op.value = FieldValue::String("done");
    op.supersedes = {unknown};
  });
  add("deleted span", [&](Op& op) {
    op.kind = OpKind::kDeleteText;
    op.text.clear();
    op.left = op.right = kNullId;
    op.spans = {IdSpan{unknown.replica, unknown.counter, 3, false}};
  });
  add("table line", [&](Op& op) {
    op.kind = OpKind::kDeleteTableLine;
    op.text.clear();
    op.left = op.right = kNullId;
    op.name = "values";
    op.target = unknown;
  });
  add("table origin", [&](Op& op) {
    op.kind = OpKind::kInsertTableLine;
    op.text.clear();
    op.right = kNullId;
    op.name = "values";
    op.left = unknown;
  });
  add("future counter", [&](Op& op) { op.id.counter += 5; });
  for (int round = 0; round < 3; ++round) {  // "repeat this forever"
    for (const auto& [name, op] : cases) {
      SCOPED_TRACE(name);
      const std::string ref = "u" + std::to_string(round) + name;
      ASSERT_TRUE(attacker.ws().Send(
          OpsMessage(ref, Json::array({protocol::OpToJson(op, false)}))));
      std::optional<Json> answer = Answer(attacker.ws(), ref, Ms(5000));
      ASSERT_TRUE(answer) << "attacker's session was closed: "
                          << attacker.ws().close_code();
      EXPECT_EQ((*answer)["type"], "error");
      const std::string code = answer->value("code", "");
      EXPECT_TRUE(code == "missing_dependencies" || code == "invalid_op")
          << answer->dump();
    }
  }
  EXPECT_TRUE(bystander.StillServed(0));
  EXPECT_EQ(bystander.ops_seen, 0u);
  const auto [status_after, state_after] =
      HttpRequest(f.server.port(), "GET", "/api/plans/demo",
                  f.Token("kari", "Moss", Role::kAdmin));
  EXPECT_EQ(state_after, state_before);
  // Both still edit.
  ASSERT_TRUE(attacker.Edit(
      [&](Replica& r) { return r.InsertText(goal, "title", 0, "ok "); }));
  ASSERT_TRUE(attacker.PumpUntil([&] { return attacker.acks() == 1; },
                                 Ms(10000)));
  ASSERT_TRUE(bystander.editor.Edit(
      [&](Replica& r) { return r.InsertText(goal, "body", 0, "still "); }));
  ASSERT_TRUE(bystander.editor.PumpUntil(
      [&] { return bystander.editor.acks() == 1; }, Ms(10000)));
}

TEST(TrustBoundaryTest, LamportsAreBoundedAndBackdatedOpsRefused) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  Bystander bystander(f);
  ASSERT_TRUE(bystander.Open());
  Editor attacker(f.server.port(), f.Token("anne", "Moss", Role::kEditor));
  ASSERT_TRUE(attacker.Open());
  ASSERT_EQ(attacker.Join(kPlan)["type"], "joined");
  const OpId goal = FirstGoal(attacker.replica());
  const uint64_t clock = attacker.replica().max_lamport();
  Op op = TypingOp(attacker, goal, "z");
  struct Case {
    const char* name;
    uint64_t lamport;
    bool drop_deps;
  };
  for (const Case& c :
       {Case{"max wire integer", (uint64_t{1} << 53) - 1, false},
        Case{"just past the bound", clock + 2, false},
        Case{"backdated below its dependencies", 1, false},
        Case{"backdated, dependencies dropped", 1, true}}) {
    SCOPED_TRACE(c.name);
    Op bad = op;
    bad.lamport = c.lamport;
    if (c.drop_deps) bad.deps.clear();
    ASSERT_TRUE(attacker.ws().Send(
        OpsMessage(c.name, Json::array({protocol::OpToJson(bad, false)}))));
    std::optional<Json> answer = Answer(attacker.ws(), c.name, Ms(5000));
    ASSERT_TRUE(answer);
    EXPECT_EQ((*answer)["code"], "invalid_op") << answer->dump();
  }
  // A backdated move of an existing node (the move tree would undo and
  // redo its history): refused too.
  Op move = op;
  move.kind = OpKind::kMoveNode;
  move.text.clear();
  move.left = move.right = kNullId;
  move.node = attacker.replica().Children(goal)[0];
  move.parent = goal;
  move.deps.clear();
  move.lamport = 1;
  ASSERT_TRUE(attacker.ws().Send(
      OpsMessage("move", Json::array({protocol::OpToJson(move, false)}))));
  std::optional<Json> answer = Answer(attacker.ws(), "move", Ms(5000));
  ASSERT_TRUE(answer);
  EXPECT_EQ((*answer)["code"], "invalid_op") << answer->dump();
  // The honest op at the clock's edge is accepted, and the plan's clock is
  // still far from what the wire can carry.
  ASSERT_TRUE(attacker.ws().Send(
      OpsMessage("good", Json::array({protocol::OpToJson(op, false)}))));
  answer = Answer(attacker.ws(), "good", Ms(10000));
  ASSERT_TRUE(answer);
  EXPECT_EQ((*answer)["type"], "ack") << answer->dump();
  EXPECT_TRUE(bystander.StillServed(1));
  EXPECT_EQ(bystander.ops_seen, 1u);
  ASSERT_TRUE(bystander.editor.Edit(
      [&](Replica& r) { return r.InsertText(goal, "body", 0, "fine "); }));
  ASSERT_TRUE(bystander.editor.PumpUntil(
      [&] { return bystander.editor.acks() == 1; }, Ms(10000)));
  EXPECT_LT(bystander.editor.replica().max_lamport(), clock + 100);
}

TEST(TrustBoundaryTest, RepeatedOrOverlappingDeleteSpansAreRefused) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  Bystander bystander(f);
  ASSERT_TRUE(bystander.Open());
  Editor attacker(f.server.port(), f.Token("kari", "Moss", Role::kAdmin));
  ASSERT_TRUE(attacker.Open());
  ASSERT_EQ(attacker.Join(kPlan)["type"], "joined");
  const OpId goal = FirstGoal(attacker.replica());
  // A long text of its own first.
  ASSERT_TRUE(attacker.Edit([&](Replica& r) {
    return r.InsertText(goal, "body", 0, std::string(200000, 'a'));
  }));
  ASSERT_TRUE(attacker.PumpUntil([&] { return attacker.acks() == 1; },
                                 Ms(20000)));
  const Op typed = attacker.replica().log().back();
  ASSERT_EQ(typed.kind, OpKind::kInsertText);
  std::unique_ptr<Replica> scratch = Copy(attacker);
  ASSERT_TRUE(scratch->DeleteText(goal, "body", 0, 200000).ok());
  Op del = scratch->log().back();
  ASSERT_EQ(del.kind, OpKind::kDeleteText);
  ASSERT_EQ(del.spans.size(), 1u);
  const IdSpan whole = del.spans[0];
  Op repeated = del;
  repeated.spans.assign(300, whole);
  Op overlapping = del;
  overlapping.spans = {IdSpan{whole.replica, whole.counter, 1000, false},
                       IdSpan{whole.replica, whole.counter + 999, 5, false}};
  for (const auto& [name, op] :
       {std::pair<std::string, Op>{"repeated", repeated},
        std::pair<std::string, Op>{"overlapping", overlapping}}) {
    ASSERT_TRUE(attacker.ws().Send(
        OpsMessage(name, Json::array({protocol::OpToJson(op, false)}))));
    std::optional<Json> answer = Answer(attacker.ws(), name, Ms(10000));
    ASSERT_TRUE(answer) << name;
    EXPECT_EQ((*answer)["code"], "invalid_op") << answer->dump();
  }
  EXPECT_TRUE(bystander.StillServed(1));
  EXPECT_EQ(bystander.ops_seen, 1u);  // the text only
  ASSERT_TRUE(attacker.ws().Send(
      OpsMessage("del", Json::array({protocol::OpToJson(del, false)}))));
  std::optional<Json> answer = Answer(attacker.ws(), "del", Ms(20000));
  ASSERT_TRUE(answer);
  EXPECT_EQ((*answer)["type"], "ack") << answer->dump();
}

// A reloaded page rejoins before the server has seen its old socket close:
// the same user takes the replica over at once (the old session is told
// and closed); another user never can.
TEST(TrustBoundaryTest, OnlyTheSameUserTakesOverALiveReplica) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  Bystander bystander(f);
  ASSERT_TRUE(bystander.Open());
  const std::string anne = f.Token("anne", "Moss", Role::kEditor);
  Editor old_tab(f.server.port(), anne);
  ASSERT_TRUE(old_tab.Open());
  ASSERT_EQ(old_tab.Join(kPlan)["type"], "joined");
  const uint64_t replica = old_tab.replica_id();
  auto join_as = [&](WsClient& ws, const std::string& token) -> std::optional<Json> {
    if (!ws.Connect(f.server.port())) return std::nullopt;
    if (!ws.Send(Json{{"v", 1}, {"type", "auth"}, {"token", token}})) return std::nullopt;
    if (!ws.ReadType("authenticated", Ms(5000))) return std::nullopt;
    if (!ws.Send(Json{{"v", 1}, {"type", "join"}, {"plan", kPlan}, {"replica", replica},
                      {"version", protocol::VersionToJson(old_tab.replica().version())}})) {
      return std::nullopt;
    }
    return ws.Read(Ms(5000));
  };
  // Another user: refused, the owner's session is undisturbed.
  WsClient thief;
  std::optional<Json> refused = join_as(thief, f.Token("ola", "Vestby", Role::kEditor));
  ASSERT_TRUE(refused);
  EXPECT_EQ((*refused)["code"], "replica_in_use") << refused->dump();
  ASSERT_TRUE(old_tab.ws().Send(Json{{"v", 1}, {"type", "ping"}, {"ref", "p"}}));
  ASSERT_TRUE(old_tab.ws().ReadType("pong", Ms(5000)));
  // The same user: joined at once; the old session gets the reason and 1008.
  WsClient new_tab;
  std::optional<Json> joined = join_as(new_tab, anne);
  ASSERT_TRUE(joined);
  ASSERT_EQ((*joined)["type"], "joined") << joined->dump();
  EXPECT_EQ((*joined)["replica"], replica);
  std::optional<Json> told = old_tab.ws().ReadType("error", Ms(5000));
  ASSERT_TRUE(told);
  EXPECT_EQ((*told)["code"], "replica_taken_over") << told->dump();
  ASSERT_TRUE(old_tab.ws().WaitClosed(Ms(5000)));
  EXPECT_EQ(old_tab.ws().close_code(), 1008);
  // The new session edits with the replica; the bystander gets the edit.
  std::unique_ptr<Replica> mine = Copy(old_tab);
  const OpId goal = FirstGoal(*mine);
  ASSERT_TRUE(mine->InsertText(goal, "title", 0, "Ny fane: ").ok());
  std::vector<Op> ops;
  ASSERT_TRUE(mine->OpsSince(old_tab.replica().version(), &ops).ok());
  ASSERT_TRUE(new_tab.Send(OpsMessage("t1", protocol::OpsToJson(ops, false))));
  std::optional<Json> ack = Answer(new_tab, "t1", Ms(5000));
  ASSERT_TRUE(ack);
  EXPECT_EQ((*ack)["type"], "ack") << ack->dump();
  EXPECT_TRUE(bystander.StillServed(1));
  EXPECT_EQ(bystander.ops_seen, 1u);
}

TEST(TrustBoundaryTest, PresenceAnchorsMustNameWhatThePlanHas) {
  ServerFixture f;
  ASSERT_TRUE(f.Start()) << f.server.log();
  Bystander bystander(f);
  ASSERT_TRUE(bystander.Open());
  Editor e(f.server.port(), f.Token("per", "Viken", Role::kReviewer));
  ASSERT_TRUE(e.Open());
  ASSERT_EQ(e.Join(kPlan)["type"], "joined");
  const OpId goal = FirstGoal(e.replica());
  const Json unknown_node = {{"node", protocol::OpIdToJson(OpId{99, 99})}};
  const Json not_a_text = {{"node", protocol::OpIdToJson(goal)},
                           {"field", "status"}};
  const Json unknown_char = {{"node", protocol::OpIdToJson(goal)},
                             {"field", "title"},
                             {"char", protocol::OpIdToJson(OpId{99, 1})},
                             {"side", "before"}};
  for (const Json& anchor : {unknown_node, not_a_text, unknown_char}) {
    ASSERT_TRUE(e.ws().Send(Json{
        {"v", 1}, {"type", "presence"}, {"anchor", anchor}, {"typing", false}}));
    std::optional<Json> error = e.ws().ReadType("error", Ms(5000));
    ASSERT_TRUE(error) << anchor.dump();
    EXPECT_EQ((*error)["code"], "bad_message") << error->dump();
    // The same as a selection's other end, after a valid caret.
    ASSERT_TRUE(e.ws().Send(Json{{"v", 1},
                                 {"type", "presence"},
                                 {"anchor", {{"node", protocol::OpIdToJson(goal)}}},
                                 {"head", anchor},
                                 {"typing", false}}));
    error = e.ws().ReadType("error", Ms(5000));
    ASSERT_TRUE(error) << anchor.dump();
    EXPECT_EQ((*error)["code"], "bad_message") << error->dump();
    EXPECT_NE((*error)["message"].get<std::string>().find("head"), std::string::npos)
        << error->dump();
  }
  ASSERT_TRUE(e.ws().Send(Json{{"v", 1},
                               {"type", "presence"},
                               {"anchor", {{"node", protocol::OpIdToJson(goal)}}},
                               {"typing", false}}));
  // The bystander sees the valid one only (after the join's presence).
  const auto deadline = std::chrono::steady_clock::now() + Ms(5000);
  std::vector<Json> seen;
  while (seen.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::optional<Json> m = bystander.editor.ws().Read(Ms(100));
    if (m && (*m)["type"] == "presence") seen.push_back(*m);
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[0]["anchor"].is_null()) << seen[0].dump();
  EXPECT_EQ(seen[1]["anchor"]["node"], protocol::OpIdToJson(goal));
  EXPECT_TRUE(bystander.StillServed(0));
}

// ---------------------------------------------------------------------------
// Quotas and the bounded append queue.

TEST(TrustBoundaryTest, PlanSizeAndPendingQueueAreBounded) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--max-plan-chars", "20000", "--max-plan-nodes", "60",
                       "--max-pending-ops", "100"}))
      << f.server.log();
  Bystander bystander(f);
  ASSERT_TRUE(bystander.Open());
  Editor e(f.server.port(), f.Token("kari", "Moss", Role::kAdmin));
  ASSERT_TRUE(e.Open());
  ASSERT_EQ(e.Join(kPlan)["type"], "joined");
  const OpId goal = FirstGoal(e.replica());
  // Too much text for the plan.
  std::unique_ptr<Replica> scratch = Copy(e);
  ASSERT_TRUE(
      scratch->InsertText(goal, "body", 0, std::string(30000, 'q')).ok());
  ASSERT_TRUE(e.ws().Send(OpsMessage(
      "big", Json::array({protocol::OpToJson(scratch->log().back(), false)}))));
  std::optional<Json> answer = Answer(e.ws(), "big", Ms(10000));
  ASSERT_TRUE(answer);
  EXPECT_EQ((*answer)["code"], "quota_exceeded") << answer->dump();
  // Too many nodes.
  std::unique_ptr<Replica> nodes = Copy(e);
  std::vector<Op> creates;
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(nodes->CreateNode(goal, 0, "measure").ok());
    creates.push_back(nodes->log().back());
  }
  ASSERT_TRUE(e.ws().Send(OpsMessage("nodes", protocol::OpsToJson(creates, false))));
  answer = Answer(e.ws(), "nodes", Ms(10000));
  ASSERT_TRUE(answer);
  EXPECT_EQ((*answer)["code"], "quota_exceeded") << answer->dump();
  // The creates before the refused one are stored and acked.
  answer = Answer(e.ws(), "nodes", Ms(10000));
  ASSERT_TRUE(answer);
  EXPECT_EQ((*answer)["type"], "ack") << answer->dump();
  EXPECT_GT((*answer)["accepted"].get<int>(), 0) << answer->dump();
  // A batch larger than what may wait for storage.
  std::unique_ptr<Replica> many = Copy(e);
  std::vector<Op> fields;
  for (int i = 0; i < 101; ++i) {
    ASSERT_TRUE(many->SetField(goal, "status",
                               FieldValue::String(i % 2 ? "planned" : "done"))
                    .ok());
    fields.push_back(many->log().back());
  }
  ASSERT_TRUE(e.ws().Send(OpsMessage("many", protocol::OpsToJson(fields, false))));
  answer = Answer(e.ws(), "many", Ms(10000));
  ASSERT_TRUE(answer);
  EXPECT_EQ((*answer)["code"], "unavailable") << answer->dump();
  EXPECT_TRUE(bystander.StillServed(1));
  // Only the creates before the node quota was reached (the ops before a
  // refused one are accepted).
  EXPECT_EQ(bystander.ops_seen, 1u);
  // Within the quotas all is well.
  ASSERT_TRUE(bystander.editor.Edit(
      [&](Replica& r) { return r.InsertText(goal, "body", 0, "fits"); }));
  ASSERT_TRUE(bystander.editor.PumpUntil(
      [&] { return bystander.editor.acks() == 1; }, Ms(10000)));
}

// ---------------------------------------------------------------------------
// Author time stamps seen by joining clients are the ones in the log.

TEST(TrustBoundaryTest, JoinersSeeTheAuthorsOfTheHashChainedLog) {
  ServerFixture f;
  ASSERT_TRUE(f.Start({"--snapshot-every", "0"})) << f.server.log();
  std::vector<std::unique_ptr<Editor>> editors;
  for (const auto& [user, mun] :
       std::vector<std::pair<std::string, std::string>>{
           {"kari", "Moss"}, {"ola", "Vestby"}, {"siri", "Råde"}}) {
    editors.push_back(std::make_unique<Editor>(
        f.server.port(), f.Token(user, mun, Role::kAdmin)));
    ASSERT_TRUE(editors.back()->Open());
    ASSERT_EQ(editors.back()->Join(kPlan)["type"], "joined");
  }
  const OpId goal = FirstGoal(*&editors[0]->replica());
  // Concurrent batches from three writers, several in flight at once.
  for (int i = 0; i < 30; ++i) {
    for (auto& e : editors) {
      ASSERT_TRUE(e->Edit([&](Replica& r) {
        return r.InsertText(goal, "body", 0, std::to_string(i));
      }));
    }
  }
  // One writer's burst: batches queue behind the one being appended and
  // are stored together, each stamped at its own arrival.
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(editors[0]->Edit([&](Replica& r) {
      return r.InsertText(goal, "title", 0, std::to_string(i));
    }));
    std::this_thread::sleep_for(Ms(2));
  }
  for (size_t k = 0; k < editors.size(); ++k) {
    Editor& e = *editors[k];
    const size_t want = k == 0 ? 70 : 30;
    ASSERT_TRUE(e.PumpUntil([&] { return e.acks() == want; }, Ms(20000)));
  }
  // A joiner while the room is still loaded (its ops come from memory).
  Editor joiner(f.server.port(), f.Token("vera", "Våler", Role::kViewer));
  ASSERT_TRUE(joiner.Open());
  ASSERT_EQ(joiner.Join(kPlan)["type"], "joined");
  EXPECT_EQ(f.server.Signal(SIGTERM, Ms(15000)), 0);
  std::unique_ptr<RocksDbPlanStore> store;
  ASSERT_TRUE(RocksDbPlanStore::Open(f.data() + "/db",
                                     RocksDbPlanStoreOptions(), &store)
                  .ok());
  std::vector<StoredOp> stored;
  ASSERT_TRUE(store->ReadRange(kPlan, 1, 100000, &stored).ok());
  // Every unit the joiner holds has the author the log gives it.
  std::map<std::pair<ReplicaId, uint64_t>, Author> logged;
  for (const StoredOp& s : stored) {
    for (uint64_t k = 0; k < s.op.Length(); ++k) {
      logged[{s.op.id.replica, s.op.id.counter + k}] = s.op.author;
    }
  }
  size_t checked = 0;
  for (const Op& op : joiner.replica().log()) {
    for (uint64_t k = 0; k < op.Length(); ++k) {
      auto it = logged.find({op.id.replica, op.id.counter + k});
      ASSERT_NE(it, logged.end()) << op.id.ToString();
      ASSERT_EQ(it->second, op.author) << DescribeOp(op);
      ++checked;
    }
  }
  EXPECT_GE(checked, 130u);
}

}  // namespace
}  // namespace samplan::testing
