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
};

bool UsesNode(OpKind k) { return k != OpKind::kCreateNode; }
bool UsesParent(OpKind k) {
  return k == OpKind::kCreateNode || k == OpKind::kMoveNode;
}
bool UsesOrigins(OpKind k) {
  return k == OpKind::kCreateNode || k == OpKind::kMoveNode ||
         k == OpKind::kInsertText || k == OpKind::kInsertTableLine;
}
bool UsesName(OpKind k) {
  return k != OpKind::kMoveNode && k != OpKind::kDeleteNode;
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
  if (op.kind == OpKind::kDeleteText) {
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
  if (kind < 1 || kind > 9) {
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
  if (op.kind == OpKind::kDeleteText) {
    uint64_t n;
    SAMPLAN_RETURN_IF_ERROR(r->Count(&n, 3, "delete spans"));
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
  if (op.kind == OpKind::kInsertText) {
    out += " len=" + std::to_string(op.Length());
  }
  return out;
}

}  // namespace samplan
