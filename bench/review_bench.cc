// Review at scale (issue 9, "Performance"): the demo plan plus 2,000
// comment threads and 500 open suggestions made by eight authors of the
// four municipalities, measured through the same code the server and the
// browser run.
//
//   build/review_bench [local|socket|all|profile PHASE] [--runs N]
//                      [--threads N] [--suggestions N] [--dump-joined PREFIX]
//
//   local   in-process, each figure the median of N runs (default 9):
//           join       server side: OpsSince({}) + the joined message as
//                      the room makes it (protocol::MakeJoined, JSON);
//                      client side: parse, OpsFromJson, ApplyAll into a
//                      fresh Replica; also the snapshot form (EncodeSnapshot
//                      + base64 / base64 + DecodeSnapshot); and the binary
//                      form ("encoding": "binary"): server OpsSince +
//                      EncodeOps + base64 + MakeJoinedBinary (and with the
//                      room's cached encoding: MakeJoinedBinary alone),
//                      client parse + base64 decode + DecodeOps + ApplyAll
//           inbox      RunReviewQueryText(inbox), the server's answer, for
//                      one user (ola, Vestby) and for each of the eight
//                      users (the slowest); RunReviewQuery (Json) too
//           anchors    LocateThread for every thread + CheckSuggestion for
//                      every suggestion
//   socket  the same plan in a RocksDB store, `samplan serve --no-demo`
//           (build/samplan, next to this program) started on it; N joins
//           over WebSocket (the first one cold: the room loads the plan),
//           timed from the join message sent to the joined message read,
//           then applied into a fresh Replica as a browser would; JSON
//           joins, then binary ones ("encoding": "binary")
//   --dump-joined PREFIX  (local) also writes the two fresh joined
//           messages, PREFIX.json and PREFIX.binary.json, e.g. to time what
//           the browser does with them (JSON.parse + the wasm's apply)
//
//   profile PHASE  one phase in a loop, to run under perf record: ops_since,
//           make_joined, parse, from_json, apply, snapshot_decode, inbox,
//           threads, make_joined_binary, decode_binary
//
// Prints one JSON object per part. Not a Google Benchmark program: the
// plan takes a while to build and the socket part drives a separate
// process, so it has its own main() and reports medians.
#include <time.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli/demo_plan.h"
#include "crdt/replica.h"
#include "protocol/base64.h"
#include "protocol/json_codec.h"
#include "protocol/messages.h"
#include "protocol/review_json.h"
#include "storage/rocksdb_plan_store.h"
#include "tests/server_harness.h"

namespace samplan::bench {
namespace {

using protocol::Json;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// CPU time of this thread, ms: on a machine shared with other work it
// shows what the code costs when the wall clock also counts waiting.
double CpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Times `f` `runs` times; returns the samples in ms.
std::vector<double> TimeRuns(int runs, const std::function<void()>& f) {
  std::vector<double> out;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    f();
    out.push_back(Ms(Clock::now() - t0));
  }
  return out;
}

// {"median", "min", "max"} of samples, ms with 3 decimals.
std::string Stats(std::vector<double> v) {
  if (v.empty()) return "null";
  std::sort(v.begin(), v.end());
  const double median = v.size() % 2 ? v[v.size() / 2]
                                     : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  char buf[128];
  std::snprintf(buf, sizeof buf, "{\"median\": %.3f, \"min\": %.3f, \"max\": %.3f}",
                median, v.front(), v.back());
  return buf;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(2);
  }
}
template <typename T>
T Check(Result<T> r, const char* what) {
  Check(r.status(), what);
  return std::move(*r);
}

// ---- The plan ---------------------------------------------------------------

struct Person {
  const char* user;
  const char* municipality;
};
const Person kPeople[] = {{"kari", "Moss"},   {"ola", "Vestby"}, {"per", "Råde"},
                          {"lise", "Våler"},  {"nils", "Moss"},  {"anne", "Vestby"},
                          {"jon", "Råde"},    {"eva", "Våler"}};
constexpr int kAuthors = 8;
const char* const kMunicipalities[] = {"Moss", "Vestby", "Råde", "Våler"};

const char* const kBodies[] = {
    "Bør vi tallfeste dette?",
    "Kilden må oppgis her.",
    "Dette overlapper med tiltak 1.2 – kan vi slå dem sammen?",
    "Vestby støtter formuleringen, men ønsker en tidsfrist.",
    "Hvem har ansvaret for oppfølgingen?",
    "Tallene for 2024 er foreløpige, oppdateres i mars.",
    "Enig. Jeg tar det videre i arbeidsgruppen.",
    "Kan vi bruke samme begrep som i kommuneplanen?",
    "Budsjettet er ikke avklart ennå.",
    "Foreslår å stryke siste setning.",
};
const char* const kReplacements[] = {"næringslivet", "regionen", "kommunene",
                                     "innen 2027", "arbeidskraft",
                                     " og frivilligheten"};

struct TextTarget {
  OpId node;
  std::string field;
};
struct CellTarget {
  OpId node;
  OpId row, column;
};
struct FieldTarget {
  OpId node;
  std::string field;
  FieldValue value;
};

struct ReviewPlan {
  std::unique_ptr<Replica> hub;  // everything, as the server's replica has it
  size_t threads = 0, comments = 0, suggestions = 0, resolved = 0,
         assigned = 0, approvals = 0, plan_edits = 0;
};

// Eight author replicas (client ids, as the server hands out) around a hub:
// an author catches up with the hub before each action and the hub takes
// the author's op right after, as if the server relayed it at once.
ReviewPlan BuildReviewPlan(int n_threads, int n_suggestions) {
  ReviewPlan plan;
  plan.hub = std::make_unique<Replica>(2);
  Replica& hub = *plan.hub;
  hub.SetAuthor(Author{"demo", "", 1764000000000});
  Check(BuildDemoPlan(&hub), "demo plan");
  std::vector<std::unique_ptr<Replica>> authors;
  for (int i = 0; i < kAuthors; ++i) {
    authors.push_back(std::make_unique<Replica>((uint64_t{1} << 32) + i));
  }
  int64_t clock_ms = 1764000000000;
  auto act = [&](int a, const std::function<void(Replica&)>& f) {
    Replica& r = *authors[a];
    std::vector<Op> ops;
    Check(hub.OpsSince(r.version(), &ops), "hub ops");
    Check(r.ApplyAll(ops), "author apply");
    clock_ms += 1000;
    r.SetAuthor(Author{kPeople[a].user, kPeople[a].municipality, clock_ms});
    f(r);
    ops.clear();
    Check(r.OpsSince(hub.version(), &ops), "author ops");
    Check(hub.ApplyAll(ops), "hub apply");
  };

  // Targets in the demo plan.
  std::vector<OpId> nodes, goals, measures, subgoals, indicators;
  std::function<void(OpId)> walk = [&](OpId n) {
    nodes.push_back(n);
    const std::string& kind = hub.KindOf(n);
    if (kind == "goal") goals.push_back(n);
    if (kind == "measure") measures.push_back(n);
    if (kind == "subgoal") subgoals.push_back(n);
    if (kind == "indicator") indicators.push_back(n);
    for (OpId c : hub.Children(n)) walk(c);
  };
  walk(kRootNode);
  std::vector<TextTarget> texts;
  std::vector<FieldTarget> fields;
  std::vector<CellTarget> cells;
  for (OpId n : nodes) {
    const KindSchema* ks = hub.schema().Find(hub.KindOf(n));
    for (const std::string& t : ks->texts) {
      const TextSequence* seq = hub.TextOf(n, t);
      if (seq != nullptr && seq->size() >= 12) texts.push_back({n, t});
    }
    for (const auto& [f, type] : ks->fields) fields.push_back({n, f, {}});
    for (const std::string& t : ks->tables) {
      const Table* table = hub.TableOf(n, t);
      if (table == nullptr) continue;
      for (OpId row : table->VisibleLines(TableAxis::kRow)) {
        for (OpId col : table->VisibleLines(TableAxis::kColumn)) {
          cells.push_back({n, row, col});
        }
      }
    }
  }

  std::mt19937_64 rng(9);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  auto mention = [&]() -> std::string {
    return chance(60) ? std::string("user:") + kPeople[pick(kAuthors)].user
                      : std::string("municipality:") + kMunicipalities[pick(4)];
  };
  auto mentions = [&](int percent) {
    std::vector<std::string> m;
    if (chance(percent)) m.push_back(mention());
    if (chance(percent / 4)) m.push_back(mention());
    return m;
  };

  std::vector<OpId> thread_ids;
  for (int i = 0; i < n_threads; ++i) {
    const int a = static_cast<int>(pick(kAuthors));
    Replica::ThreadAnchorSpec spec;
    const int kind = i % 20;
    if (kind < 9) {  // 45 % on a text range
      const TextTarget& t = texts[pick(texts.size())];
      const size_t len = hub.TextOf(t.node, t.field)->size();
      const size_t span = 3 + pick(std::min<size_t>(28, len - 3));
      const size_t from = pick(len - span + 1);
      spec = Replica::ThreadAnchorSpec::OnText(t.node, t.field, from, from + span);
    } else if (kind < 13) {  // 20 % on a node
      spec = Replica::ThreadAnchorSpec::OnNode(nodes[pick(nodes.size())]);
    } else if (kind < 16) {  // 15 % on a field
      const FieldTarget& f = fields[pick(fields.size())];
      spec = Replica::ThreadAnchorSpec::OnField(f.node, f.field);
    } else {  // 20 % on a table cell
      const CellTarget& c = cells[pick(cells.size())];
      spec = Replica::ThreadAnchorSpec::OnCell(c.node, "values", c.row, c.column);
    }
    OpId thread;
    act(a, [&](Replica& r) {
      thread = Check(r.AddThread(spec, kBodies[pick(std::size(kBodies))], mentions(40)),
                     "add thread");
    });
    thread_ids.push_back(thread);
    ++plan.comments;
    // Replies, 0-3, by others; a few edited or deleted by their author.
    const int replies = static_cast<int>(pick(4));
    for (int k = 0; k < replies; ++k) {
      const int b = static_cast<int>(pick(kAuthors));
      OpId reply;
      act(b, [&](Replica& r) {
        reply = Check(r.Reply(thread, kBodies[pick(std::size(kBodies))], mentions(30)),
                      "reply");
      });
      ++plan.comments;
      if (chance(4)) {
        act(b, [&](Replica& r) {
          Check(r.EditComment(reply, "Rettet: se tallene fra SSB.", mentions(50)),
                "edit");
        });
      } else if (chance(2)) {
        act(b, [&](Replica& r) { Check(r.DeleteComment(reply), "delete"); });
      }
    }
    if (chance(30)) {
      ++plan.assigned;
      act(static_cast<int>(pick(kAuthors)), [&](Replica& r) {
        Check(r.SetThread(thread, "assignee", FieldValue::String(mention())), "assign");
        if (chance(50)) {
          Check(r.SetThread(thread, "due", FieldValue::Date("2027-01-31")), "due");
        }
      });
    }
    if (chance(20)) {
      ++plan.resolved;
      act(a, [&](Replica& r) {
        Check(r.SetThread(thread, "resolved", FieldValue::Bool(true)), "resolve");
      });
    }
    if (chance(30)) {
      act(static_cast<int>(pick(kAuthors)),
          [&](Replica& r) { Check(r.MarkRead(thread), "mark read"); });
    }
  }
  plan.threads = thread_ids.size();

  for (int i = 0; i < n_suggestions; ++i) {
    const int a = static_cast<int>(pick(kAuthors));
    const int kind = i % 20;
    act(a, [&](Replica& r) {
      if (kind < 8) {  // 40 % text: replace or insert
        const TextTarget& t = texts[pick(texts.size())];
        const size_t len = r.TextOf(t.node, t.field)->size();
        const size_t cut = chance(30) ? 0 : 1 + pick(std::min<size_t>(20, len - 1));
        const size_t pos = pick(len - cut + 1);
        Check(r.SuggestText(t.node, t.field, pos, cut,
                            kReplacements[pick(std::size(kReplacements))]),
              "suggest text");
      } else if (kind < 11) {  // 15 % field
        const OpId m = measures[pick(measures.size())];
        switch (pick(4)) {
          case 0:
            Check(r.SuggestField(m, "status", FieldValue::String("in progress")), "sf");
            break;
          case 1:
            Check(r.SuggestField(m, "year", FieldValue::Int(2027)), "sf");
            break;
          case 2:
            Check(r.SuggestField(m, "cost", FieldValue::Number(250000)), "sf");
            break;
          default:
            Check(r.SuggestField(m, "deadline", FieldValue::Date("2026-12-31")), "sf");
        }
      } else if (kind < 14) {  // 15 % cell
        const CellTarget& c = cells[pick(cells.size())];
        Check(r.SuggestCell(c.node, "values", c.row, c.column,
                            FieldValue::Number(1000 + pick(50000))),
              "suggest cell");
      } else if (kind < 16) {  // 10 % new node
        const OpId g = goals[pick(goals.size())];
        Check(r.SuggestNode(g, pick(r.Children(g).size() + 1), "measure",
                            "Nytt tiltak: felles næringsportal for regionen"),
              "suggest node");
      } else if (kind < 18) {  // 10 % move
        const OpId m = measures[pick(measures.size())];
        OpId g = goals[pick(goals.size())];
        if (g == r.ParentOf(m)) g = goals[(std::find(goals.begin(), goals.end(), g) -
                                           goals.begin() + 1) % goals.size()];
        Check(r.SuggestMove(m, g, 0), "suggest move");
      } else {  // 10 % delete
        const OpId n = chance(50) ? measures[pick(measures.size())]
                                  : subgoals[pick(subgoals.size())];
        Check(r.SuggestDelete(n), "suggest delete");
      }
    });
  }
  plan.suggestions = n_suggestions;

  // Editing goes on meanwhile: 200 text edits (a third deletes) move the
  // anchors, orphan some ranges and make some suggestions stale; the
  // indicators' figures get revised.
  for (int i = 0; i < 200; ++i) {
    const int a = static_cast<int>(pick(kAuthors));
    act(a, [&](Replica& r) {
      const TextTarget& t = texts[pick(texts.size())];
      const size_t len = r.TextOf(t.node, t.field)->size();
      if (i % 3 == 0 && len > 20) {
        Check(r.DeleteText(t.node, t.field, pick(len - 8), 1 + pick(6)), "delete text");
      } else {
        Check(r.InsertText(t.node, t.field, pick(len + 1), " (revidert)"), "insert text");
      }
    });
    ++plan.plan_edits;
  }
  for (int i = 0; i < 20; ++i) {
    act(static_cast<int>(pick(kAuthors)), [&](Replica& r) {
      const CellTarget& c = cells[pick(cells.size())];
      Check(r.SetCell(c.node, "values", c.row, c.column, FieldValue::Number(pick(99999))),
            "set cell");
    });
    ++plan.plan_edits;
  }
  // Each municipality approves the plan, one of them before the last edits.
  for (int m = 0; m < 4; ++m) {
    act(m, [&](Replica& r) { Check(r.Approve(kRootNode, kMunicipalities[m]), "approve"); });
    ++plan.approvals;
  }
  return plan;
}

// The server's copy: a fresh replica with every op applied, as a room
// loads the plan from the store.
std::unique_ptr<Replica> ServerCopy(const Replica& hub, std::vector<Op>* all) {
  all->clear();
  Check(hub.OpsSince(VersionVector(), all), "all ops");
  auto server = std::make_unique<Replica>(1);
  Check(server->ApplyAll(*all), "server apply");
  return server;
}

// ---- local ------------------------------------------------------------------

// What a client does with a joined message: parse, decode, apply.
std::unique_ptr<Replica> ClientJoin(const std::string& text, ReplicaId id) {
  Json j = Json::parse(text, nullptr, false);
  std::unique_ptr<Replica> r;
  if (j.contains("snapshot")) {
    std::string bytes;
    Check(protocol::Base64Decode(j["snapshot"].get<std::string>(), &bytes), "b64");
    r = Check(Replica::DecodeSnapshot(bytes, id), "decode snapshot");
    return r;
  }
  std::vector<Op> ops;
  if (j.contains("ops_binary")) {
    std::string bytes;
    Check(protocol::Base64Decode(j["ops_binary"].get<std::string>(), &bytes), "b64");
    Check(DecodeOps(bytes, &ops), "decode ops");
  } else {
    Check(protocol::OpsFromJson(j["ops"], "ops", 1u << 30, &ops), "ops json");
  }
  r = std::make_unique<Replica>(id);
  Check(r->ApplyAll(ops), "client apply");
  return r;
}

constexpr ReplicaId kClientId = (uint64_t{1} << 32) + 100;

std::string dump_joined;  // --dump-joined PREFIX

void WriteFile(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(text.data(), 1, text.size(), f) != text.size()) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(2);
  }
  std::fclose(f);
}

int Local(const ReviewPlan& plan, int runs) {
  std::vector<Op> all;
  std::unique_ptr<Replica> server = ServerCopy(*plan.hub, &all);
  const Json peers = Json::array();

  // Join, ops form: the server's part, then the client's, each timed.
  std::string joined;
  std::vector<double> s_since, s_encode, s_total, c_parse, c_decode, c_apply,
      c_total;
  std::vector<double> join_cpu;
  for (int i = 0; i < runs; ++i) {
    const double cpu0 = CpuMs();
    auto t0 = Clock::now();
    std::vector<Op> ops;
    Check(server->OpsSince(VersionVector(), &ops), "ops since");
    auto t1 = Clock::now();
    joined = protocol::MakeJoined("review", "editor", kClientId, ops.size(),
                                  server->version(), ops, "", peers, "j");
    auto t2 = Clock::now();
    Json j = Json::parse(joined, nullptr, false);
    auto t3 = Clock::now();
    std::vector<Op> got;
    Check(protocol::OpsFromJson(j["ops"], "ops", 1u << 30, &got), "ops json");
    auto t4 = Clock::now();
    auto client = std::make_unique<Replica>(kClientId);
    Check(client->ApplyAll(got), "client apply");
    auto t5 = Clock::now();
    join_cpu.push_back(CpuMs() - cpu0);
    client.reset();
    s_since.push_back(Ms(t1 - t0));
    s_encode.push_back(Ms(t2 - t1));
    s_total.push_back(Ms(t2 - t0));
    c_parse.push_back(Ms(t3 - t2));
    c_decode.push_back(Ms(t4 - t3));
    c_apply.push_back(Ms(t5 - t4));
    c_total.push_back(Ms(t5 - t2));
  }
  std::vector<double> join_total(runs);
  for (int i = 0; i < runs; ++i) join_total[i] = s_total[i] + c_total[i];

  // Join, binary form: the server's part as DoJoin does it for a fresh
  // join (encode) and as it answers the next fresh joins (the room's cached
  // base64, spliced); the client's part as the browser's applyOpsBase64.
  std::string joined_bin;
  std::vector<double> b_since, b_encode, b_base64, b_message, b_server,
      b_server_cached, b_parse, b_unbase64, b_decode, b_apply, b_client,
      b_total, b_total_cached, b_cpu, b_cpu_server, b_cpu_client;
  for (int i = 0; i < runs; ++i) {
    const double cpu0 = CpuMs();
    auto t0 = Clock::now();
    std::vector<Op> ops;
    Check(server->OpsSince(VersionVector(), &ops), "ops since");
    auto t1 = Clock::now();
    const std::string bytes = EncodeOps(ops);
    auto t2 = Clock::now();
    const std::string b64 = protocol::Base64Encode(bytes);
    auto t3 = Clock::now();
    joined_bin = protocol::MakeJoinedBinary("review", "editor", kClientId,
                                            ops.size(), server->version(), b64,
                                            peers, "j");
    auto t4 = Clock::now();
    const double cpu1 = CpuMs();
    Json j = Json::parse(joined_bin, nullptr, false);
    auto t5 = Clock::now();
    std::string raw;
    Check(protocol::Base64Decode(j["ops_binary"].get<std::string>(), &raw), "b64");
    auto t6 = Clock::now();
    std::vector<Op> got;
    Check(DecodeOps(raw, &got), "decode ops");
    auto t7 = Clock::now();
    auto client = std::make_unique<Replica>(kClientId);
    Check(client->ApplyAll(got), "client apply");
    auto t8 = Clock::now();
    const double cpu2 = CpuMs();
    client.reset();
    // The next fresh join: the room has the base64 already.
    auto t9 = Clock::now();
    std::string again = protocol::MakeJoinedBinary(
        "review", "editor", kClientId + 1, ops.size(), server->version(), b64,
        peers, "j");
    auto t10 = Clock::now();
    if (again.size() != joined_bin.size()) return 1;
    b_since.push_back(Ms(t1 - t0));
    b_encode.push_back(Ms(t2 - t1));
    b_base64.push_back(Ms(t3 - t2));
    b_message.push_back(Ms(t4 - t3));
    b_server.push_back(Ms(t4 - t0));
    b_server_cached.push_back(Ms(t10 - t9));
    b_parse.push_back(Ms(t5 - t4));
    b_unbase64.push_back(Ms(t6 - t5));
    b_decode.push_back(Ms(t7 - t6));
    b_apply.push_back(Ms(t8 - t7));
    b_client.push_back(Ms(t8 - t4));
    b_total.push_back(Ms(t8 - t0));
    b_total_cached.push_back(Ms(t10 - t9) + Ms(t8 - t4));
    b_cpu.push_back(cpu2 - cpu0);
    b_cpu_server.push_back(cpu1 - cpu0);
    b_cpu_client.push_back(cpu2 - cpu1);
  }
  {
    std::unique_ptr<Replica> c = ClientJoin(joined_bin, kClientId);
    if (c->CanonicalDump() != server->CanonicalDump()) {
      std::fprintf(stderr, "client and server differ after the binary join\n");
      return 1;
    }
  }
  // The same join through MakeJoined (encoding binary), as a check that it
  // gives the same message.
  {
    std::vector<Op> ops;
    Check(server->OpsSince(VersionVector(), &ops), "ops since");
    if (protocol::MakeJoined("review", "editor", kClientId, ops.size(),
                             server->version(), ops, "", peers, "j",
                             protocol::OpsEncoding::kBinary) != joined_bin) {
      std::fprintf(stderr, "MakeJoined(kBinary) differs from MakeJoinedBinary\n");
      return 1;
    }
  }

  if (!dump_joined.empty()) {
    WriteFile(dump_joined + ".json", joined);
    WriteFile(dump_joined + ".binary.json", joined_bin);
  }

  // Join, snapshot form.
  std::string snap_msg;
  std::vector<double> snap_server = TimeRuns(runs, [&] {
    snap_msg = protocol::MakeJoined("review", "editor", kClientId, 0,
                                    server->version(), {},
                                    server->EncodeSnapshot(), peers, "j");
  });
  std::vector<double> snap_client =
      TimeRuns(runs, [&] { ClientJoin(snap_msg, kClientId); });

  // Where the JSON time goes: building the ops' Json tree, writing it out,
  // and what lexing alone (no tree: Json::accept, a SAX parse's floor)
  // costs the client.
  std::vector<Op> all_ops;
  Check(server->OpsSince(VersionVector(), &all_ops), "ops since");
  std::vector<double> ops_tree, ops_dump, ops_free, lex_only;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    auto tree = std::make_unique<Json>(protocol::OpsToJson(all_ops));
    const auto t1 = Clock::now();
    std::string text = tree->dump();
    const auto t2 = Clock::now();
    tree.reset();
    const auto t3 = Clock::now();
    const bool ok = Json::accept(joined);
    const auto t4 = Clock::now();
    if (!ok || text.empty()) return 1;
    ops_tree.push_back(Ms(t1 - t0));
    ops_dump.push_back(Ms(t2 - t1));
    ops_free.push_back(Ms(t3 - t2));
    lex_only.push_back(Ms(t4 - t3));
  }

  std::unique_ptr<Replica> client = ClientJoin(joined, kClientId);
  if (client->CanonicalDump() != server->CanonicalDump()) {
    std::fprintf(stderr, "client and server differ after the join\n");
    return 1;
  }

  // Inbox: ola (Vestby), and every author (the slowest one's median).
  auto inbox_query = [](const Person& p) {
    protocol::ReviewQuery q;
    q.view = protocol::ReviewView::kInbox;
    q.viewer_user = p.user;
    q.viewer_municipality = p.municipality;
    return q;
  };
  size_t inbox_items = 0;
  int64_t inbox_unread = 0;
  size_t inbox_bytes = 0;
  // The text form is what the server sends and the wasm returns; the Json
  // form (parsed back) is for comparison.
  std::vector<double> inbox_cpu;
  std::vector<double> inbox = TimeRuns(runs, [&] {
    const double cpu0 = CpuMs();
    std::string out =
        Check(protocol::RunReviewQueryText(*client, inbox_query(kPeople[1])), "inbox");
    inbox_bytes = out.size();
    inbox_cpu.push_back(CpuMs() - cpu0);
  });
  std::vector<double> inbox_json = TimeRuns(runs, [&] {
    Json out = Check(protocol::RunReviewQuery(*client, inbox_query(kPeople[1])), "inbox");
    inbox_items = out["items"].size();
    inbox_unread = out.value("unread", int64_t{0});
  });
  double inbox_slowest = 0;
  const char* slowest_user = "";
  for (const Person& p : kPeople) {
    const double m = Median(TimeRuns(runs, [&] {
      Check(protocol::RunReviewQueryText(*client, inbox_query(p)), "inbox");
    }));
    if (m > inbox_slowest) {
      inbox_slowest = m;
      slowest_user = p.user;
    }
  }
  // For comparison: the whole threads and suggestions views.
  protocol::ReviewQuery threads_q;
  threads_q.view = protocol::ReviewView::kThreads;
  threads_q.viewer_user = "ola";
  threads_q.viewer_municipality = "Vestby";
  std::vector<double> threads_view = TimeRuns(runs, [&] {
    Check(protocol::RunReviewQueryText(*client, threads_q), "threads");
  });
  protocol::ReviewQuery sugg_q;
  sugg_q.view = protocol::ReviewView::kSuggestions;
  std::vector<double> sugg_view = TimeRuns(runs, [&] {
    Check(protocol::RunReviewQueryText(*client, sugg_q), "suggestions");
  });

  // Anchors: every thread located, every suggestion checked.
  size_t orphaned = 0, node_deleted = 0, stale = 0, open = 0;
  std::vector<double> locate, check, anchors, anchors_cpu;
  for (int i = 0; i < runs; ++i) {
    const double cpu0 = CpuMs();
    const auto t0 = Clock::now();
    orphaned = node_deleted = stale = open = 0;
    for (const auto& [id, t] : client->review().threads()) {
      Replica::ThreadPlace p = client->LocateThread(t);
      orphaned += p.orphaned;
      node_deleted += p.node_deleted;
    }
    const auto t1 = Clock::now();
    for (const auto& [id, s] : client->review().suggestions()) {
      stale += client->CheckSuggestion(s).stale;
      open += s.status == SuggestionStatus::kOpen;
    }
    const auto t2 = Clock::now();
    anchors_cpu.push_back(CpuMs() - cpu0);
    locate.push_back(Ms(t1 - t0));
    check.push_back(Ms(t2 - t1));
    anchors.push_back(Ms(t2 - t0));
  }

  size_t text_threads = 0;
  for (const auto& [id, t] : client->review().threads()) {
    text_threads += t.anchor == AnchorKind::kText;
  }
  std::printf(
      "{\"part\": \"local\", \"runs\": %d,\n"
      " \"plan\": {\"ops\": %zu, \"log_entries\": %zu, \"threads\": %zu, "
      "\"text_threads\": %zu, \"comments\": %zu, \"suggestions_open\": %zu, "
      "\"resolved\": %zu, \"assigned\": %zu, \"approvals\": %zu, \"plan_edits\": %zu, "
      "\"joined_bytes\": %zu, \"snapshot_joined_bytes\": %zu},\n"
      " \"join_ms\": {\"total\": %s, \"total_cpu\": %s,\n"
      "   \"server\": %s, \"server_ops_since\": %s, \"server_make_joined\": %s,\n"
      "   \"client\": %s, \"client_parse\": %s, \"client_ops_from_json\": %s, "
      "\"client_apply\": %s,\n"
      "   \"snapshot_server\": %s, \"snapshot_client\": %s,\n"
      "   \"analysis\": {\"ops_to_json_tree\": %s, \"tree_dump\": %s, "
      "\"tree_free\": %s, \"client_lex_only\": %s}},\n"
      " \"join_binary_ms\": {\"bytes\": %zu, \"total\": %s, \"total_cpu\": %s,\n"
      "   \"total_server_cached\": %s,\n"
      "   \"server\": %s, \"server_cpu\": %s, \"server_ops_since\": %s, "
      "\"server_encode_ops\": %s, \"server_base64\": %s, \"server_message\": %s,\n"
      "   \"server_cached\": %s,\n"
      "   \"client\": %s, \"client_cpu\": %s, \"client_parse\": %s, "
      "\"client_unbase64\": %s, \"client_decode_ops\": %s, \"client_apply\": %s},\n"
      " \"inbox_ms\": {\"ola\": %s, \"ola_cpu\": %s, \"ola_as_json\": %s, \"items\": %zu, "
      "\"unread\": %lld, \"bytes\": %zu, \"slowest_user\": \"%s\", "
      "\"slowest_median\": %.3f},\n"
      " \"views_ms\": {\"threads_all\": %s, \"suggestions_all\": %s},\n"
      " \"anchors_ms\": {\"total\": %s, \"total_cpu\": %s, \"locate_threads\": %s, "
      "\"check_suggestions\": %s, \"orphaned\": %zu, \"node_deleted\": %zu, "
      "\"stale\": %zu}}\n",
      runs, all.size(), server->log().size(), plan.threads, text_threads,
      client->review().comments().size(), open, plan.resolved, plan.assigned,
      plan.approvals, plan.plan_edits, joined.size(), snap_msg.size(),
      Stats(join_total).c_str(), Stats(join_cpu).c_str(), Stats(s_total).c_str(), Stats(s_since).c_str(),
      Stats(s_encode).c_str(), Stats(c_total).c_str(), Stats(c_parse).c_str(),
      Stats(c_decode).c_str(), Stats(c_apply).c_str(), Stats(snap_server).c_str(),
      Stats(snap_client).c_str(), Stats(ops_tree).c_str(), Stats(ops_dump).c_str(),
      Stats(ops_free).c_str(), Stats(lex_only).c_str(),
      joined_bin.size(), Stats(b_total).c_str(), Stats(b_cpu).c_str(),
      Stats(b_total_cached).c_str(), Stats(b_server).c_str(),
      Stats(b_cpu_server).c_str(), Stats(b_since).c_str(),
      Stats(b_encode).c_str(), Stats(b_base64).c_str(), Stats(b_message).c_str(),
      Stats(b_server_cached).c_str(), Stats(b_client).c_str(),
      Stats(b_cpu_client).c_str(), Stats(b_parse).c_str(),
      Stats(b_unbase64).c_str(), Stats(b_decode).c_str(), Stats(b_apply).c_str(),
      Stats(inbox).c_str(), Stats(inbox_cpu).c_str(), Stats(inbox_json).c_str(),
      inbox_items, static_cast<long long>(inbox_unread), inbox_bytes, slowest_user,
      inbox_slowest, Stats(threads_view).c_str(), Stats(sugg_view).c_str(),
      Stats(anchors).c_str(), Stats(anchors_cpu).c_str(), Stats(locate).c_str(), Stats(check).c_str(), orphaned,
      node_deleted, stale);
  std::fflush(stdout);
  return 0;
}

// One phase in a loop, for a profiler (perf record): ops_since,
// make_joined, parse, from_json, apply, snapshot_decode, inbox, threads,
// make_joined_binary, decode_binary.
// Prints the median per run.
int Profile(const ReviewPlan& plan, const std::string& phase, int runs) {
  std::vector<Op> all;
  std::unique_ptr<Replica> server = ServerCopy(*plan.hub, &all);
  const std::string joined = protocol::MakeJoined(
      "review", "editor", kClientId, all.size(), server->version(), all, "",
      Json::array(), "j");
  const Json parsed = Json::parse(joined, nullptr, false);
  protocol::ReviewQuery q;
  q.view = phase == "threads" ? protocol::ReviewView::kThreads
                              : protocol::ReviewView::kInbox;
  q.viewer_user = "ola";
  q.viewer_municipality = "Vestby";
  std::function<void()> f;
  if (phase == "ops_since") {
    f = [&] {
      std::vector<Op> ops;
      Check(server->OpsSince(VersionVector(), &ops), "ops since");
    };
  } else if (phase == "make_joined") {
    f = [&] {
      protocol::MakeJoined("review", "editor", kClientId, all.size(),
                           server->version(), all, "", Json::array(), "j");
    };
  } else if (phase == "parse") {
    f = [&] { Json j = Json::parse(joined, nullptr, false); };
  } else if (phase == "from_json") {
    f = [&] {
      std::vector<Op> ops;
      Check(protocol::OpsFromJson(parsed["ops"], "ops", 1u << 30, &ops), "ops");
    };
  } else if (phase == "apply") {
    f = [&] {
      Replica r(kClientId);
      Check(r.ApplyAll(all), "apply");
    };
  } else if (phase == "make_joined_binary") {
    f = [&] {
      protocol::MakeJoined("review", "editor", kClientId, all.size(),
                           server->version(), all, "", Json::array(), "j",
                           protocol::OpsEncoding::kBinary);
    };
  } else if (phase == "decode_binary") {
    const std::string b64 = protocol::Base64Encode(EncodeOps(all));
    f = [&, b64] {
      std::string bytes;
      Check(protocol::Base64Decode(b64, &bytes), "b64");
      std::vector<Op> ops;
      Check(DecodeOps(bytes, &ops), "decode ops");
    };
  } else if (phase == "snapshot_decode") {
    const std::string bytes = server->EncodeSnapshot();
    f = [&, bytes] { Check(Replica::DecodeSnapshot(bytes, kClientId), "decode"); };
  } else if (phase == "inbox" || phase == "threads") {
    f = [&] { Check(protocol::RunReviewQueryText(*server, q), "query"); };
  } else {
    std::fprintf(stderr, "unknown phase %s\n", phase.c_str());
    return 2;
  }
  std::printf("{\"profile\": \"%s\", \"runs\": %d, \"ms\": %s}\n", phase.c_str(),
              runs, Stats(TimeRuns(runs, f)).c_str());
  return 0;
}

// ---- socket -----------------------------------------------------------------

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

// A synchronous WebSocket client, authenticated.
class SyncClient {
 public:
  SyncClient() : ws_(ioc_) {}
  bool Connect(uint16_t port, const std::string& token) {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return false;
    beast::get_lowest_layer(ws_).socket().set_option(asio::ip::tcp::no_delay(true));
    ws_.handshake("127.0.0.1", "/ws", ec);
    if (ec) return false;
    ws_.read_message_max(512u << 20);
    if (!Write(Json{{"v", 1}, {"type", "auth"}, {"token", token}}.dump())) return false;
    std::string m;
    return Read(&m) && m.find("\"authenticated\"") != std::string::npos;
  }
  bool Write(const std::string& s) {
    beast::error_code ec;
    ws_.write(asio::buffer(s), ec);
    return !ec;
  }
  bool Read(std::string* out) {
    beast::error_code ec;
    beast::flat_buffer buf;
    ws_.read(buf, ec);
    if (ec) return false;
    *out = beast::buffers_to_string(buf.data());
    return true;
  }
  // Reads until a message of `type` arrives (bounded).
  bool ReadType(const std::string& type, std::string* out) {
    const std::string needle = "\"type\":\"" + type + "\"";
    for (int i = 0; i < 1000; ++i) {
      if (!Read(out)) return false;
      if (out->find(needle) != std::string::npos) return true;
    }
    return false;
  }
  void Close() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
};

// The replica id a joined message hands out (without parsing all of it).
ReplicaId ReplicaOf(const std::string& joined) {
  const size_t at = joined.find("\"replica\":");
  return at == std::string::npos ? kClientId
                                 : std::stoull(joined.substr(at + 10, 24));
}

int Socket(const ReviewPlan& plan, int runs) {
  using testing::MintToken;
  using testing::ServerProcess;
  using testing::TempDir;
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::filesystem::create_directories(data);
  std::vector<Op> all;
  std::unique_ptr<Replica> server_copy = ServerCopy(*plan.hub, &all);
  {
    std::unique_ptr<RocksDbPlanStore> store;
    RocksDbPlanStoreOptions options;
    options.sync = false;
    Check(RocksDbPlanStore::Open(data + "/db", options, &store), "open store");
    Check(store->CreatePlan("review", "Handlingsplan med kommentarer"), "create plan");
    AppendContext who;
    who.op_authors = true;
    // In batches the size a session may send.
    for (size_t i = 0; i < all.size(); i += 1000) {
      std::vector<Op> part(all.begin() + i,
                           all.begin() + std::min(all.size(), i + 1000));
      Check(store->Append("review", part, who, nullptr), "append");
    }
  }
  ServerProcess server;
  if (!server.Start(data, {"--no-demo", "--quiet"})) {
    std::fprintf(stderr, "server did not start\n");
    return 1;
  }
  const std::string token = MintToken(data, "ola", "Vestby", "review", Role::kEditor);
  std::string join = Json{{"v", 1}, {"type", "join"}, {"plan", "review"}}.dump();
  const std::string join_binary =
      Json{{"v", 1}, {"type", "join"}, {"plan", "review"}, {"encoding", "binary"}}
          .dump();
  // One join: sent -> joined read, then applied like a browser would.
  std::vector<double> apply_cpu;
  auto one_join = [&](SyncClient* c, double* wire_ms, double* apply_ms,
                      size_t* bytes) {
    std::string msg;
    const auto t0 = Clock::now();
    if (!c->Write(join) || !c->ReadType("joined", &msg)) return false;
    const auto t1 = Clock::now();
    const double cpu0 = CpuMs();
    std::unique_ptr<Replica> r = ClientJoin(msg, ReplicaOf(msg));
    apply_cpu.push_back(CpuMs() - cpu0);
    const auto t2 = Clock::now();
    *wire_ms = Ms(t1 - t0);
    *apply_ms = Ms(t2 - t1);
    *bytes = msg.size();
    return r->review().threads().size() == plan.threads;
  };
  // The first join loads the plan into a room (cold); the keeper stays
  // joined so the room stays loaded for the rest, and reads (answering
  // pings) on its own thread.
  auto keeper = std::make_unique<SyncClient>();
  double cold_wire = 0, cold_apply = 0;
  size_t bytes = 0;
  if (!keeper->Connect(server.port(), token) ||
      !one_join(keeper.get(), &cold_wire, &cold_apply, &bytes)) {
    std::fprintf(stderr, "cold join failed\n%s\n", server.log().c_str());
    return 1;
  }
  std::thread keeper_reader([&] {
    std::string m;
    while (keeper->Read(&m)) {
    }
  });
  // Warm joins, JSON then binary ("encoding": "binary"; from the second
  // one on, the room's cached encoding).
  const std::string json_join = join;
  std::string report[2];
  size_t json_bytes = bytes;
  for (int form = 0; form < 2; ++form) {
    join = form == 0 ? json_join : join_binary;
    apply_cpu.clear();
    std::vector<double> wire, apply, total;
    for (int i = 0; i < runs; ++i) {
      SyncClient c;
      double w = 0, a = 0;
      if (!c.Connect(server.port(), token) || !one_join(&c, &w, &a, &bytes)) {
        std::fprintf(stderr, "join %d failed\n", i);
        return 1;
      }
      wire.push_back(w);
      apply.push_back(a);
      total.push_back(w + a);
      c.Close();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (form == 0) json_bytes = bytes;
    report[form] = "{\"bytes\": " + std::to_string(bytes) +
                   ", \"total\": " + Stats(total) + ", \"wire\": " + Stats(wire) +
                   ", \"client_apply\": " + Stats(apply) +
                   ", \"client_apply_cpu\": " + Stats(apply_cpu) + "}";
  }
  std::printf(
      "{\"part\": \"socket\", \"runs\": %d, \"ops\": %zu, \"joined_bytes\": %zu,\n"
      " \"cold_join_ms\": {\"wire\": %.3f, \"client_apply\": %.3f},\n"
      " \"warm_join_ms\": %s,\n \"warm_binary_join_ms\": %s}\n",
      runs, all.size(), json_bytes, cold_wire, cold_apply, report[0].c_str(),
      report[1].c_str());
  std::fflush(stdout);
  // The server's shutdown ends the keeper's read loop.
  server.Signal(SIGTERM, std::chrono::milliseconds(10000));
  keeper_reader.join();
  keeper->Close();
  return 0;
}

}  // namespace
}  // namespace samplan::bench

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  samplan::testing::SetServerBinary(
      (fs::absolute(fs::path(argv[0])).parent_path() / "samplan").string());
  std::string what = "all", phase;
  int runs = 9, threads = 2000, suggestions = 500;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "profile" && i + 1 < argc) {
      what = a;
      phase = argv[++i];
    } else if (a == "--dump-joined" && i + 1 < argc) {
      samplan::bench::dump_joined = argv[++i];
    } else if (a == "--suggestions" && i + 1 < argc) {
      suggestions = std::atoi(argv[++i]);
    } else {
      what = a;
    }
  }
  const auto t0 = samplan::bench::Clock::now();
  samplan::bench::ReviewPlan plan = samplan::bench::BuildReviewPlan(threads, suggestions);
  std::fprintf(stderr, "plan built in %.0f ms\n",
               samplan::bench::Ms(samplan::bench::Clock::now() - t0));
  int rc = 0;
  if (what == "local" || what == "all") rc |= samplan::bench::Local(plan, runs);
  if (what == "socket" || what == "all") rc |= samplan::bench::Socket(plan, runs);
  if (what == "profile") rc |= samplan::bench::Profile(plan, phase, runs);
  return rc;
}
