#include "crdt/history.h"

#include <algorithm>
#include <utility>

#include "crdt/codec.h"
#include "crdt/utf8.h"

namespace samplan {
namespace {

Status WithSeq(uint64_t seq, const Status& s) {
  const std::string msg = "seq " + std::to_string(seq) + ": " + s.message();
  switch (s.code()) {
    case Status::Code::kNotFound:
      return Status::NotFound(msg);
    case Status::Code::kOutOfRange:
      return Status::OutOfRange(msg);
    case Status::Code::kCorruption:
      return Status::Corruption(msg);
    case Status::Code::kFailedPrecondition:
      return Status::FailedPrecondition(msg);
    default:
      return Status::InvalidArgument(msg);
  }
}

bool IsTextKind(OpKind k) {
  return k == OpKind::kInsertText || k == OpKind::kDeleteText;
}

}  // namespace

PlanHistory::PlanHistory(PlanSchema schema, uint64_t checkpoint_every)
    : schema_(std::move(schema)),
      head_(std::make_unique<Replica>(kStateReplicaId, schema_)),
      checkpoint_every_(std::max<uint64_t>(1, checkpoint_every)) {
  InternNode(kNullId);  // index 0: no node
  InternName("");       // index 0: no name
}

PlanHistory::~PlanHistory() = default;

uint32_t PlanHistory::InternAuthor(const Author& a) {
  std::string key = a.user;
  key.push_back('\0');
  key += a.municipality;
  auto [it, added] =
      author_index_.emplace(std::move(key), static_cast<uint32_t>(authors_.size()));
  if (added) authors_.push_back(AuthorKey{a.user, a.municipality});
  return it->second;
}

uint32_t PlanHistory::InternNode(OpId node) {
  auto [it, added] =
      node_index_.emplace(node, static_cast<uint32_t>(nodes_.size()));
  if (added) nodes_.push_back(node);
  return it->second;
}

uint32_t PlanHistory::InternName(const std::string& name) {
  auto [it, added] =
      name_index_.emplace(name, static_cast<uint32_t>(names_.size()));
  if (added) names_.push_back(name);
  return it->second;
}

OpId PlanHistory::EntryNode(const Replica& state, const Op& op) {
  const ReviewState& review = state.review();
  auto thread_node = [&](OpId thread) {
    const Thread* t = review.FindThread(thread);
    return t == nullptr ? kNullId : t->node;
  };
  switch (op.kind) {
    case OpKind::kCreateNode:
      return op.id;
    case OpKind::kAddComment:
      return op.parent.IsNull() ? op.node : thread_node(op.parent);
    case OpKind::kEditComment:
    case OpKind::kDeleteComment: {
      const Comment* c = review.FindComment(op.target);
      return c == nullptr ? kNullId : thread_node(c->thread);
    }
    case OpKind::kSetThread:
    case OpKind::kMarkRead:
      return thread_node(op.target);
    case OpKind::kSuggestNode:
      return op.parent;
    case OpKind::kAcceptSuggestion:
    case OpKind::kRejectSuggestion: {
      const Suggestion* s = review.FindSuggestion(op.target);
      if (s == nullptr) return kNullId;
      return s->op.kind == OpKind::kSuggestNode ? s->op.parent : s->op.node;
    }
    default:
      return op.node;
  }
}

Status PlanHistory::ApplyTo(Replica* replica, const Op& op) {
  if (IsTextKind(op.kind) && !(op.author == Author{})) {
    Op bare = op;
    bare.author = Author{};
    return replica->Apply(bare);
  }
  return replica->Apply(op);
}

Status PlanHistory::Append(const Op& op) {
  const uint64_t seq = last_seq() + 1;
  if (seq > UINT32_MAX * kChunkOps) {
    return Status::OutOfRange("seq " + std::to_string(seq) +
                              ": the history is full");
  }
  Status shape = CheckOpShape(op);
  if (!shape.ok()) return WithSeq(seq, shape);
  const uint64_t known = head_->version().Get(op.id.replica);
  if (op.id.counter > known + 1) {
    return Status::NotFound("seq " + std::to_string(seq) + ": " +
                            DescribeOp(op) + " follows ops " +
                            std::to_string(known + 1) + ".." +
                            std::to_string(op.id.counter - 1) +
                            " of its replica, which are not in the log");
  }
  // Refuse what the head would hold back before it changes anything.
  Status check = head_->CheckRemoteOp(op, UINT64_MAX / 2);
  if (check.code() == Status::Code::kNotFound) return WithSeq(seq, check);

  const OpId entry_node = EntryNode(*head_, op);
  const bool tree_op =
      op.kind == OpKind::kMoveNode || op.kind == OpKind::kDeleteNode;
  MoveNumbers numbers;
  if (tree_op && head_->HasNode(op.node) && !head_->IsDeleted(op.node)) {
    numbers.before = head_->Numbering(op.node);
  }
  Status s = ApplyTo(head_.get(), op);
  if (!s.ok()) return WithSeq(seq, s);
  if (head_->pending_count() > 0) {
    Status r = RebuildHead();
    (void)r;
    return Status::NotFound("seq " + std::to_string(seq) + ": " +
                            DescribeOp(op) +
                            " depends on ops that are not in the log");
  }
  if (tree_op) {
    if (head_->HasNode(op.node) && !head_->IsDeleted(op.node)) {
      numbers.after = head_->Numbering(op.node);
    }
    moves_.emplace(seq, std::move(numbers));
  }

  // Unit index: the op's new units (a repeated op brings none).
  const uint64_t units = op.Length();
  const uint64_t end = op.id.counter + units;
  uint64_t& known_end = unit_end_[op.id.replica];
  if (known_end == 0) known_end = 1;
  if (end > known_end) {
    units_[op.id.replica].push_back(
        UnitRun{std::max(op.id.counter, known_end), seq});
    known_end = end;
  }

  // Encoded op, author slots empty (they live in the metadata).
  const uint64_t chunk = (seq - 1) / kChunkOps;
  if (chunk == chunks_.size()) {
    if (!chunks_.empty()) chunks_.back().shrink_to_fit();
    chunks_.emplace_back();
  }
  std::string& bytes = chunks_[chunk];
  OpMeta meta;
  meta.offset = static_cast<uint32_t>(bytes.size());
  {
    Writer w(&bytes);
    if (op.author == Author{}) {
      EncodeOpTo(op, &w);
    } else {
      Op bare = op;
      bare.author = Author{};
      EncodeOpTo(bare, &w);
    }
  }
  meta.time = op.author.wall_time_ms;
  meta.author = InternAuthor(op.author);
  meta.node = InternNode(entry_node);
  meta.name = InternName(op.name);
  meta.units = static_cast<uint32_t>(std::min<uint64_t>(units, UINT32_MAX));
  meta.kind = op.kind;
  if (op.kind == OpKind::kInsertText && units == 1) {
    Result<std::u32string> chars = utf8::Decode(op.text);
    if (chars.ok() && chars->size() == 1) meta.single = (*chars)[0];
  }
  metas_.push_back(meta);

  if (seq % checkpoint_every_ == 0) {
    checkpoints_.push_back(head_->EncodeSnapshot());
  }
  return Status::OK();
}

Status PlanHistory::RebuildHead() {
  const uint64_t base = (last_seq() / checkpoint_every_) * checkpoint_every_;
  auto loaded = LoadCheckpoint(base);
  if (!loaded.ok()) return loaded.status();
  SAMPLAN_RETURN_IF_ERROR(Replay(loaded->get(), base, last_seq()));
  head_ = std::move(loaded).value();
  return Status::OK();
}

void PlanHistory::DecodeAt(uint64_t seq, Op* op) const {
  const OpMeta& m = Meta(seq);
  const std::string& chunk = chunks_[(seq - 1) / kChunkOps];
  Reader r(std::string_view(chunk).substr(m.offset));
  Status s = DecodeOpFrom(&r, op);
  assert(s.ok());
  (void)s;
  const AuthorKey& a = authors_[m.author];
  op->author.user = a.user;
  op->author.municipality = a.municipality;
  op->author.wall_time_ms = m.time;
}

Author PlanHistory::AuthorAt(uint64_t seq) const {
  const OpMeta& m = Meta(seq);
  const AuthorKey& a = authors_[m.author];
  return Author{a.user, a.municipality, m.time};
}

int64_t PlanHistory::TimeAt(uint64_t seq) const { return Meta(seq).time; }

Op PlanHistory::OpAt(uint64_t seq) const {
  Op op;
  DecodeAt(seq, &op);
  return op;
}

uint64_t PlanHistory::SeqOf(OpId id) const {
  uint64_t end;
  return SeqOfUnits(id, &end);
}

uint64_t PlanHistory::SeqOfUnits(OpId id, uint64_t* end) const {
  auto it = units_.find(id.replica);
  if (it == units_.end()) return 0;
  const uint64_t known_end = unit_end_.at(id.replica);
  if (id.counter >= known_end) return 0;
  const std::vector<UnitRun>& runs = it->second;
  auto r = std::upper_bound(
      runs.begin(), runs.end(), id.counter,
      [](uint64_t c, const UnitRun& run) { return c < run.counter; });
  if (r == runs.begin()) return 0;
  *end = r == runs.end() ? known_end : r->counter;
  return std::prev(r)->seq;
}

void PlanHistory::ForEachUnitPiece(
    OpId first, uint64_t length,
    const std::function<void(uint64_t count, uint64_t seq)>& fn) const {
  auto it = units_.find(first.replica);
  if (it == units_.end()) {
    if (length > 0) fn(length, 0);
    return;
  }
  const uint64_t known_end = unit_end_.at(first.replica);
  const std::vector<UnitRun>& runs = it->second;
  uint64_t counter = first.counter;
  const uint64_t stop = first.counter + length;
  auto r = std::upper_bound(
      runs.begin(), runs.end(), counter,
      [](uint64_t c, const UnitRun& run) { return c < run.counter; });
  while (counter < stop) {
    if (r == runs.begin() || counter >= known_end) {
      // Before the first known unit, or past the last one.
      const uint64_t end =
          r == runs.begin() && r != runs.end() ? std::min(stop, r->counter)
                                               : stop;
      fn(end - counter, 0);
      counter = end;
      continue;
    }
    const uint64_t end =
        std::min(stop, r == runs.end() ? known_end : r->counter);
    fn(end - counter, std::prev(r)->seq);
    counter = end;
    if (r != runs.end()) ++r;
  }
}

uint64_t PlanHistory::SeqAtTime(int64_t time_ms) const {
  auto it = std::upper_bound(
      metas_.begin(), metas_.end(), time_ms,
      [](int64_t t, const OpMeta& m) { return t < m.time; });
  return static_cast<uint64_t>(it - metas_.begin());
}

bool PlanHistory::MoveNumbersAt(uint64_t seq, std::string* before,
                                std::string* after) const {
  auto it = moves_.find(seq);
  if (it == moves_.end()) return false;
  *before = it->second.before;
  *after = it->second.after;
  return true;
}

bool PlanHistory::AuthorOf(OpId id, Author* author, uint64_t* seq) const {
  const uint64_t s = SeqOf(id);
  if (s == 0) return false;
  if (author != nullptr) *author = AuthorAt(s);
  if (seq != nullptr) *seq = s;
  return true;
}

void PlanHistory::ForEachOpBetween(
    uint64_t after_seq, uint64_t to_seq,
    const std::function<void(uint64_t seq, const Op& op)>& fn) const {
  to_seq = std::min(to_seq, last_seq());
  Op op;
  for (uint64_t seq = after_seq + 1; seq <= to_seq; ++seq) {
    DecodeAt(seq, &op);
    fn(seq, op);
  }
}

void PlanHistory::ForEachOpBetween(
    uint64_t after_seq, uint64_t to_seq,
    const std::function<bool(OpKind kind)>& needs_body,
    const std::function<void(uint64_t seq, const Op& op)>& fn) const {
  to_seq = std::min(to_seq, last_seq());
  Op op;
  Op head;
  for (uint64_t seq = after_seq + 1; seq <= to_seq; ++seq) {
    const OpKind kind = KindAt(seq);
    if (needs_body(kind)) {
      DecodeAt(seq, &op);
      fn(seq, op);
      continue;
    }
    head.kind = kind;
    head.node = NodeAt(seq);
    const std::string& name = NameAt(seq);
    if (head.name != name) head.name = name;
    fn(seq, head);
  }
}

Status PlanHistory::Replay(Replica* r, uint64_t from, uint64_t to) const {
  Op op;
  for (uint64_t seq = from + 1; seq <= to; ++seq) {
    DecodeAt(seq, &op);
    Status s = ApplyTo(r, op);
    if (!s.ok()) return WithSeq(seq, s);
  }
  return Status::OK();
}

Result<std::unique_ptr<Replica>> PlanHistory::LoadCheckpoint(
    uint64_t seq) const {
  if (seq == 0) return std::make_unique<Replica>(kStateReplicaId, schema_);
  return Replica::DecodeSnapshot(checkpoints_[seq / checkpoint_every_ - 1],
                                 kStateReplicaId);
}

Result<const Replica*> PlanHistory::StateAt(uint64_t seq) {
  if (seq > last_seq()) {
    return Status::OutOfRange("seq " + std::to_string(seq) +
                              " is past the end of the history (" +
                              std::to_string(last_seq()) + ")");
  }
  if (seq == last_seq()) return static_cast<const Replica*>(head_.get());
  const uint64_t base = (seq / checkpoint_every_) * checkpoint_every_;
  if (cursor_ == nullptr || cursor_seq_ > seq || cursor_seq_ < base) {
    cursor_.reset();
    auto loaded = LoadCheckpoint(base);
    if (!loaded.ok()) return loaded.status();
    cursor_ = std::move(loaded).value();
    cursor_seq_ = base;
  }
  Status s = Replay(cursor_.get(), cursor_seq_, seq);
  if (!s.ok()) {
    cursor_.reset();
    return s;
  }
  cursor_seq_ = seq;
  return static_cast<const Replica*>(cursor_.get());
}

Result<std::unique_ptr<Replica>> PlanHistory::CopyStateAt(uint64_t seq) {
  auto state = StateAt(seq);
  if (!state.ok()) return state.status();
  return Replica::DecodeSnapshot((*state)->EncodeSnapshot(), kStateReplicaId);
}

size_t PlanHistory::checkpoint_bytes() const {
  size_t n = 0;
  for (const std::string& c : checkpoints_) n += c.capacity();
  return n;
}

size_t PlanHistory::MemoryUsage() const {
  size_t n = sizeof(*this);
  for (const std::string& c : chunks_) n += c.capacity();
  n += chunks_.capacity() * sizeof(std::string);
  n += metas_.capacity() * sizeof(OpMeta);
  for (const AuthorKey& a : authors_) {
    n += sizeof(a) + a.user.capacity() + a.municipality.capacity();
  }
  n += author_index_.size() * 64;
  n += nodes_.capacity() * sizeof(OpId) + node_index_.size() * 48;
  for (const std::string& s : names_) n += sizeof(s) + s.capacity();
  n += name_index_.size() * 64;
  for (const auto& [r, runs] : units_) n += runs.capacity() * sizeof(UnitRun) + 48;
  n += unit_end_.size() * 32;
  n += moves_.size() * (sizeof(MoveNumbers) + 48);
  n += checkpoint_bytes();
  n += head_->MemoryUsage();
  if (cursor_ != nullptr) n += cursor_->MemoryUsage();
  return n;
}

std::string NodeTitleOf(const Replica& replica, OpId node) {
  if (!replica.HasNode(node)) return "";
  const KindSchema* kind = replica.schema().Find(replica.KindOf(node));
  if (kind == nullptr) return "";
  for (const char* name : {"title", "name"}) {
    if (kind->texts.count(name) == 0) continue;
    const TextSequence* t = replica.TextOf(node, name);
    return t == nullptr ? "" : t->ToUtf8();
  }
  return "";
}

}  // namespace samplan
