// Replaying editing traces (trace.h) through the CRDT core, for tests, the
// `samplan replay` command and benchmarks.
//
// The text goes into the "body" of one text_block created under the plan
// root. A sequential trace is typed into one replica, patch by patch
// (DeleteText then InsertText). A concurrent trace uses one replica per
// agent (id agent + 1): before each transaction the agent's replica is
// brought to exactly the merge of the transaction's parents by applying
// operations from a hub replica that has seen every transaction so far,
// then the patches are applied as local edits and their operations go to
// the hub. When an agent's replica already holds operations outside the
// parents' merge (its own earlier transaction is not an ancestor), it
// cannot be rewound, so the agent continues on a fresh replica with a new
// id rebuilt from the hub (a "fork"; counted in LocalReplay::forks).
//
// Then every operation is merged into a fresh replica (the remote case),
// a snapshot of it is encoded and decoded, and each resulting text is
// compared with the trace's endContent.
//
// Thread-safety: functions are reentrant; they share no state.
#ifndef SAMPLAN_CLI_REPLAY_H_
#define SAMPLAN_CLI_REPLAY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/ids.h"
#include "crdt/op.h"
#include "crdt/replica.h"
#include "crdt/status.h"
#include "cli/trace.h"

namespace samplan {

// Where a replayed trace's text lives: the "body" of a text_block.
inline constexpr std::string_view kReplayNodeKind = "text_block";
inline constexpr std::string_view kReplayTextField = "body";

// The result of replaying a trace's edits as local edits.
struct LocalReplay {
  // Holds every operation of the trace: the editing replica (sequential)
  // or the hub (concurrent).
  std::unique_ptr<Replica> replica;
  OpId node;                   // the text_block holding the text
  size_t forks = 0;            // concurrent: agents moved to a fresh replica
  ReplicaId next_free_id = 0;  // lowest replica id not used by the replay
};

// Replays every edit of `trace`. Fails when the core rejects an edit (a
// position past the end, ...) with a Status naming the transaction and the
// patch.
Result<LocalReplay> ReplayLocally(const Trace& trace);

// A fresh replica `id` that has applied `ops`. Fails when an op is rejected
// or some are still held back for missing dependencies.
Result<std::unique_ptr<Replica>> MergeIntoFresh(const std::vector<Op>& ops,
                                                ReplicaId id);

// The replayed text held by `replica`.
Result<std::string> ReplayedText(const Replica& replica, OpId node);

// "" when `actual` == `expected`, else where they first differ, e.g.
// "differs at byte 1041 (lengths 2000 and 2003)".
std::string DescribeMismatch(std::string_view actual,
                             std::string_view expected);

struct ReplayOptions {
  int runs = 1;  // timed repetitions (fresh replicas each); medians reported
};

struct ReplayReport {
  std::string kind;  // "sequential" or "concurrent"
  size_t txns = 0;
  size_t patches = 0;
  size_t agents = 0;
  size_t final_chars = 0;  // code points of endContent
  // Whether each text equals endContent: after the local edits, after the
  // remote merge, after decoding the snapshot.
  bool local_ok = false;
  bool remote_ok = false;
  bool decoded_ok = false;
  bool final_ok() const { return local_ok && remote_ok && decoded_ok; }
  std::string mismatch;    // first difference found, "" when final_ok()
  std::string final_text;  // text of the remotely merged replica

  size_t ops = 0;        // operations exchanged (run-merged)
  size_t ops_bytes = 0;  // EncodeOps size of those
  size_t snapshot_bytes = 0;
  size_t doc_memory_bytes = 0;  // Replica::MemoryUsage of the decoded one
  int64_t doc_rss_bytes = 0;    // resident growth when decoding (median)
  size_t forks = 0;

  // Medians over the runs, in milliseconds.
  double local_ms = 0;      // every local edit (concurrent: the whole replay)
  double ops_since_ms = 0;  // collecting the ops to send (OpsSince)
  double remote_ms = 0;     // applying them to a fresh replica
  double encode_ms = 0;     // EncodeSnapshot
  double decode_ms = 0;     // DecodeSnapshot
};

// Replays `trace` options.runs times: locally, remote merge, snapshot round
// trip, timing each phase. A text that differs from endContent is reported
// in the result (final_ok() false), not as an error; an error means the
// core rejected an edit or an operation, or a snapshot did not decode.
Result<ReplayReport> ReplayTrace(const Trace& trace,
                                 const ReplayOptions& options = {});

// Resident set size now and at its peak, in bytes (0 when unknown).
int64_t CurrentRssBytes();
int64_t PeakRssBytes();

}  // namespace samplan

#endif  // SAMPLAN_CLI_REPLAY_H_
