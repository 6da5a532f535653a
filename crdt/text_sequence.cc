#include "crdt/text_sequence.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "crdt/text_id_index.h"
#include "crdt/utf8.h"

namespace samplan {
namespace text_internal {

// Leaf capacity trades the linear scans inside a leaf (finding a position or
// an id) against tree height and split frequency; 32 runs of 56 bytes keep a
// leaf under 2 KiB. Stress builds shrink both (minimum 4) to force deep
// trees and splits in small tests.
#ifndef SAMPLAN_TEXT_LEAF_CAPACITY
#define SAMPLAN_TEXT_LEAF_CAPACITY 32
#endif
#ifndef SAMPLAN_TEXT_INNER_CAPACITY
#define SAMPLAN_TEXT_INNER_CAPACITY 16
#endif
constexpr uint32_t kLeafCap = SAMPLAN_TEXT_LEAF_CAPACITY;
constexpr uint32_t kInnerCap = SAMPLAN_TEXT_INNER_CAPACITY;
static_assert(kLeafCap >= 4 && kInnerCap >= 4, "capacities too small");
// Run content offsets are 31 bits (the 32nd holds the deleted flag).
constexpr size_t kMaxBuffer = (size_t{1} << 31) - 1;

// A run: characters with ids counter, counter + 1, ...; the first has
// origin_left as left origin, each later one the character before it; all
// share origin_right and the deleted flag. Content is
// buffer[content, content + len).
struct RunRec {
  ReplicaId replica;
  uint64_t counter;
  OpId origin_left;
  OpId origin_right;
  uint32_t content : 31;
  uint32_t deleted : 1;
  uint32_t len;

  size_t Visible() const { return deleted ? 0 : len; }
  OpId Id(uint64_t k = 0) const { return OpId{replica, counter + k}; }
  OpId Last() const { return OpId{replica, counter + len - 1}; }
  bool Holds(OpId id) const {
    return id.replica == replica && id.counter >= counter &&
           id.counter - counter < len;
  }
};

struct Inner;

struct TextLeaf {
  Inner* parent = nullptr;
  uint32_t slot = 0;  // index in parent->child: count updates need no search
  TextLeaf* next = nullptr;
  size_t vis = 0;      // visible characters in this leaf
  size_t tot = 0;      // all characters in this leaf
  size_t scratch = 0;  // tombstone-inclusive start, only during whole scans
  uint32_t count = 0;
  RunRec runs[kLeafCap];
};

struct Inner {
  Inner* parent = nullptr;
  uint32_t slot = 0;  // index in parent->child
  uint32_t count = 0;
  bool leaf_children = true;
  void* child[kInnerCap];
  size_t vis[kInnerCap];  // visible characters under child[i]
  size_t tot[kInnerCap];  // all characters under child[i]
};

// A character position: runs[run] at offset off, or the end of a leaf when
// run == leaf->count.
struct Cursor {
  TextLeaf* leaf = nullptr;
  uint32_t run = 0;
  uint32_t off = 0;
};

namespace {

size_t Neg(size_t x) { return size_t{0} - x; }  // modular "minus x"

void SetParent(void* child, Inner* p, uint32_t slot, bool is_leaf) {
  if (is_leaf) {
    static_cast<TextLeaf*>(child)->parent = p;
    static_cast<TextLeaf*>(child)->slot = slot;
  } else {
    static_cast<Inner*>(child)->parent = p;
    static_cast<Inner*>(child)->slot = slot;
  }
}

uint32_t RunIndexOf(const TextLeaf* leaf, OpId id) {
  uint32_t i = 0;
  while (i < leaf->count && !leaf->runs[i].Holds(id)) ++i;
  return i;
}

void InsertRunRec(TextLeaf* leaf, uint32_t at, const RunRec& rec) {
  std::copy_backward(leaf->runs + at, leaf->runs + leaf->count,
                     leaf->runs + leaf->count + 1);
  leaf->runs[at] = rec;
  ++leaf->count;
}

// Splits runs[i] into [0, k) and [k, len). REQUIRES: 0 < k < len, room.
void SplitRunAt(TextLeaf* leaf, uint32_t i, uint32_t k) {
  RunRec tail = leaf->runs[i];
  tail.counter += k;
  tail.origin_left = OpId{tail.replica, tail.counter - 1};
  tail.content += k;
  tail.len -= k;
  leaf->runs[i].len = k;
  InsertRunRec(leaf, i + 1, tail);
}

// Whether b can be absorbed into a (b directly follows a in the document):
// b continues a's ids and left-origin chain with the same right origin and
// flag, and its content follows a's in the buffer.
bool Mergeable(const RunRec& a, const RunRec& b) {
  return a.replica == b.replica && a.counter + a.len == b.counter &&
         b.origin_left == a.Last() && a.origin_right == b.origin_right &&
         a.deleted == b.deleted && a.content + a.len == b.content &&
         uint64_t{a.len} + b.len <= std::numeric_limits<uint32_t>::max();
}

void MergeRuns(TextLeaf* leaf, uint32_t i) {
  leaf->runs[i].len += leaf->runs[i + 1].len;
  std::copy(leaf->runs + i + 2, leaf->runs + leaf->count, leaf->runs + i + 1);
  --leaf->count;
}

std::string Str(size_t x) { return std::to_string(x); }

}  // namespace
}  // namespace text_internal

using text_internal::Cursor;
using text_internal::Inner;
using text_internal::kInnerCap;
using text_internal::kLeafCap;
using text_internal::RunRec;
using text_internal::TextLeaf;

struct TextSequence::Impl {
  Impl() {
    root = new Inner;
    first_leaf = last_leaf = new TextLeaf;
    root->child[0] = first_leaf;
    root->vis[0] = root->tot[0] = 0;
    root->count = 1;
    first_leaf->parent = root;
    inner_count = leaf_count = 1;
  }
  ~Impl() { Free(root); }

  void Free(Inner* node) {
    for (uint32_t i = 0; i < node->count; ++i) {
      if (node->leaf_children) {
        delete static_cast<TextLeaf*>(node->child[i]);
      } else {
        Free(static_cast<Inner*>(node->child[i]));
      }
    }
    delete node;
  }

  // ---- Counts ------------------------------------------------------------

  // Adds (dv, dt) to p's entry `slot` and to every entry above it.
  void AddCounts(Inner* p, uint32_t slot, size_t dv, size_t dt) {
    while (p != nullptr) {
      p->vis[slot] += dv;
      p->tot[slot] += dt;
      slot = p->slot;
      p = p->parent;
    }
    size += dv;
    total += dt;
  }
  void AddLeafCounts(TextLeaf* leaf, size_t dv, size_t dt) {
    leaf->vis += dv;
    leaf->tot += dt;
    AddCounts(leaf->parent, leaf->slot, dv, dt);
  }

  // Characters (visible, or all) before the leaf's first one.
  size_t LeafStart(const TextLeaf* leaf, bool visible) const {
    size_t start = 0;
    uint32_t slot = leaf->slot;
    for (const Inner* p = leaf->parent; p != nullptr; p = p->parent) {
      for (uint32_t j = 0; j < slot; ++j) {
        start += visible ? p->vis[j] : p->tot[j];
      }
      slot = p->slot;
    }
    return start;
  }

  // ---- Structure ----------------------------------------------------------

  // Inserts `child` (holding v visible, t total characters) at p->child[at],
  // splitting p first when full, and adds its counts to every ancestor.
  void InsertChild(Inner* p, uint32_t at, void* child, size_t v, size_t t) {
    if (p->count == kInnerCap) {
      Inner* q = new Inner;
      ++inner_count;
      q->leaf_children = p->leaf_children;
      constexpr uint32_t h = kInnerCap / 2;
      size_t qv = 0, qt = 0;
      for (uint32_t j = h; j < kInnerCap; ++j) {
        q->child[j - h] = p->child[j];
        q->vis[j - h] = p->vis[j];
        q->tot[j - h] = p->tot[j];
        qv += p->vis[j];
        qt += p->tot[j];
        text_internal::SetParent(p->child[j], q, j - h, q->leaf_children);
      }
      q->count = kInnerCap - h;
      p->count = h;
      if (p->parent == nullptr) {
        Inner* r = new Inner;
        ++inner_count;
        r->leaf_children = false;
        r->child[0] = p;
        r->vis[0] = size;  // p was the root: it held everything
        r->tot[0] = total;
        r->count = 1;
        p->parent = r;
        p->slot = 0;
        root = r;
      }
      // Move q's counts from p's entry to q's own (net zero above).
      AddCounts(p->parent, p->slot, text_internal::Neg(qv),
                text_internal::Neg(qt));
      InsertChild(p->parent, p->slot + 1, q, qv, qt);
      if (at > h) {
        p = q;
        at -= h;
      }
    }
    std::copy_backward(p->child + at, p->child + p->count,
                       p->child + p->count + 1);
    std::copy_backward(p->vis + at, p->vis + p->count, p->vis + p->count + 1);
    std::copy_backward(p->tot + at, p->tot + p->count, p->tot + p->count + 1);
    p->child[at] = child;
    p->vis[at] = v;
    p->tot[at] = t;
    ++p->count;
    for (uint32_t j = at; j < p->count; ++j) {
      text_internal::SetParent(p->child[j], p, j, p->leaf_children);
    }
    AddCounts(p->parent, p->slot, v, t);
  }

  // Moves the upper half of the leaf's runs into a new leaf right after it.
  TextLeaf* SplitLeaf(TextLeaf* leaf) {
    TextLeaf* r = new TextLeaf;
    ++leaf_count;
    ++split_count;
    cache_leaf = nullptr;
    const uint32_t h = leaf->count / 2;
    size_t mv = 0, mt = 0;
    for (uint32_t i = h; i < leaf->count; ++i) {
      r->runs[i - h] = leaf->runs[i];
      mv += leaf->runs[i].Visible();
      mt += leaf->runs[i].len;
    }
    r->count = leaf->count - h;
    leaf->count = h;
    r->vis = mv;
    r->tot = mt;
    r->next = leaf->next;
    leaf->next = r;
    if (last_leaf == leaf) last_leaf = r;
    AddLeafCounts(leaf, text_internal::Neg(mv), text_internal::Neg(mt));
    InsertChild(leaf->parent, leaf->slot + 1, r, mv, mt);
    for (uint32_t i = 0; i < r->count; ++i) {
      const RunRec& run = r->runs[i];
      index.Assign(run.replica, run.counter, run.len, r);
    }
    return r;
  }

  // Inserts rec before character k of runs[j] (or at the leaf's end when
  // j == count), splitting the run, and the leaf when full. Returns the leaf
  // that received rec.
  TextLeaf* InsertRunAt(TextLeaf* leaf, uint32_t j, uint32_t k,
                        const RunRec& rec) {
    const uint32_t need = k > 0 ? 2 : 1;
    if (leaf->count + need > kLeafCap) {
      TextLeaf* r = SplitLeaf(leaf);
      const uint32_t h = leaf->count;
      if (j > h || (j == h && k > 0)) {
        leaf = r;
        j -= h;
      }
    }
    if (k > 0) {
      text_internal::SplitRunAt(leaf, j, k);
      ++j;
    }
    text_internal::InsertRunRec(leaf, j, rec);
    AddLeafCounts(leaf, rec.Visible(), rec.len);
    index.Assign(rec.replica, rec.counter, rec.len, leaf);
    recent_leaf = leaf;
    recent_run = j;
    return leaf;
  }

  // Marks characters [k, k + m) of the live run *ip deleted, splitting as
  // needed and merging the result with deleted neighbours that continue it
  // (backspacing then keeps one tombstone run). On return *leafp/*ip name
  // the run now holding those characters.
  void MarkDeleted(TextLeaf** leafp, uint32_t* ip, uint32_t k, uint32_t m) {
    TextLeaf* leaf = *leafp;
    uint32_t i = *ip;
    const uint32_t len = leaf->runs[i].len;
    // Backspacing (a suffix whose continuation is already a tombstone) or
    // forward deleting (a prefix continuing a tombstone): move the boundary
    // between the two runs instead of splitting and re-merging.
    if (m < len) {
      RunRec& run = leaf->runs[i];
      if (k + m == len && i + 1 < leaf->count) {
        RunRec& next = leaf->runs[i + 1];
        if (next.deleted && next.replica == run.replica &&
            run.counter + len == next.counter &&
            next.origin_left == run.Last() &&
            next.origin_right == run.origin_right &&
            run.content + len == next.content) {
          run.len = k;
          next.counter -= m;
          next.content -= m;
          next.len += m;
          next.origin_left = OpId{next.replica, next.counter - 1};
          AddLeafCounts(leaf, text_internal::Neg(m), 0);
          *ip = i + 1;
          recent_leaf = leaf;
          recent_run = i + 1;
          return;
        }
      }
      if (k == 0 && i > 0) {
        RunRec& prev = leaf->runs[i - 1];
        if (prev.deleted && prev.replica == run.replica &&
            prev.counter + prev.len == run.counter &&
            run.origin_left == prev.Last() &&
            prev.origin_right == run.origin_right &&
            prev.content + prev.len == run.content) {
          prev.len += m;
          run.counter += m;
          run.content += m;
          run.len -= m;
          run.origin_left = OpId{run.replica, run.counter - 1};
          AddLeafCounts(leaf, text_internal::Neg(m), 0);
          *ip = i - 1;
          recent_leaf = leaf;
          recent_run = i - 1;
          return;
        }
      }
    }
    const uint32_t need = (k > 0 ? 1 : 0) + (k + m < len ? 1 : 0);
    if (leaf->count + need > kLeafCap) {
      TextLeaf* r = SplitLeaf(leaf);
      if (i >= leaf->count) {
        i -= leaf->count;
        leaf = r;
      }
    }
    if (k > 0) {
      text_internal::SplitRunAt(leaf, i, k);
      ++i;
    }
    if (m < leaf->runs[i].len) text_internal::SplitRunAt(leaf, i, m);
    leaf->runs[i].deleted = 1;
    AddLeafCounts(leaf, text_internal::Neg(m), 0);
    if (i + 1 < leaf->count &&
        text_internal::Mergeable(leaf->runs[i], leaf->runs[i + 1])) {
      text_internal::MergeRuns(leaf, i);
    }
    if (i > 0 && text_internal::Mergeable(leaf->runs[i - 1], leaf->runs[i])) {
      text_internal::MergeRuns(leaf, i - 1);
      --i;
    }
    *leafp = leaf;
    *ip = i;
    recent_leaf = leaf;
    recent_run = i;
  }

  // ---- Lookup --------------------------------------------------------------

  // The visible character at pos (REQUIRES: pos < size); *leaf_start gets
  // the visible characters before its leaf.
  Cursor FindChar(size_t pos, size_t* leaf_start) const {
    TextLeaf* leaf;
    size_t start;
    uint32_t i = 0;
    size_t before = 0;  // visible characters in the leaf before runs[i]
    if (cache_leaf != nullptr && pos >= cache_vis &&
        pos - cache_vis < cache_leaf->vis) {
      leaf = cache_leaf;
      start = cache_vis;
      if (cache_run < leaf->count) {
        i = cache_run;
        before = cache_run_vis;
      }
    } else {
      const Inner* node = root;
      size_t rem = pos;
      for (;;) {
        uint32_t j = 0;
        while (j + 1 < node->count && rem >= node->vis[j])
          rem -= node->vis[j++];
        if (node->leaf_children) {
          leaf = static_cast<TextLeaf*>(node->child[j]);
          break;
        }
        node = static_cast<const Inner*>(node->child[j]);
      }
      start = pos - rem;
      cache_leaf = leaf;
      cache_vis = start;
    }
    // Walk from the hinted run: keystrokes land next to the previous one.
    const size_t rel = pos - start;
    while (rel < before) before -= leaf->runs[--i].Visible();
    for (;;) {
      const size_t v = leaf->runs[i].Visible();
      if (rel - before < v) break;
      before += v;
      ++i;
    }
    cache_run = i;
    cache_run_vis = before;
    *leaf_start = start;
    return Cursor{leaf, i, static_cast<uint32_t>(rel - before)};
  }

  bool FindId(OpId id, Cursor* c) const {
    // Remote keystrokes name the character just integrated (the left
    // origin of the next one, the one before it for a backspace): try the
    // run touched last and its neighbours before searching the index.
    // Leaves are only freed with the sequence, so the pointer is safe, and
    // ids are unique, so a run holding the id is the answer.
    if (recent_leaf != nullptr) {
      const uint32_t lo = recent_run > 0 ? recent_run - 1 : 0;
      const uint32_t hi = std::min(recent_run + 2, recent_leaf->count);
      for (uint32_t i = lo; i < hi; ++i) {
        if (recent_leaf->runs[i].Holds(id)) {
          *c = Cursor{
              recent_leaf, i,
              static_cast<uint32_t>(id.counter - recent_leaf->runs[i].counter)};
          recent_run = i;
          return true;
        }
      }
    }
    TextLeaf* leaf = index.Find(id);
    if (leaf == nullptr) return false;
    c->leaf = leaf;
    c->run = text_internal::RunIndexOf(leaf, id);
    c->off = static_cast<uint32_t>(id.counter - leaf->runs[c->run].counter);
    recent_leaf = leaf;
    recent_run = c->run;
    return true;
  }

  // Tombstone-inclusive index of a present id.
  size_t AbsIndex(OpId id) const {
    Cursor c;
    FindId(id, &c);
    size_t idx = LeafStart(c.leaf, false) + c.off;
    for (uint32_t i = 0; i < c.run; ++i) idx += c.leaf->runs[i].len;
    return idx;
  }

  // Id of the character after the whole run leaf->runs[i], or none.
  static OpId NextRunId(const TextLeaf* leaf, uint32_t i) {
    if (i + 1 < leaf->count) return leaf->runs[i + 1].Id();
    if (leaf->next != nullptr) return leaf->next->runs[0].Id();
    return kNullId;
  }

  // Moves an end-of-leaf cursor to the start of the next leaf.
  static void Normalize(Cursor* c) {
    while (c->run == c->leaf->count && c->leaf->next != nullptr) {
      c->leaf = c->leaf->next;
      c->run = 0;
      c->off = 0;
    }
  }
  static void Advance(Cursor* c, uint32_t m) {
    c->off += m;
    if (c->off == c->leaf->runs[c->run].len) {
      ++c->run;
      c->off = 0;
      Normalize(c);
    }
  }

  // ---- Mutation helpers
  // ------------------------------------------------------

  Status CheckNewIds(OpId first, std::u32string_view chars) const {
    if (chars.empty()) return Status::InvalidArgument("empty text insertion");
    if (first.IsNull()) return Status::InvalidArgument("null character id");
    if (first.counter > std::numeric_limits<uint64_t>::max() - chars.size()) {
      return Status::InvalidArgument("character ids from " + first.ToString() +
                                     " overflow the counter");
    }
    if (chars.size() > text_internal::kMaxBuffer - buffer.size()) {
      return Status::InvalidArgument("text field is full");
    }
    for (size_t i = 0; i < chars.size(); ++i) {
      if (!utf8::IsScalarValue(chars[i])) {
        return Status::InvalidArgument(
            "character " + text_internal::Str(i) + " (" +
            std::to_string(static_cast<uint32_t>(chars[i])) +
            ") is not a Unicode scalar value");
      }
    }
    if (index.Overlaps(first.replica, first.counter, chars.size())) {
      return Status::InvalidArgument("character ids " + first.ToString() +
                                     " +" + text_internal::Str(chars.size()) +
                                     " are already present");
    }
    return Status::OK();
  }

  // Whether n new characters (first, left, right, deleted) can be appended
  // to run `prev` instead of becoming a run of their own.
  bool CanExtend(const RunRec& prev, OpId first, OpId left, OpId right,
                 bool deleted, size_t n) const {
    return prev.replica == first.replica &&
           prev.counter + prev.len == first.counter && left == prev.Last() &&
           prev.origin_right == right && (prev.deleted != 0) == deleted &&
           prev.content + prev.len == buffer.size() &&
           prev.len + n <= std::numeric_limits<uint32_t>::max();
  }

  void Extend(TextLeaf* leaf, uint32_t i, std::u32string_view chars) {
    RunRec& run = leaf->runs[i];
    const uint64_t counter = run.counter + run.len;
    const auto n = static_cast<uint32_t>(chars.size());
    run.len += n;
    buffer.append(chars);
    AddLeafCounts(leaf, run.deleted ? 0 : n, n);
    index.Assign(run.replica, counter, n, leaf);
    recent_leaf = leaf;
    recent_run = i;
  }

  RunRec NewRun(OpId first, OpId left, OpId right, bool deleted,
                std::u32string_view chars) {
    RunRec rec;
    rec.replica = first.replica;
    rec.counter = first.counter;
    rec.origin_left = left;
    rec.origin_right = right;
    rec.content = static_cast<uint32_t>(buffer.size());
    rec.deleted = deleted ? 1 : 0;
    rec.len = static_cast<uint32_t>(chars.size());
    buffer.append(chars);
    return rec;
  }

  // FugueMax scan (sequence_order.h) over whole runs: inside a run every
  // character but the first has the previous one as left origin, which lies
  // after L, so only a run's first character (or, when L is inside a run,
  // the one after L) needs the comparisons. `dest` starts just after L and
  // receives the insertion point.
  Status Scan(ReplicaId x_replica, OpId left, OpId right, Cursor* dest) const {
    const auto total_i = static_cast<int64_t>(total);
    const int64_t il =
        left.IsNull() ? -1 : static_cast<int64_t>(AbsIndex(left));
    const int64_t ir =
        right.IsNull() ? total_i : static_cast<int64_t>(AbsIndex(right));
    if (ir <= il) {
      return Status::InvalidArgument("right origin " + right.ToString() +
                                     " is not after left origin " +
                                     left.ToString());
    }
    Cursor c = *dest;
    Normalize(&c);
    Cursor dc = c;
    bool scanning = false;
    for (int64_t i = il + 1;;) {
      if (!scanning) dc = c;
      if (i == total_i || i == ir) break;
      const RunRec& o = c.leaf->runs[c.run];
      int64_t m = o.len - c.off;
      if (i + m > ir) m = ir - i;
      int64_t ol;
      if (c.off > 0) {
        ol = i - 1;
      } else {
        ol = o.origin_left.IsNull()
                 ? -1
                 : static_cast<int64_t>(AbsIndex(o.origin_left));
      }
      if (ol < il) break;
      if (ol == il) {
        const int64_t orr =
            o.origin_right.IsNull()
                ? total_i
                : static_cast<int64_t>(AbsIndex(o.origin_right));
        if (orr < ir) {
          scanning = true;
        } else if (orr == ir && x_replica < o.replica) {
          break;
        } else {
          scanning = false;
        }
      }
      i += m;
      Advance(&c, static_cast<uint32_t>(m));
    }
    *dest = dc;
    return Status::OK();
  }

  // Where `id` lies relative to leaf->runs[i]: -1 before, 0 inside, +1
  // after. False when unknown. REQUIRES: leaf->scratch holds every leaf's
  // tombstone-inclusive start.
  bool SideOf(const TextLeaf* leaf, uint32_t i, OpId id, int* side) const {
    // Origins are mostly in a neighbouring run (a split run's halves, the
    // text an insertion went between), so look there before the index.
    constexpr uint32_t kNear = 6;
    for (uint32_t d = 0; d <= kNear; ++d) {
      if (d <= i && leaf->runs[i - d].Holds(id)) {
        *side = d == 0 ? 0 : -1;
        return true;
      }
      if (d > 0 && i + d < leaf->count && leaf->runs[i + d].Holds(id)) {
        *side = 1;
        return true;
      }
    }
    const TextLeaf* other = index.Find(id);
    if (other == nullptr) return false;
    if (other != leaf) {
      // Leaves hold disjoint, ordered stretches of the document.
      *side = other->scratch < leaf->scratch ? -1 : 1;
      return true;
    }
    const uint32_t j = text_internal::RunIndexOf(leaf, id);
    if (j == leaf->count) return false;
    *side = j < i ? -1 : (j > i ? 1 : 0);
    return true;
  }

  // Checks left origins before and right origins after their runs.
  Status CheckOrigins() const {
    size_t start = 0;
    for (TextLeaf* leaf = first_leaf; leaf != nullptr; leaf = leaf->next) {
      leaf->scratch = start;
      start += leaf->tot;
    }
    for (const TextLeaf* leaf = first_leaf; leaf != nullptr;
         leaf = leaf->next) {
      for (uint32_t i = 0; i < leaf->count; ++i) {
        const RunRec& run = leaf->runs[i];
        for (int which = 0; which < 2; ++which) {
          const OpId origin = which == 0 ? run.origin_left : run.origin_right;
          if (origin.IsNull()) continue;
          int side = 0;
          const bool known = SideOf(leaf, i, origin, &side);
          if (known && side == (which == 0 ? -1 : 1)) continue;
          return Status::Corruption("run " + run.Id().ToString() + ": " +
                                    (which == 0 ? "left" : "right") +
                                    " origin " + origin.ToString() +
                                    (!known       ? " is unknown"
                                     : which == 0 ? " is not before it"
                                                  : " is not after it"));
        }
      }
    }
    return Status::OK();
  }

  Status CheckNode(const void* node, bool is_leaf, const Inner* parent,
                   uint32_t slot, int depth, int* leaf_depth, size_t* v,
                   size_t* t, std::vector<const TextLeaf*>* leaves) const {
    if (is_leaf) {
      const auto* leaf = static_cast<const TextLeaf*>(node);
      const std::string name = "leaf " + text_internal::Str(leaves->size());
      if (leaf->parent != parent || (parent != nullptr && leaf->slot != slot)) {
        return Status::Corruption(name + " has a wrong parent or slot");
      }
      if (*leaf_depth < 0) *leaf_depth = depth;
      if (*leaf_depth != depth) {
        return Status::Corruption(name + " is at the wrong depth");
      }
      if (leaf->count > kLeafCap || (leaf->count == 0 && leaf_count > 1)) {
        return Status::Corruption(name + " has " +
                                  text_internal::Str(leaf->count) + " runs");
      }
      size_t lv = 0, lt = 0;
      for (uint32_t i = 0; i < leaf->count; ++i) {
        const RunRec& run = leaf->runs[i];
        if (run.len == 0) {
          return Status::Corruption(name + " holds an empty run");
        }
        if (size_t{run.content} + run.len > buffer.size()) {
          return Status::Corruption("run " + run.Id().ToString() +
                                    " points past the buffer");
        }
        lv += run.Visible();
        lt += run.len;
      }
      if (lv != leaf->vis || lt != leaf->tot) {
        return Status::Corruption(name + " counts are stale");
      }
      leaves->push_back(leaf);
      *v = lv;
      *t = lt;
      return Status::OK();
    }
    const auto* in = static_cast<const Inner*>(node);
    if (in->parent != parent || (parent != nullptr && in->slot != slot)) {
      return Status::Corruption("inner node has a wrong parent or slot");
    }
    if (in->count == 0 || in->count > kInnerCap) {
      return Status::Corruption("inner node has " +
                                text_internal::Str(in->count) + " children");
    }
    size_t sv = 0, st = 0;
    for (uint32_t i = 0; i < in->count; ++i) {
      size_t cv = 0, ct = 0;
      SAMPLAN_RETURN_IF_ERROR(CheckNode(in->child[i], in->leaf_children, in, i,
                                        depth + 1, leaf_depth, &cv, &ct,
                                        leaves));
      if (cv != in->vis[i] || ct != in->tot[i]) {
        return Status::Corruption("inner node child " + text_internal::Str(i) +
                                  " counts are stale");
      }
      sv += cv;
      st += ct;
    }
    *v = sv;
    *t = st;
    return Status::OK();
  }

  Status CheckAll() const {
    std::vector<const TextLeaf*> leaves;
    int leaf_depth = -1;
    size_t v = 0, t = 0;
    SAMPLAN_RETURN_IF_ERROR(
        CheckNode(root, false, nullptr, 0, 0, &leaf_depth, &v, &t, &leaves));
    if (v != size || t != total) {
      return Status::Corruption("tree totals " + text_internal::Str(v) + "/" +
                                text_internal::Str(t) + " differ from " +
                                text_internal::Str(size) + "/" +
                                text_internal::Str(total));
    }
    if (leaves.size() != leaf_count || leaves.front() != first_leaf ||
        leaves.back() != last_leaf) {
      return Status::Corruption("leaf bookkeeping is stale");
    }
    for (size_t i = 0; i < leaves.size(); ++i) {
      const TextLeaf* expected =
          i + 1 < leaves.size() ? leaves[i + 1] : nullptr;
      if (leaves[i]->next != expected) {
        return Status::Corruption("leaf chain broken after leaf " +
                                  text_internal::Str(i));
      }
    }
    SAMPLAN_RETURN_IF_ERROR(index.CheckStructure());
    // Every run's ids map to its leaf, and the index holds nothing else.
    size_t indexed = 0;
    index.ForEach([&indexed](const text_internal::TextIdIndex::Entry& e) {
      indexed += e.end - e.start;
    });
    if (indexed != total) {
      return Status::Corruption("id index covers " +
                                text_internal::Str(indexed) +
                                " ids, the tree " + text_internal::Str(total));
    }
    for (const TextLeaf* leaf : leaves) {
      for (uint32_t i = 0; i < leaf->count; ++i) {
        const RunRec& run = leaf->runs[i];
        uint64_t c = run.counter;
        while (c < run.counter + run.len) {
          uint64_t end = 0;
          if (index.Find(OpId{run.replica, c}, &end) != leaf) {
            return Status::Corruption("id index maps " +
                                      OpId{run.replica, c}.ToString() +
                                      " to the wrong leaf");
          }
          c = end;
        }
      }
    }
    return CheckOrigins();
  }

  Inner* root = nullptr;
  TextLeaf* first_leaf = nullptr;  // never changes: splits add leaves after
  TextLeaf* last_leaf = nullptr;
  size_t size = 0;   // visible characters
  size_t total = 0;  // all characters
  size_t leaf_count = 0;
  size_t inner_count = 0;
  uint64_t split_count = 0;
  std::u32string buffer;  // append-only content of every character
  text_internal::TextIdIndex index;
  // Fast path for local edits: the leaf edited last and its visible start.
  // Valid only while nothing before it changed; any leaf split or remote
  // operation clears it.
  mutable TextLeaf* cache_leaf = nullptr;
  mutable size_t cache_vis = 0;
  // Within cache_leaf: a run index and the visible characters before it.
  // Edits only change runs from the one FindChar returned onwards (merges
  // with a tombstone before it add no visible characters), so the hint
  // stays exact while cache_leaf is valid; an index past the end is ignored.
  mutable uint32_t cache_run = 0;
  mutable size_t cache_run_vis = 0;
  // The run an id was last found in or written to (FindId's fast path).
  mutable TextLeaf* recent_leaf = nullptr;
  mutable uint32_t recent_run = 0;
};

TextSequence::TextSequence() : impl_(std::make_unique<Impl>()) {}
TextSequence::~TextSequence() = default;
TextSequence::TextSequence(TextSequence&&) noexcept = default;
TextSequence& TextSequence::operator=(TextSequence&&) noexcept = default;

size_t TextSequence::size() const { return impl_->size; }
size_t TextSequence::total_size() const { return impl_->total; }

Status TextSequence::LocalInsert(size_t pos, std::u32string_view chars,
                                 OpId first, OpId* origin_left,
                                 OpId* origin_right) {
  Impl& m = *impl_;
  if (pos > m.size) {
    return Status::OutOfRange("text position " + text_internal::Str(pos) +
                              " is past the end (length " +
                              text_internal::Str(m.size) + ")");
  }
  SAMPLAN_RETURN_IF_ERROR(m.CheckNewIds(first, chars));
  TextLeaf* leaf;
  uint32_t j, k = 0;
  size_t start = 0;
  OpId left = kNullId, right;
  if (pos == 0) {
    leaf = m.first_leaf;
    j = 0;
    m.cache_run = 0;
    m.cache_run_vis = 0;
    right = leaf->count > 0 ? leaf->runs[0].Id() : kNullId;
  } else {
    // Insert right after the visible character pos - 1, before any
    // tombstones that follow it.
    const Cursor c = m.FindChar(pos - 1, &start);
    leaf = c.leaf;
    const RunRec& run = leaf->runs[c.run];
    left = run.Id(c.off);
    if (c.off + 1 < run.len) {
      right = run.Id(c.off + 1);
      j = c.run;
      k = c.off + 1;
    } else {
      right = Impl::NextRunId(leaf, c.run);
      if (m.CanExtend(run, first, left, right, false, chars.size())) {
        m.Extend(leaf, c.run, chars);
        m.cache_leaf = leaf;
        m.cache_vis = start;
        if (origin_left != nullptr) *origin_left = left;
        if (origin_right != nullptr) *origin_right = right;
        return Status::OK();
      }
      j = c.run + 1;
    }
  }
  const uint64_t splits = m.split_count;
  const RunRec rec = m.NewRun(first, left, right, false, chars);
  leaf = m.InsertRunAt(leaf, j, k, rec);
  if (m.split_count == splits) {
    m.cache_leaf = leaf;
    m.cache_vis = start;
  }
  if (origin_left != nullptr) *origin_left = left;
  if (origin_right != nullptr) *origin_right = right;
  return Status::OK();
}

Status TextSequence::LocalDelete(size_t pos, size_t len,
                                 std::vector<IdSpan>* deleted) {
  Impl& m = *impl_;
  if (len > m.size || pos > m.size - len) {
    return Status::OutOfRange("text range " + text_internal::Str(pos) + "+" +
                              text_internal::Str(len) +
                              " is past the end (length " +
                              text_internal::Str(m.size) + ")");
  }
  if (len == 0) return Status::OK();
  size_t start = 0;
  const Cursor c = m.FindChar(pos, &start);
  TextLeaf* const start_leaf = c.leaf;
  const uint64_t splits = m.split_count;
  const size_t first_out = deleted != nullptr ? deleted->size() : 0;
  TextLeaf* leaf = c.leaf;
  uint32_t i = c.run, k = c.off;
  size_t rem = len;
  for (;;) {
    const RunRec& run = leaf->runs[i];
    const auto n = static_cast<uint32_t>(std::min<size_t>(run.len - k, rem));
    if (deleted != nullptr) {
      const uint64_t counter = run.counter + k;
      if (deleted->size() > first_out &&
          deleted->back().replica == run.replica && !deleted->back().backward &&
          deleted->back().counter + deleted->back().length == counter) {
        deleted->back().length += n;
      } else {
        deleted->push_back(IdSpan{run.replica, counter, n, false});
      }
    }
    m.MarkDeleted(&leaf, &i, k, n);
    rem -= n;
    if (rem == 0) break;
    // On to the next visible character.
    ++i;
    k = 0;
    for (;;) {
      if (i == leaf->count) {
        leaf = leaf->next;
        i = 0;
      } else if (leaf->runs[i].deleted) {
        ++i;
      } else {
        break;
      }
    }
  }
  // Deleting never moves the start of the first leaf touched.
  if (m.split_count == splits) {
    m.cache_leaf = start_leaf;
    m.cache_vis = start;
  }
  return Status::OK();
}

Status TextSequence::Integrate(OpId first, OpId origin_left, OpId origin_right,
                               std::u32string_view chars) {
  Impl& m = *impl_;
  SAMPLAN_RETURN_IF_ERROR(m.CheckNewIds(first, chars));
  Cursor lc;
  if (!origin_left.IsNull() && !m.FindId(origin_left, &lc)) {
    return Status::NotFound("left origin " + origin_left.ToString() +
                            " is unknown");
  }
  // The position right after the left origin, and what is there.
  Cursor dest;
  OpId next;
  if (origin_left.IsNull()) {
    dest = Cursor{m.first_leaf, 0, 0};
    next = m.first_leaf->count > 0 ? m.first_leaf->runs[0].Id() : kNullId;
  } else {
    const RunRec& run = lc.leaf->runs[lc.run];
    if (lc.off + 1 < run.len) {
      dest = Cursor{lc.leaf, lc.run, lc.off + 1};
      next = run.Id(lc.off + 1);
    } else {
      dest = Cursor{lc.leaf, lc.run + 1, 0};
      next = Impl::NextRunId(lc.leaf, lc.run);
    }
  }
  // Without concurrency the right origin directly follows the left one and
  // the scan would stop at once.
  if (next != origin_right) {
    if (!origin_right.IsNull() && m.index.Find(origin_right) == nullptr) {
      return Status::NotFound("right origin " + origin_right.ToString() +
                              " is unknown");
    }
    SAMPLAN_RETURN_IF_ERROR(
        m.Scan(first.replica, origin_left, origin_right, &dest));
  }
  m.cache_leaf = nullptr;
  if (dest.off == 0 && dest.run > 0 &&
      m.CanExtend(dest.leaf->runs[dest.run - 1], first, origin_left,
                  origin_right, false, chars.size())) {
    m.Extend(dest.leaf, dest.run - 1, chars);
    return Status::OK();
  }
  const RunRec rec = m.NewRun(first, origin_left, origin_right, false, chars);
  m.InsertRunAt(dest.leaf, dest.run, dest.off, rec);
  return Status::OK();
}

Status TextSequence::Delete(const IdSpan& span) {
  Impl& m = *impl_;
  if (span.length == 0) return Status::OK();
  const Status unknown = Status::NotFound(
      "text ids " + OpId{span.replica, span.counter}.ToString() + " +" +
      text_internal::Str(span.length) + " are not all known");
  if (span.counter > std::numeric_limits<uint64_t>::max() - span.length) {
    return unknown;
  }
  // Check every id first (run by run; FindId's recent-run path makes the
  // common one-character span cheap), then mutate.
  const uint64_t end = span.counter + span.length;
  for (uint64_t c = span.counter; c < end;) {
    Cursor at;
    if (!m.FindId(OpId{span.replica, c}, &at)) return unknown;
    const RunRec& run = at.leaf->runs[at.run];
    c = run.counter + run.len;
  }
  m.cache_leaf = nullptr;
  uint64_t c = span.counter;
  uint64_t rem = span.length;
  while (rem > 0) {
    const OpId id{span.replica, c};
    Cursor at;
    m.FindId(id, &at);
    const RunRec& run = at.leaf->runs[at.run];
    const auto n =
        static_cast<uint32_t>(std::min<uint64_t>(run.len - at.off, rem));
    if (!run.deleted) m.MarkDeleted(&at.leaf, &at.run, at.off, n);
    c += n;
    rem -= n;
  }
  return Status::OK();
}

bool TextSequence::Contains(OpId id) const {
  return impl_->index.Find(id) != nullptr;
}

bool TextSequence::ContainsSpan(const IdSpan& span) const {
  if (span.length == 0) return true;
  if (span.counter > std::numeric_limits<uint64_t>::max() - span.length) {
    return false;
  }
  const uint64_t end = span.counter + span.length;
  for (uint64_t c = span.counter; c < end;) {
    uint64_t range_end = 0;
    if (impl_->index.Find(OpId{span.replica, c}, &range_end) == nullptr) {
      return false;
    }
    if (range_end <= c) return false;  // cannot happen; never loop forever
    c = range_end;
  }
  return true;
}

Result<OpId> TextSequence::IdAt(size_t pos) const {
  if (pos >= impl_->size) {
    return Status::OutOfRange("text position " + text_internal::Str(pos) +
                              " is past the end (length " +
                              text_internal::Str(impl_->size) + ")");
  }
  size_t start = 0;
  const Cursor c = impl_->FindChar(pos, &start);
  return c.leaf->runs[c.run].Id(c.off);
}

Result<TextSequence::Location> TextSequence::Locate(OpId id) const {
  Cursor c;
  if (!impl_->FindId(id, &c)) {
    return Status::NotFound("text id " + id.ToString() + " is unknown");
  }
  Location loc;
  loc.position = impl_->LeafStart(c.leaf, true);
  for (uint32_t i = 0; i < c.run; ++i)
    loc.position += c.leaf->runs[i].Visible();
  loc.deleted = c.leaf->runs[c.run].deleted != 0;
  if (!loc.deleted) loc.position += c.off;
  return loc;
}

std::u32string TextSequence::Content() const {
  const Impl& m = *impl_;
  std::u32string out;
  out.reserve(m.size);
  for (const TextLeaf* leaf = m.first_leaf; leaf != nullptr;
       leaf = leaf->next) {
    for (uint32_t i = 0; i < leaf->count; ++i) {
      const RunRec& run = leaf->runs[i];
      if (!run.deleted) out.append(m.buffer, run.content, run.len);
    }
  }
  return out;
}

std::string TextSequence::ToUtf8() const {
  const Impl& m = *impl_;
  std::string out;
  out.reserve(m.size);
  for (const TextLeaf* leaf = m.first_leaf; leaf != nullptr;
       leaf = leaf->next) {
    for (uint32_t i = 0; i < leaf->count; ++i) {
      const RunRec& run = leaf->runs[i];
      if (run.deleted) continue;
      for (uint32_t k = 0; k < run.len; ++k) {
        utf8::Append(m.buffer[run.content + k], &out);
      }
    }
  }
  return out;
}

void TextSequence::ForEachRun(const std::function<void(const Run&)>& fn) const {
  // Runs are reported maximal by ids and origins alone, so two converged
  // replicas report the same list whatever order built them; pieces that
  // are adjacent but not contiguous in the buffer are joined in `scratch`.
  const Impl& m = *impl_;
  Run pending;
  bool have = false;
  uint64_t len = 0;
  size_t content = 0;
  bool use_scratch = false;
  std::u32string scratch;
  auto emit = [&]() {
    pending.chars = use_scratch
                        ? std::u32string_view(scratch)
                        : std::u32string_view(m.buffer.data() + content, len);
    fn(pending);
    use_scratch = false;
  };
  for (const TextLeaf* leaf = m.first_leaf; leaf != nullptr;
       leaf = leaf->next) {
    for (uint32_t i = 0; i < leaf->count; ++i) {
      const RunRec& run = leaf->runs[i];
      if (have && run.replica == pending.id.replica &&
          run.counter == pending.id.counter + len &&
          run.origin_left == OpId{run.replica, run.counter - 1} &&
          run.origin_right == pending.origin_right &&
          (run.deleted != 0) == pending.deleted) {
        if (!use_scratch && content + len == run.content) {
          len += run.len;
        } else {
          if (!use_scratch) {
            scratch.assign(m.buffer, content, len);
            use_scratch = true;
          }
          scratch.append(m.buffer, run.content, run.len);
          len += run.len;
        }
        continue;
      }
      if (have) emit();
      have = true;
      pending.id = run.Id();
      pending.origin_left = run.origin_left;
      pending.origin_right = run.origin_right;
      pending.deleted = run.deleted != 0;
      content = run.content;
      len = run.len;
    }
  }
  if (have) emit();
}

Status TextSequence::AppendRun(const Run& run) {
  Impl& m = *impl_;
  SAMPLAN_RETURN_IF_ERROR(m.CheckNewIds(run.id, run.chars));
  m.cache_leaf = nullptr;
  TextLeaf* leaf = m.last_leaf;
  if (leaf->count > 0 &&
      m.CanExtend(leaf->runs[leaf->count - 1], run.id, run.origin_left,
                  run.origin_right, run.deleted, run.chars.size())) {
    m.Extend(leaf, leaf->count - 1, run.chars);
    return Status::OK();
  }
  if (leaf->count == kLeafCap) {
    // Snapshot runs arrive in document order: open a fresh leaf instead of
    // splitting, so the loaded leaves end up full.
    auto* fresh = new TextLeaf;
    ++m.leaf_count;
    leaf->next = fresh;
    m.last_leaf = fresh;
    m.InsertChild(leaf->parent, leaf->slot + 1, fresh, 0, 0);
    leaf = fresh;
  }
  const RunRec rec = m.NewRun(run.id, run.origin_left, run.origin_right,
                              run.deleted, run.chars);
  text_internal::InsertRunRec(leaf, leaf->count, rec);
  m.AddLeafCounts(leaf, rec.Visible(), rec.len);
  m.index.Assign(rec.replica, rec.counter, rec.len, leaf);
  return Status::OK();
}

Status TextSequence::FinishLoad() {
  impl_->cache_leaf = nullptr;
  return impl_->CheckOrigins();
}

Status TextSequence::CheckInvariants() const { return impl_->CheckAll(); }

size_t TextSequence::MemoryUsage() const {
  const Impl& m = *impl_;
  return sizeof(Impl) + m.leaf_count * sizeof(TextLeaf) +
         m.inner_count * sizeof(Inner) +
         m.buffer.capacity() * sizeof(char32_t) + m.index.MemoryUsage();
}

}  // namespace samplan
