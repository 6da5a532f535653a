// TextIdIndex: maps the character ids of a TextSequence to the B+ tree leaf
// that holds them (internal to text_sequence.cc).
//
// Entries are disjoint id ranges [start, end) of one replica, each naming one
// leaf; neighbouring ranges of one replica in the same leaf are merged, so
// ordinary typing (consecutive counters, one leaf) costs one entry per burst.
// The entries are kept sorted by (replica, start) in a two-level "chunked"
// vector: a sorted vector of small sorted chunks. Lookups are two binary
// searches; an insertion shifts at most one chunk (kChunkMax entries) and,
// rarely, the short vector of chunk heads. A flat sorted vector would shift
// O(n) entries on every leaf split (the moved runs sit anywhere in id
// space), and a std::map costs a cache-missing allocation per entry.
//
// Thread-safety: none.
#ifndef SAMPLAN_CRDT_TEXT_ID_INDEX_H_
#define SAMPLAN_CRDT_TEXT_ID_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "crdt/ids.h"
#include "crdt/status.h"

namespace samplan::text_internal {

struct TextLeaf;

class TextIdIndex {
 public:
  struct Entry {
    ReplicaId replica;
    uint64_t start;
    uint64_t end;  // exclusive
    TextLeaf* leaf;
  };

  // The leaf holding `id`, or nullptr when the id is unknown. When found and
  // `range_end` is not null, sets it to the end of the indexed range holding
  // the id (every counter in [id.counter, *range_end) lives in that leaf).
  TextLeaf* Find(OpId id, uint64_t* range_end = nullptr) const;
  // True when any id of [counter, counter + n) is present. REQUIRES: n > 0
  // and counter + n does not overflow.
  bool Overlaps(ReplicaId replica, uint64_t counter, uint64_t n) const;
  // Maps [counter, counter + n) to `leaf`. The range must be either entirely
  // absent (new characters) or entirely present (characters that moved to
  // another leaf).
  void Assign(ReplicaId replica, uint64_t counter, uint64_t n, TextLeaf* leaf);

  void ForEach(const std::function<void(const Entry&)>& fn) const;
  // Sortedness, disjointness and chunk bookkeeping.
  Status CheckStructure() const;
  size_t MemoryUsage() const;
  size_t entry_count() const;

 private:
  using Key = std::pair<ReplicaId, uint64_t>;
  struct Pos {
    size_t chunk = 0;
    size_t idx = 0;
  };
  // Larger chunks make inserts shift more; smaller ones make the head vector
  // longer. 64 entries of 32 bytes = 2 KiB per shift at most.
  static constexpr size_t kChunkMax = 64;

  // Position of the last entry whose start key is <= (replica, counter).
  bool LastAtOrBefore(ReplicaId replica, uint64_t counter, Pos* pos) const;
  bool NextPos(Pos p, Pos* next) const;
  Entry& At(Pos p) { return chunks_[p.chunk][p.idx]; }
  const Entry& At(Pos p) const { return chunks_[p.chunk][p.idx]; }
  // Inserts before chunks_[chunk][idx]; returns where `e` ended up.
  Pos InsertAt(size_t chunk, size_t idx, const Entry& e);
  // Merges the entry at p with same-leaf contiguous neighbours in its chunk.
  Pos MergeAround(Pos p);
  void BumpMax(ReplicaId replica, uint64_t end);

  std::vector<std::vector<Entry>> chunks_;
  std::vector<Key> heads_;  // key of chunks_[i][0]
  // The entry touched last: typing extends it without a search.
  Pos hint_;
  // The end of one replica's highest ids: a new id above it cannot overlap,
  // so the per-keystroke duplicate check needs no search. Learnt by
  // Overlaps, raised by Assign.
  mutable bool max_valid_ = false;
  mutable ReplicaId max_replica_ = 0;
  mutable uint64_t max_end_ = 0;
  // The search of the last Overlaps that found the range free: the
  // insertion point Assign needs next, so checking and inserting new ids
  // costs one search. Cleared by every Assign.
  mutable bool probe_valid_ = false;
  mutable bool probe_has_ = false;
  mutable ReplicaId probe_replica_ = 0;
  mutable uint64_t probe_counter_ = 0;
  mutable Pos probe_pos_;
};

}  // namespace samplan::text_internal

#endif  // SAMPLAN_CRDT_TEXT_ID_INDEX_H_
