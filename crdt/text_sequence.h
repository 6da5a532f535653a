// TextSequence: the character-level sequence CRDT behind one text field.
//
// Every inserted code point has an id (replica, counter) and stays in the
// sequence forever; deleting marks it as a tombstone. Order follows
// sequence_order.h (FugueMax), so concurrent insertions at one place never
// interleave. Storage is run-length encoded: a run is a maximal stretch of
// characters with consecutive ids from one replica, where each character's
// left origin is the previous one, that share their right origin and their
// deleted flag; ordinary typing therefore costs one run per burst, not one
// record per keystroke. Runs live in the leaves of a B+ tree whose inner
// nodes count visible and total characters, so a visible position is found
// in O(log n); an id index maps (replica, counter) to the leaf holding it,
// so remote operations find their origins in O(log n) too.
//
// Positions are in Unicode code points. Content is kept as char32_t.
//
// Thread-safety: none; a TextSequence belongs to one Replica.
#ifndef SAMPLAN_CRDT_TEXT_SEQUENCE_H_
#define SAMPLAN_CRDT_TEXT_SEQUENCE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/ids.h"
#include "crdt/status.h"

namespace samplan {

class TextSequence {
 public:
  TextSequence();
  ~TextSequence();
  TextSequence(TextSequence&&) noexcept;
  TextSequence& operator=(TextSequence&&) noexcept;
  TextSequence(const TextSequence&) = delete;
  TextSequence& operator=(const TextSequence&) = delete;

  // Visible code points.
  size_t size() const;
  // All code points ever inserted, tombstones included.
  size_t total_size() const;

  // Inserts `chars` so that the first lands at visible position `pos`; the
  // characters get ids first, first+1, ... Reports the origins a remote
  // replica needs (left origin of the first character, shared right origin).
  // OutOfRange when pos > size(); InvalidArgument when chars is empty or
  // the ids are already present. Nothing changes on error.
  Status LocalInsert(size_t pos, std::u32string_view chars, OpId first,
                     OpId* origin_left, OpId* origin_right);

  // Deletes the visible range [pos, pos + len). Appends the ids deleted, in
  // document order, as spans to `deleted` (merging consecutive ids).
  // OutOfRange when the range passes the end. Nothing changes on error.
  Status LocalDelete(size_t pos, size_t len, std::vector<IdSpan>* deleted);

  // Remote insertion of `chars` with ids first, first+1, ...: the first
  // character has the given origins, each later one has the previous
  // character as left origin and the same right origin. NotFound when an
  // origin is unknown; InvalidArgument when an id is already present.
  // Nothing changes on error.
  Status Integrate(OpId first, OpId origin_left, OpId origin_right,
                   std::u32string_view chars);

  // Marks every id in `span` deleted; already-deleted ids are ignored.
  // NotFound (nothing changed) when any id of the span is unknown.
  Status Delete(const IdSpan& span);

  bool Contains(OpId id) const;
  // True when every id of `span` is a character of this text. Costs one
  // index search per stored id range the span covers, not one per id.
  bool ContainsSpan(const IdSpan& span) const;
  // Id of the visible character at `pos`. OutOfRange when pos >= size().
  Result<OpId> IdAt(size_t pos) const;
  struct Location {
    size_t position = 0;  // visible characters before it
    bool deleted = false;
  };
  // Where character `id` is: its visible position, or, for a tombstone, the
  // visible position where it would be. NotFound for an unknown id.
  Result<Location> Locate(OpId id) const;

  std::u32string Content() const;  // visible text
  std::string ToUtf8() const;      // visible text as UTF-8

  // A run as stored, in document order, for snapshots. Within a run,
  // character k > 0 has left origin {id.replica, id.counter + k - 1}.
  // ForEachRun reports maximal runs (neighbours that could form one run are
  // joined), so converged replicas report identical lists whatever order
  // built them.
  struct Run {
    OpId id;
    OpId origin_left;
    OpId origin_right;
    bool deleted = false;
    std::u32string_view chars;  // valid until the next mutation
  };
  void ForEachRun(const std::function<void(const Run&)>& fn) const;
  // Appends a run at the end of the document order, for loading a snapshot
  // (runs must arrive in ForEachRun order). InvalidArgument when an id
  // repeats or the run is empty. Call FinishLoad() after the last run.
  Status AppendRun(const Run& run);
  // Checks what AppendRun could not: every origin exists, left origins lie
  // before and right origins after the characters that name them.
  // Corruption naming the first bad run otherwise.
  Status FinishLoad();

  // Checks the B+ tree counts, the id index and run invariants; returns a
  // Corruption status naming the first violation.
  Status CheckInvariants() const;
  // Approximate heap bytes held.
  size_t MemoryUsage() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_TEXT_SEQUENCE_H_
