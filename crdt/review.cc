#include "crdt/review.h"

#include <algorithm>
#include <tuple>

namespace samplan {
namespace {

template <typename Map>
auto* FindIn(const Map& map, OpId id) {
  auto it = map.find(id);
  return it == map.end() ? nullptr : &it->second;
}

std::vector<std::string> Mentions(const Op& op) {
  return op.value.type == ValueType::kStringList ? op.value.list
                                                 : std::vector<std::string>{};
}

}  // namespace

const Thread* ReviewState::FindThread(OpId id) const {
  return FindIn(threads_, id);
}
const Comment* ReviewState::FindComment(OpId id) const {
  return FindIn(comments_, id);
}
const Suggestion* ReviewState::FindSuggestion(OpId id) const {
  return FindIn(suggestions_, id);
}

void ReviewState::Integrate(const Op& op) {
  ops_.push_back(op);
  switch (op.kind) {
    case OpKind::kAddComment: {
      Comment c;
      c.id = op.id;
      c.thread = op.parent.IsNull() ? op.id : op.parent;
      c.author = op.author;
      c.lamport = op.lamport;
      c.body = op.text;
      c.mentions = Mentions(op);
      if (op.parent.IsNull()) {
        Thread t;
        t.id = op.id;
        t.node = op.node;
        t.field = op.name;
        if (!op.left.IsNull()) {
          t.anchor = AnchorKind::kText;
          t.first = op.left;
          t.last = op.right;
        } else if (!op.target.IsNull() || !op.column.IsNull()) {
          t.anchor = AnchorKind::kCell;
          t.row = op.target;
          t.column = op.column;
        } else {
          t.anchor = op.name.empty() ? AnchorKind::kNode : AnchorKind::kField;
        }
        t.quote = op.quote;
        threads_.emplace(op.id, std::move(t));
      }
      auto thread = threads_.find(c.thread);
      if (thread == threads_.end()) return;  // REQUIRES says it exists
      auto& list = thread->second.comments;
      auto& refs = thread->second.comment_refs;
      // Replies mostly arrive in order: the common case is an append.
      auto before = [&](const Comment* listed) {
        return std::tie(listed->lamport, listed->id) <
               std::tie(c.lamport, c.id);
      };
      size_t index = refs.size();
      if (!refs.empty() && !before(refs.back())) {
        index = static_cast<size_t>(
            std::partition_point(refs.begin(), refs.end(), before) -
            refs.begin());
      }
      auto at = list.begin() + static_cast<std::ptrdiff_t>(index);
      list.insert(at, c.id);
      const OpId id = c.id;
      // std::map nodes never move: the pointer stays valid.
      const Comment* stored = &comments_.emplace(id, std::move(c)).first->second;
      refs.insert(refs.begin() + static_cast<std::ptrdiff_t>(index), stored);
      return;
    }
    case OpKind::kEditComment: {
      auto it = comments_.find(op.target);
      if (it == comments_.end()) return;
      Comment& c = it->second;
      ++c.revisions;
      if (std::tie(op.lamport, op.id) >
          std::tie(c.revision_lamport, c.revision)) {
        c.body = op.text;
        c.mentions = Mentions(op);
        c.revision = op.id;
        c.revision_lamport = op.lamport;
        c.edited_ms = op.author.wall_time_ms;
      }
      return;
    }
    case OpKind::kDeleteComment: {
      auto it = comments_.find(op.target);
      if (it == comments_.end()) return;
      if (!it->second.deleted || op.id < it->second.deleted_by) {
        it->second.deleted = true;
        it->second.deleted_by = op.id;
      }
      return;
    }
    case OpKind::kSetThread: {
      auto it = threads_.find(op.target);
      if (it == threads_.end()) return;
      Thread& t = it->second;
      MultiValueRegister* reg = op.name == "resolved"   ? &t.resolved
                                : op.name == "assignee" ? &t.assignee
                                                        : &t.due;
      reg->Apply(op.id, op.lamport, op.value, op.supersedes, op.author);
      return;
    }
    case OpKind::kMarkRead: {
      auto it = threads_.find(op.target);
      if (it == threads_.end()) return;
      uint64_t& mark = it->second.read[op.author.user];
      mark = std::max(mark, op.lamport);
      return;
    }
    case OpKind::kSuggestText:
    case OpKind::kSuggestField:
    case OpKind::kSuggestCell:
    case OpKind::kSuggestNode:
    case OpKind::kSuggestMove:
    case OpKind::kSuggestDelete: {
      Suggestion s;
      s.op = op;
      suggestions_.emplace(op.id, std::move(s));
      return;
    }
    case OpKind::kAcceptSuggestion:
    case OpKind::kRejectSuggestion: {
      auto it = suggestions_.find(op.target);
      if (it == suggestions_.end()) return;
      Suggestion& s = it->second;
      const bool accept = op.kind == OpKind::kAcceptSuggestion;
      const auto key = std::tie(op.lamport, op.id);
      const auto current = std::tie(s.decision_lamport, s.decision);
      bool take;
      if (s.status == SuggestionStatus::kOpen) {
        take = true;
      } else if (s.status == SuggestionStatus::kAccepted) {
        take = accept && key < current;  // the earliest accept
      } else {
        take = accept || key > current;  // any accept, else the latest
      }
      if (!take) return;
      s.status =
          accept ? SuggestionStatus::kAccepted : SuggestionStatus::kRejected;
      s.decision = op.id;
      s.decision_lamport = op.lamport;
      s.decided_by = op.author;
      s.reason = accept ? std::string() : op.text;
      s.applied = accept ? op.spans : std::vector<IdSpan>{};
      s.stale_accepted = accept && op.value.type == ValueType::kBool &&
                         op.value.b;
      return;
    }
    case OpKind::kApprove:
    case OpKind::kRevokeApproval: {
      auto key = std::make_pair(op.node, op.name);
      auto it = approvals_.find(key);
      if (it != approvals_.end() &&
          std::tie(it->second.lamport, it->second.id) >
              std::tie(op.lamport, op.id)) {
        return;  // a later decision for this (node, municipality) stands
      }
      Approval a;
      a.node = op.node;
      a.municipality = op.name;
      a.id = op.id;
      a.lamport = op.lamport;
      a.author = op.author;
      a.revoked = op.kind == OpKind::kRevokeApproval;
      a.seen = op.spans;
      approvals_[key] = std::move(a);
      return;
    }
    default:
      return;
  }
}

std::vector<const Op*> ReviewState::OpsInOrder() const {
  std::vector<const Op*> out;
  out.reserve(ops_.size());
  for (const Op& op : ops_) out.push_back(&op);
  std::sort(out.begin(), out.end(), [](const Op* a, const Op* b) {
    return std::tie(a->lamport, a->id) < std::tie(b->lamport, b->id);
  });
  return out;
}

size_t ReviewState::MemoryUsage() const {
  size_t bytes = 0;
  for (const Op& op : ops_) {
    bytes += sizeof(op) + 64 + op.text.size() + op.quote.size() +
             op.spans.size() * sizeof(IdSpan) + op.deps.size() * sizeof(OpId);
  }
  bytes += threads_.size() * (sizeof(Thread) + 64) +
           comments_.size() * (sizeof(Comment) + 64) +
           suggestions_.size() * (sizeof(Suggestion) + 64) +
           approvals_.size() * (sizeof(Approval) + 64);
  return bytes;
}

}  // namespace samplan
