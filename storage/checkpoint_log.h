// Checkpoint log: an append-only text file of signed plan heads, written by
// the server (DATA/checkpoints.log) every so many ops or seconds per plan.
// Kept outside the database and signed, it lets `samplan verify` detect a
// log that was cut off, a plan record rewound, or a history rewritten after
// the checkpoint was written (the op log's hash chain alone cannot: whoever
// rewrites the log can recompute the chain).
//
// One line per checkpoint:
//   v1 <plan> <seq> <head hex> <time_ms> <key id> <base64 signature>
// The signature (KeyRing::Sign) is over CheckpointSigningMessage:
//   "samplan-checkpoint-v1\nplan:<id>\nseq:<seq>\nhead:<hex>\ntime_ms:<t>\n"
// time_ms is the server time of op seq.
//
// Thread-safety: a CheckpointLog serializes its Appends internally; the free
// functions are reentrant. Only one process appends to a file (the server).
#ifndef SAMPLAN_STORAGE_CHECKPOINT_LOG_H_
#define SAMPLAN_STORAGE_CHECKPOINT_LOG_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crdt/status.h"
#include "storage/plan_store.h"
#include "storage/signing.h"

namespace samplan {

struct Checkpoint {
  std::string plan_id;
  uint64_t seq = 0;
  ChainHash head{};
  int64_t time_ms = 0;
  std::string key_id;
  std::string signature;  // 64 raw bytes
  size_t line = 0;        // 1-based line in the file (ReadCheckpoints)
};

std::string CheckpointSigningMessage(const Checkpoint& c);
// The file line for `c`, without the newline.
std::string CheckpointLine(const Checkpoint& c);

class CheckpointLog {
 public:
  // Opens `path` for appending, creating it (mode 0600) if missing. A torn
  // last line (a crash mid-append: no newline at the end) is cut off so
  // that the next line starts cleanly.
  static Status Open(const std::string& path,
                     std::unique_ptr<CheckpointLog>* out);
  ~CheckpointLog();
  CheckpointLog(const CheckpointLog&) = delete;
  CheckpointLog& operator=(const CheckpointLog&) = delete;

  // Appends one line and fdatasyncs. FailedPrecondition on an I/O error.
  Status Append(const Checkpoint& c);

 private:
  CheckpointLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  const std::string path_;
  std::mutex mu_;
  int fd_;  // guarded by mu_
};

// Reads every checkpoint of `path` in file order. Corruption naming the
// line for a malformed complete line; a torn last line (no newline at the
// end of the file) is skipped and *torn_last_line (if non-null) set.
// Empty lines are skipped. NotFound when the file does not exist.
Status ReadCheckpoints(const std::string& path, std::vector<Checkpoint>* out,
                       bool* torn_last_line = nullptr);

// Checks the store against the checkpoints; returns OK with `problems`
// filled with one readable line per checkpoint that does not hold
// (empty: all hold):
// - the signature verifies with the listed key of its key id
//   ("checkpoint line 3: signature does not verify with key K (forged)",
//   "... key K is unknown");
// - its plan exists ("... plan 'x' does not exist");
// - the plan's last_seq >= seq ("plan demo: the log ends at seq 480 but
//   checkpoint line 12 (2026-...Z) signed seq 500: operations were cut off
//   or the plan record rewound");
// - chain(seq) == head ("plan demo: chain at seq 500 is X but checkpoint
//   line 12 (...) signed Y: history rewritten").
// A non-OK Status only when the store cannot be read.
Status VerifyAgainstCheckpoints(PlanStore* store,
                                const std::vector<Checkpoint>& checkpoints,
                                const std::vector<PublicKeyInfo>& keys,
                                std::vector<std::string>* problems);

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_CHECKPOINT_LOG_H_
