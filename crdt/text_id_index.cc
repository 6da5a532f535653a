#include "crdt/text_id_index.h"

#include <algorithm>
#include <limits>
#include <string>

namespace samplan::text_internal {

namespace {

// Index of the last element whose (replica, start) key is <= (r, c), or -1.
// Halving without an early exit, on the two key fields directly (cheaper
// than std::pair's operator<=>). A multiply instead of the branch was
// tried: faster for random ids, but slower for the common case of ids
// arriving in order, where the branch predicts well.
template <typename T, typename Rep, typename Start>
ptrdiff_t LastLessEqual(const T* a, size_t n, ReplicaId r, uint64_t c, Rep rep,
                        Start start) {
  if (n == 0) return -1;
  auto le = [&](const T& x) {
    return rep(x) < r || (rep(x) == r && start(x) <= c);
  };
  // Invariant: every element before base is <= key.
  const T* base = a;
  while (n > 1) {
    const size_t half = n / 2;
    base = le(base[half]) ? base + half : base;
    n -= half;
  }
  return (base - a) - (le(*base) ? 0 : 1);
}

}  // namespace

bool TextIdIndex::LastAtOrBefore(ReplicaId replica, uint64_t counter,
                                 Pos* pos) const {
  const ptrdiff_t ci = LastLessEqual(
      heads_.data(), heads_.size(), replica, counter,
      [](const Key& k) { return k.first; },
      [](const Key& k) { return k.second; });
  if (ci < 0) return false;
  const std::vector<Entry>& chunk = chunks_[static_cast<size_t>(ci)];
  // chunk[0]'s key is the head, which is <= key, so this is >= 0.
  const ptrdiff_t ei = LastLessEqual(
      chunk.data(), chunk.size(), replica, counter,
      [](const Entry& e) { return e.replica; },
      [](const Entry& e) { return e.start; });
  pos->chunk = static_cast<size_t>(ci);
  pos->idx = static_cast<size_t>(ei);
  return true;
}

bool TextIdIndex::NextPos(Pos p, Pos* next) const {
  if (p.idx + 1 < chunks_[p.chunk].size()) {
    *next = Pos{p.chunk, p.idx + 1};
    return true;
  }
  if (p.chunk + 1 < chunks_.size()) {
    *next = Pos{p.chunk + 1, 0};
    return true;
  }
  return false;
}

TextLeaf* TextIdIndex::Find(OpId id, uint64_t* range_end) const {
  Pos p;
  if (!LastAtOrBefore(id.replica, id.counter, &p)) return nullptr;
  const Entry& e = At(p);
  if (e.replica != id.replica || id.counter >= e.end) return nullptr;
  if (range_end != nullptr) *range_end = e.end;
  return e.leaf;
}

void TextIdIndex::BumpMax(ReplicaId replica, uint64_t end) {
  if (max_valid_ && max_replica_ == replica && end > max_end_) max_end_ = end;
}

bool TextIdIndex::Overlaps(ReplicaId replica, uint64_t counter,
                           uint64_t n) const {
  if (max_valid_ && max_replica_ == replica && counter >= max_end_) {
    return false;
  }
  Pos p;
  const bool has = LastAtOrBefore(replica, counter + n - 1, &p);
  // Entries are disjoint and sorted, so the last one starting at or before
  // the range's last id is the only candidate that can reach into it.
  if (has && At(p).replica == replica && At(p).end > counter) return true;
  // When nothing of this replica follows p, p ends the replica's ids: the
  // next new id above it needs no search.
  Pos next;
  const bool has_next = has ? NextPos(p, &next) : !chunks_.empty();
  if (!has_next || At(next).replica != replica) {
    max_valid_ = true;
    max_replica_ = replica;
    max_end_ = has && At(p).replica == replica ? At(p).end : 0;
  }
  // Free: no entry starts inside the range, so p is also the last entry
  // starting at or before `counter`, which is what Assign looks up.
  probe_valid_ = true;
  probe_has_ = has;
  probe_replica_ = replica;
  probe_counter_ = counter;
  probe_pos_ = p;
  return false;
}

TextIdIndex::Pos TextIdIndex::InsertAt(size_t chunk, size_t idx,
                                       const Entry& e) {
  const Key key{e.replica, e.start};
  if (chunks_.empty()) {
    chunks_.emplace_back();
    chunks_.back().reserve(kChunkMax + 1);
    chunks_.back().push_back(e);
    heads_.push_back(key);
    return Pos{0, 0};
  }
  std::vector<Entry>& c = chunks_[chunk];
  c.insert(c.begin() + static_cast<ptrdiff_t>(idx), e);
  if (idx == 0) heads_[chunk] = key;
  if (c.size() <= kChunkMax) return Pos{chunk, idx};
  // Split the chunk in halves; the new right half goes after it.
  const size_t half = c.size() / 2;
  std::vector<Entry> right;
  right.reserve(kChunkMax + 1);
  right.assign(c.begin() + static_cast<ptrdiff_t>(half), c.end());
  c.resize(half);
  const Key right_head{right[0].replica, right[0].start};
  chunks_.insert(chunks_.begin() + static_cast<ptrdiff_t>(chunk) + 1,
                 std::move(right));
  heads_.insert(heads_.begin() + static_cast<ptrdiff_t>(chunk) + 1, right_head);
  if (idx >= half) return Pos{chunk + 1, idx - half};
  return Pos{chunk, idx};
}

TextIdIndex::Pos TextIdIndex::MergeAround(Pos p) {
  std::vector<Entry>& c = chunks_[p.chunk];
  // Only neighbours inside the chunk: the erased entry is then never a
  // chunk's first, so heads_ stay valid and no chunk becomes empty.
  if (p.idx + 1 < c.size()) {
    Entry& e = c[p.idx];
    const Entry& next = c[p.idx + 1];
    if (next.replica == e.replica && next.start == e.end &&
        next.leaf == e.leaf) {
      e.end = next.end;
      c.erase(c.begin() + static_cast<ptrdiff_t>(p.idx) + 1);
    }
  }
  if (p.idx > 0) {
    Entry& prev = c[p.idx - 1];
    const Entry& e = c[p.idx];
    if (prev.replica == e.replica && prev.end == e.start &&
        prev.leaf == e.leaf) {
      prev.end = e.end;
      c.erase(c.begin() + static_cast<ptrdiff_t>(p.idx));
      --p.idx;
    }
  }
  return p;
}

void TextIdIndex::Assign(ReplicaId replica, uint64_t counter, uint64_t n,
                         TextLeaf* leaf) {
  const uint64_t end = counter + n;
  BumpMax(replica, end);
  const bool probed =
      probe_valid_ && probe_replica_ == replica && probe_counter_ == counter;
  probe_valid_ = false;
  // Fast path for typing: the run just grew by n characters, and the entry
  // we touched last ends exactly where the new ids begin.
  if (hint_.chunk < chunks_.size() && hint_.idx < chunks_[hint_.chunk].size()) {
    Entry& e = At(hint_);
    if (e.replica == replica && e.end == counter && e.leaf == leaf) {
      Pos next;
      if (!NextPos(hint_, &next) || At(next).replica != replica ||
          At(next).start >= end) {
        e.end = end;
        return;
      }
    }
  }
  for (bool first = true; counter < end; first = false) {
    Pos p = probe_pos_;
    const bool has =
        first && probed ? probe_has_ : LastAtOrBefore(replica, counter, &p);
    if (has && At(p).replica == replica && At(p).end > counter) {
      // Present: re-point [counter, ...) at `leaf`.
      Entry& e = At(p);
      if (e.leaf == leaf) {
        counter = std::min(e.end, end);
        hint_ = p;
        continue;
      }
      if (e.start < counter) {
        // Cut off the part before the range; the loop comes back for the
        // tail, which now starts at `counter`.
        Entry tail = e;
        tail.start = counter;
        e.end = counter;
        InsertAt(p.chunk, p.idx + 1, tail);
        continue;
      }
      if (e.end > end) {
        Entry tail = e;
        tail.start = end;
        e.end = end;
        InsertAt(p.chunk, p.idx + 1, tail);
        continue;  // e is now exactly inside the range
      }
      e.leaf = leaf;
      counter = e.end;
      hint_ = MergeAround(p);
      continue;
    }
    // Absent: new ids up to the next entry of this replica (or `end`).
    uint64_t gap_end = end;
    Pos next;  // the first entry after `counter`
    bool has_next = false;
    if (has) {
      has_next = NextPos(p, &next);
    } else {
      has_next = !chunks_.empty();
    }
    if (has_next && At(next).replica == replica && At(next).start < gap_end) {
      gap_end = At(next).start;
    }
    if (has && At(p).replica == replica && At(p).end == counter &&
        At(p).leaf == leaf) {
      At(p).end = gap_end;
      hint_ = MergeAround(p);
    } else {
      const Entry e{replica, counter, gap_end, leaf};
      hint_ = MergeAround(has ? InsertAt(p.chunk, p.idx + 1, e)
                              : InsertAt(0, 0, e));
    }
    counter = gap_end;
  }
}

void TextIdIndex::ForEach(const std::function<void(const Entry&)>& fn) const {
  for (const std::vector<Entry>& c : chunks_) {
    for (const Entry& e : c) fn(e);
  }
}

Status TextIdIndex::CheckStructure() const {
  if (chunks_.size() != heads_.size()) {
    return Status::Corruption("id index: chunk heads out of step");
  }
  const Entry* prev = nullptr;
  for (size_t i = 0; i < chunks_.size(); ++i) {
    const std::vector<Entry>& c = chunks_[i];
    if (c.empty() || c.size() > kChunkMax) {
      return Status::Corruption("id index: chunk " + std::to_string(i) +
                                " has " + std::to_string(c.size()) +
                                " entries");
    }
    if (heads_[i] != Key{c[0].replica, c[0].start}) {
      return Status::Corruption("id index: stale head of chunk " +
                                std::to_string(i));
    }
    for (const Entry& e : c) {
      const std::string name =
          "id index entry " + OpId{e.replica, e.start}.ToString();
      if (e.start >= e.end) return Status::Corruption(name + " is empty");
      if (e.leaf == nullptr) return Status::Corruption(name + " has no leaf");
      if (prev != nullptr) {
        if (Key{prev->replica, prev->start} >= Key{e.replica, e.start}) {
          return Status::Corruption(name + " is out of order");
        }
        if (prev->replica == e.replica && prev->end > e.start) {
          return Status::Corruption(name + " overlaps its predecessor");
        }
      }
      prev = &e;
    }
  }
  return Status::OK();
}

size_t TextIdIndex::MemoryUsage() const {
  size_t bytes = chunks_.capacity() * sizeof(std::vector<Entry>) +
                 heads_.capacity() * sizeof(Key);
  for (const std::vector<Entry>& c : chunks_) {
    bytes += c.capacity() * sizeof(Entry);
  }
  return bytes;
}

size_t TextIdIndex::entry_count() const {
  size_t n = 0;
  for (const std::vector<Entry>& c : chunks_) n += c.size();
  return n;
}

}  // namespace samplan::text_internal
