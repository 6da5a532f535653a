#include "cli/replay.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <utility>

#include "crdt/utf8.h"
#include "crdt/version_vector.h"

namespace samplan {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

Status PatchError(size_t txn, size_t patch, const Status& s) {
  return Status::InvalidArgument("txns[" + std::to_string(txn) + "].patches[" +
                                 std::to_string(patch) + "]: " + s.ToString());
}

// Applies the patches of transaction `index` as local edits of `replica`.
Status ApplyPatches(const Trace& trace, size_t index, OpId node,
                    Replica* replica) {
  size_t k = 0;
  for (const TracePatch& p : trace.PatchesOf(trace.txns[index])) {
    if (p.delete_count > 0) {
      Status s =
          replica->DeleteText(node, kReplayTextField, p.pos, p.delete_count);
      if (!s.ok()) return PatchError(index, k, s);
    }
    if (p.text_size > 0) {
      Status s = replica->InsertText(node, kReplayTextField, p.pos,
                                     trace.InsertedText(p));
      if (!s.ok()) return PatchError(index, k, s);
    }
    ++k;
  }
  return Status::OK();
}

Result<LocalReplay> ReplaySequential(const Trace& trace) {
  LocalReplay out;
  out.replica = std::make_unique<Replica>(1);
  Result<OpId> node = out.replica->CreateNode(kRootNode, 0, kReplayNodeKind);
  if (!node.ok()) return node.status();
  out.node = *node;
  out.next_free_id = 2;
  if (!trace.start_content.empty()) {
    SAMPLAN_RETURN_IF_ERROR(out.replica->InsertText(out.node, kReplayTextField,
                                                    0, trace.start_content));
  }
  for (size_t t = 0; t < trace.txns.size(); ++t) {
    SAMPLAN_RETURN_IF_ERROR(
        ApplyPatches(trace, t, out.node, out.replica.get()));
  }
  return out;
}

// An index over the hub's log (every operation of a concurrent replay, in
// the causal order the hub applied them) by replica and counter, so an
// agent can be given exactly the ops it lacks below a version without
// scanning the whole history (Replica::OpsSince does, which made each
// transaction cost O(history)). Holds no copies: entries are looked up in
// the log, whose tail entry may grow in place (run merging).
class LogIndex {
 public:
  explicit LogIndex(const Replica& hub) : log_(hub.log()) {}

  // Indexes the entries appended since the last call.
  void Sync() {
    for (; indexed_ < log_.size(); ++indexed_) {
      by_replica_[log_[indexed_].id.replica].push_back(indexed_);
    }
  }

  // The ops (sliced exactly at both ends) that `have` lacks and `want`
  // includes, in causal order.
  void Between(const VersionVector& have, const VersionVector& want,
               std::vector<Op>* out) {
    picked_.clear();
    for (const auto& [replica, until] : want.entries()) {
      const uint64_t from = have.Get(replica) + 1;  // first counter lacked
      if (from > until) continue;
      const std::vector<size_t>& mine = by_replica_[replica];
      // First op whose last unit is >= from.
      auto it = std::partition_point(mine.begin(), mine.end(), [&](size_t i) {
        return log_[i].LastId().counter < from;
      });
      for (; it != mine.end() && log_[*it].id.counter <= until; ++it) {
        picked_.push_back(*it);
      }
    }
    std::sort(picked_.begin(), picked_.end());
    out->clear();
    for (size_t i : picked_) {
      const Op& op = log_[i];
      const uint64_t from = have.Get(op.id.replica) + 1;
      const uint64_t until = want.Get(op.id.replica);
      if (op.id.counter >= from && op.LastId().counter <= until) {
        out->push_back(op);
        continue;
      }
      Op cut =
          op.id.counter < from ? SliceOpFrom(op, from - op.id.counter) : op;
      if (cut.LastId().counter > until) {
        cut = SliceOpTo(cut, until - cut.id.counter + 1);
      }
      out->push_back(std::move(cut));
    }
  }

 private:
  const std::deque<Op>& log_;
  size_t indexed_ = 0;
  std::unordered_map<ReplicaId, std::vector<size_t>> by_replica_;
  std::vector<size_t> picked_;
};

// The ops `replica` logged after `before`, when everything it logged since
// is its own local edits (they sit at the end of its log, possibly merged
// into the entry that was last at `before`). Like OpsSince(before) without
// scanning the whole log.
void LocalOpsSince(const Replica& replica, const VersionVector& before,
                   std::vector<Op>* out) {
  out->clear();
  const std::deque<Op>& log = replica.log();
  size_t i = log.size();
  while (i > 0 && !before.Includes(log[i - 1].LastId())) --i;
  for (; i < log.size(); ++i) {
    const Op& op = log[i];
    const uint64_t known = before.Get(op.id.replica);
    out->push_back(op.id.counter > known
                       ? op
                       : SliceOpFrom(op, known + 1 - op.id.counter));
  }
}

Result<LocalReplay> ReplayConcurrent(const Trace& trace) {
  const ReplicaId hub_id = ReplicaId{trace.num_agents} + 1;
  LocalReplay out;
  out.replica = std::make_unique<Replica>(hub_id);
  Replica& hub = *out.replica;
  Result<OpId> node = hub.CreateNode(kRootNode, 0, kReplayNodeKind);
  if (!node.ok()) return node.status();
  out.node = *node;
  const VersionVector base = hub.version();  // the text_block exists
  ReplicaId next_id = hub_id + 1;

  LogIndex index(hub);
  index.Sync();
  std::vector<Op> batch;

  std::vector<std::unique_ptr<Replica>> agents(trace.num_agents);
  std::vector<VersionVector> versions(trace.txns.size());
  for (size_t t = 0; t < trace.txns.size(); ++t) {
    const TraceTxn& txn = trace.txns[t];
    VersionVector needed = base;
    for (uint32_t p : trace.ParentsOf(txn)) needed.Merge(versions[p]);

    std::unique_ptr<Replica>& agent = agents[txn.agent];
    if (agent == nullptr) {
      agent = std::make_unique<Replica>(ReplicaId{txn.agent} + 1);
    } else if (!needed.Dominates(agent->version())) {
      // The agent knows ops outside this txn's past: it cannot rewind, so
      // it continues as a new replica.
      ++out.forks;
      agent = std::make_unique<Replica>(next_id++);
    }
    if (!(agent->version() == needed)) {
      index.Between(agent->version(), needed, &batch);
      SAMPLAN_RETURN_IF_ERROR(agent->ApplyAll(batch));
      if (!(agent->version() == needed) || agent->pending_count() != 0) {
        return Status::FailedPrecondition(
            "txns[" + std::to_string(t) + "]: agent replica reached " +
            agent->version().ToString() + " instead of " + needed.ToString());
      }
    }
    const VersionVector before = agent->version();
    SAMPLAN_RETURN_IF_ERROR(ApplyPatches(trace, t, out.node, agent.get()));
    LocalOpsSince(*agent, before, &batch);
    SAMPLAN_RETURN_IF_ERROR(hub.ApplyAll(batch));
    index.Sync();
    versions[t] = agent->version();
  }
  out.next_free_id = next_id;
  return out;
}

bool ReadProcField(const char* path, const char* key, int64_t* value) {
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  char line[256];
  bool found = false;
  const size_t key_len = std::strlen(key);
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::strncmp(line, key, key_len) == 0) {
      long long kb = 0;
      if (std::sscanf(line + key_len, "%lld", &kb) == 1) {
        *value = static_cast<int64_t>(kb) * 1024;
        found = true;
      }
      break;
    }
  }
  std::fclose(f);
  return found;
}

}  // namespace

Result<LocalReplay> ReplayLocally(const Trace& trace) {
  return trace.concurrent() ? ReplayConcurrent(trace) : ReplaySequential(trace);
}

Result<std::unique_ptr<Replica>> MergeIntoFresh(const std::vector<Op>& ops,
                                                ReplicaId id) {
  auto replica = std::make_unique<Replica>(id);
  SAMPLAN_RETURN_IF_ERROR(replica->ApplyAll(ops));
  if (replica->pending_count() != 0) {
    return Status::FailedPrecondition(
        std::to_string(replica->pending_count()) +
        " operations still wait for missing dependencies");
  }
  return replica;
}

Result<std::string> ReplayedText(const Replica& replica, OpId node) {
  return replica.Text(node, kReplayTextField);
}

std::string DescribeMismatch(std::string_view actual,
                             std::string_view expected) {
  if (actual == expected) return "";
  const size_t n = std::min(actual.size(), expected.size());
  size_t i = 0;
  while (i < n && actual[i] == expected[i]) ++i;
  return "differs at byte " + std::to_string(i) + " (lengths " +
         std::to_string(actual.size()) + " and " +
         std::to_string(expected.size()) + ")";
}

int64_t CurrentRssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long long size = 0;
  long long resident = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

int64_t PeakRssBytes() {
  int64_t bytes = 0;
  if (ReadProcField("/proc/self/status", "VmHWM:", &bytes)) return bytes;
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

Result<ReplayReport> ReplayTrace(const Trace& trace,
                                 const ReplayOptions& options) {
  ReplayReport report;
  report.kind = trace.concurrent() ? "concurrent" : "sequential";
  report.txns = trace.txns.size();
  report.patches = trace.patches.size();
  report.agents = trace.num_agents;
  report.final_chars = utf8::CountCodePoints(trace.end_content);

  const int runs = std::max(1, options.runs);
  std::vector<double> local_ms, ops_since_ms, remote_ms, encode_ms, decode_ms;
  std::vector<double> doc_rss;
  for (int run = 0; run < runs; ++run) {
    Clock::time_point start = Clock::now();
    Result<LocalReplay> local = ReplayLocally(trace);
    if (!local.ok()) return local.status();
    local_ms.push_back(MsSince(start));

    std::vector<Op> ops;
    start = Clock::now();
    SAMPLAN_RETURN_IF_ERROR(local->replica->OpsSince(VersionVector{}, &ops));
    ops_since_ms.push_back(MsSince(start));

    start = Clock::now();
    Result<std::unique_ptr<Replica>> merged =
        MergeIntoFresh(ops, local->next_free_id);
    if (!merged.ok()) return merged.status();
    remote_ms.push_back(MsSince(start));

    start = Clock::now();
    const std::string snapshot = (*merged)->EncodeSnapshot();
    encode_ms.push_back(MsSince(start));

    // Checks (untimed), freeing what is no longer needed before measuring
    // the decoded replica's resident memory.
    Result<std::string> local_text = ReplayedText(*local->replica, local->node);
    if (!local_text.ok()) return local_text.status();
    Result<std::string> merged_text = ReplayedText(**merged, local->node);
    if (!merged_text.ok()) return merged_text.status();
    const OpId node = local->node;
    const ReplicaId decode_id = local->next_free_id + 1;
    {  // Recorded every run: the last one (or the failing one) is reported.
      report.ops = ops.size();
      report.ops_bytes = EncodeOps(ops).size();
      report.snapshot_bytes = snapshot.size();
      report.forks = local->forks;
    }
    local->replica.reset();
    merged->reset();
    ops.clear();
    ops.shrink_to_fit();
    malloc_trim(0);

    const int64_t rss_before = CurrentRssBytes();
    start = Clock::now();
    Result<std::unique_ptr<Replica>> decoded =
        Replica::DecodeSnapshot(snapshot, decode_id);
    decode_ms.push_back(MsSince(start));
    if (!decoded.ok()) return decoded.status();
    doc_rss.push_back(static_cast<double>(CurrentRssBytes() - rss_before));
    Result<std::string> decoded_text = ReplayedText(**decoded, node);
    if (!decoded_text.ok()) return decoded_text.status();

    const std::string& want = trace.end_content;
    report.local_ok = *local_text == want;
    report.remote_ok = *merged_text == want;
    report.decoded_ok = *decoded_text == want;
    if (!report.local_ok) {
      report.mismatch = "local: " + DescribeMismatch(*local_text, want);
    } else if (!report.remote_ok) {
      report.mismatch = "remote: " + DescribeMismatch(*merged_text, want);
    } else if (!report.decoded_ok) {
      report.mismatch = "decoded: " + DescribeMismatch(*decoded_text, want);
    }
    {
      report.doc_memory_bytes = (*decoded)->MemoryUsage();
      report.final_text = std::move(*merged_text);
    }
    if (!report.final_ok()) break;
  }
  report.local_ms = Median(local_ms);
  report.ops_since_ms = Median(ops_since_ms);
  report.remote_ms = Median(remote_ms);
  report.encode_ms = Median(encode_ms);
  report.decode_ms = Median(decode_ms);
  report.doc_rss_bytes = static_cast<int64_t>(Median(doc_rss));
  return report;
}

}  // namespace samplan
