// Editing traces: keystroke recordings of real documents being written
// (github.com/josephg/editing-traces), used to test and benchmark the text
// CRDT end to end.
//
// A trace is gzipped JSON in one of two shapes:
//   sequential: {startContent, endContent, txns: [{time, patches}]}
//   concurrent: {kind: "concurrent", endContent, numAgents,
//                txns: [{parents, numChildren, agent, time, patches}]}
// where each patch is [pos, delCount, insText]: delete delCount code points
// at pos, then insert insText there. In a concurrent trace a transaction's
// positions are relative to the merge of its parents (none: the empty
// document).
//
// LoadTrace streams the file through a SAX parser, so the JSON document is
// never built in memory; the result is compact (the inserted text of every
// patch lives in one buffer). Malformed input gives a Status naming the file
// and the place, never an exception or a crash.
//
// Thread-safety: a Trace is immutable after loading; share it read-only.
#ifndef SAMPLAN_CLI_TRACE_H_
#define SAMPLAN_CLI_TRACE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/status.h"

namespace samplan {

struct TracePatch {
  uint32_t pos = 0;           // code points
  uint32_t delete_count = 0;  // code points
  uint32_t text_offset = 0;   // bytes into Trace::text_buffer
  uint32_t text_size = 0;     // bytes
};

struct TraceTxn {
  uint32_t first_patch = 0;  // index into Trace::patches
  uint32_t patch_count = 0;
  uint32_t first_parent = 0;  // index into Trace::parent_indices
  uint32_t parent_count = 0;
  uint32_t agent = 0;  // always 0 in a sequential trace
};

struct Trace {
  enum class Kind { kSequential, kConcurrent };

  Kind kind = Kind::kSequential;
  std::string start_content;  // sequential only; usually empty
  std::string end_content;
  uint32_t num_agents = 1;
  std::vector<TraceTxn> txns;
  std::vector<TracePatch> patches;
  std::vector<uint32_t> parent_indices;  // each < the txn that names it
  std::string text_buffer;               // inserted text of every patch

  bool concurrent() const { return kind == Kind::kConcurrent; }
  // Inserted UTF-8 text of `patch`.
  std::string_view InsertedText(const TracePatch& patch) const {
    return std::string_view(text_buffer)
        .substr(patch.text_offset, patch.text_size);
  }
  std::span<const TracePatch> PatchesOf(const TraceTxn& txn) const {
    return std::span<const TracePatch>(patches).subspan(txn.first_patch,
                                                        txn.patch_count);
  }
  std::span<const uint32_t> ParentsOf(const TraceTxn& txn) const {
    return std::span<const uint32_t>(parent_indices)
        .subspan(txn.first_parent, txn.parent_count);
  }
  // Approximate heap bytes held.
  size_t MemoryUsage() const;
};

// Parses a trace from JSON text (already decompressed). `source` names the
// input in error messages. InvalidArgument on malformed JSON, a wrong
// shape, invalid UTF-8, a parent that is not an earlier transaction or an
// agent outside [0, numAgents).
Status ParseTrace(std::string_view json, std::string_view source, Trace* out);

// Loads a trace from a .json.gz file (a plain .json file is read as is).
// NotFound when the file cannot be opened; Corruption when the gzip stream
// is damaged or truncated; otherwise as ParseTrace.
Status LoadTrace(const std::string& path, Trace* out);

// The trace's name: the file name without directories and ".json.gz".
std::string TraceName(std::string_view path);

}  // namespace samplan

#endif  // SAMPLAN_CLI_TRACE_H_
