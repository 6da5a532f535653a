#include "protocol/json_codec.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace samplan::protocol {
namespace {

Status Bad(std::string_view path, std::string_view what) {
  std::string msg(path);
  msg += ": ";
  msg += what;
  return Status::InvalidArgument(msg);
}

std::string Sub(std::string_view path, std::string_view key) {
  std::string p(path);
  p += '.';
  p += key;
  return p;
}

std::string Index(std::string_view path, size_t i) {
  std::string p(path);
  p += '[';
  p += std::to_string(i);
  p += ']';
  return p;
}

Status UintFromJson(const Json& j, std::string_view path, uint64_t max,
                    uint64_t* out) {
  if (!j.is_number_unsigned()) {
    return Bad(path, "expected a non-negative integer");
  }
  const uint64_t v = j.get<uint64_t>();
  if (v > max) return Bad(path, "integer too large");
  *out = v;
  return Status::OK();
}

Status StringFromJson(const Json& j, std::string_view path, std::string* out) {
  if (!j.is_string()) return Bad(path, "expected a string");
  *out = j.get<std::string>();
  return Status::OK();
}

// Optional member: absent or null leaves `out` untouched.
const Json* Member(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status OptionalId(const Json& obj, std::string_view key, std::string_view path,
                  OpId* out) {
  const Json* m = Member(obj, key);
  if (m == nullptr) return Status::OK();
  return OpIdFromJson(*m, Sub(path, key), out);
}

Status IdListFromJson(const Json& obj, std::string_view key,
                      std::string_view path, std::vector<OpId>* out) {
  const Json* m = Member(obj, key);
  out->clear();
  if (m == nullptr) return Status::OK();
  const std::string p = Sub(path, key);
  if (!m->is_array()) return Bad(p, "expected an array of ids");
  out->reserve(m->size());
  for (size_t i = 0; i < m->size(); ++i) {
    OpId id;
    SAMPLAN_RETURN_IF_ERROR(OpIdFromJson((*m)[i], Index(p, i), &id));
    out->push_back(id);
  }
  return Status::OK();
}

// Which members an op kind carries: the same as EncodeOpTo (crdt/op.cc)
// stores, so an op parsed from JSON equals its stored form. Members a kind
// does not use are ignored: kept, they would make the server's replica see
// an op (e.g. a stray "parent" naming an unknown id) that no log replay
// sees. The parse_message fuzzer checks the two stay in step.
struct KindMembers {
  bool node, parent, origins, name, value, axis, target, column, text, spans,
      quote;
};

KindMembers MembersOf(OpKind k) {
  KindMembers m{};
  if (IsReviewKind(k)) {
    // Review kinds store every body member (crdt/op.cc): each is optional
    // and CheckOpShape refuses those the kind must leave empty.
    m.node = m.parent = m.origins = m.name = m.value = m.target = m.column =
        m.text = m.spans = m.quote = true;
    return m;
  }
  m.node = k != OpKind::kCreateNode;
  m.parent = k == OpKind::kCreateNode || k == OpKind::kMoveNode;
  m.origins = k == OpKind::kCreateNode || k == OpKind::kMoveNode ||
              k == OpKind::kInsertText || k == OpKind::kInsertTableLine;
  m.name = k != OpKind::kMoveNode && k != OpKind::kDeleteNode;
  m.value = k == OpKind::kSetField || k == OpKind::kSetCell;
  m.axis = k == OpKind::kInsertTableLine || k == OpKind::kDeleteTableLine;
  m.target = k == OpKind::kDeleteTableLine || k == OpKind::kSetCell;
  m.column = k == OpKind::kSetCell;
  m.text = k == OpKind::kInsertText;
  m.spans = k == OpKind::kDeleteText;
  return m;
}

Json IdList(const std::vector<OpId>& ids) {
  Json a = Json::array();
  for (const OpId& id : ids) a.push_back(OpIdToJson(id));
  return a;
}


// A review op's body: every member that is set, by its Op member name.
void ReviewBodyToJson(const Op& op, Json* j) {
  const std::pair<const char*, OpId> ids[] = {
      {"node", op.node},     {"parent", op.parent}, {"left", op.left},
      {"right", op.right},   {"target", op.target}, {"column", op.column}};
  for (const auto& [key, id] : ids) {
    if (!id.IsNull()) (*j)[key] = OpIdToJson(id);
  }
  if (!op.name.empty()) (*j)["name"] = op.name;
  if (!op.text.empty()) (*j)["text"] = op.text;
  if (!op.quote.empty()) (*j)["quote"] = op.quote;
  if (op.value.type != ValueType::kNull) (*j)["value"] = ValueToJson(op.value);
  if (!op.supersedes.empty()) (*j)["supersedes"] = IdList(op.supersedes);
  if (!op.spans.empty()) (*j)["spans"] = SpansToJson(op.spans);
}

}  // namespace

Json SpansToJson(const std::vector<IdSpan>& spans) {
  Json a = Json::array();
  for (const IdSpan& s : spans) {
    Json e = Json::array({s.replica, s.counter, s.length});
    if (s.backward) e.push_back(true);
    a.push_back(std::move(e));
  }
  return a;
}

Json OpIdToJson(OpId id) { return Json::array({id.replica, id.counter}); }

Status OpIdFromJson(const Json& j, std::string_view path, OpId* out) {
  if (!j.is_array() || j.size() != 2) {
    return Bad(path, "expected [replica, counter]");
  }
  OpId id;
  SAMPLAN_RETURN_IF_ERROR(UintFromJson(j[0], path, kMaxWireInteger, &id.replica));
  SAMPLAN_RETURN_IF_ERROR(UintFromJson(j[1], path, kMaxWireInteger, &id.counter));
  *out = id;
  return Status::OK();
}

Json VersionToJson(const VersionVector& v) {
  Json a = Json::array();
  for (const auto& [replica, count] : v.entries()) {
    a.push_back(Json::array({replica, count}));
  }
  return a;
}

Status VersionFromJson(const Json& j, std::string_view path,
                       VersionVector* out) {
  if (!j.is_array()) return Bad(path, "expected [[replica, count], ...]");
  // Entries are sorted once and added in replica order: VersionVector::Set
  // inserts into a sorted vector, so adding them in wire order would cost
  // O(n^2) for an untrusted n. Each keeps its wire index for errors.
  struct Entry {
    uint64_t replica;
    uint64_t count;
    size_t index;
  };
  std::vector<Entry> entries;
  entries.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    const Json& e = j[i];
    if (!e.is_array() || e.size() != 2) {
      return Bad(Index(path, i), "expected [replica, count]");
    }
    uint64_t replica = 0, count = 0;
    SAMPLAN_RETURN_IF_ERROR(
        UintFromJson(e[0], Index(path, i), kMaxWireInteger, &replica));
    SAMPLAN_RETURN_IF_ERROR(
        UintFromJson(e[1], Index(path, i), kMaxWireInteger, &count));
    if (replica == 0) return Bad(Index(path, i), "replica 0 is reserved");
    entries.push_back(Entry{replica, count, i});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.replica != b.replica ? a.replica < b.replica : a.index < b.index;
  });
  VersionVector v;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && entries[i].replica == entries[i - 1].replica) {
      return Bad(Index(path, entries[i].index), "replica listed twice");
    }
    v.Set(entries[i].replica, entries[i].count);  // appends: ascending ids
  }
  *out = std::move(v);
  return Status::OK();
}

Json ValueToJson(const FieldValue& v) {
  Json j = Json::object();
  j["type"] = ValueTypeName(v.type);
  switch (v.type) {
    case ValueType::kNull:
      j["value"] = nullptr;
      break;
    case ValueType::kBool:
      j["value"] = v.b;
      break;
    case ValueType::kInt:
      j["value"] = v.i;
      break;
    case ValueType::kNumber:
      j["value"] = v.d;
      break;
    case ValueType::kString:
    case ValueType::kDate:
      j["value"] = v.s;
      break;
    case ValueType::kStringList:
      j["value"] = v.list;
      break;
  }
  return j;
}

Status ValueFromJson(const Json& j, std::string_view path, FieldValue* out) {
  if (!j.is_object()) return Bad(path, "expected {\"type\", \"value\"}");
  auto t = j.find("type");
  if (t == j.end() || !t->is_string()) {
    return Bad(Sub(path, "type"), "expected a value type name");
  }
  ValueType type;
  if (!ParseValueType(t->get<std::string>(), &type)) {
    return Bad(Sub(path, "type"), "unknown value type");
  }
  const std::string vp = Sub(path, "value");
  auto vi = j.find("value");
  static const Json kNull;
  const Json& v = vi == j.end() ? kNull : *vi;
  FieldValue f;
  f.type = type;
  switch (type) {
    case ValueType::kNull:
      if (!v.is_null()) return Bad(vp, "expected null");
      break;
    case ValueType::kBool:
      if (!v.is_boolean()) return Bad(vp, "expected true or false");
      f.b = v.get<bool>();
      break;
    case ValueType::kInt:
      if (v.is_number_unsigned()) {
        if (v.get<uint64_t>() >
            static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return Bad(vp, "integer too large");
        }
        f.i = static_cast<int64_t>(v.get<uint64_t>());
      } else if (v.is_number_integer()) {
        f.i = v.get<int64_t>();
      } else {
        return Bad(vp, "expected an integer");
      }
      break;
    case ValueType::kNumber:
      if (!v.is_number()) return Bad(vp, "expected a number");
      f.d = v.get<double>();
      if (!std::isfinite(f.d)) return Bad(vp, "expected a finite number");
      break;
    case ValueType::kString:
    case ValueType::kDate:
      SAMPLAN_RETURN_IF_ERROR(StringFromJson(v, vp, &f.s));
      break;
    case ValueType::kStringList:
      if (!v.is_array()) return Bad(vp, "expected an array of strings");
      for (size_t i = 0; i < v.size(); ++i) {
        std::string s;
        SAMPLAN_RETURN_IF_ERROR(StringFromJson(v[i], Index(vp, i), &s));
        f.list.push_back(std::move(s));
      }
      break;
  }
  Status valid = f.Validate();
  if (!valid.ok()) return Bad(path, valid.message());
  *out = std::move(f);
  return Status::OK();
}

Json AnchorToJson(const Anchor& a) {
  Json j = Json::object();
  j["node"] = OpIdToJson(a.node);
  if (!a.field.empty()) {
    j["field"] = a.field;
    j["char"] = OpIdToJson(a.character);
    j["side"] = a.side == Anchor::Side::kBefore ? "before" : "after";
  }
  return j;
}

Status AnchorFromJson(const Json& j, std::string_view path, Anchor* out) {
  if (!j.is_object()) return Bad(path, "expected an anchor object");
  Anchor a;
  auto n = j.find("node");
  if (n == j.end()) return Bad(Sub(path, "node"), "missing");
  SAMPLAN_RETURN_IF_ERROR(OpIdFromJson(*n, Sub(path, "node"), &a.node));
  if (const Json* f = Member(j, "field")) {
    SAMPLAN_RETURN_IF_ERROR(StringFromJson(*f, Sub(path, "field"), &a.field));
    SAMPLAN_RETURN_IF_ERROR(OptionalId(j, "char", path, &a.character));
    if (const Json* s = Member(j, "side")) {
      if (*s == "before") {
        a.side = Anchor::Side::kBefore;
      } else if (*s == "after") {
        a.side = Anchor::Side::kAfter;
      } else {
        return Bad(Sub(path, "side"), "expected \"before\" or \"after\"");
      }
    }
  }
  *out = std::move(a);
  return Status::OK();
}

Json OpToJson(const Op& op, bool with_author) {
  Json j = Json::object();
  j["id"] = OpIdToJson(op.id);
  j["lamport"] = op.lamport;
  j["deps"] = IdList(op.deps);
  j["kind"] = OpKindName(op.kind);
  switch (op.kind) {
    case OpKind::kCreateNode:
      j["parent"] = OpIdToJson(op.parent);
      j["left"] = OpIdToJson(op.left);
      j["right"] = OpIdToJson(op.right);
      j["name"] = op.name;
      break;
    case OpKind::kMoveNode:
      j["node"] = OpIdToJson(op.node);
      j["parent"] = OpIdToJson(op.parent);
      j["left"] = OpIdToJson(op.left);
      j["right"] = OpIdToJson(op.right);
      break;
    case OpKind::kDeleteNode:
      j["node"] = OpIdToJson(op.node);
      break;
    case OpKind::kSetField:
      j["node"] = OpIdToJson(op.node);
      j["name"] = op.name;
      j["value"] = ValueToJson(op.value);
      j["supersedes"] = IdList(op.supersedes);
      break;
    case OpKind::kInsertText:
      j["node"] = OpIdToJson(op.node);
      j["name"] = op.name;
      j["left"] = OpIdToJson(op.left);
      j["right"] = OpIdToJson(op.right);
      j["text"] = op.text;
      break;
    case OpKind::kDeleteText:
      j["node"] = OpIdToJson(op.node);
      j["name"] = op.name;
      j["spans"] = SpansToJson(op.spans);
      break;
    case OpKind::kInsertTableLine:
      j["node"] = OpIdToJson(op.node);
      j["name"] = op.name;
      j["axis"] = op.axis == TableAxis::kRow ? "row" : "column";
      j["left"] = OpIdToJson(op.left);
      j["right"] = OpIdToJson(op.right);
      break;
    case OpKind::kDeleteTableLine:
      j["node"] = OpIdToJson(op.node);
      j["name"] = op.name;
      j["axis"] = op.axis == TableAxis::kRow ? "row" : "column";
      j["target"] = OpIdToJson(op.target);
      break;
    case OpKind::kSetCell:
      j["node"] = OpIdToJson(op.node);
      j["name"] = op.name;
      j["target"] = OpIdToJson(op.target);
      j["column"] = OpIdToJson(op.column);
      j["value"] = ValueToJson(op.value);
      j["supersedes"] = IdList(op.supersedes);
      break;
    default:
      ReviewBodyToJson(op, &j);
      break;
  }
  if (with_author) {
    j["author"] = Json{{"user", op.author.user},
                       {"municipality", op.author.municipality},
                       {"time", op.author.wall_time_ms}};
  }
  return j;
}

Status OpFromJson(const Json& j, std::string_view path, Op* out) {
  if (!j.is_object()) return Bad(path, "expected an operation object");
  Op op;
  auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string()) {
    return Bad(Sub(path, "kind"), "expected an operation kind");
  }
  if (!ParseOpKind(kind->get<std::string>(), &op.kind)) {
    return Bad(Sub(path, "kind"), "unknown operation kind");
  }
  auto id = j.find("id");
  if (id == j.end()) return Bad(Sub(path, "id"), "missing");
  SAMPLAN_RETURN_IF_ERROR(OpIdFromJson(*id, Sub(path, "id"), &op.id));
  auto lamport = j.find("lamport");
  if (lamport == j.end()) return Bad(Sub(path, "lamport"), "missing");
  SAMPLAN_RETURN_IF_ERROR(
      UintFromJson(*lamport, Sub(path, "lamport"), kMaxWireInteger, &op.lamport));
  SAMPLAN_RETURN_IF_ERROR(IdListFromJson(j, "deps", path, &op.deps));
  const KindMembers uses = MembersOf(op.kind);
  if (uses.node) SAMPLAN_RETURN_IF_ERROR(OptionalId(j, "node", path, &op.node));
  if (uses.parent) {
    SAMPLAN_RETURN_IF_ERROR(OptionalId(j, "parent", path, &op.parent));
  }
  if (uses.origins) {
    SAMPLAN_RETURN_IF_ERROR(OptionalId(j, "left", path, &op.left));
    SAMPLAN_RETURN_IF_ERROR(OptionalId(j, "right", path, &op.right));
  }
  if (uses.target) {
    SAMPLAN_RETURN_IF_ERROR(OptionalId(j, "target", path, &op.target));
  }
  if (uses.column) {
    SAMPLAN_RETURN_IF_ERROR(OptionalId(j, "column", path, &op.column));
  }
  if (const Json* m = Member(j, "name"); m != nullptr && uses.name) {
    SAMPLAN_RETURN_IF_ERROR(StringFromJson(*m, Sub(path, "name"), &op.name));
  }
  if (const Json* m = Member(j, "text"); m != nullptr && uses.text) {
    SAMPLAN_RETURN_IF_ERROR(StringFromJson(*m, Sub(path, "text"), &op.text));
  }
  if (const Json* m = Member(j, "quote"); m != nullptr && uses.quote) {
    SAMPLAN_RETURN_IF_ERROR(StringFromJson(*m, Sub(path, "quote"), &op.quote));
  }
  if (const Json* m = Member(j, "axis"); m != nullptr && uses.axis) {
    if (*m == "row") {
      op.axis = TableAxis::kRow;
    } else if (*m == "column") {
      op.axis = TableAxis::kColumn;
    } else {
      return Bad(Sub(path, "axis"), "expected \"row\" or \"column\"");
    }
  }
  if (const Json* m = Member(j, "value"); m != nullptr && uses.value) {
    SAMPLAN_RETURN_IF_ERROR(ValueFromJson(*m, Sub(path, "value"), &op.value));
  }
  if (uses.value) {
    SAMPLAN_RETURN_IF_ERROR(
        IdListFromJson(j, "supersedes", path, &op.supersedes));
  }
  if (const Json* m = Member(j, "spans"); m != nullptr && uses.spans) {
    const std::string p = Sub(path, "spans");
    if (!m->is_array()) return Bad(p, "expected an array of spans");
    for (size_t i = 0; i < m->size(); ++i) {
      const Json& e = (*m)[i];
      const std::string ep = Index(p, i);
      if (!e.is_array() || e.size() < 3 || e.size() > 4) {
        return Bad(ep, "expected [replica, counter, length(, backward)]");
      }
      IdSpan s;
      SAMPLAN_RETURN_IF_ERROR(UintFromJson(e[0], ep, kMaxWireInteger, &s.replica));
      SAMPLAN_RETURN_IF_ERROR(UintFromJson(e[1], ep, kMaxWireInteger, &s.counter));
      SAMPLAN_RETURN_IF_ERROR(UintFromJson(e[2], ep, kMaxWireInteger, &s.length));
      if (e.size() == 4) {
        if (!e[3].is_boolean()) return Bad(ep, "backward must be a boolean");
        s.backward = e[3].get<bool>();
      }
      op.spans.push_back(s);
    }
  }
  if (const Json* a = Member(j, "author")) {
    if (a->is_object()) {
      if (const Json* u = Member(*a, "user"); u && u->is_string()) {
        op.author.user = u->get<std::string>();
      }
      if (const Json* m = Member(*a, "municipality"); m && m->is_string()) {
        op.author.municipality = m->get<std::string>();
      }
      if (const Json* t = Member(*a, "time"); t && t->is_number_integer()) {
        op.author.wall_time_ms = t->get<int64_t>();
      }
    }
  }
  Status shape = CheckOpShape(op);
  if (!shape.ok()) return Bad(path, shape.message());
  *out = std::move(op);
  return Status::OK();
}

Json OpsToJson(const std::vector<Op>& ops, bool with_author) {
  Json a = Json::array();
  for (const Op& op : ops) a.push_back(OpToJson(op, with_author));
  return a;
}

Status OpsFromJson(const Json& j, std::string_view path, size_t max_ops,
                   std::vector<Op>* out) {
  if (!j.is_array()) return Bad(path, "expected an array of operations");
  if (j.size() > max_ops) {
    return Bad(path, "batch of " + std::to_string(j.size()) +
                         " operations exceeds the limit of " +
                         std::to_string(max_ops));
  }
  out->clear();
  out->reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    Op op;
    SAMPLAN_RETURN_IF_ERROR(OpFromJson(j[i], Index(path, i), &op));
    out->push_back(std::move(op));
  }
  return Status::OK();
}

}  // namespace samplan::protocol
