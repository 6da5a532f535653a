// Replica: review operations (validation, local review edits, accepting
// suggestions) and the review questions that need the plan (anchors,
// staleness, outdated approvals). Bookkeeping is in review.cc.
#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "crdt/replica.h"
#include "crdt/utf8.h"

namespace samplan {
namespace {

Status UnknownNode(OpId node) {
  return Status::NotFound("unknown node " + node.ToString());
}

bool IsBuiltIn(OpId node) { return node == kRootNode || node == kTrashNode; }

FieldValue MentionList(const std::vector<std::string>& mentions) {
  return mentions.empty() ? FieldValue::Null()
                          : FieldValue::StringList(mentions);
}

// The first `max_bytes` bytes of `s`, cut at a code point boundary.
std::string CutUtf8(std::string s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) {
    --end;
  }
  s.resize(end);
  return s;
}

std::string Quoted(const std::string& s) {
  return "'" + CutUtf8(s, 120) + (s.size() > 120 ? "...'" : "'");
}

}  // namespace

// ------------------------------------------------------------ validation --

Status Replica::ValidateReview(const Op& op) const {
  auto node_kind = [&](OpId node, const std::string** kind) -> Status {
    if (!tree_.Exists(node)) return UnknownNode(node);
    *kind = &tree_.KindOf(node);
    return Status::OK();
  };
  auto text_has = [&](OpId node, const std::string& field, OpId id,
                      const char* what) -> Status {
    if (id.IsNull()) return Status::OK();
    const TextSequence* text = TextOf(node, field);
    if (text == nullptr || !text->Contains(id)) {
      return Status::NotFound(std::string(what) + " " + id.ToString() +
                              " is not in text '" + field + "' of " +
                              node.ToString());
    }
    return Status::OK();
  };
  auto cell_ok = [&](OpId node, const std::string& table, OpId row,
                     OpId column) -> Status {
    const Table* t = TableOf(node, table);
    static const Table kEmpty;
    return (t == nullptr ? &kEmpty : t)->ValidateCell(row, column);
  };
  auto thread = [&](OpId id) -> Status {
    return review_.FindThread(id) == nullptr
               ? Status::NotFound("unknown thread " + id.ToString())
               : Status::OK();
  };
  auto not_built_in = [&](OpId node) -> Status {
    return IsBuiltIn(node) ? Status::InvalidArgument(
                                 "the plan root and the trash cannot be "
                                 "moved or deleted")
                           : Status::OK();
  };
  const std::string* kind = nullptr;
  switch (op.kind) {
    case OpKind::kAddComment: {
      if (!op.parent.IsNull()) return thread(op.parent);
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      if (op.node == kTrashNode) {
        return Status::InvalidArgument("the trash cannot be commented on");
      }
      if (op.name.empty()) return Status::OK();
      const KindSchema* ks = schema_.Find(*kind);
      if (ks == nullptr) return Status::InvalidArgument("unknown node kind");
      if (!op.left.IsNull()) {
        SAMPLAN_RETURN_IF_ERROR(schema_.CheckText(*kind, op.name));
        SAMPLAN_RETURN_IF_ERROR(
            text_has(op.node, op.name, op.left, "first character"));
        return text_has(op.node, op.name, op.right, "last character");
      }
      if (!op.target.IsNull() || !op.column.IsNull()) {
        SAMPLAN_RETURN_IF_ERROR(schema_.CheckTable(*kind, op.name));
        return cell_ok(op.node, op.name, op.target, op.column);
      }
      if (ks->fields.count(op.name) || ks->texts.count(op.name) ||
          ks->tables.count(op.name)) {
        return Status::OK();
      }
      return Status::InvalidArgument("node kind '" + *kind +
                                     "' has no field '" + op.name + "'");
    }
    case OpKind::kEditComment:
    case OpKind::kDeleteComment: {
      const Comment* c = review_.FindComment(op.target);
      if (c == nullptr) {
        return Status::NotFound("unknown comment " + op.target.ToString());
      }
      if (c->author.user != op.author.user) {
        return Status::InvalidArgument(
            "only its author (" + c->author.user + ") may change comment " +
            op.target.ToString());
      }
      return Status::OK();
    }
    case OpKind::kSetThread:
      SAMPLAN_RETURN_IF_ERROR(thread(op.target));
      return CheckSupersedes(op);
    case OpKind::kMarkRead:
      return thread(op.target);
    case OpKind::kSuggestText:
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      SAMPLAN_RETURN_IF_ERROR(schema_.CheckText(*kind, op.name));
      SAMPLAN_RETURN_IF_ERROR(
          text_has(op.node, op.name, op.left, "first character"));
      SAMPLAN_RETURN_IF_ERROR(
          text_has(op.node, op.name, op.right, "last character"));
      return text_has(op.node, op.name, op.target, "insertion point");
    case OpKind::kSuggestField:
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      SAMPLAN_RETURN_IF_ERROR(schema_.CheckField(*kind, op.name, op.value));
      return CheckSupersedes(op);
    case OpKind::kSuggestCell:
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      SAMPLAN_RETURN_IF_ERROR(schema_.CheckTable(*kind, op.name));
      SAMPLAN_RETURN_IF_ERROR(cell_ok(op.node, op.name, op.target, op.column));
      return CheckSupersedes(op);
    case OpKind::kSuggestNode: {
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.parent, &kind));
      SAMPLAN_RETURN_IF_ERROR(schema_.CheckChild(*kind, op.name));
      if (!op.left.IsNull() && !tree_.Exists(op.left)) {
        return UnknownNode(op.left);
      }
      return Status::OK();
    }
    case OpKind::kSuggestMove: {
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      SAMPLAN_RETURN_IF_ERROR(not_built_in(op.node));
      const std::string* parent_kind = nullptr;
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.parent, &parent_kind));
      SAMPLAN_RETURN_IF_ERROR(schema_.CheckChild(*parent_kind, *kind));
      for (OpId id : {op.left, op.target}) {
        if (!id.IsNull() && !tree_.Exists(id)) return UnknownNode(id);
      }
      return Status::OK();
    }
    case OpKind::kSuggestDelete:
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      SAMPLAN_RETURN_IF_ERROR(not_built_in(op.node));
      return tree_.Exists(op.target) ? Status::OK() : UnknownNode(op.target);
    case OpKind::kAcceptSuggestion:
    case OpKind::kRejectSuggestion:
      return review_.FindSuggestion(op.target) == nullptr
                 ? Status::NotFound("unknown suggestion " +
                                    op.target.ToString())
                 : Status::OK();
    case OpKind::kApprove:
    case OpKind::kRevokeApproval:
      return node_kind(op.node, &kind);
    default:
      return Status::InvalidArgument("not a review operation");
  }
}

// ------------------------------------------------------------ bookkeeping --

void Replica::NoteNodeEdit(OpId node, OpId last_unit) {
  auto& edits = node_edits_[node];
  auto it = std::lower_bound(
      edits.begin(), edits.end(), last_unit.replica,
      [](const std::pair<ReplicaId, uint64_t>& e, ReplicaId r) {
        return e.first < r;
      });
  if (it != edits.end() && it->first == last_unit.replica) {
    it->second = std::max(it->second, last_unit.counter);
  } else {
    edits.insert(it, {last_unit.replica, last_unit.counter});
  }
}

size_t Replica::IndexAfter(OpId parent, OpId left, OpId moving) const {
  std::vector<OpId> children = tree_.Children(parent);
  children.erase(std::remove(children.begin(), children.end(), moving),
                 children.end());
  if (left.IsNull()) return 0;
  auto it = std::find(children.begin(), children.end(), left);
  if (it == children.end()) return children.size();
  return static_cast<size_t>(it - children.begin()) + 1;
}

bool Replica::VisibleRange(OpId node, const std::string& field, OpId first,
                           OpId last, size_t* from, size_t* to) const {
  const TextSequence* text = TextOf(node, field);
  if (text == nullptr) return false;
  Result<TextSequence::Location> a = text->Locate(first);
  Result<TextSequence::Location> b = text->Locate(last);
  if (!a.ok() || !b.ok()) return false;
  *from = a->position;
  *to = b->position + (b->deleted ? 0 : 1);
  return true;
}

Result<OpId> Replica::CommitReview(Op op) {
  const OpId id = op.id;
  SAMPLAN_RETURN_IF_ERROR(LocalCommit(std::move(op)));
  return id;
}

// --------------------------------------------------------- local review --

Result<OpId> Replica::AddThread(const ThreadAnchorSpec& anchor,
                                std::string_view body,
                                const std::vector<std::string>& mentions) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(anchor.node));
  Op op = NewLocalOp(OpKind::kAddComment);
  op.node = anchor.node;
  op.name = anchor.field;
  op.text = std::string(body);
  op.value = MentionList(mentions);
  if (!anchor.field.empty() && anchor.to > anchor.from) {
    SAMPLAN_RETURN_IF_ERROR(
        schema_.CheckText(tree_.KindOf(anchor.node), anchor.field));
    const TextSequence* text = TextOf(anchor.node, anchor.field);
    if (text == nullptr || anchor.to > text->size()) {
      return Status::OutOfRange("range " + std::to_string(anchor.from) + ".." +
                                std::to_string(anchor.to) +
                                " is past the end of '" + anchor.field + "'");
    }
    op.left = *text->IdAt(anchor.from);
    op.right = *text->IdAt(anchor.to - 1);
    const std::u32string content = text->Content();
    op.quote = CutUtf8(
        utf8::Encode(std::u32string_view(content).substr(
            anchor.from, anchor.to - anchor.from)),
        kMaxQuoteBytes);
  } else if (!anchor.row.IsNull() || !anchor.column.IsNull()) {
    op.target = anchor.row;
    op.column = anchor.column;
  }
  return CommitReview(std::move(op));
}

Result<OpId> Replica::Reply(OpId thread, std::string_view body,
                            const std::vector<std::string>& mentions) {
  Op op = NewLocalOp(OpKind::kAddComment);
  op.parent = thread;
  op.text = std::string(body);
  op.value = MentionList(mentions);
  return CommitReview(std::move(op));
}

Status Replica::EditComment(OpId comment, std::string_view body,
                            const std::vector<std::string>& mentions) {
  const Comment* c = review_.FindComment(comment);
  if (c != nullptr && c->deleted) {
    return Status::FailedPrecondition("comment " + comment.ToString() +
                                      " is deleted");
  }
  Op op = NewLocalOp(OpKind::kEditComment);
  op.target = comment;
  op.text = std::string(body);
  op.value = MentionList(mentions);
  return LocalCommit(std::move(op));
}

Status Replica::DeleteComment(OpId comment) {
  const Comment* c = review_.FindComment(comment);
  if (c != nullptr && c->deleted) return Status::OK();
  Op op = NewLocalOp(OpKind::kDeleteComment);
  op.target = comment;
  return LocalCommit(std::move(op));
}

Status Replica::SetThread(OpId thread, std::string_view attribute,
                          const FieldValue& value) {
  const Thread* t = review_.FindThread(thread);
  Op op = NewLocalOp(OpKind::kSetThread);
  op.target = thread;
  op.name = std::string(attribute);
  op.value = value;
  if (t != nullptr) {
    const MultiValueRegister& reg = attribute == "resolved" ? t->resolved
                                    : attribute == "assignee"
                                        ? t->assignee
                                        : t->due;
    op.supersedes = reg.CurrentIds();
  }
  return LocalCommit(std::move(op));
}

Status Replica::MarkRead(OpId thread) {
  Op op = NewLocalOp(OpKind::kMarkRead);
  op.target = thread;
  return LocalCommit(std::move(op));
}

Result<OpId> Replica::SuggestText(OpId node, std::string_view field,
                                  size_t pos, size_t length,
                                  std::string_view text) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  SAMPLAN_RETURN_IF_ERROR(schema_.CheckText(tree_.KindOf(node), field));
  const TextSequence* seq = TextOf(node, field);
  const size_t size = seq == nullptr ? 0 : seq->size();
  if (pos > size || length > size - pos) {
    return Status::OutOfRange("range " + std::to_string(pos) + "+" +
                              std::to_string(length) +
                              " passes the end of '" + std::string(field) +
                              "' (length " + std::to_string(size) + ")");
  }
  if (length == 0 && text.empty()) {
    return Status::InvalidArgument("the suggestion changes nothing");
  }
  Op op = NewLocalOp(OpKind::kSuggestText);
  op.node = node;
  op.name = std::string(field);
  op.text = std::string(text);
  if (length > 0) {
    op.left = *seq->IdAt(pos);
    op.right = *seq->IdAt(pos + length - 1);
    const std::u32string content = seq->Content();
    op.quote = CutUtf8(
        utf8::Encode(std::u32string_view(content).substr(pos, length)),
        kMaxQuoteBytes);
  } else if (pos > 0) {
    op.target = *seq->IdAt(pos - 1);
  }
  return CommitReview(std::move(op));
}

Result<OpId> Replica::SuggestField(OpId node, std::string_view field,
                                   const FieldValue& value) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  Op op = NewLocalOp(OpKind::kSuggestField);
  op.node = node;
  op.name = std::string(field);
  op.value = value;
  if (const MultiValueRegister* reg = FieldRegister(node, op.name)) {
    op.supersedes = reg->CurrentIds();
  }
  return CommitReview(std::move(op));
}

Result<OpId> Replica::SuggestCell(OpId node, std::string_view table, OpId row,
                                  OpId column, const FieldValue& value) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  Op op = NewLocalOp(OpKind::kSuggestCell);
  op.node = node;
  op.name = std::string(table);
  op.target = row;
  op.column = column;
  op.value = value;
  if (const MultiValueRegister* cell = CellRegister(node, table, row, column)) {
    op.supersedes = cell->CurrentIds();
  }
  return CommitReview(std::move(op));
}

Result<OpId> Replica::SuggestNode(OpId parent, size_t index,
                                  std::string_view kind,
                                  std::string_view title) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(parent));
  const std::vector<OpId> children = tree_.Children(parent);
  if (index > children.size()) {
    return Status::OutOfRange("index " + std::to_string(index) +
                              " is past the children of " +
                              parent.ToString());
  }
  Op op = NewLocalOp(OpKind::kSuggestNode);
  op.parent = parent;
  op.name = std::string(kind);
  op.text = std::string(title);
  if (index > 0) op.left = children[index - 1];
  return CommitReview(std::move(op));
}

Result<OpId> Replica::SuggestMove(OpId node, OpId new_parent, size_t index) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(new_parent));
  if (tree_.IsAncestor(node, new_parent)) {
    return Status::InvalidArgument("moving node " + node.ToString() +
                                   " under " + new_parent.ToString() +
                                   " would create a cycle");
  }
  std::vector<OpId> children = tree_.Children(new_parent);
  children.erase(std::remove(children.begin(), children.end(), node),
                 children.end());
  if (index > children.size()) {
    return Status::OutOfRange("index " + std::to_string(index) +
                              " is past the children of " +
                              new_parent.ToString());
  }
  Op op = NewLocalOp(OpKind::kSuggestMove);
  op.node = node;
  op.parent = new_parent;
  op.target = tree_.ParentOf(node);
  if (index > 0) op.left = children[index - 1];
  return CommitReview(std::move(op));
}

Result<OpId> Replica::SuggestDelete(OpId node) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  Op op = NewLocalOp(OpKind::kSuggestDelete);
  op.node = node;
  op.target = tree_.ParentOf(node);
  return CommitReview(std::move(op));
}

Status Replica::AcceptSuggestion(OpId suggestion, bool accept_stale) {
  const Suggestion* s = review_.FindSuggestion(suggestion);
  if (s == nullptr) {
    return Status::NotFound("unknown suggestion " + suggestion.ToString());
  }
  if (s->status != SuggestionStatus::kOpen) {
    return Status::FailedPrecondition(
        "suggestion " + suggestion.ToString() + " is already " +
        (s->status == SuggestionStatus::kAccepted ? "accepted" : "rejected"));
  }
  const SuggestionCheck check = CheckSuggestion(*s);
  if (check.stale && !accept_stale) {
    return Status::FailedPrecondition("suggestion " + suggestion.ToString() +
                                      " is stale: " + check.change +
                                      "; accept it explicitly as stale");
  }
  const Op sug = s->op;  // copy: the edits below may rehash review state
  const uint64_t first = version_.Get(id_) + 1;
  switch (sug.kind) {
    case OpKind::kSuggestText: {
      size_t at = 0;
      if (!sug.left.IsNull()) {
        size_t from = 0, to = 0;
        if (!VisibleRange(sug.node, sug.name, sug.left, sug.right, &from,
                          &to)) {
          return Status::FailedPrecondition("the suggested range is gone");
        }
        at = from;
        if (to > from) {
          SAMPLAN_RETURN_IF_ERROR(
              DeleteText(sug.node, sug.name, from, to - from));
        }
      } else if (!sug.target.IsNull()) {
        const TextSequence* text = TextOf(sug.node, sug.name);
        Result<TextSequence::Location> loc = text->Locate(sug.target);
        if (!loc.ok()) return loc.status();
        at = loc->position + (loc->deleted ? 0 : 1);
      }
      if (!sug.text.empty()) {
        SAMPLAN_RETURN_IF_ERROR(InsertText(sug.node, sug.name, at, sug.text));
      }
      break;
    }
    case OpKind::kSuggestField:
      SAMPLAN_RETURN_IF_ERROR(SetField(sug.node, sug.name, sug.value));
      break;
    case OpKind::kSuggestCell:
      SAMPLAN_RETURN_IF_ERROR(
          SetCell(sug.node, sug.name, sug.target, sug.column, sug.value));
      break;
    case OpKind::kSuggestNode: {
      const size_t index = IndexAfter(sug.parent, sug.left, kNullId);
      Result<OpId> created = CreateNode(sug.parent, index, sug.name);
      if (!created.ok()) return created.status();
      const KindSchema* ks = schema_.Find(sug.name);
      if (!sug.text.empty() && ks != nullptr && ks->texts.count("title")) {
        SAMPLAN_RETURN_IF_ERROR(InsertText(*created, "title", 0, sug.text));
      }
      break;
    }
    case OpKind::kSuggestMove:
      SAMPLAN_RETURN_IF_ERROR(MoveNode(sug.node, sug.parent,
                                       IndexAfter(sug.parent, sug.left,
                                                  sug.node)));
      break;
    case OpKind::kSuggestDelete:
      SAMPLAN_RETURN_IF_ERROR(DeleteNode(sug.node));
      break;
    default:
      return Status::InvalidArgument("not a suggestion");
  }
  const uint64_t last = version_.Get(id_);
  if (last < first) {
    return Status::FailedPrecondition("suggestion " + suggestion.ToString() +
                                      " has nothing left to change");
  }
  Op op = NewLocalOp(OpKind::kAcceptSuggestion);
  op.target = suggestion;
  op.spans = {IdSpan{id_, first, last - first + 1, false}};
  op.value = FieldValue::Bool(check.stale);
  return LocalCommit(std::move(op));
}

Status Replica::RejectSuggestion(OpId suggestion, std::string_view reason) {
  const Suggestion* s = review_.FindSuggestion(suggestion);
  if (s != nullptr && s->status == SuggestionStatus::kAccepted) {
    return Status::FailedPrecondition("suggestion " + suggestion.ToString() +
                                      " is already accepted");
  }
  Op op = NewLocalOp(OpKind::kRejectSuggestion);
  op.target = suggestion;
  op.text = std::string(reason);
  return LocalCommit(std::move(op));
}

Status Replica::Approve(OpId node, std::string_view municipality) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  Op op = NewLocalOp(OpKind::kApprove);
  op.node = node;
  op.name = std::string(municipality);
  for (const auto& [r, n] : version_.entries()) {
    op.spans.push_back(IdSpan{r, 1, n, false});
  }
  return LocalCommit(std::move(op));
}

Status Replica::RevokeApproval(OpId node, std::string_view municipality) {
  Op op = NewLocalOp(OpKind::kRevokeApproval);
  op.node = node;
  op.name = std::string(municipality);
  return LocalCommit(std::move(op));
}

// ----------------------------------------------------------------- views --

Replica::ThreadPlace Replica::LocateThread(const Thread& thread) const {
  ThreadPlace place;
  if (!tree_.Exists(thread.node)) return place;
  place.node_deleted = tree_.IsDeleted(thread.node);
  if (thread.anchor == AnchorKind::kText) {
    size_t from = 0, to = 0;
    if (!VisibleRange(thread.node, thread.field, thread.first, thread.last,
                      &from, &to)) {
      place.orphaned = true;
      return place;
    }
    // Orphaned once no character from the comment's time is visible in the
    // range: characters typed into it later have a higher Lamport than the
    // comment and do not keep it alive.
    const uint64_t made = review_.FindComment(thread.id) != nullptr
                              ? review_.FindComment(thread.id)->lamport
                              : 0;
    const TextSequence* text = TextOf(thread.node, thread.field);
    bool alive = false;
    for (size_t pos = from; pos < to && !alive; ++pos) {
      Result<OpId> id = text->IdAt(pos);
      alive = id.ok() && LamportOf(*id) < made;
    }
    if (!alive) {
      place.orphaned = true;
      return place;
    }
    place.from = from;
    place.to = to;
  } else if (thread.anchor == AnchorKind::kCell) {
    const Table* t = TableOf(thread.node, thread.field);
    auto visible = [&](TableAxis axis, OpId line) {
      if (line.IsNull()) return true;
      const std::vector<OpId> lines = t->VisibleLines(axis);
      return std::find(lines.begin(), lines.end(), line) != lines.end();
    };
    place.orphaned = t == nullptr || !visible(TableAxis::kRow, thread.row) ||
                     !visible(TableAxis::kColumn, thread.column);
  }
  return place;
}

Replica::SuggestionCheck Replica::CheckSuggestion(
    const Suggestion& suggestion) const {
  SuggestionCheck check;
  const Op& op = suggestion.op;
  auto stale = [&](std::string change) {
    check.stale = true;
    check.change = std::move(change);
    return check;
  };
  const OpId node = op.kind == OpKind::kSuggestNode ? op.parent : op.node;
  if (!tree_.Exists(node) || tree_.IsDeleted(node)) {
    return stale("node " + node.ToString() + " was deleted");
  }
  switch (op.kind) {
    case OpKind::kSuggestText: {
      const TextSequence* text = TextOf(op.node, op.name);
      const std::string now = text == nullptr ? "" : text->ToUtf8();
      check.now = FieldValue::String(CutUtf8(now, kMaxQuoteBytes));
      if (op.left.IsNull()) {
        if (!op.target.IsNull()) {
          Result<TextSequence::Location> loc = text->Locate(op.target);
          if (loc.ok() && loc->deleted) {
            return stale("the text around the insertion point was deleted");
          }
        }
        return check;
      }
      size_t from = 0, to = 0;
      std::string current;
      if (VisibleRange(op.node, op.name, op.left, op.right, &from, &to) &&
          to > from) {
        const std::u32string content = text->Content();
        current = utf8::Encode(
            std::u32string_view(content).substr(from, to - from));
      }
      if (CutUtf8(current, kMaxQuoteBytes) != op.quote) {
        check.now = FieldValue::String(CutUtf8(current, kMaxQuoteBytes));
        return stale("the text " + Quoted(op.quote) + " is now " +
                     Quoted(current));
      }
      return check;
    }
    case OpKind::kSuggestField:
    case OpKind::kSuggestCell: {
      const MultiValueRegister* reg =
          op.kind == OpKind::kSuggestField
              ? FieldRegister(op.node, op.name)
              : CellRegister(op.node, op.name, op.target, op.column);
      std::vector<OpId> current = reg ? reg->CurrentIds() : std::vector<OpId>{};
      std::vector<OpId> base = op.supersedes;
      std::sort(current.begin(), current.end());
      std::sort(base.begin(), base.end());
      if (reg != nullptr && !reg->empty()) check.now = reg->winner().value;
      if (current != base) {
        const std::string who =
            reg != nullptr && !reg->empty() ? reg->winner().author.user : "";
        return stale(std::string(op.kind == OpKind::kSuggestField ? "field '"
                                                                  : "cell of '") +
                     op.name + "' was changed" +
                     (who.empty() ? "" : " by " + who) + " to " +
                     check.now.DebugString());
      }
      return check;
    }
    case OpKind::kSuggestNode:
      return check;
    case OpKind::kSuggestMove:
    case OpKind::kSuggestDelete: {
      const OpId parent = tree_.ParentOf(op.node);
      if (parent != op.target) {
        return stale("node " + op.node.ToString() + " was moved from " +
                     op.target.ToString() + " to " + parent.ToString());
      }
      if (op.kind == OpKind::kSuggestMove &&
          (!tree_.Exists(op.parent) || tree_.IsDeleted(op.parent))) {
        return stale("the new parent " + op.parent.ToString() +
                     " was deleted");
      }
      if (op.kind == OpKind::kSuggestMove &&
          tree_.IsAncestor(op.node, op.parent)) {
        return stale("the new parent is now inside the node");
      }
      return check;
    }
    default:
      return check;
  }
}

bool Replica::ApprovalOutdated(const Approval& approval, OpId* edit) const {
  if (approval.revoked || !tree_.Exists(approval.node)) return false;
  auto seen = [&](OpId id) {
    auto it = std::lower_bound(
        approval.seen.begin(), approval.seen.end(), id.replica,
        [](const IdSpan& s, ReplicaId r) { return s.replica < r; });
    return it != approval.seen.end() && it->replica == id.replica &&
           id.counter <= it->length;
  };
  // The subtree as it is now.
  std::unordered_set<OpId, OpIdHash> subtree;
  std::vector<OpId> stack{approval.node};
  size_t budget = tree_.node_count();
  while (!stack.empty() && budget-- > 0) {
    const OpId n = stack.back();
    stack.pop_back();
    subtree.insert(n);
    for (OpId c : tree_.Children(n)) stack.push_back(c);
  }
  auto found = [&](OpId id) {
    if (edit != nullptr) *edit = id;
    return true;
  };
  for (OpId n : subtree) {
    auto it = node_edits_.find(n);
    if (it == node_edits_.end()) continue;
    for (const auto& [r, counter] : it->second) {
      if (!seen(OpId{r, counter})) return found(OpId{r, counter});
    }
  }
  // Tree ops: a create, move or delete touches the node, its new parent and
  // the parent it left (the previous entry for that node in Lamport order).
  std::unordered_map<OpId, OpId, OpIdHash> last_parent;
  for (const TreeMove& m : tree_.log()) {
    auto prev = last_parent.find(m.node);
    const OpId left_from = prev == last_parent.end() ? kNullId : prev->second;
    last_parent[m.node] = m.parent;
    if (seen(m.id)) continue;
    if (subtree.count(m.node) || subtree.count(m.parent) ||
        (!left_from.IsNull() && subtree.count(left_from))) {
      return found(m.id);
    }
  }
  return false;
}

}  // namespace samplan
