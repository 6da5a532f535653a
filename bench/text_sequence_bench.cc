// TextSequence alone on the automerge-paper editing trace (259,778
// single-keystroke patches, 104,852 final characters):
//   - LocalReplay: every patch as LocalDelete / LocalInsert.
//   - RemoteIntegrate: the operations the local replay produced, with
//     consecutive typing and deleting merged into runs as the op log would
//     ship them, integrated into a fresh sequence.
//   - BulkLoad / BulkLoadAndFinish: the final document's runs through
//     AppendRun (and FinishLoad).
// Each benchmark checks the final text against the trace's endContent and
// reports memory_bytes = MemoryUsage() of the result.
//
//   build/text_sequence_bench [--benchmark_filter=Local]
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crdt/ids.h"
#include "crdt/status.h"
#include "crdt/text_sequence.h"
#include "crdt/utf8.h"

namespace samplan {
namespace {

constexpr ReplicaId kReplica = 1;

struct Patch {
  size_t pos = 0;
  size_t del = 0;
  std::u32string ins;
};

struct RemoteOp {
  bool is_insert = true;
  OpId first;
  OpId origin_left;
  OpId origin_right;
  std::u32string chars;
  IdSpan span;
};

struct OwnedRun {
  OpId id;
  OpId origin_left;
  OpId origin_right;
  bool deleted = false;
  std::u32string chars;
};

struct Prepared {
  std::u32string start;
  std::u32string end;
  std::vector<Patch> patches;
  std::vector<RemoteOp> ops;
  std::vector<RemoteOp> keystroke_ops;  // one op per patch, unmerged
  std::vector<OwnedRun> runs;
  std::string error;  // non-empty when loading failed
};

bool ReadGzip(const std::string& path, std::string* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out->append(buf, n);
  const bool ok = n == 0;
  gzclose(f);
  return ok;
}

// Replays the patches locally. When `ops` is set, records the operations,
// merging consecutive typing (and deleting) into runs.
Status ReplayLocal(const Prepared& p, TextSequence* seq,
                   std::vector<RemoteOp>* ops, bool merge = true) {
  uint64_t counter = 1;
  std::vector<IdSpan> spans;
  OpId left, right;
  if (!p.start.empty()) {
    SAMPLAN_RETURN_IF_ERROR(
        seq->LocalInsert(0, p.start, OpId{kReplica, counter}, &left, &right));
    counter += p.start.size();
  }
  for (const Patch& patch : p.patches) {
    if (patch.del > 0) {
      spans.clear();
      SAMPLAN_RETURN_IF_ERROR(seq->LocalDelete(patch.pos, patch.del, &spans));
      counter += patch.del;
      if (ops != nullptr) {
        for (const IdSpan& s : spans) {
          if (merge && !ops->empty() && !ops->back().is_insert) {
            IdSpan& prev = ops->back().span;
            if (prev.replica == s.replica &&
                s.counter + s.length == prev.counter &&
                (prev.backward || prev.length == 1)) {
              prev.counter = s.counter;  // backspacing
              prev.length += s.length;
              prev.backward = true;
              continue;
            }
            if (prev.replica == s.replica && !prev.backward &&
                prev.counter + prev.length == s.counter) {
              prev.length += s.length;  // forward deleting
              continue;
            }
          }
          RemoteOp op;
          op.is_insert = false;
          op.span = s;
          ops->push_back(op);
        }
      }
    }
    if (!patch.ins.empty()) {
      const OpId first{kReplica, counter};
      SAMPLAN_RETURN_IF_ERROR(
          seq->LocalInsert(patch.pos, patch.ins, first, &left, &right));
      counter += patch.ins.size();
      if (ops != nullptr) {
        if (merge && !ops->empty() && ops->back().is_insert) {
          RemoteOp& prev = ops->back();
          const OpId prev_last{prev.first.replica,
                               prev.first.counter + prev.chars.size() - 1};
          if (prev.first.replica == first.replica &&
              prev.first.counter + prev.chars.size() == first.counter &&
              left == prev_last && right == prev.origin_right) {
            prev.chars += patch.ins;
            continue;
          }
        }
        RemoteOp op;
        op.first = first;
        op.origin_left = left;
        op.origin_right = right;
        op.chars = patch.ins;
        ops->push_back(op);
      }
    }
  }
  return Status::OK();
}

const Prepared& Prepare() {
  static std::unique_ptr<Prepared> cached;
  if (cached != nullptr) return *cached;
  cached = std::make_unique<Prepared>();
  Prepared& p = *cached;
  const std::string path = std::string(SAMPLAN_SHARED_DIR) +
                           "/traces/sequential/automerge-paper.json.gz";
  std::string raw;
  if (!ReadGzip(path, &raw)) {
    p.error = "cannot read " + path;
    return p;
  }
  const nlohmann::json j = nlohmann::json::parse(raw, nullptr, false);
  if (j.is_discarded()) {
    p.error = "bad JSON in " + path;
    return p;
  }
  auto decode = [&p](const std::string& s, std::u32string* out) {
    Result<std::u32string> r = utf8::Decode(s);
    if (!r.ok()) {
      p.error = r.status().ToString();
      return false;
    }
    *out = std::move(*r);
    return true;
  };
  if (!decode(j["startContent"].get<std::string>(), &p.start) ||
      !decode(j["endContent"].get<std::string>(), &p.end)) {
    return p;
  }
  for (const auto& txn : j["txns"]) {
    for (const auto& patch : txn["patches"]) {
      Patch q;
      q.pos = patch[0].get<size_t>();
      q.del = patch[1].get<size_t>();
      if (!decode(patch[2].get<std::string>(), &q.ins)) return p;
      p.patches.push_back(std::move(q));
    }
  }
  TextSequence seq;
  Status st = ReplayLocal(p, &seq, &p.ops);
  if (!st.ok()) {
    p.error = st.ToString();
    return p;
  }
  if (seq.Content() != p.end) {
    p.error = "local replay does not end in endContent";
    return p;
  }
  TextSequence again;
  st = ReplayLocal(p, &again, &p.keystroke_ops, /*merge=*/false);
  if (!st.ok()) {
    p.error = st.ToString();
    return p;
  }
  seq.ForEachRun([&p](const TextSequence::Run& r) {
    p.runs.push_back(OwnedRun{r.id, r.origin_left, r.origin_right, r.deleted,
                              std::u32string(r.chars)});
  });
  return p;
}

void Report(benchmark::State& state, const TextSequence& seq,
            const Prepared& p) {
  if (seq.Content() != p.end) {
    state.SkipWithError("final text differs from endContent");
    return;
  }
  state.counters["memory_bytes"] = static_cast<double>(seq.MemoryUsage());
  size_t runs = 0;
  seq.ForEachRun([&runs](const TextSequence::Run&) { ++runs; });
  state.counters["runs"] = static_cast<double>(runs);
}

void BM_LocalReplay(benchmark::State& state) {
  const Prepared& p = Prepare();
  if (!p.error.empty()) {
    state.SkipWithError(p.error.c_str());
    return;
  }
  std::unique_ptr<TextSequence> last;
  for (auto _ : state) {
    auto seq = std::make_unique<TextSequence>();
    Status st = ReplayLocal(p, seq.get(), nullptr);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    state.PauseTiming();
    last = std::move(seq);  // destruction stays outside the timing
    state.ResumeTiming();
  }
  state.counters["patches"] = static_cast<double>(p.patches.size());
  Report(state, *last, p);
}
BENCHMARK(BM_LocalReplay)->Unit(benchmark::kMillisecond);

void RemoteIntegrate(benchmark::State& state, bool keystrokes) {
  const Prepared& p = Prepare();
  if (!p.error.empty()) {
    state.SkipWithError(p.error.c_str());
    return;
  }
  const std::vector<RemoteOp>& ops = keystrokes ? p.keystroke_ops : p.ops;
  std::unique_ptr<TextSequence> last;
  size_t inserts = 0;
  for (auto _ : state) {
    auto seq = std::make_unique<TextSequence>();
    inserts = 0;
    for (const RemoteOp& op : ops) {
      Status st = op.is_insert ? seq->Integrate(op.first, op.origin_left,
                                                op.origin_right, op.chars)
                               : seq->Delete(op.span);
      if (!st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
      inserts += op.is_insert ? 1 : 0;
    }
    state.PauseTiming();
    last = std::move(seq);
    state.ResumeTiming();
  }
  state.counters["insert_ops"] = static_cast<double>(inserts);
  state.counters["delete_ops"] = static_cast<double>(ops.size() - inserts);
  Report(state, *last, p);
}
void BM_RemoteIntegrate(benchmark::State& state) {
  RemoteIntegrate(state, false);
}
// The same edits shipped one keystroke per op, as a live session sends them.
void BM_RemoteIntegrateKeystrokes(benchmark::State& state) {
  RemoteIntegrate(state, true);
}
BENCHMARK(BM_RemoteIntegrate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RemoteIntegrateKeystrokes)->Unit(benchmark::kMillisecond);

void BulkLoad(benchmark::State& state, bool finish) {
  const Prepared& p = Prepare();
  if (!p.error.empty()) {
    state.SkipWithError(p.error.c_str());
    return;
  }
  std::unique_ptr<TextSequence> last;
  for (auto _ : state) {
    auto seq = std::make_unique<TextSequence>();
    for (const OwnedRun& r : p.runs) {
      Status st = seq->AppendRun(TextSequence::Run{
          r.id, r.origin_left, r.origin_right, r.deleted, r.chars});
      if (!st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
    }
    if (finish) {
      Status st = seq->FinishLoad();
      if (!st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
    }
    state.PauseTiming();
    last = std::move(seq);
    state.ResumeTiming();
  }
  Report(state, *last, p);
}
void BM_BulkLoad(benchmark::State& state) { BulkLoad(state, false); }
void BM_BulkLoadAndFinish(benchmark::State& state) { BulkLoad(state, true); }
BENCHMARK(BM_BulkLoad)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BulkLoadAndFinish)->Unit(benchmark::kMillisecond);

// A more fragmented document than automerge-paper's final state: about
// 105k characters in about 30k runs from 8 replicas, typed in 7-character
// bursts at random places.
void BM_BulkLoadAndFinishFragmented(benchmark::State& state) {
  static std::vector<OwnedRun>* runs = [] {
    auto* out = new std::vector<OwnedRun>();
    TextSequence seq;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    auto next = [&rng]() {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      return rng;
    };
    std::vector<uint64_t> counters(8, 1);
    OpId left, right;
    while (seq.size() < 105000) {
      const ReplicaId r = 1 + next() % 8;
      const std::u32string s(7, U'a' + static_cast<char32_t>(next() % 26));
      const Status st =
          seq.LocalInsert(next() % (seq.size() + 1), s,
                          OpId{r, counters[r - 1]}, &left, &right);
      if (!st.ok()) break;
      counters[r - 1] += s.size();
    }
    seq.ForEachRun([out](const TextSequence::Run& r) {
      out->push_back(OwnedRun{r.id, r.origin_left, r.origin_right, r.deleted,
                              std::u32string(r.chars)});
    });
    return out;
  }();
  size_t size = 0;
  for (auto _ : state) {
    TextSequence seq;
    for (const OwnedRun& r : *runs) {
      Status st = seq.AppendRun(TextSequence::Run{
          r.id, r.origin_left, r.origin_right, r.deleted, r.chars});
      if (!st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
    }
    Status st = seq.FinishLoad();
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    size = seq.size();
    state.counters["memory_bytes"] = static_cast<double>(seq.MemoryUsage());
  }
  state.counters["runs"] = static_cast<double>(runs->size());
  state.counters["chars"] = static_cast<double>(size);
}
BENCHMARK(BM_BulkLoadAndFinishFragmented)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace samplan

BENCHMARK_MAIN();
