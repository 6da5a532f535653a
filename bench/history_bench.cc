// Auditable history at scale (issue 10, "Performance"): the demo plan's
// tree plus the automerge-paper editing history (259,778 keystrokes) in
// one goal's body, stored keystroke by keystroke (each op its own author
// time, four authors taking turns), measured through the code the server
// runs (crdt/history.h, crdt/history_entries.h, crdt/plan_diff.h,
// crdt/blame.h, cli/bundle.h).
//
//   build/history_bench [--runs N] [--trace FILE] [--only PHASE]
//
//   --only PHASE  run the build and one phase (at, page, diff, blame,
//                 verify), e.g. under perf record
//
//   build       PlanHistory::Append of every stored op (once)
//   at_random   StateAt(seq) at N random points, each from a cold cursor
//               (the history's checkpoints only): the worst case of a jump
//   at_slider   StateAt at N points 1..200 ops apart going forward (a
//               slider being dragged), and going back
//   at_json     StateAt + protocol::PlanStateToJson (the `at` answer)
//   page        one page of 100 entries, newest first: the first page, a
//               page from the middle (cursor), and filtered by user
//   diff        DiffPlans between the two named points (the plan before
//               the text was typed, and the head) incl. both states
//   blame       Blame of the whole plan at the head
//   verify      VerifyBundle of a bundle exported at the head (the bundle
//               built once; verify re-parses, re-chains, replays)
//
// Each figure is the median of N runs (default 9). Prints one JSON object.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cli/bundle.h"
#include "cli/demo_plan.h"
#include "cli/trace.h"
#include "crdt/blame.h"
#include "crdt/history.h"
#include "crdt/history_entries.h"
#include "crdt/plan_diff.h"
#include "crdt/utf8.h"
#include "protocol/json_codec.h"
#include "protocol/messages.h"
#include "protocol/plan_state.h"
#include "storage/memory_plan_store.h"
#include "storage/named_version.h"
#include "storage/signing.h"
#include "tests/server_harness.h"

namespace samplan {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Max(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

struct Authors {
  const char* user;
  const char* municipality;
};
constexpr Authors kAuthors[] = {
    {"ola", "Vestby"}, {"anne", "Moss"}, {"siri", "Råde"}, {"kari", "Moss"}};

// The demo plan, then the trace typed into goal 2's body keystroke by
// keystroke: returns the ops in the order a server would store them and
// the seq the typing starts after.
Status BuildLog(const Trace& trace, std::vector<Op>* ops, uint64_t* before_typing) {
  Replica r(2);
  int64_t t = 1760000000000;
  r.SetAuthor(Author{"kari", "Moss", t});
  SAMPLAN_RETURN_IF_ERROR(BuildDemoPlan(&r));
  *before_typing = r.log().size();
  const OpId goal = r.Children(kRootNode)[1];
  // An empty body to type the paper into.
  Result<std::string> body = r.Text(goal, "body");
  if (!body.ok()) return body.status();
  SAMPLAN_RETURN_IF_ERROR(
      r.DeleteText(goal, "body", 0, utf8::CountCodePoints(*body)));
  for (size_t i = 0; i < trace.txns.size(); ++i) {
    const Authors& a = kAuthors[(i / 10000) % 4];
    // A keystroke every 150 ms, a pause of ten minutes every 2,000.
    t += (i % 2000 == 0) ? 600000 : 150;
    r.SetAuthor(Author{a.user, a.municipality, t});
    for (const TracePatch& p : trace.PatchesOf(trace.txns[i])) {
      if (p.delete_count > 0) {
        SAMPLAN_RETURN_IF_ERROR(r.DeleteText(goal, "body", p.pos, p.delete_count));
      }
      if (p.text_size > 0) {
        SAMPLAN_RETURN_IF_ERROR(
            r.InsertText(goal, "body", p.pos, trace.InsertedText(p)));
      }
    }
  }
  ops->assign(r.log().begin(), r.log().end());
  return Status::OK();
}

int Run(int runs, const std::string& trace_path, const std::string& only) {
  auto wanted = [&only](const char* phase) { return only.empty() || only == phase; };
  Trace trace;
  if (Status s = LoadTrace(trace_path, &trace); !s.ok()) {
    std::fprintf(stderr, "history_bench: %s\n", s.ToString().c_str());
    return 2;
  }
  std::vector<Op> log;
  uint64_t before_typing = 0;
  if (Status s = BuildLog(trace, &log, &before_typing); !s.ok()) {
    std::fprintf(stderr, "history_bench: building: %s\n", s.ToString().c_str());
    return 2;
  }
  protocol::Json out = protocol::Json::object();
  out["ops"] = log.size();
  out["keystrokes"] = trace.txns.size();

  PlanHistory h;
  auto t0 = Clock::now();
  for (const Op& op : log) {
    if (Status s = h.Append(op); !s.ok()) {
      std::fprintf(stderr, "history_bench: append: %s\n", s.ToString().c_str());
      return 2;
    }
  }
  out["build_ms"] = Ms(t0, Clock::now());
  out["memory_bytes"] = h.MemoryUsage();
  const uint64_t last = h.last_seq();

  std::mt19937_64 rng(20261129);
  // Time travel to random points.
  if (wanted("at")) {
    std::vector<double> times;
    for (int i = 0; i < std::max(runs, 15); ++i) {
      const uint64_t seq = 1 + rng() % last;
      auto a = Clock::now();
      Result<const Replica*> state = h.StateAt(seq);
      auto b = Clock::now();
      if (!state.ok()) {
        std::fprintf(stderr, "history_bench: at %llu: %s\n",
                     static_cast<unsigned long long>(seq),
                     state.status().ToString().c_str());
        return 1;
      }
      times.push_back(Ms(a, b));
    }
    out["at_random_ms"] = {{"median", Median(times)}, {"max", Max(times)}};
  }
  if (wanted("at")) {
    std::vector<double> forward, back;
    uint64_t seq = last / 3;
    (void)h.StateAt(seq);
    for (int i = 0; i < 100; ++i) {
      seq = std::min(last, seq + 1 + rng() % 200);
      auto a = Clock::now();
      (void)h.StateAt(seq);
      forward.push_back(Ms(a, Clock::now()));
    }
    for (int i = 0; i < 30; ++i) {
      seq = seq > 300 ? seq - 1 - rng() % 200 : seq;
      auto a = Clock::now();
      (void)h.StateAt(seq);
      back.push_back(Ms(a, Clock::now()));
    }
    out["at_slider_forward_ms"] = {{"median", Median(forward)}, {"max", Max(forward)}};
    out["at_slider_back_ms"] = {{"median", Median(back)}, {"max", Max(back)}};
  }
  if (wanted("at")) {
    std::vector<double> times;
    for (int i = 0; i < runs; ++i) {
      const uint64_t seq = 1 + rng() % last;
      auto a = Clock::now();
      Result<const Replica*> state = h.StateAt(seq);
      std::string json = protocol::Dump(protocol::PlanStateToJson(**state));
      times.push_back(Ms(a, Clock::now()));
    }
    out["at_json_ms"] = Median(times);
  }
  // Pages of who changed what.
  if (wanted("page")) {
    std::vector<double> first, middle, by_user;
    uint64_t cursor = 0;
    for (int i = 0; i < runs; ++i) {
      std::vector<HistoryEntry> page;
      uint64_t next = 0;
      auto a = Clock::now();
      (void)HistoryEntries(h, HistoryFilter{}, 0, 100, &page, &next);
      first.push_back(Ms(a, Clock::now()));
      cursor = page.empty() ? 0 : page[page.size() / 2].seq;
      page.clear();
      a = Clock::now();
      (void)HistoryEntries(h, HistoryFilter{}, last / 2, 100, &page, &next);
      middle.push_back(Ms(a, Clock::now()));
      HistoryFilter f;
      f.user = "siri";
      page.clear();
      a = Clock::now();
      (void)HistoryEntries(h, f, 0, 100, &page, &next);
      by_user.push_back(Ms(a, Clock::now()));
    }
    (void)cursor;
    out["page_ms"] = {{"first", Median(first)},
                      {"middle", Median(middle)},
                      {"by_user", Median(by_user)}};
  }
  // Diff between the two named points: before the typing, and the head.
  if (wanted("diff")) {
    std::vector<double> times, states;
    size_t inserted = 0;
    for (int i = 0; i < runs; ++i) {
      auto a = Clock::now();
      Result<std::unique_ptr<Replica>> older = h.CopyStateAt(before_typing);
      Result<const Replica*> newer = h.StateAt(last);
      states.push_back(Ms(a, Clock::now()));
      PlanDiff diff;
      Status s = DiffPlans(**older, before_typing, **newer, last, h, &diff);
      times.push_back(Ms(a, Clock::now()));
      if (!s.ok()) {
        std::fprintf(stderr, "history_bench: diff: %s\n", s.ToString().c_str());
        return 1;
      }
      inserted = diff.stats.chars_inserted;
    }
    out["diff_ms"] = Median(times);
    out["diff_states_ms"] = Median(states);
    out["diff_chars_inserted"] = inserted;
  }
  if (wanted("blame")) {
    std::vector<double> times;
    size_t spans = 0;
    for (int i = 0; i < runs; ++i) {
      std::vector<NodeBlame> blame;
      auto a = Clock::now();
      Status s = Blame(h, last, kNullId, &blame);
      times.push_back(Ms(a, Clock::now()));
      if (!s.ok()) {
        std::fprintf(stderr, "history_bench: blame: %s\n", s.ToString().c_str());
        return 1;
      }
      spans = 0;
      for (const NodeBlame& n : blame) {
        for (const auto& [field, list] : n.texts) spans += list.size();
      }
    }
    out["blame_ms"] = Median(times);
    out["blame_spans"] = spans;
  }
  // verify --bundle: export once from a store holding the log.
  if (wanted("verify")) {
    testing::TempDir dir;
    MemoryPlanStore store;
    (void)store.CreatePlan("paper", "automerge-paper");
    AppendContext who;
    who.op_authors = true;
    std::vector<StoredOp> stored;
    for (size_t i = 0; i < log.size(); i += 10000) {
      std::vector<Op> batch(log.begin() + static_cast<ptrdiff_t>(i),
                            log.begin() + static_cast<ptrdiff_t>(std::min(log.size(), i + 10000)));
      std::vector<StoredOp> part;
      if (Status s = store.Append("paper", batch, who, &part); !s.ok()) {
        std::fprintf(stderr, "history_bench: store: %s\n", s.ToString().c_str());
        return 1;
      }
      stored.insert(stored.end(), part.begin(), part.end());
    }
    std::unique_ptr<KeyRing> keys;
    (void)KeyRing::LoadOrCreate(dir.path(), 1760000000000, &keys);
    NamedVersion v;
    v.plan_id = "paper";
    v.name = "Vedtatt";
    v.seq = stored.back().seq;
    v.head = stored.back().chain;
    v.time_ms = stored.back().server_time_ms;
    v.created_by = "kari";
    v.created_ms = v.time_ms;
    v.key_id = keys->active().id;
    v.signature = keys->Sign(VersionSigningMessage(v));
    (void)store.PutVersion(v);
    std::string bundle;
    auto a = Clock::now();
    if (Status s = ExportBundle(&store, dir.path(), "paper", "Vedtatt", &bundle);
        !s.ok()) {
      std::fprintf(stderr, "history_bench: export: %s\n", s.ToString().c_str());
      return 1;
    }
    out["export_ms"] = Ms(a, Clock::now());
    out["bundle_bytes"] = bundle.size();
    std::vector<double> times;
    for (int i = 0; i < std::min(runs, 5); ++i) {
      BundleReport report;
      a = Clock::now();
      Status s = VerifyBundle(bundle, &report);
      times.push_back(Ms(a, Clock::now()));
      if (!s.ok()) {
        std::fprintf(stderr, "history_bench: verify: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    out["verify_bundle_ms"] = Median(times);
  }
  std::printf("%s\n", protocol::Dump(out).c_str());
  return 0;
}

}  // namespace
}  // namespace samplan

int main(int argc, char** argv) {
  int runs = 9;
  std::string only;
  std::string trace = std::string(SAMPLAN_SHARED_DIR) +
                      "/traces/sequential/automerge-paper.json.gz";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--runs") runs = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--trace") trace = argv[i + 1];
    if (a == "--only") only = argv[i + 1];
  }
  return samplan::Run(runs, trace, only);
}
