// DiffSource: what a diff or a blame needs from a plan's history besides
// the states themselves: who made an op unit, and the ops between two
// points of the stored log.
//
// PlanHistory (history.h) implements it over the stored log; tests may
// implement it over a plain vector of ops.
//
// Thread-safety: implementations are read-only here; the owner of the
// history serializes access.
#ifndef SAMPLAN_CRDT_DIFF_SOURCE_H_
#define SAMPLAN_CRDT_DIFF_SOURCE_H_

#include <cstdint>
#include <functional>

#include "crdt/author.h"
#include "crdt/ids.h"
#include "crdt/op.h"

namespace samplan {

class DiffSource {
 public:
  virtual ~DiffSource() = default;
  // Who made the op unit `id` (a character's insert, a value's write) and
  // the sequence number of the stored op that holds it; false if unknown.
  virtual bool AuthorOf(OpId id, Author* author, uint64_t* seq) const = 0;
  // Calls `fn` for every op with after_seq < seq <= to_seq, in seq order.
  virtual void ForEachOpBetween(
      uint64_t after_seq, uint64_t to_seq,
      const std::function<void(uint64_t seq, const Op& op)>& fn) const = 0;
  // The same, but an op whose kind `needs_body` refuses may come as a head
  // only: its kind, node and name set, the rest default (a history answers
  // those from its index without decoding; typing is mostly such ops).
  // Default: every op in full.
  virtual void ForEachOpBetween(
      uint64_t after_seq, uint64_t to_seq,
      const std::function<bool(OpKind kind)>& needs_body,
      const std::function<void(uint64_t seq, const Op& op)>& fn) const {
    (void)needs_body;
    ForEachOpBetween(after_seq, to_seq, fn);
  }
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_DIFF_SOURCE_H_
