#include "crdt/plan_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "crdt/utf8.h"

namespace samplan {
namespace {

// ---- Small helpers -------------------------------------------------------

std::string Cut(std::string_view s, size_t max_code_points) {
  if (s.size() <= max_code_points) return std::string(s);  // bytes >= cps
  const size_t n = utf8::CountCodePoints(s);
  if (n <= max_code_points) return std::string(s);
  return std::string(s.substr(0, utf8::ByteOffsetOf(s, max_code_points)));
}

bool SameAuthor(const Author& a, const Author& b) {
  return a.user == b.user && a.municipality == b.municipality;
}

DiffBy Lookup(const DiffSource& source, OpId id) {
  DiffBy by;
  if (!source.AuthorOf(id, &by.author, &by.seq)) by = DiffBy{};
  return by;
}

// Who wrote a register entry: the stored op when the source knows it, else
// the author slots the entry carries.
DiffBy EntryBy(const DiffSource& source, const RegisterEntry& e) {
  DiffBy by = Lookup(source, e.id);
  if (by.seq == 0) by.author = e.author;
  return by;
}

ValueState StateOf(const MultiValueRegister* reg) {
  ValueState v;
  if (reg == nullptr || reg->empty()) return v;
  v.set = true;
  v.value = reg->winner().value;
  for (size_t i = 1; i < reg->entries().size(); ++i) {
    v.conflicts.push_back(reg->entries()[i].value);
  }
  return v;
}

ValueState StateOf(const FieldRead& read) {
  ValueState v;
  if (read.winner.IsNull()) return v;
  v.set = true;
  v.value = read.value;
  for (const RegisterEntry& e : read.conflicts) v.conflicts.push_back(e.value);
  return v;
}

// ---- Live trees ------------------------------------------------------------

struct Placement {
  OpId parent;
  size_t index = 0;
  std::string number;
};

struct LiveTree {
  std::unordered_map<OpId, Placement, OpIdHash> at;
  std::vector<OpId> order;  // preorder, root first
  bool Has(OpId id) const { return at.count(id) != 0; }
};

// Every node reachable from the root, with outline numbers computed the
// way Replica::Numbering does (rank among same-kind siblings), in one walk.
void WalkLive(const Replica& r, LiveTree* out) {
  out->at[kRootNode] = Placement{kNullId, 0, ""};
  std::vector<OpId> stack = {kRootNode};
  while (!stack.empty()) {
    const OpId node = stack.back();
    stack.pop_back();
    out->order.push_back(node);
    const std::string prefix = out->at[node].number;
    const std::vector<OpId> children = r.Children(node);
    std::map<std::string_view, size_t> ranks;
    for (size_t i = 0; i < children.size(); ++i) {
      const size_t rank = ++ranks[r.KindOf(children[i])];
      out->at[children[i]] = Placement{
          node, i,
          prefix.empty() ? std::to_string(rank)
                         : prefix + "." + std::to_string(rank)};
    }
    for (size_t i = children.size(); i-- > 0;) stack.push_back(children[i]);
  }
}

DiffNode NodeIn(const Replica& r, const LiveTree& tree, OpId id) {
  DiffNode n;
  n.id = id;
  if (!r.HasNode(id)) return n;
  n.kind = r.KindOf(id);
  auto it = tree.at.find(id);
  if (it != tree.at.end()) n.number = it->second.number;
  n.title = DiffTitleOf(r, id);
  return n;
}

// ---- What the ops between the two points touched ----------------------------

struct Key {
  OpId node;
  std::string name;
  // Spelled out: emscripten's libc++ has no operator<=> for std::string.
  friend bool operator<(const Key& a, const Key& b) {
    if (a.node != b.node) return a.node < b.node;
    return a.name < b.name;
  }
};

// One delete op's hold on a range of characters.
struct DelInterval {
  ReplicaId replica = 0;
  uint64_t start = 0, end = 0;  // counters [start, end)
  uint32_t deleter = 0;          // index into Scan::deleters (seq order)
};

// Disjoint ranges of deleted characters, each with the ops that deleted it
// (ascending seq: the first is the one reported, the rest are `also`).
struct DelSegment {
  ReplicaId replica = 0;
  uint64_t start = 0, end = 0;
  std::vector<uint32_t> deleters;
};

// A delete op: its seq, time and author (interned: deletions are many,
// their authors few).
struct Deleter {
  uint64_t seq = 0;
  int64_t time = 0;
  uint32_t author = 0;  // index into Scan::authors
};

struct Scan {
  size_t ops = 0;
  std::set<Key> fields, texts, tables;
  // Per text: the deletions of characters the older state has (the only
  // ones a diff reports; characters both inserted and deleted between the
  // two points are in neither state's visible text).
  std::map<Key, std::vector<DelInterval>> deletes;
  std::vector<Deleter> deleters;
  std::vector<Author> authors;  // (user, municipality); wall time unused
  std::map<std::pair<std::string, std::string>, uint32_t> author_index;

  uint32_t Intern(const Author& a) {
    if (!authors.empty()) {
      const Author& last = authors[last_author];
      if (last.user == a.user && last.municipality == a.municipality) {
        return last_author;
      }
    }
    auto [it, fresh] = author_index.try_emplace(
        std::make_pair(a.user, a.municipality),
        static_cast<uint32_t>(authors.size()));
    if (fresh) authors.push_back(Author{a.user, a.municipality, 0});
    last_author = it->second;
    return last_author;
  }
  uint32_t last_author = 0;
  DiffBy By(uint32_t deleter) const {
    const Deleter& d = deleters[deleter];
    DiffBy by{authors[d.author], d.seq};
    by.author.wall_time_ms = d.time;
    return by;
  }
  std::unordered_map<OpId, DiffBy, OpIdHash> line_deleted;  // first deleter
};

void ScanOps(const DiffSource& source, uint64_t from, uint64_t to,
             const VersionVector& older_version, Scan* s) {
  // Typing is long runs of ops on one text: the last text's entries are
  // kept at hand so a keystroke costs no string copy or map lookup.
  const Key* last_text = nullptr;
  std::vector<DelInterval>* last_deletes = nullptr;
  // Only deletes need more than the op's kind, node and name.
  auto needs_body = [](OpKind kind) {
    return kind == OpKind::kDeleteText || kind == OpKind::kDeleteTableLine;
  };
  source.ForEachOpBetween(from, to, needs_body, [&](uint64_t seq, const Op& op) {
    ++s->ops;
    switch (op.kind) {
      case OpKind::kSetField:
        s->fields.insert(Key{op.node, op.name});
        break;
      case OpKind::kInsertText:
      case OpKind::kDeleteText: {
        if (last_text == nullptr || last_text->node != op.node ||
            last_text->name != op.name) {
          last_text = &*s->texts.insert(Key{op.node, op.name}).first;
          last_deletes = nullptr;
        }
        if (op.kind == OpKind::kInsertText) break;
        const uint32_t d = static_cast<uint32_t>(s->deleters.size());
        bool any = false;
        for (const IdSpan& span : op.spans) {
          const uint64_t known = older_version.Get(span.replica);
          if (span.counter > known) continue;
          if (last_deletes == nullptr) last_deletes = &s->deletes[*last_text];
          last_deletes->push_back(DelInterval{
              span.replica, span.counter,
              std::min(span.counter + span.length, known + 1), d});
          any = true;
        }
        if (any) {
          s->deleters.push_back(
              Deleter{seq, op.author.wall_time_ms, s->Intern(op.author)});
        }
        break;
      }
      case OpKind::kDeleteTableLine:
        s->line_deleted.emplace(op.target, DiffBy{op.author, seq});
        s->tables.insert(Key{op.node, op.name});
        break;
      case OpKind::kInsertTableLine:
      case OpKind::kSetCell:
        s->tables.insert(Key{op.node, op.name});
        break;
      default:
        break;
    }
  });
}

// Turns possibly overlapping intervals (characters deleted concurrently by
// several ops) into disjoint segments. Overlaps are rare; they are resolved
// on the tail of the output only.
std::vector<DelSegment> Disjoint(std::vector<DelInterval> in) {
  std::sort(in.begin(), in.end(), [](const DelInterval& a, const DelInterval& b) {
    return std::tie(a.replica, a.start, a.deleter) <
           std::tie(b.replica, b.start, b.deleter);
  });
  std::vector<DelSegment> out;
  out.reserve(in.size());
  for (const DelInterval& iv : in) {
    if (out.empty() || out.back().replica != iv.replica ||
        out.back().end <= iv.start) {
      out.push_back(DelSegment{iv.replica, iv.start, iv.end, {iv.deleter}});
      continue;
    }
    // Pop every tail segment the interval overlaps, then re-split them and
    // the interval at all their boundaries.
    std::vector<DelSegment> pool;
    while (!out.empty() && out.back().replica == iv.replica &&
           out.back().end > iv.start) {
      pool.push_back(std::move(out.back()));
      out.pop_back();
    }
    pool.push_back(DelSegment{iv.replica, iv.start, iv.end, {iv.deleter}});
    std::vector<uint64_t> cuts;
    for (const DelSegment& p : pool) {
      cuts.push_back(p.start);
      cuts.push_back(p.end);
    }
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      DelSegment seg{iv.replica, cuts[i], cuts[i + 1], {}};
      for (const DelSegment& p : pool) {
        if (p.start <= seg.start && seg.end <= p.end) {
          seg.deleters.insert(seg.deleters.end(), p.deleters.begin(),
                              p.deleters.end());
        }
      }
      if (seg.deleters.empty()) continue;
      std::sort(seg.deleters.begin(), seg.deleters.end());
      seg.deleters.erase(std::unique(seg.deleters.begin(), seg.deleters.end()),
                         seg.deleters.end());
      if (!out.empty() && out.back().replica == seg.replica &&
          out.back().end == seg.start && out.back().deleters == seg.deleters) {
        out.back().end = seg.end;
      } else {
        out.push_back(std::move(seg));
      }
    }
  }
  return out;
}

// ---- Texts -----------------------------------------------------------------

class TextDiffer {
 public:
  TextDiffer(const DiffSource& source, const VersionVector& older_version,
             const std::vector<DelSegment>* deletes, const Scan* scan,
             TextChange* out)
      : source_(source),
        older_version_(older_version),
        deletes_(deletes),
        scan_(scan),
        out_(out) {}

  Status Run(const TextSequence* older, const TextSequence& newer) {
    if (older != nullptr) {
      older->ForEachRun([this](const TextSequence::Run& run) {
        // The older text keeps the characters deleted since: a newer
        // state loaded from a snapshot keeps no content for tombstones.
        old_runs_.push_back(OldRun{run.id, run.chars.size(), run.deleted,
                                   run.deleted ? std::u32string()
                                               : std::u32string(run.chars)});
      });
    }
    newer.ForEachRun([this](const TextSequence::Run& run) {
      if (status_.ok()) NewRun(run);
    });
    if (status_.ok() && cursor_ < old_runs_.size()) {
      status_ = Status::Corruption("text diff: the older text has " +
                                   old_runs_[cursor_].id.ToString() +
                                   " where the newer one has none");
    }
    return status_;
  }

 private:
  struct OldRun {
    OpId id;
    uint64_t length = 0;
    bool deleted = false;
    std::u32string chars;  // when not deleted
  };

  void NewRun(const TextSequence::Run& run) {
    const uint64_t length = run.chars.size();
    uint64_t o = 0;
    while (o < length && status_.ok()) {
      const OpId x{run.id.replica, run.id.counter + o};
      const uint64_t known = older_version_.Get(x.replica);
      if (x.counter > known) {
        // Not in the older state, and neither is the rest of the run (the
        // rest causally follows: same replica, higher counters).
        if (!run.deleted) Insert(x, run.chars.substr(o));
        return;
      }
      uint64_t chunk = std::min(length - o, known - x.counter + 1);
      while (chunk > 0) {
        if (cursor_ >= old_runs_.size()) {
          status_ = Status::Corruption("text diff: " + x.ToString() +
                                       " is missing from the older text");
          return;
        }
        const OldRun& old = old_runs_[cursor_];
        const OpId at{x.replica, run.id.counter + o};
        if (old.id.replica != at.replica ||
            old.id.counter + cursor_offset_ != at.counter) {
          status_ = Status::Corruption(
              "text diff: the older text has " +
              OpId{old.id.replica, old.id.counter + cursor_offset_}
                  .ToString() +
              " where the newer one has " + at.ToString());
          return;
        }
        const uint64_t m = std::min(chunk, old.length - cursor_offset_);
        if (!old.deleted) {
          if (run.deleted) {
            Delete(at, std::u32string_view(old.chars).substr(cursor_offset_, m));
          } else {
            AddRetain(m);
          }
        }
        cursor_offset_ += m;
        if (cursor_offset_ == old.length) {
          ++cursor_;
          cursor_offset_ = 0;
        }
        o += m;
        chunk -= m;
      }
    }
  }

  void AddRetain(uint64_t m) {
    if (!out_->pieces.empty() &&
        out_->pieces.back().kind == TextPiece::Kind::kRetain) {
      out_->pieces.back().length += m;
      return;
    }
    TextPiece p;
    p.kind = TextPiece::Kind::kRetain;
    p.length = m;
    out_->pieces.push_back(std::move(p));
  }

  void AddPiece(TextPiece::Kind kind, std::u32string_view chars,
                const DiffBy& by, uint64_t seq_last,
                const std::vector<uint32_t>* also) {
    if (kind == TextPiece::Kind::kInsert) {
      out_->inserted += chars.size();
    } else {
      out_->deleted += chars.size();
    }
    const bool no_also = also == nullptr || also->size() <= 1;
    if (!out_->pieces.empty()) {
      TextPiece& last = out_->pieces.back();
      if (last.kind == kind && SameAuthor(last.by.author, by.author) &&
          (last.by.seq == 0) == (by.seq == 0) && last.also.empty() &&
          no_also) {
        last.length += chars.size();
        last.text += utf8::Encode(chars);
        last.seq_last = std::max(last.seq_last, seq_last);
        return;
      }
    }
    TextPiece p;
    p.kind = kind;
    p.length = chars.size();
    p.text = utf8::Encode(chars);
    p.by = by;
    p.seq_last = seq_last;
    if (!no_also) {
      for (size_t i = 1; i < also->size(); ++i) {
        p.also.push_back(DeleterBy((*also)[i]));
      }
    }
    out_->pieces.push_back(std::move(p));
  }

  // Characters [first, first + chars.size()) of one replica, new since the
  // older state: one author lookup at each end, splitting only when the
  // ends were typed by different people.
  void Insert(OpId first, std::u32string_view chars) {
    const DiffBy a = Lookup(source_, first);
    if (chars.size() == 1) {
      AddPiece(TextPiece::Kind::kInsert, chars, a, a.seq, nullptr);
      return;
    }
    const DiffBy b =
        Lookup(source_, OpId{first.replica, first.counter + chars.size() - 1});
    if (SameAuthor(a.author, b.author) && (a.seq == 0) == (b.seq == 0)) {
      AddPiece(TextPiece::Kind::kInsert, chars, a, std::max(a.seq, b.seq),
               nullptr);
      return;
    }
    const size_t half = chars.size() / 2;
    Insert(first, chars.substr(0, half));
    Insert(OpId{first.replica, first.counter + half}, chars.substr(half));
  }

  // Characters visible before and deleted since: split by deleting op.
  void Delete(OpId first, std::u32string_view chars) {
    static const std::vector<DelSegment> kNone;
    const std::vector<DelSegment>& segs = deletes_ ? *deletes_ : kNone;
    uint64_t at = first.counter;
    const uint64_t end = first.counter + chars.size();
    auto it = std::upper_bound(
        segs.begin(), segs.end(), std::make_pair(first.replica, at),
        [](const std::pair<ReplicaId, uint64_t>& v, const DelSegment& s) {
          return v < std::make_pair(s.replica, s.start);
        });
    if (it != segs.begin()) --it;
    while (at < end) {
      while (it != segs.end() &&
             (it->replica < first.replica ||
              (it->replica == first.replica && it->end <= at))) {
        ++it;
      }
      uint64_t stop = end;
      const DelSegment* seg = nullptr;
      if (it != segs.end() && it->replica == first.replica) {
        if (it->start <= at) {
          seg = &*it;
          stop = std::min(end, it->end);
        } else {
          stop = std::min(end, it->start);
        }
      }
      const std::u32string_view part =
          chars.substr(at - first.counter, stop - at);
      if (seg != nullptr) {
        const DiffBy by = DeleterBy(seg->deleters.front());
        AddPiece(TextPiece::Kind::kDelete, part, by, by.seq, &seg->deleters);
      } else {
        AddPiece(TextPiece::Kind::kDelete, part, DiffBy{}, 0, nullptr);
      }
      at = stop;
    }
  }

  DiffBy DeleterBy(uint32_t index) const { return scan_->By(index); }

  const DiffSource& source_;
  const VersionVector& older_version_;
  const std::vector<DelSegment>* deletes_;
  const Scan* scan_;
  TextChange* out_;
  std::vector<OldRun> old_runs_;
  size_t cursor_ = 0;
  uint64_t cursor_offset_ = 0;
  Status status_;
};

// ---- Tables ------------------------------------------------------------------

void DiffLines(const std::vector<OpId>& old_lines,
               const std::vector<OpId>& new_lines, const DiffSource& source,
               const Scan& scan, std::vector<LineChange>* added,
               std::vector<LineChange>* removed) {
  const std::set<OpId> old_set(old_lines.begin(), old_lines.end());
  const std::set<OpId> new_set(new_lines.begin(), new_lines.end());
  for (size_t i = 0; i < new_lines.size(); ++i) {
    if (old_set.count(new_lines[i]) == 0) {
      added->push_back(LineChange{new_lines[i], i, Lookup(source, new_lines[i])});
    }
  }
  for (size_t i = 0; i < old_lines.size(); ++i) {
    if (new_set.count(old_lines[i]) == 0) {
      auto it = scan.line_deleted.find(old_lines[i]);
      removed->push_back(LineChange{
          old_lines[i], i, it == scan.line_deleted.end() ? DiffBy{} : it->second});
    }
  }
}

void DiffTable(const Table* older, const Table& newer, const std::string& name,
               const DiffSource& source, const Scan& scan, TableChange* out) {
  out->name = name;
  out->created = older == nullptr;
  const std::vector<OpId> old_rows =
      older ? older->VisibleLines(TableAxis::kRow) : std::vector<OpId>{};
  const std::vector<OpId> old_cols =
      older ? older->VisibleLines(TableAxis::kColumn) : std::vector<OpId>{};
  const std::vector<OpId> rows = newer.VisibleLines(TableAxis::kRow);
  const std::vector<OpId> cols = newer.VisibleLines(TableAxis::kColumn);
  DiffLines(old_rows, rows, source, scan, &out->rows_added, &out->rows_removed);
  DiffLines(old_cols, cols, source, scan, &out->columns_added,
            &out->columns_removed);
  const std::set<OpId> old_row_set(old_rows.begin(), old_rows.end());
  const std::set<OpId> old_col_set(old_cols.begin(), old_cols.end());
  auto cell = [&](OpId r, OpId c) {
    const MultiValueRegister* now = newer.Cell(r, c);
    ValueState after = StateOf(now);
    ValueState before;
    const bool was_visible = (r.IsNull() || old_row_set.count(r) != 0) &&
                             (c.IsNull() || old_col_set.count(c) != 0);
    if (older != nullptr && was_visible) before = StateOf(older->Cell(r, c));
    if (before == after) return;
    CellChange ch{r, c, std::move(before), std::move(after), DiffBy{}};
    if (now != nullptr && !now->empty()) ch.by = EntryBy(source, now->winner());
    out->cells.push_back(std::move(ch));
  };
  for (const OpId& c : cols) cell(kNullId, c);
  for (const OpId& r : rows) cell(r, kNullId);
  for (const OpId& r : rows) {
    for (const OpId& c : cols) cell(r, c);
  }
}

// ---- Review ------------------------------------------------------------------

struct ReviewContext {
  const Replica& older;
  const Replica& newer;
  const LiveTree& old_tree;
  const LiveTree& new_tree;
  const DiffSource& source;
};

ReviewChange ItemOn(const ReviewContext& c, OpId item, std::string what,
                    OpId node) {
  ReviewChange ch;
  ch.item = item;
  ch.what = std::move(what);
  if (c.new_tree.Has(node)) {
    ch.node = NodeIn(c.newer, c.new_tree, node);
  } else {
    ch.node_removed = true;
    ch.node = c.old_tree.Has(node) ? NodeIn(c.older, c.old_tree, node)
                                   : NodeIn(c.newer, c.new_tree, node);
  }
  return ch;
}

std::string SuggestionText(const Op& op) {
  switch (op.kind) {
    case OpKind::kSuggestField:
    case OpKind::kSuggestCell:
      return Cut(op.value.DebugString(), kDiffTitleMax);
    default:
      return Cut(op.text, kDiffTitleMax);
  }
}

void DiffReview(const ReviewContext& c, ReviewChanges* out) {
  const ReviewState& was = c.older.review();
  const ReviewState& now = c.newer.review();
  // No structured binding: clang 14 (emscripten) cannot capture one in
  // the lambdas below.
  for (const auto& entry : now.threads()) {
    const OpId& id = entry.first;
    const Thread& thread = entry.second;
    const Thread* before = was.FindThread(id);
    auto item = [&](DiffBy by) {
      ReviewChange ch = ItemOn(c, id, "thread", thread.node);
      ch.field = thread.field;
      if (const Comment* first = now.FindComment(id);
          first != nullptr && !first->deleted) {
        ch.text = Cut(first->body, kDiffTitleMax);
      }
      ch.orphaned = c.newer.LocateThread(thread).orphaned;
      ch.by = std::move(by);
      return ch;
    };
    auto resolved_by = [&]() {
      return thread.resolved.empty()
                 ? DiffBy{}
                 : EntryBy(c.source, thread.resolved.winner());
    };
    if (before == nullptr) {
      DiffBy by = Lookup(c.source, id);
      if (by.seq == 0) {
        if (const Comment* first = now.FindComment(id)) by.author = first->author;
      }
      out->opened.push_back(item(by));
    }
    const bool was_resolved = before != nullptr && before->IsResolved();
    if (thread.IsResolved() && !was_resolved) {
      out->resolved.push_back(item(resolved_by()));
    } else if (!thread.IsResolved() && was_resolved) {
      out->reopened.push_back(item(resolved_by()));
    }
  }
  for (const auto& [id, s] : now.suggestions()) {
    if (s.status == SuggestionStatus::kOpen) continue;
    const Suggestion* before = was.FindSuggestion(id);
    if (before != nullptr && before->status != SuggestionStatus::kOpen) continue;
    ReviewChange ch = ItemOn(c, id, OpKindName(s.op.kind),
                             s.op.kind == OpKind::kSuggestNode ? s.op.parent
                                                               : s.op.node);
    ch.field = s.op.name;
    ch.text = SuggestionText(s.op);
    ch.by = Lookup(c.source, s.decision);
    if (ch.by.seq == 0) ch.by.author = s.decided_by;
    if (s.status == SuggestionStatus::kAccepted) {
      out->accepted.push_back(std::move(ch));
    } else {
      ch.reason = Cut(s.reason, kDiffTitleMax);
      out->rejected.push_back(std::move(ch));
    }
  }
  for (const auto& [key, a] : now.approvals()) {
    auto it = was.approvals().find(key);
    const Approval* before = it == was.approvals().end() ? nullptr : &it->second;
    const bool given =
        !a.revoked && (before == nullptr || before->revoked || before->id != a.id);
    const bool revoked = a.revoked && before != nullptr && !before->revoked;
    if (!given && !revoked) continue;
    ReviewChange ch = ItemOn(c, a.id, "approval", a.node);
    ch.field = a.municipality;
    ch.by = Lookup(c.source, a.id);
    if (ch.by.seq == 0) ch.by.author = a.author;
    (given ? out->approved : out->revoked).push_back(std::move(ch));
  }
}

int64_t TimeOf(const DiffSource& source, uint64_t seq) {
  int64_t t = 0;
  if (seq == 0) return t;
  source.ForEachOpBetween(seq - 1, seq, [&t](uint64_t, const Op& op) {
    t = op.author.wall_time_ms;
  });
  return t;
}

}  // namespace

std::string DiffTitleOf(const Replica& replica, OpId node) {
  if (!replica.HasNode(node)) return "";
  const KindSchema* ks = replica.schema().Find(replica.KindOf(node));
  if (ks == nullptr) return "";
  for (const char* name : {"title", "name"}) {
    if (ks->texts.count(name) == 0) continue;
    const TextSequence* t = replica.TextOf(node, name);
    if (t == nullptr) return "";
    if (t->size() <= kDiffTitleMax) return t->ToUtf8();
    return utf8::Encode(std::u32string_view(t->Content()).substr(0, kDiffTitleMax));
  }
  return "";
}

Status DiffPlans(const Replica& older, uint64_t older_seq,
                 const Replica& newer, uint64_t newer_seq,
                 const DiffSource& source, PlanDiff* out) {
  if (older_seq > newer_seq) {
    return Status::InvalidArgument("diff: from seq " + std::to_string(older_seq) +
                                   " is after to seq " +
                                   std::to_string(newer_seq));
  }
  *out = PlanDiff{};
  out->from_seq = older_seq;
  out->to_seq = newer_seq;
  out->from_time = TimeOf(source, older_seq);
  out->to_time = TimeOf(source, newer_seq);

  Scan scan;
  ScanOps(source, older_seq, newer_seq, older.version(), &scan);
  out->stats.ops = scan.ops;

  LiveTree old_tree, new_tree;
  WalkLive(older, &old_tree);
  WalkLive(newer, &new_tree);

  // Nodes added, moved, renumbered (newer order), removed (older order).
  for (const OpId& id : new_tree.order) {
    if (id == kRootNode) continue;
    const Placement& now = new_tree.at.at(id);
    auto was = old_tree.at.find(id);
    if (was == old_tree.at.end()) {
      out->added.push_back(NodeAdded{NodeIn(newer, new_tree, id), now.parent,
                                     now.index,
                                     Lookup(source, newer.tree().EffectiveMove(id))});
      continue;
    }
    const OpId move_now = newer.tree().EffectiveMove(id);
    if (move_now != older.tree().EffectiveMove(id)) {
      NodeMoved m;
      m.node = NodeIn(newer, new_tree, id);
      m.old_parent = was->second.parent;
      m.old_index = was->second.index;
      m.old_number = was->second.number;
      m.new_parent = now.parent;
      m.new_index = now.index;
      m.by = Lookup(source, move_now);
      out->moved.push_back(std::move(m));
    } else if (was->second.number != now.number) {
      out->renumbered.push_back(
          NodeRenumbered{NodeIn(newer, new_tree, id), was->second.number});
    }
  }
  std::set<OpId> removed_set;
  for (const OpId& id : old_tree.order) {
    if (new_tree.Has(id)) continue;
    const Placement& was = old_tree.at.at(id);
    NodeRemoved r;
    r.node = NodeIn(older, old_tree, id);
    r.parent = was.parent;
    r.index = was.index;
    r.with_parent = removed_set.count(was.parent) != 0;
    removed_set.insert(id);
    // The op that took it out of the live tree: the one that put its
    // topmost not-live ancestor (or itself) where it is now.
    OpId top = id;
    for (size_t guard = 0; guard < 100000; ++guard) {
      const OpId p = newer.ParentOf(top);
      if (p.IsNull() || p == kTrashNode || p == kRootNode) break;
      top = p;
    }
    r.by = Lookup(source, newer.tree().EffectiveMove(top));
    out->removed.push_back(std::move(r));
  }

  // Content of nodes live in both states.
  std::unordered_map<OpId, NodeChanges, OpIdHash> changes;
  auto changes_of = [&](OpId node) -> NodeChanges* {
    if (!old_tree.Has(node) || !new_tree.Has(node)) return nullptr;
    NodeChanges& c = changes[node];
    c.node.id = node;
    return &c;
  };
  for (const Key& k : scan.fields) {
    NodeChanges* c = changes_of(k.node);
    if (c == nullptr) continue;
    Result<FieldRead> was = older.Field(k.node, k.name);
    Result<FieldRead> now = newer.Field(k.node, k.name);
    if (!was.ok() || !now.ok()) continue;
    FieldChange f;
    f.name = k.name;
    f.old_value = StateOf(*was);
    f.new_value = StateOf(*now);
    if (f.old_value == f.new_value) continue;
    if (!now->winner.IsNull()) {
      f.by = Lookup(source, now->winner);
      if (f.by.seq == 0) f.by.author = now->author;
    }
    for (const RegisterEntry& e : now->conflicts) {
      f.conflicts_by.push_back(EntryBy(source, e));
    }
    c->fields.push_back(std::move(f));
  }
  for (const Key& k : scan.texts) {
    NodeChanges* c = changes_of(k.node);
    if (c == nullptr) continue;
    const TextSequence* now = newer.TextOf(k.node, k.name);
    if (now == nullptr) continue;
    std::vector<DelSegment> segs;
    if (auto it = scan.deletes.find(k); it != scan.deletes.end()) {
      segs = Disjoint(std::move(it->second));
    }
    TextChange t;
    t.name = k.name;
    TextDiffer differ(source, older.version(), &segs, &scan, &t);
    if (Status s = differ.Run(older.TextOf(k.node, k.name), *now); !s.ok()) {
      return Status::Corruption("node " + k.node.ToString() + " text " +
                                k.name + ": " + s.message());
    }
    if (t.inserted == 0 && t.deleted == 0) continue;
    c->texts.push_back(std::move(t));
  }
  for (const Key& k : scan.tables) {
    NodeChanges* c = changes_of(k.node);
    if (c == nullptr) continue;
    const Table* now = newer.TableOf(k.node, k.name);
    if (now == nullptr) continue;
    TableChange t;
    DiffTable(older.TableOf(k.node, k.name), *now, k.name, source, scan, &t);
    if (!t.created && t.cells.empty() && t.rows_added.empty() &&
        t.rows_removed.empty() && t.columns_added.empty() &&
        t.columns_removed.empty()) {
      continue;
    }
    c->tables.push_back(std::move(t));
  }
  for (const OpId& id : new_tree.order) {
    auto it = changes.find(id);
    if (it == changes.end()) continue;
    NodeChanges& c = it->second;
    if (c.fields.empty() && c.texts.empty() && c.tables.empty()) continue;
    c.node = NodeIn(newer, new_tree, id);
    out->changes.push_back(std::move(c));
  }

  DiffReview(ReviewContext{older, newer, old_tree, new_tree, source},
             &out->review);

  DiffStats& st = out->stats;
  st.nodes_added = out->added.size();
  st.nodes_removed = out->removed.size();
  st.nodes_moved = out->moved.size();
  st.nodes_renumbered = out->renumbered.size();
  st.nodes_changed = out->changes.size();
  for (const NodeChanges& c : out->changes) {
    st.fields_changed += c.fields.size();
    st.texts_changed += c.texts.size();
    st.tables_changed += c.tables.size();
    for (const TextChange& t : c.texts) {
      st.chars_inserted += t.inserted;
      st.chars_deleted += t.deleted;
    }
    for (const TableChange& t : c.tables) {
      st.cells_changed += t.cells.size();
      st.lines_added += t.rows_added.size() + t.columns_added.size();
      st.lines_removed += t.rows_removed.size() + t.columns_removed.size();
    }
  }
  st.threads_opened = out->review.opened.size();
  st.threads_resolved = out->review.resolved.size();
  st.threads_reopened = out->review.reopened.size();
  st.suggestions_accepted = out->review.accepted.size();
  st.suggestions_rejected = out->review.rejected.size();
  st.approvals_given = out->review.approved.size();
  st.approvals_revoked = out->review.revoked.size();
  return Status::OK();
}

}  // namespace samplan
