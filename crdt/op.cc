#include "crdt/op.h"

#include <algorithm>

#include "crdt/utf8.h"

namespace samplan {
namespace {

constexpr char kOpsMagic[] = "SPO";
constexpr uint8_t kOpsFormatVersion = 1;

struct KindInfo {
  OpKind kind;
  const char* name;
};
constexpr KindInfo kKinds[] = {
    {OpKind::kCreateNode, "create_node"},
    {OpKind::kMoveNode, "move_node"},
    {OpKind::kDeleteNode, "delete_node"},
    {OpKind::kSetField, "set_field"},
    {OpKind::kInsertText, "insert_text"},
    {OpKind::kDeleteText, "delete_text"},
    {OpKind::kInsertTableLine, "insert_table_line"},
    {OpKind::kDeleteTableLine, "delete_table_line"},
    {OpKind::kSetCell, "set_cell"},
    {OpKind::kAddComment, "add_comment"},
    {OpKind::kEditComment, "edit_comment"},
    {OpKind::kDeleteComment, "delete_comment"},
    {OpKind::kSetThread, "set_thread"},
    {OpKind::kMarkRead, "mark_read"},
    {OpKind::kSuggestText, "suggest_text"},
    {OpKind::kSuggestField, "suggest_field"},
    {OpKind::kSuggestCell, "suggest_cell"},
    {OpKind::kSuggestNode, "suggest_node"},
    {OpKind::kSuggestMove, "suggest_move"},
    {OpKind::kSuggestDelete, "suggest_delete"},
    {OpKind::kAcceptSuggestion, "accept_suggestion"},
    {OpKind::kRejectSuggestion, "reject_suggestion"},
    {OpKind::kApprove, "approve"},
    {OpKind::kRevokeApproval, "revoke_approval"},
};

// Content kinds encode the fields they use; review kinds (few, small) encode
// every body field, so their layout needs no per-kind table.
bool UsesNode(OpKind k) { return k != OpKind::kCreateNode && !IsReviewKind(k); }

bool UsesParent(OpKind k) {
  return k == OpKind::kCreateNode || k == OpKind::kMoveNode;
}
bool UsesOrigins(OpKind k) {
  return k == OpKind::kCreateNode || k == OpKind::kMoveNode ||
         k == OpKind::kInsertText || k == OpKind::kInsertTableLine;
}
bool UsesName(OpKind k) {
  return k != OpKind::kMoveNode && k != OpKind::kDeleteNode &&
         !IsReviewKind(k);
}
bool UsesValue(OpKind k) {
  return k == OpKind::kSetField || k == OpKind::kSetCell;
}
bool UsesAxis(OpKind k) {
  return k == OpKind::kInsertTableLine || k == OpKind::kDeleteTableLine;
}
bool UsesTarget(OpKind k) {
  return k == OpKind::kDeleteTableLine || k == OpKind::kSetCell;
}

void PutId(Writer* w, OpId id) {
  w->Varint(id.replica);
  w->Varint(id.counter);
}

Status GetId(Reader* r, OpId* id, const char* what) {
  SAMPLAN_RETURN_IF_ERROR(r->Varint(&id->replica, what));
  return r->Varint(&id->counter, what);
}

void PutIds(Writer* w, const std::vector<OpId>& ids) {
  w->Varint(ids.size());
  for (const OpId& id : ids) PutId(w, id);
}

Status GetIds(Reader* r, std::vector<OpId>* ids, const char* what) {
  uint64_t n;
  SAMPLAN_RETURN_IF_ERROR(r->Count(&n, 2, what));
  ids->resize(n);
  for (auto& id : *ids) SAMPLAN_RETURN_IF_ERROR(GetId(r, &id, what));
  return Status::OK();
}

Status GetString(Reader* r, std::string* s, const char* what) {
  std::string_view v;
  SAMPLAN_RETURN_IF_ERROR(r->Bytes(&v, what));
  s->assign(v.data(), v.size());
  return Status::OK();
}

}  // namespace

const char* OpKindName(OpKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

bool ParseOpKind(std::string_view name, OpKind* kind) {
  for (const auto& k : kKinds) {
    if (name == k.name) {
      *kind = k.kind;
      return true;
    }
  }
  return false;
}

uint64_t Op::Length() const {
  switch (kind) {
    case OpKind::kInsertText:
      return utf8::CountCodePoints(text);
    case OpKind::kDeleteText: {
      uint64_t n = 0;
      for (const IdSpan& s : spans) n += s.length;
      return n;
    }
    default:
      return 1;
  }
}

namespace {

// Keeps units [from, to) of a DeleteText's spans, in consumption order.
std::vector<IdSpan> SliceSpans(const std::vector<IdSpan>& spans, uint64_t from,
                               uint64_t to) {
  std::vector<IdSpan> out;
  uint64_t pos = 0;
  for (const IdSpan& s : spans) {
    const uint64_t begin = std::max(from, pos);
    const uint64_t end = std::min(to, pos + s.length);
    if (begin < end) {
      const uint64_t skip = begin - pos;
      const uint64_t len = end - begin;
      IdSpan part = s;
      part.length = len;
      // Consumption order k maps to counter+k forwards, top-down backwards.
      part.counter = s.backward ? s.counter + s.length - skip - len
                                : s.counter + skip;
      out.push_back(part);
    }
    pos += s.length;
  }
  return out;
}

}  // namespace

Op SliceOpFrom(const Op& op, uint64_t from) {
  Op out = op;
  const OpId prev{op.id.replica, op.id.counter + from - 1};
  out.id.counter += from;
  out.lamport += from;
  out.deps = {prev};
  if (op.kind == OpKind::kInsertText) {
    out.left = prev;
    out.text = op.text.substr(utf8::ByteOffsetOf(op.text, from));
  } else if (op.kind == OpKind::kDeleteText) {
    out.spans = SliceSpans(op.spans, from, op.Length());
  }
  return out;
}

Op SliceOpTo(const Op& op, uint64_t to) {
  Op out = op;
  if (op.kind == OpKind::kInsertText) {
    out.text = op.text.substr(0, utf8::ByteOffsetOf(op.text, to));
  } else if (op.kind == OpKind::kDeleteText) {
    out.spans = SliceSpans(op.spans, 0, to);
  }
  return out;
}

namespace {

bool IsPartyName(const std::string& s) {
  std::string_view rest;
  if (s.starts_with("user:")) {
    rest = std::string_view(s).substr(5);
  } else if (s.starts_with("municipality:")) {
    rest = std::string_view(s).substr(13);
  } else {
    return false;
  }
  return !rest.empty() && s.size() <= kMaxPartyBytes &&
         utf8::Validate(rest).ok();
}

// Shape of a review op: which body fields it must and must not set, and the
// bounds on its texts. `bad` builds the error.
template <typename Bad>
Status CheckReviewShape(const Op& op, const Bad& bad) {
  if (op.text.size() > kMaxCommentBytes) {
    return bad("text longer than " + std::to_string(kMaxCommentBytes) +
               " bytes");
  }
  if (op.quote.size() > kMaxQuoteBytes) {
    return bad("quote longer than " + std::to_string(kMaxQuoteBytes) +
               " bytes");
  }
  if (op.name.size() > 256) return bad("name longer than 256 bytes");
  for (const std::string* s : {&op.name, &op.text, &op.quote}) {
    Status u = utf8::Validate(*s);
    if (!u.ok()) return bad(u.message());
  }
  {
    Status v = op.value.Validate();
    if (!v.ok()) return bad("value: " + v.message());
  }
  for (const OpId& id : op.supersedes) {
    if (id.replica == 0) return bad("superseded ids must be real");
  }
  auto mentions = [&]() -> Status {
    if (op.value.type == ValueType::kNull) return Status::OK();
    if (op.value.type != ValueType::kStringList) {
      return bad("mentions must be a string list");
    }
    if (op.value.list.size() > kMaxMentions) {
      return bad("more than " + std::to_string(kMaxMentions) + " mentions");
    }
    for (const std::string& m : op.value.list) {
      if (!IsPartyName(m)) {
        return bad("mention '" + m.substr(0, 64) +
                   "' is not user:<name> or municipality:<name>");
      }
    }
    return Status::OK();
  };
  // Fields a kind does not use must stay empty: an op means one thing.
  auto unused = [&](bool node, bool parent, bool left, bool right,
                    bool target, bool column, bool name, bool text,
                    bool quote, bool value, bool supersedes,
                    bool spans) -> Status {
    if (!node && !op.node.IsNull()) return bad("unexpected node");
    if (!parent && !op.parent.IsNull()) return bad("unexpected parent");
    if (!left && !op.left.IsNull()) return bad("unexpected left id");
    if (!right && !op.right.IsNull()) return bad("unexpected right id");
    if (!target && !op.target.IsNull()) return bad("unexpected target");
    if (!column && !op.column.IsNull()) return bad("unexpected column");
    if (!name && !op.name.empty()) return bad("unexpected name");
    if (!text && !op.text.empty()) return bad("unexpected text");
    if (!quote && !op.quote.empty()) return bad("unexpected quote");
    if (!value && op.value.type != ValueType::kNull) {
      return bad("unexpected value");
    }
    if (!supersedes && !op.supersedes.empty()) {
      return bad("unexpected superseded ids");
    }
    if (!spans && !op.spans.empty()) return bad("unexpected spans");
    return Status::OK();
  };
  auto need = [&](OpId id, const char* what) -> Status {
    return id.IsNull() ? bad(std::string(what) + " missing") : Status::OK();
  };
  switch (op.kind) {
    case OpKind::kAddComment:
      if (op.text.empty()) return bad("comment text is empty");
      SAMPLAN_RETURN_IF_ERROR(mentions());
      if (!op.parent.IsNull()) {  // a reply: the thread holds the anchor
        return unused(false, true, false, false, false, false, false, true,
                      false, true, false, false);
      }
      SAMPLAN_RETURN_IF_ERROR(need(op.node, "anchor node"));
      if (op.left.IsNull() != op.right.IsNull()) {
        return bad("a text range needs both its first and last character");
      }
      if (!op.left.IsNull() && (!op.target.IsNull() || !op.column.IsNull())) {
        return bad("an anchor is a text range or a cell, not both");
      }
      if ((!op.left.IsNull() || !op.target.IsNull() || !op.column.IsNull()) &&
          op.name.empty()) {
        return bad("a text range or cell anchor needs its field name");
      }
      if (op.left.IsNull() && !op.quote.empty()) {
        return bad("only a text range has a quote");
      }
      return unused(true, false, true, true, true, true, true, true, true,
                    true, false, false);
    case OpKind::kEditComment:
      SAMPLAN_RETURN_IF_ERROR(need(op.target, "comment"));
      if (op.text.empty()) return bad("comment text is empty");
      SAMPLAN_RETURN_IF_ERROR(mentions());
      return unused(false, false, false, false, true, false, false, true,
                    false, true, false, false);
    case OpKind::kDeleteComment:
    case OpKind::kMarkRead:
      SAMPLAN_RETURN_IF_ERROR(need(op.target, "target"));
      return unused(false, false, false, false, true, false, false, false,
                    false, false, false, false);
    case OpKind::kSetThread: {
      SAMPLAN_RETURN_IF_ERROR(need(op.target, "thread"));
      const ValueType t = op.value.type;
      if (op.name == "resolved") {
        if (t != ValueType::kBool) return bad("resolved must be a bool");
      } else if (op.name == "assignee") {
        if (t != ValueType::kNull &&
            (t != ValueType::kString || !IsPartyName(op.value.s))) {
          return bad("assignee must be null, user:<name> or "
                     "municipality:<name>");
        }
      } else if (op.name == "due") {
        if (t != ValueType::kNull && t != ValueType::kDate) {
          return bad("due must be null or a date");
        }
      } else {
        return bad("thread attribute must be resolved, assignee or due");
      }
      return unused(false, false, false, false, true, false, true, false,
                    false, true, true, false);
    }
    case OpKind::kSuggestText:
      SAMPLAN_RETURN_IF_ERROR(need(op.node, "node"));
      if (op.name.empty()) return bad("text field name missing");
      if (op.left.IsNull() != op.right.IsNull()) {
        return bad("a replaced range needs its first and last character");
      }
      if (op.left.IsNull()) {
        if (op.text.empty()) return bad("an insertion needs text");
        if (!op.quote.empty()) return bad("an insertion has no quote");
      } else if (!op.target.IsNull()) {
        return bad("a replaced range has no insertion point");
      }
      return unused(true, false, true, true, true, false, true, true, true,
                    false, false, false);
    case OpKind::kSuggestField:
      SAMPLAN_RETURN_IF_ERROR(need(op.node, "node"));
      if (op.name.empty()) return bad("field name missing");
      return unused(true, false, false, false, false, false, true, false,
                    false, true, true, false);
    case OpKind::kSuggestCell:
      SAMPLAN_RETURN_IF_ERROR(need(op.node, "node"));
      if (op.target.IsNull() && op.column.IsNull()) {
        return bad("a cell needs a row or a column");
      }
      if (op.name.empty()) return bad("table name missing");
      return unused(true, false, false, false, true, true, true, false, false,
                    true, true, false);
    case OpKind::kSuggestNode:
      SAMPLAN_RETURN_IF_ERROR(need(op.parent, "parent"));
      if (op.name.empty()) return bad("node kind missing");
      if (op.text.size() > kMaxTitleBytes) {
        return bad("title longer than " + std::to_string(kMaxTitleBytes) +
                   " bytes");
      }
      return unused(false, true, true, false, false, false, true, true, false,
                    false, false, false);
    case OpKind::kSuggestMove:
      SAMPLAN_RETURN_IF_ERROR(need(op.node, "node"));
      SAMPLAN_RETURN_IF_ERROR(need(op.parent, "parent"));
      SAMPLAN_RETURN_IF_ERROR(need(op.target, "former parent"));
      return unused(true, true, true, false, true, false, false, false, false,
                    false, false, false);
    case OpKind::kSuggestDelete:
      SAMPLAN_RETURN_IF_ERROR(need(op.node, "node"));
      SAMPLAN_RETURN_IF_ERROR(need(op.target, "former parent"));
      return unused(true, false, false, false, true, false, false, false,
                    false, false, false, false);
    case OpKind::kAcceptSuggestion:
      SAMPLAN_RETURN_IF_ERROR(need(op.target, "suggestion"));
      if (op.value.type != ValueType::kNull &&
          op.value.type != ValueType::kBool) {
        return bad("value must be a bool (stale accepted)");
      }
      if (op.spans.empty()) return bad("no operations applied it");
      for (const IdSpan& sp : op.spans) {
        if (sp.replica != op.id.replica || sp.length == 0 ||
            sp.counter == 0 || sp.backward ||
            sp.counter + sp.length > op.id.counter) {
          return bad("the operations that applied it must be this "
                     "replica's, before this one");
        }
      }
      return unused(false, false, false, false, true, false, false, false,
                    false, true, false, true);
    case OpKind::kRejectSuggestion:
      SAMPLAN_RETURN_IF_ERROR(need(op.target, "suggestion"));
      return unused(false, false, false, false, true, false, false, true,
                    false, false, false, false);
    case OpKind::kApprove:
    case OpKind::kRevokeApproval: {
      SAMPLAN_RETURN_IF_ERROR(need(op.node, "node"));
      if (op.name.empty()) return bad("municipality missing");
      ReplicaId prev = 0;
      for (const IdSpan& sp : op.spans) {
        if (op.kind == OpKind::kRevokeApproval) break;
        if (sp.replica <= prev || sp.counter != 1 || sp.length == 0 ||
            sp.length > (uint64_t{1} << 40) || sp.backward) {
          return bad("the version approved must list each replica once, "
                     "in order, as {replica, 1, count}");
        }
        prev = sp.replica;
      }
      return unused(true, false, false, false, false, false, true, false,
                    false, false, false, op.kind == OpKind::kApprove);
    }
    default:
      return bad("not a review operation");
  }
}

}  // namespace

Status CheckOpShape(const Op& op) {
  // Built only on failure: this runs for every op received.
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument(std::string(OpKindName(op.kind)) + " " +
                                   op.id.ToString() + ": " + what);
  };
  if (op.id.replica == 0 || op.id.counter == 0) {
    return bad("operation id must have a non-zero replica and counter");
  }
  if (op.lamport == 0) return bad("lamport timestamp must be at least 1");
  if (op.lamport > (uint64_t{1} << 62) || op.id.counter > (uint64_t{1} << 62)) {
    return bad("counter or lamport timestamp out of range");
  }
  for (const OpId& d : op.deps) {
    if (d.IsNull() || d.replica == 0) return bad("dependency ids must be real");
    if (d.replica == op.id.replica && d.counter >= op.id.counter) {
      return bad("depends on its own future operation " + d.ToString());
    }
  }
  if (IsReviewKind(op.kind)) {
    if (!utf8::Validate(op.author.user).ok() ||
        !utf8::Validate(op.author.municipality).ok()) {
      return bad("author names must be valid UTF-8");
    }
    return CheckReviewShape(op, bad);
  }
  if (UsesName(op.kind)) {
    if (op.name.empty()) return bad("name must not be empty");
    if (op.name.size() > 256) return bad("name longer than 256 bytes");
    Status s = utf8::Validate(op.name);
    if (!s.ok()) return bad("name: " + s.message());
  }
  if (!utf8::Validate(op.author.user).ok() ||
      !utf8::Validate(op.author.municipality).ok()) {
    return bad("author names must be valid UTF-8");
  }
  if (UsesNode(op.kind) && op.node.IsNull()) return bad("node id missing");
  switch (op.kind) {
    case OpKind::kCreateNode:
    case OpKind::kMoveNode:
      if (op.parent.IsNull()) return bad("parent id missing");
      break;
    case OpKind::kInsertText: {
      if (op.text.empty()) return bad("text to insert is empty");
      Status s = utf8::Validate(op.text);
      if (!s.ok()) return bad("text: " + s.message());
      break;
    }
    case OpKind::kDeleteText:
      if (op.spans.empty()) return bad("no characters to delete");
      for (const IdSpan& s : op.spans) {
        if (s.length == 0 || s.replica == 0 || s.counter == 0 ||
            s.length > (uint64_t{1} << 40)) {
          return bad("delete span must name at least one real character");
        }
      }
      break;
    case OpKind::kDeleteTableLine:
      if (op.target.IsNull()) return bad("table line id missing");
      break;
    case OpKind::kSetCell:
      if (op.target.IsNull() && op.column.IsNull()) {
        return bad("a cell needs a row or a column");
      }
      break;
    default:
      break;
  }
  if (UsesAxis(op.kind) && op.axis != TableAxis::kRow &&
      op.axis != TableAxis::kColumn) {
    return bad("table axis must be row or column");
  }
  if (UsesValue(op.kind)) {
    Status s = op.value.Validate();
    if (!s.ok()) return bad("value: " + s.message());
    for (const OpId& id : op.supersedes) {
      if (id.replica == 0) return bad("superseded ids must be real");
    }
  }
  return Status::OK();
}

void EncodeOpTo(const Op& op, Writer* w) {
  w->U8(static_cast<uint8_t>(op.kind));
  PutId(w, op.id);
  w->Varint(op.lamport);
  PutIds(w, op.deps);
  w->Bytes(op.author.user);
  w->Bytes(op.author.municipality);
  w->SignedVarint(op.author.wall_time_ms);
  if (UsesNode(op.kind)) PutId(w, op.node);
  if (UsesParent(op.kind)) PutId(w, op.parent);
  if (UsesOrigins(op.kind)) {
    PutId(w, op.left);
    PutId(w, op.right);
  }
  if (UsesName(op.kind)) w->Bytes(op.name);
  if (UsesAxis(op.kind)) w->U8(static_cast<uint8_t>(op.axis));
  if (UsesTarget(op.kind)) PutId(w, op.target);
  if (op.kind == OpKind::kSetCell) PutId(w, op.column);
  if (UsesValue(op.kind)) {
    op.value.EncodeTo(w);
    PutIds(w, op.supersedes);
  }
  if (op.kind == OpKind::kInsertText) w->Bytes(op.text);
  if (IsReviewKind(op.kind)) {
    PutId(w, op.node);
    PutId(w, op.parent);
    PutId(w, op.left);
    PutId(w, op.right);
    PutId(w, op.target);
    PutId(w, op.column);
    w->Bytes(op.name);
    w->Bytes(op.text);
    w->Bytes(op.quote);
    op.value.EncodeTo(w);
    PutIds(w, op.supersedes);
  }
  if (op.kind == OpKind::kDeleteText || IsReviewKind(op.kind)) {
    w->Varint(op.spans.size());
    for (const IdSpan& s : op.spans) {
      w->Varint(s.replica);
      w->Varint(s.counter);
      w->Varint((s.length << 1) | (s.backward ? 1 : 0));
    }
  }
}

Status DecodeOpFrom(Reader* r, Op* out) {
  Op op;
  uint8_t kind;
  SAMPLAN_RETURN_IF_ERROR(r->U8(&kind, "operation kind"));
  if (kind < 1 || kind > kMaxOpKind) {
    return Status::Corruption("unknown operation kind " +
                              std::to_string(kind));
  }
  op.kind = static_cast<OpKind>(kind);
  SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.id, "operation id"));
  SAMPLAN_RETURN_IF_ERROR(r->Varint(&op.lamport, "lamport"));
  SAMPLAN_RETURN_IF_ERROR(GetIds(r, &op.deps, "dependencies"));
  SAMPLAN_RETURN_IF_ERROR(GetString(r, &op.author.user, "author user"));
  SAMPLAN_RETURN_IF_ERROR(
      GetString(r, &op.author.municipality, "author municipality"));
  SAMPLAN_RETURN_IF_ERROR(r->SignedVarint(&op.author.wall_time_ms, "time"));
  if (UsesNode(op.kind)) SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.node, "node"));
  if (UsesParent(op.kind)) {
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.parent, "parent"));
  }
  if (UsesOrigins(op.kind)) {
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.left, "left origin"));
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.right, "right origin"));
  }
  if (UsesName(op.kind)) SAMPLAN_RETURN_IF_ERROR(GetString(r, &op.name, "name"));
  if (UsesAxis(op.kind)) {
    uint8_t axis;
    SAMPLAN_RETURN_IF_ERROR(r->U8(&axis, "table axis"));
    if (axis > 1) return Status::Corruption("unknown table axis");
    op.axis = static_cast<TableAxis>(axis);
  }
  if (UsesTarget(op.kind)) {
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.target, "table line"));
  }
  if (op.kind == OpKind::kSetCell) {
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.column, "table column"));
  }
  if (UsesValue(op.kind)) {
    SAMPLAN_RETURN_IF_ERROR(FieldValue::DecodeFrom(r, &op.value));
    SAMPLAN_RETURN_IF_ERROR(GetIds(r, &op.supersedes, "superseded ids"));
  }
  if (op.kind == OpKind::kInsertText) {
    SAMPLAN_RETURN_IF_ERROR(GetString(r, &op.text, "inserted text"));
  }
  if (IsReviewKind(op.kind)) {
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.node, "node"));
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.parent, "parent"));
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.left, "left"));
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.right, "right"));
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.target, "target"));
    SAMPLAN_RETURN_IF_ERROR(GetId(r, &op.column, "column"));
    SAMPLAN_RETURN_IF_ERROR(GetString(r, &op.name, "name"));
    SAMPLAN_RETURN_IF_ERROR(GetString(r, &op.text, "text"));
    SAMPLAN_RETURN_IF_ERROR(GetString(r, &op.quote, "quote"));
    SAMPLAN_RETURN_IF_ERROR(FieldValue::DecodeFrom(r, &op.value));
    SAMPLAN_RETURN_IF_ERROR(GetIds(r, &op.supersedes, "superseded ids"));
  }
  if (op.kind == OpKind::kDeleteText || IsReviewKind(op.kind)) {
    uint64_t n;
    SAMPLAN_RETURN_IF_ERROR(r->Count(&n, 3, "spans"));
    op.spans.resize(n);
    for (IdSpan& s : op.spans) {
      uint64_t len;
      SAMPLAN_RETURN_IF_ERROR(r->Varint(&s.replica, "span replica"));
      SAMPLAN_RETURN_IF_ERROR(r->Varint(&s.counter, "span counter"));
      SAMPLAN_RETURN_IF_ERROR(r->Varint(&len, "span length"));
      s.length = len >> 1;
      s.backward = (len & 1) != 0;
    }
  }
  Status shape = CheckOpShape(op);
  if (!shape.ok()) return Status::Corruption(shape.message());
  *out = std::move(op);
  return Status::OK();
}

std::string EncodeOps(const std::vector<Op>& ops) {
  std::string out;
  Writer w(&out);
  w.Raw(std::string_view(kOpsMagic, 3));
  w.U8(kOpsFormatVersion);
  w.Varint(ops.size());
  for (const Op& op : ops) EncodeOpTo(op, &w);
  return out;
}

Status DecodeOps(std::string_view bytes, std::vector<Op>* ops) {
  Reader r(bytes);
  std::string_view magic;
  SAMPLAN_RETURN_IF_ERROR(r.Raw(3, &magic, "operations header"));
  if (magic != std::string_view(kOpsMagic, 3)) {
    return Status::Corruption("not an operation list (bad magic)");
  }
  uint8_t version;
  SAMPLAN_RETURN_IF_ERROR(r.U8(&version, "format version"));
  if (version != kOpsFormatVersion) {
    return Status::Corruption("unsupported operation format version " +
                              std::to_string(version));
  }
  uint64_t n;
  SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 8, "operation count"));
  std::vector<Op> out(n);
  for (uint64_t i = 0; i < n; ++i) {
    Status s = DecodeOpFrom(&r, &out[i]);
    if (!s.ok()) {
      return Status::Corruption("operation " + std::to_string(i) + ": " +
                                s.message());
    }
  }
  if (!r.AtEnd()) return Status::Corruption("trailing bytes after operations");
  *ops = std::move(out);
  return Status::OK();
}

std::string DescribeOp(const Op& op) {
  std::string out = std::string(OpKindName(op.kind)) + " " + op.id.ToString();
  if (UsesNode(op.kind)) out += " node=" + op.node.ToString();
  if (UsesName(op.kind)) out += " name=" + op.name;
  if (IsReviewKind(op.kind)) {
    if (!op.target.IsNull()) out += " target=" + op.target.ToString();
    if (!op.node.IsNull()) out += " node=" + op.node.ToString();
    if (!op.name.empty()) out += " name=" + op.name;
  }
  if (op.kind == OpKind::kInsertText) {
    out += " len=" + std::to_string(op.Length());
  }
  return out;
}

}  // namespace samplan
