#include "crdt/history_entries.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <utility>

#include "crdt/utf8.h"

namespace samplan {
namespace {

constexpr const char* kArrow = " → ";
constexpr const char* kEllipsis = "…";
constexpr const char* kMinus = "−";
constexpr size_t kSummaryExcerpt = 60;

bool IsTextKind(OpKind k) {
  return k == OpKind::kInsertText || k == OpKind::kDeleteText;
}

// Ops of one group may form one entry: text edits together, others by kind.
int GroupOf(OpKind k) { return IsTextKind(k) ? 0 : static_cast<int>(k); }

bool UsesField(OpKind k) {
  switch (k) {
    case OpKind::kSetField:
    case OpKind::kInsertText:
    case OpKind::kDeleteText:
    case OpKind::kInsertTableLine:
    case OpKind::kDeleteTableLine:
    case OpKind::kSetCell:
    case OpKind::kSuggestText:
    case OpKind::kSuggestField:
    case OpKind::kSuggestCell:
      return true;
    default:
      return false;
  }
}

// The last `max` code points of `s` ("…" in front when cut).
std::string Tail(const std::string& s, size_t max, bool cut) {
  const size_t n = utf8::CountCodePoints(s);
  if (n > max) {
    return kEllipsis + s.substr(utf8::ByteOffsetOf(s, n - max));
  }
  return cut ? kEllipsis + s : s;
}

// The first `max` code points of `s` ("…" after when cut).
std::string Head(const std::string& s, size_t max) {
  const size_t n = utf8::CountCodePoints(s);
  if (n <= max) return s;
  return s.substr(0, utf8::ByteOffsetOf(s, max)) + kEllipsis;
}

std::string Shown(const std::string& v) { return v.empty() ? "—" : v; }

// Decoded insert ops, to read deleted characters back.
class CharSource {
 public:
  explicit CharSource(const PlanHistory& h) : h_(h) {}
  // The character `id` as inserted; false when unknown.
  bool Char(OpId id, char32_t* c) {
    if (!(cached_seq_ != 0 && id.replica == first_.replica &&
          id.counter >= first_.counter &&
          id.counter < first_.counter + chars_.size())) {
      uint64_t end;
      const uint64_t seq = h_.SeqOfUnits(id, &end);
      if (seq == 0 || h_.KindAt(seq) != OpKind::kInsertText) return false;
      if (const char32_t single = h_.SingleCharAt(seq); single != 0) {
        *c = single;
        return true;
      }
      h_.OpAt(seq, &scratch_);
      auto decoded = utf8::Decode(scratch_.text);
      if (!decoded.ok()) return false;
      chars_ = std::move(decoded).value();
      first_ = scratch_.id;
      cached_seq_ = seq;
      if (id.counter < first_.counter ||
          id.counter >= first_.counter + chars_.size()) {
        return false;
      }
    }
    *c = chars_[id.counter - first_.counter];
    return true;
  }

  // An op to decode into, its storage reused from op to op: decoding is
  // most of what listing a page of typing costs.
  Op* scratch_op() { return &scratch_op_; }

 private:
  Op scratch_;
  Op scratch_op_;
  const PlanHistory& h_;
  uint64_t cached_seq_ = 0;
  OpId first_;
  std::u32string chars_;
};

// The current group, filled scanning backwards.
class Group {
 public:
  // A group of op `seq` alone.
  Group(const PlanHistory& h, CharSource* chars, uint64_t seq)
      : h_(h),
        chars_(chars),
        newest_(seq),
        node_(h.NodeIndexAt(seq)),
        name_(h.NameIndexAt(seq)),
        author_(h.AuthorIndexAt(seq)),
        group_(GroupOf(h.KindAt(seq))) {
    Add(seq);
  }

  bool Joins(uint64_t seq) const {
    if (h_.NodeIndexAt(seq) != node_ || h_.NameIndexAt(seq) != name_ ||
        GroupOf(h_.KindAt(seq)) != group_) {
      return false;
    }
    const uint32_t a = h_.AuthorIndexAt(seq);
    if (a != author_ && h_.UserOfIndex(a) != h_.UserOfIndex(author_)) {
      return false;
    }
    return time_oldest_ - h_.TimeAt(seq) <= kGroupGapMs;
  }

  void Add(uint64_t seq) {
    oldest_ = seq;
    time_oldest_ = h_.TimeAt(seq);
    ++ops_;
    const OpKind kind = h_.KindAt(seq);
    kind_oldest_[static_cast<size_t>(kind)] = seq;
    switch (kind) {
      case OpKind::kInsertText:
        inserted_ += h_.UnitsAt(seq);
        if (ins_cp_ <= kExcerptCodePoints) {
          if (const char32_t single = h_.SingleCharAt(seq); single != 0) {
            std::string one;
            utf8::Append(single, &one);
            ins_cp_ += 1;
            ins_.push_back(std::move(one));
            break;
          }
          Op& op = *chars_->scratch_op();
          h_.OpAt(seq, &op);
          ins_cp_ += utf8::CountCodePoints(op.text);
          ins_.push_back(op.text);
        } else {
          ins_cut_ = true;
        }
        break;
      case OpKind::kDeleteText:
        deleted_ += h_.UnitsAt(seq);
        if (del_cp_ <= kExcerptCodePoints) {
          Op& op = *chars_->scratch_op();
          h_.OpAt(seq, &op);
          std::string piece;
          for (const IdSpan& span : op.spans) {
            for (uint64_t i = 0; i < span.length; ++i) {
              char32_t c;
              if (chars_->Char(OpId{span.replica, span.counter + i}, &c)) {
                utf8::Append(c, &piece);
                ++del_cp_;
              }
              if (del_cp_ > kExcerptCodePoints) break;
            }
          }
          del_.push_back(std::move(piece));
        } else {
          del_cut_ = true;
        }
        break;
      case OpKind::kSetCell:
      case OpKind::kInsertTableLine:
      case OpKind::kDeleteTableLine: {
        Op& op = *chars_->scratch_op();
        h_.OpAt(seq, &op);
        if (kind == OpKind::kSetCell) {
          cells_.insert({op.target, op.column});
        } else if (op.axis == TableAxis::kRow) {
          ++rows_;
        } else {
          ++columns_;
        }
        break;
      }
      default:
        break;
    }
  }

  HistoryEntry Finish() const {
    HistoryEntry e;
    e.seq = oldest_;
    e.seq_last = newest_;
    e.ops = ops_;
    e.time = h_.TimeAt(oldest_);
    e.time_last = h_.TimeAt(newest_);
    e.user = h_.UserOfIndex(author_);
    e.municipality = h_.MunicipalityOfIndex(author_);
    std::vector<std::pair<uint64_t, OpKind>> kinds;
    for (size_t k = 0; k < kind_oldest_.size(); ++k) {
      if (kind_oldest_[k] != 0) {
        kinds.emplace_back(kind_oldest_[k], static_cast<OpKind>(k));
      }
    }
    std::sort(kinds.begin(), kinds.end());
    for (const auto& [seq, kind] : kinds) e.kinds.push_back(kind);
    e.node = h_.NodeByIndex(node_);
    const Replica& head = h_.head();
    if (!e.node.IsNull() && head.HasNode(e.node)) {
      e.node_kind = head.KindOf(e.node);
      e.node_deleted = head.IsDeleted(e.node);
      if (!e.node_deleted) e.number = head.Numbering(e.node);
      e.title = NodeTitleOf(head, e.node);
    }
    const OpKind kind = h_.KindAt(newest_);
    if (UsesField(kind)) e.field = h_.NameAt(newest_);
    Describe(kind, &e);
    if (ops_ > 1 && group_ != 0 && kind != OpKind::kSetField &&
        kind != OpKind::kSetCell && kind != OpKind::kInsertTableLine &&
        kind != OpKind::kDeleteTableLine) {
      e.summary += " (×" + std::to_string(ops_) + ")";
    }
    return e;
  }

 private:
  // Values of the writes `op` superseded, " | " between them.
  std::string Superseded(const Op& op) const {
    std::string out;
    for (const OpId& id : op.supersedes) {
      const uint64_t seq = h_.SeqOf(id);
      if (seq == 0) continue;
      if (!out.empty()) out += " | ";
      out += ReadableValue(h_.OpAt(seq).value);
    }
    return out;
  }

  // "2" or the row's / column's header value.
  std::string LineLabel(const Table* t, TableAxis axis, OpId line) const {
    if (t == nullptr) return "?";
    const MultiValueRegister* header =
        axis == TableAxis::kRow ? t->Cell(line, kNullId) : t->Cell(kNullId, line);
    if (header != nullptr && !header->empty()) {
      const std::string v = ReadableValue(header->winner().value);
      if (!v.empty()) return v;
    }
    const std::vector<OpId> lines = t->VisibleLines(axis);
    auto it = std::find(lines.begin(), lines.end(), line);
    if (it == lines.end()) return axis == TableAxis::kRow ? "deleted row" : "deleted column";
    return std::to_string(it - lines.begin() + 1);
  }

  void Describe(OpKind kind, HistoryEntry* e) const {
    const std::string quoted_title =
        e->title.empty() ? "" : " «" + Head(e->title, kSummaryExcerpt) + "»";
    switch (kind) {
      case OpKind::kInsertText:
      case OpKind::kDeleteText: {
        std::string ins;
        for (auto it = ins_.rbegin(); it != ins_.rend(); ++it) ins += *it;
        std::string del;
        for (auto it = del_.rbegin(); it != del_.rend(); ++it) del += *it;
        e->after = Tail(ins, kExcerptCodePoints, ins_cut_);
        e->before = Tail(del, kExcerptCodePoints, del_cut_);
        e->summary = e->field + ":";
        if (inserted_ > 0) e->summary += " +" + std::to_string(inserted_);
        if (deleted_ > 0) e->summary += " " + std::string(kMinus) + std::to_string(deleted_);
        const std::string& shown = e->after.empty() ? e->before : e->after;
        if (!shown.empty()) e->summary += " «" + Head(shown, kSummaryExcerpt) + "»";
        return;
      }
      case OpKind::kSetField: {
        e->before = Superseded(h_.OpAt(oldest_));
        e->after = ReadableValue(h_.OpAt(newest_).value);
        e->summary = e->field + ": " +
                     (e->before.empty() ? Shown(e->after)
                                        : e->before + kArrow + Shown(e->after));
        return;
      }
      case OpKind::kSetCell: {
        const Op newest = h_.OpAt(newest_);
        e->after = ReadableValue(newest.value);
        if (cells_.size() == 1) {
          e->before = Superseded(h_.OpAt(oldest_));
          const Table* t = nullptr;
          if (h_.head().HasNode(e->node)) t = h_.head().TableOf(e->node, e->field);
          std::string where;
          if (!newest.target.IsNull()) where = LineLabel(t, TableAxis::kRow, newest.target);
          if (!newest.column.IsNull()) {
            if (!where.empty()) where += ", ";
            where += LineLabel(t, TableAxis::kColumn, newest.column);
          }
          e->summary = e->field + "[" + where + "]: " +
                       (e->before.empty() ? Shown(e->after)
                                          : e->before + kArrow + Shown(e->after));
        } else {
          e->summary = e->field + ": " + std::to_string(cells_.size()) + " cells changed";
        }
        return;
      }
      case OpKind::kInsertTableLine:
      case OpKind::kDeleteTableLine: {
        const std::string sign = kind == OpKind::kInsertTableLine ? "+" : kMinus;
        e->summary = e->field + ":";
        if (rows_ > 0) {
          e->summary += " " + sign + std::to_string(rows_) + (rows_ == 1 ? " row" : " rows");
        }
        if (columns_ > 0) {
          e->summary += std::string(rows_ > 0 ? "," : "") + " " + sign +
                        std::to_string(columns_) + (columns_ == 1 ? " column" : " columns");
        }
        return;
      }
      case OpKind::kCreateNode:
        e->after = e->number;
        e->summary = "created " + (e->node_kind.empty() ? h_.NameAt(newest_) : e->node_kind) +
                     quoted_title;
        return;
      case OpKind::kDeleteNode: {
        std::string ignored;
        h_.MoveNumbersAt(oldest_, &e->before, &ignored);
        e->summary = "deleted " + e->node_kind + quoted_title;
        if (!e->before.empty()) e->summary += " (was " + e->before + ")";
        return;
      }
      case OpKind::kMoveNode: {
        std::string ignored;
        h_.MoveNumbersAt(oldest_, &e->before, &ignored);
        h_.MoveNumbersAt(newest_, &ignored, &e->after);
        e->summary = "moved " + Shown(e->before) + kArrow + Shown(e->after) + quoted_title;
        return;
      }
      default:
        break;
    }
    // Review ops: described by the newest one.
    const Op op = h_.OpAt(newest_);
    const auto quote = [](const std::string& s) {
      return s.empty() ? std::string() : " «" + Head(s, kSummaryExcerpt) + "»";
    };
    switch (kind) {
      case OpKind::kAddComment:
        e->after = Head(op.text, kExcerptCodePoints);
        e->summary = (op.parent.IsNull() ? "comment" : "reply") + quote(op.text);
        break;
      case OpKind::kEditComment:
        e->after = Head(op.text, kExcerptCodePoints);
        e->summary = "edited comment" + quote(op.text);
        break;
      case OpKind::kDeleteComment:
        e->summary = "deleted comment";
        break;
      case OpKind::kSetThread:
        e->before = Superseded(h_.OpAt(oldest_));
        e->after = ReadableValue(op.value);
        e->summary = "thread " + op.name + ": " +
                     (e->before.empty() ? Shown(e->after)
                                        : e->before + kArrow + Shown(e->after));
        break;
      case OpKind::kMarkRead:
        e->summary = "read thread";
        break;
      case OpKind::kSuggestText:
        e->before = Head(op.quote, kExcerptCodePoints);
        e->after = Head(op.text, kExcerptCodePoints);
        e->summary = "suggested " + op.name + quote(op.text);
        break;
      case OpKind::kSuggestField:
      case OpKind::kSuggestCell:
        e->after = ReadableValue(op.value);
        e->summary = "suggested " + op.name + ": " + Shown(e->after);
        break;
      case OpKind::kSuggestNode:
        e->after = Head(op.text, kExcerptCodePoints);
        e->summary = "suggested new " + op.name + quote(op.text);
        break;
      case OpKind::kSuggestMove:
        e->summary = "suggested moving" + quoted_title;
        break;
      case OpKind::kSuggestDelete:
        e->summary = "suggested deleting" + quoted_title;
        break;
      case OpKind::kAcceptSuggestion:
        e->summary = "accepted suggestion";
        break;
      case OpKind::kRejectSuggestion:
        e->after = Head(op.text, kExcerptCodePoints);
        e->summary = "rejected suggestion" + (op.text.empty() ? "" : ": " + Head(op.text, kSummaryExcerpt));
        break;
      case OpKind::kApprove:
        e->summary = "approved for " + op.name;
        break;
      case OpKind::kRevokeApproval:
        e->summary = "revoked approval for " + op.name;
        break;
      default:
        e->summary = OpKindName(kind);
        break;
    }
  }

  const PlanHistory& h_;
  CharSource* chars_;
  uint64_t newest_ = 0;
  uint64_t oldest_ = 0;
  int64_t time_oldest_ = 0;
  size_t ops_ = 0;
  uint32_t node_ = 0;
  uint32_t name_ = 0;
  uint32_t author_ = 0;
  int group_ = 0;
  std::array<uint64_t, kMaxOpKind + 1> kind_oldest_{};
  uint64_t inserted_ = 0;
  uint64_t deleted_ = 0;
  std::vector<std::string> ins_;  // newest first
  size_t ins_cp_ = 0;
  bool ins_cut_ = false;
  std::vector<std::string> del_;  // newest first
  size_t del_cp_ = 0;
  bool del_cut_ = false;
  std::set<std::pair<OpId, OpId>> cells_;
  size_t rows_ = 0;
  size_t columns_ = 0;
};

// Whether op node `index` is in the filter's node (subtree), cached.
class NodeMatcher {
 public:
  NodeMatcher(const PlanHistory& h, const HistoryFilter& f)
      : h_(h), f_(f), cache_(h.node_count(), -1) {}

  bool Matches(uint32_t index) {
    if (f_.node.IsNull()) return true;
    int8_t& c = cache_[index];
    if (c < 0) c = Compute(h_.NodeByIndex(index)) ? 1 : 0;
    return c == 1;
  }

 private:
  bool Compute(OpId node) const {
    if (node == f_.node) return true;
    if (!f_.subtree) return false;
    const Replica& head = h_.head();
    for (size_t steps = 0; steps <= h_.node_count() + 2; ++steps) {
      if (node == f_.node) return true;
      if (node.IsNull() || node == kRootNode || !head.HasNode(node)) return false;
      OpId parent = head.ParentOf(node);
      if (parent == kTrashNode) parent = head.ParentBeforeDelete(node);
      node = parent;
    }
    return false;
  }

  const PlanHistory& h_;
  const HistoryFilter& f_;
  std::vector<int8_t> cache_;
};

}  // namespace

std::string ReadableValue(const FieldValue& v) {
  switch (v.type) {
    case ValueType::kNull:
      return "";
    case ValueType::kBool:
      return v.b ? "true" : "false";
    case ValueType::kInt:
      return std::to_string(v.i);
    case ValueType::kNumber:
      return v.DebugString();
    case ValueType::kString:
    case ValueType::kDate:
      return v.s;
    case ValueType::kStringList: {
      std::string out;
      for (size_t k = 0; k < v.list.size(); ++k) {
        if (k > 0) out += ", ";
        out += v.list[k];
      }
      return out;
    }
  }
  return "";
}

Status HistoryEntries(const PlanHistory& h, const HistoryFilter& f,
                      uint64_t before_seq, size_t limit,
                      std::vector<HistoryEntry>* out, uint64_t* next) {
  out->clear();
  *next = 0;
  if (!f.node.IsNull() && !h.head().HasNode(f.node)) {
    return Status::NotFound("node " + f.node.ToString() + " is not in the plan");
  }
  uint64_t hi = std::min(h.last_seq(), f.to_seq);
  if (before_seq != 0) hi = std::min(hi, before_seq - 1);
  const uint64_t lo = std::max<uint64_t>(f.from_seq, 1);

  std::vector<char> author_ok(h.author_count(), 1);
  for (uint32_t a = 0; a < h.author_count(); ++a) {
    if ((!f.user.empty() && h.UserOfIndex(a) != f.user) ||
        (!f.municipality.empty() && h.MunicipalityOfIndex(a) != f.municipality)) {
      author_ok[a] = 0;
    }
  }
  uint32_t kind_mask = 0;
  for (OpKind k : f.kinds) kind_mask |= 1u << static_cast<uint8_t>(k);
  NodeMatcher nodes(h, f);
  CharSource chars(h);
  std::optional<Group> group;

  for (uint64_t seq = hi; seq >= lo && seq > 0; --seq) {
    if (!author_ok[h.AuthorIndexAt(seq)]) continue;
    if (kind_mask != 0 &&
        (kind_mask & (1u << static_cast<uint8_t>(h.KindAt(seq)))) == 0) {
      continue;
    }
    if (!nodes.Matches(h.NodeIndexAt(seq))) continue;
    if (group && group->Joins(seq)) {
      group->Add(seq);
      continue;
    }
    if (group) {
      out->push_back(group->Finish());
      if (limit != 0 && out->size() == limit) {
        *next = out->back().seq;
        return Status::OK();
      }
    }
    group.emplace(h, &chars, seq);
  }
  if (group) out->push_back(group->Finish());
  return Status::OK();
}

}  // namespace samplan
