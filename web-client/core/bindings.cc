// Embind bindings: the Samplan CRDT core (crdt/) compiled to WebAssembly for
// the browser and Node. Built by scripts/build-wasm.sh into
// build-wasm/samplan_core.mjs; tested by web-client/core/core.test.mjs.
//
//   import Factory from './samplan_core.mjs';
//   const core = await Factory();
//   const t = new core.TextSequence(7);   // replica id 7
//   t.insert(0, 'Målområde 😀');
//   t.delete();                           // embind objects must be freed
//
// Conventions at the boundary:
// - Strings cross as UTF-8: embind encodes a JavaScript string into a
//   std::string and decodes the result back. The core counts positions in
//   Unicode code points; JavaScript counts UTF-16 code units. Methods that
//   take or give positions count code points unless their name ends in
//   Utf16; utf16ToCodePoint / codePointToUtf16 convert.
// - 64-bit ids (replica, counter) cross as JavaScript numbers, exact up to
//   2^53.
// - Binary data (encoded ops, snapshots) crosses as Uint8Array: embind also
//   accepts a Uint8Array or ArrayBuffer where a std::string is expected.
// - A non-OK samplan::Status throws a JavaScript Error whose message is
//   Status::ToString(), e.g. "out_of_range: ...". Nothing changes then. The
//   JavaScript exception unwinds the wasm stack without running C++
//   destructors, so each error leaks the temporaries of that call: fine for
//   rejected user edits, not for a hot loop of failing calls.
//
// Which parts are bound depends on which core sources exist; the build script
// defines SAMPLAN_WASM_TEXT_SEQUENCE and SAMPLAN_WASM_REPLICA accordingly and
// `core.features()` lists what this build has.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crdt/ids.h"
#include "crdt/status.h"
#include "crdt/utf8.h"

#ifdef SAMPLAN_WASM_TEXT_SEQUENCE
#include "crdt/text_sequence.h"
#endif
#ifdef SAMPLAN_WASM_REPLICA
#include "crdt/replica.h"
#include "protocol/json_codec.h"
#include "protocol/plan_state.h"
#include "protocol/review_json.h"
#endif

namespace samplan::wasm {
namespace {

using emscripten::val;

// ---------------------------------------------------------------------------
// Boundary helpers.

[[noreturn]] void ThrowError(const std::string& message) {
  val::global("Error").new_(message).throw_();
  __builtin_unreachable();
}

void ThrowIfError(const Status& status) {
  if (!status.ok()) ThrowError(status.ToString());
}

template <typename T>
T ValueOrThrow(Result<T> result) {
  if (!result.ok()) ThrowError(result.status().ToString());
  return std::move(result).value();
}

// A JavaScript number that must be a non-negative integer up to 2^53.
uint64_t ToU64(const val& v, const char* what) {
  if (!v.isNumber()) ThrowError(std::string(what) + " must be a number");
  double d = v.as<double>();
  if (!(d >= 0 && d <= 9007199254740992.0) || d != static_cast<double>(
                                                       static_cast<uint64_t>(d))) {
    ThrowError(std::string(what) + " must be an integer in [0, 2^53]");
  }
  return static_cast<uint64_t>(d);
}

double FromU64(uint64_t v) { return static_cast<double>(v); }

[[maybe_unused]] val IdToJs(OpId id) {
  val out = val::object();
  out.set("replica", FromU64(id.replica));
  out.set("counter", FromU64(id.counter));
  return out;
}

// Accepts {replica, counter} and the wire form [replica, counter].
[[maybe_unused]] OpId IdFromJs(const val& v, const char* what) {
  if (v.isNull() || v.isUndefined()) return kNullId;
  if (v.isArray()) return OpId{ToU64(v[0], what), ToU64(v[1], what)};
  return OpId{ToU64(v["replica"], what), ToU64(v["counter"], what)};
}

[[maybe_unused]] val SpanToJs(const IdSpan& span) {
  val out = val::object();
  out.set("replica", FromU64(span.replica));
  out.set("counter", FromU64(span.counter));
  out.set("length", FromU64(span.length));
  out.set("backward", span.backward);
  return out;
}

[[maybe_unused]] IdSpan SpanFromJs(const val& v) {
  IdSpan span;
  span.replica = ToU64(v["replica"], "span.replica");
  span.counter = ToU64(v["counter"], "span.counter");
  span.length = ToU64(v["length"], "span.length");
  span.backward = v["backward"].isTrue();
  return span;
}

// Bytes as a fresh Uint8Array (a copy: wasm memory may move when it grows).
[[maybe_unused]] val BytesToJs(std::string_view bytes) {
  val view(emscripten::typed_memory_view(
      bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data())));
  return val::global("Uint8Array").new_(view);
}

std::u32string DecodeOrThrow(const std::string& text) {
  return ValueOrThrow(utf8::Decode(text));
}

size_t Utf16ToCodePoint(const std::u32string& s, size_t utf16) {
  return ValueOrThrow(utf8::Utf16ToCodePointOffset(s, utf16));
}

size_t CodePointToUtf16(const std::u32string& s, size_t code_points) {
  if (code_points > s.size()) {
    ThrowError("out_of_range: code point offset " +
               std::to_string(code_points) + " is past the end (length " +
               std::to_string(s.size()) + ")");
  }
  return utf8::CodePointToUtf16Offset(s, code_points);
}

// ---------------------------------------------------------------------------
// samplan::utf8

// null when `bytes` (a string or Uint8Array) is well-formed UTF-8, else the
// error message naming the offset of the first bad byte.
val Utf8Check(const std::string& bytes) {
  Status st = utf8::Validate(bytes);
  if (st.ok()) return val::null();
  return val(st.ToString());
}

size_t CountCodePoints(const std::string& text) {
  ThrowIfError(utf8::Validate(text));
  return utf8::CountCodePoints(text);
}

size_t Utf16ToCodePointFn(const std::string& text, size_t utf16) {
  return Utf16ToCodePoint(DecodeOrThrow(text), utf16);
}

size_t CodePointToUtf16Fn(const std::string& text, size_t code_points) {
  return CodePointToUtf16(DecodeOrThrow(text), code_points);
}

// ---------------------------------------------------------------------------
// samplan::TextSequence: one collaboratively edited text, with its own id
// counter. Local edits return the operation to send to other replicas as a
// plain object; apply() integrates one received from elsewhere:
//   {type: 'insert', id, left, right, text}   (ids as {replica, counter})
//   {type: 'delete', spans: [{replica, counter, length, backward}]}

#ifdef SAMPLAN_WASM_TEXT_SEQUENCE
class JsTextSequence {
 public:
  explicit JsTextSequence(double replica)
      : replica_(ToU64(val(replica), "replica")) {
    if (replica_ == 0) ThrowError("invalid_argument: replica 0 is reserved");
  }

  double replica() const { return FromU64(replica_); }
  size_t length() const { return seq_.size(); }
  size_t totalLength() const { return seq_.total_size(); }
  size_t utf16Length() const {
    std::u32string content = seq_.Content();
    return utf8::CodePointToUtf16Offset(content, content.size());
  }
  std::string text() const { return seq_.ToUtf8(); }

  val insert(size_t pos, const std::string& text) {
    std::u32string chars = DecodeOrThrow(text);
    OpId first{replica_, next_counter_};
    OpId left, right;
    ThrowIfError(seq_.LocalInsert(pos, chars, first, &left, &right));
    next_counter_ += chars.size();
    val op = val::object();
    op.set("type", std::string("insert"));
    op.set("id", IdToJs(first));
    op.set("left", IdToJs(left));
    op.set("right", IdToJs(right));
    op.set("text", text);
    return op;
  }

  val remove(size_t pos, size_t len) {
    std::vector<IdSpan> spans;
    ThrowIfError(seq_.LocalDelete(pos, len, &spans));
    val list = val::array();
    for (const IdSpan& span : spans) list.call<void>("push", SpanToJs(span));
    val op = val::object();
    op.set("type", std::string("delete"));
    op.set("spans", list);
    return op;
  }

  // The same in UTF-16 code units of the current text.
  val insertUtf16(size_t pos16, const std::string& text) {
    return insert(Utf16ToCodePoint(seq_.Content(), pos16), text);
  }
  val removeUtf16(size_t pos16, size_t len16) {
    std::u32string content = seq_.Content();
    size_t from = Utf16ToCodePoint(content, pos16);
    size_t to = Utf16ToCodePoint(content, pos16 + len16);
    return remove(from, to - from);
  }

  size_t utf16ToCodePoint(size_t utf16) const {
    return Utf16ToCodePoint(seq_.Content(), utf16);
  }
  size_t codePointToUtf16(size_t code_points) const {
    return CodePointToUtf16(seq_.Content(), code_points);
  }

  // Integrates an operation made by insert() or remove() of another replica.
  void apply(const val& op) {
    std::string type = op["type"].as<std::string>();
    if (type == "insert") {
      std::u32string chars = DecodeOrThrow(op["text"].as<std::string>());
      OpId first = IdFromJs(op["id"], "op.id");
      ThrowIfError(seq_.Integrate(first, IdFromJs(op["left"], "op.left"),
                                  IdFromJs(op["right"], "op.right"), chars));
      // Never reuse a counter seen from this replica (e.g. after a reload).
      if (first.replica == replica_ && first.counter + chars.size() > next_counter_) {
        next_counter_ = first.counter + chars.size();
      }
    } else if (type == "delete") {
      val spans = op["spans"];
      const unsigned n = spans["length"].as<unsigned>();
      for (unsigned i = 0; i < n; ++i) {
        ThrowIfError(seq_.Delete(SpanFromJs(spans[i])));
      }
    } else {
      ThrowError("invalid_argument: unknown op type '" + type + "'");
    }
  }

  // The id of the visible character at `pos`, e.g. to anchor a comment.
  val idAt(size_t pos) const { return IdToJs(ValueOrThrow(seq_.IdAt(pos))); }

  std::string checkInvariants() const {
    Status st = seq_.CheckInvariants();
    return st.ok() ? std::string() : st.ToString();
  }

 private:
  TextSequence seq_;
  ReplicaId replica_;
  uint64_t next_counter_ = 1;
};
#endif  // SAMPLAN_WASM_TEXT_SEQUENCE

// ---------------------------------------------------------------------------
// samplan::Replica: the whole plan (crdt/replica.h).

// Node ids cross as {replica, counter}; `core.Replica.root()` is the plan.
// Field values cross as plain JavaScript values and are typed by the schema:
// null, true/false, a number (int or number field), a string (string or
// date field "YYYY-MM-DD") or an array of strings. Operations cross encoded
// (EncodeOps, a Uint8Array): opsSince(version) on one replica, applyOps(bytes)
// on another. A version vector crosses as [[replica, counter], ...].

#ifdef SAMPLAN_WASM_REPLICA
val FieldValueToJs(const FieldValue& v) {
  switch (v.type) {
    case ValueType::kNull:
      return val::null();
    case ValueType::kBool:
      return val(v.b);
    case ValueType::kInt:
      return val(static_cast<double>(v.i));
    case ValueType::kNumber:
      return val(v.d);
    case ValueType::kString:
    case ValueType::kDate:
      return val(v.s);
    case ValueType::kStringList: {
      val list = val::array();
      for (const std::string& item : v.list) list.call<void>("push", item);
      return list;
    }
  }
  return val::null();
}

// `type` is the schema's type for the field, when known: it decides between
// int and number, and between string and date.
FieldValue FieldValueFromJs(const val& v, const ValueType* type) {
  if (v.isNull() || v.isUndefined()) return FieldValue::Null();
  if (v.isTrue() || v.isFalse()) return FieldValue::Bool(v.isTrue());
  if (v.isNumber()) {
    double d = v.as<double>();
    bool integral = d == static_cast<double>(static_cast<int64_t>(d));
    if (type != nullptr ? *type == ValueType::kInt : integral) {
      if (!integral) ThrowError("invalid_argument: " + std::to_string(d) +
                                " is not an integer");
      return FieldValue::Int(static_cast<int64_t>(d));
    }
    return FieldValue::Number(d);
  }
  if (v.isString()) {
    if (type != nullptr && *type == ValueType::kDate) {
      return FieldValue::Date(v.as<std::string>());
    }
    return FieldValue::String(v.as<std::string>());
  }
  if (v.isArray()) {
    std::vector<std::string> list;
    const unsigned n = v["length"].as<unsigned>();
    for (unsigned i = 0; i < n; ++i) {
      if (!v[i].isString()) ThrowError("invalid_argument: list items must be strings");
      list.push_back(v[i].as<std::string>());
    }
    return FieldValue::StringList(std::move(list));
  }
  ThrowError("invalid_argument: unsupported field value");
}

VersionVector VersionFromJs(const val& v) {
  VersionVector out;
  if (v.isNull() || v.isUndefined()) return out;
  const unsigned n = v["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) {
    uint64_t replica = ToU64(v[i][0], "version replica");
    if (replica == 0) ThrowError("invalid_argument: version names replica 0");
    out.Set(replica, ToU64(v[i][1], "version counter"));
  }
  return out;
}

val VersionToJs(const VersionVector& version) {
  val list = val::array();
  for (const auto& [replica, counter] : version.entries()) {
    val entry = val::array();
    entry.call<void>("push", FromU64(replica));
    entry.call<void>("push", FromU64(counter));
    list.call<void>("push", entry);
  }
  return list;
}

val IdsToJs(const std::vector<OpId>& ids) {
  val list = val::array();
  for (OpId id : ids) list.call<void>("push", IdToJs(id));
  return list;
}

val IdToWire(OpId id) {
  val out = val::array();
  out.call<void>("push", FromU64(id.replica));
  out.call<void>("push", FromU64(id.counter));
  return out;
}

TableAxis AxisFromJs(const std::string& axis) {
  if (axis == "row") return TableAxis::kRow;
  if (axis == "column") return TableAxis::kColumn;
  ThrowError("invalid_argument: axis must be 'row' or 'column', not '" + axis + "'");
}

// Bounds the work of one call from JavaScript.
constexpr size_t kMaxOpsPerCall = size_t{1} << 20;

class JsReplica {
 public:
  explicit JsReplica(double id) {
    ReplicaId rid = ToU64(val(id), "replica");
    if (rid == 0) ThrowError("invalid_argument: replica 0 is reserved");
    replica_ = std::make_unique<Replica>(rid);
  }
  // Loads a snapshot made by encodeSnapshot() as replica `id`.
  JsReplica(const std::string& snapshot, double id) {
    ReplicaId rid = ToU64(val(id), "replica");
    if (rid == 0) ThrowError("invalid_argument: replica 0 is reserved");
    replica_ = ValueOrThrow(Replica::DecodeSnapshot(snapshot, rid));
  }

  static val root() { return IdToJs(kRootNode); }
  double id() const { return FromU64(replica_->id()); }

  // ---- Tree.
  val createNode(const val& parent, size_t index, const std::string& kind) {
    return IdToJs(ValueOrThrow(
        replica_->CreateNode(IdFromJs(parent, "parent"), index, kind)));
  }
  void moveNode(const val& node, const val& parent, size_t index) {
    ThrowIfError(replica_->MoveNode(IdFromJs(node, "node"),
                                    IdFromJs(parent, "parent"), index));
  }
  void deleteNode(const val& node) {
    ThrowIfError(replica_->DeleteNode(IdFromJs(node, "node")));
  }
  bool hasNode(const val& node) const {
    return replica_->HasNode(IdFromJs(node, "node"));
  }
  bool isDeleted(const val& node) const {
    return replica_->IsDeleted(Existing(node));
  }
  std::string kindOf(const val& node) const {
    return replica_->KindOf(Existing(node));
  }
  val parentOf(const val& node) const {
    return IdToJs(replica_->ParentOf(Existing(node)));
  }
  val children(const val& node) const {
    return IdsToJs(replica_->Children(Existing(node)));
  }
  std::string numbering(const val& node) const {
    return replica_->Numbering(Existing(node));
  }

  // ---- Fields.
  void setField(const val& node, const std::string& field, const val& value) {
    OpId id = IdFromJs(node, "node");
    const ValueType* type = nullptr;
    if (replica_->HasNode(id)) {
      const KindSchema* kind = replica_->schema().Find(replica_->KindOf(id));
      if (kind != nullptr) {
        auto it = kind->fields.find(field);
        if (it != kind->fields.end()) type = &it->second;
      }
    }
    ThrowIfError(replica_->SetField(id, field, FieldValueFromJs(value, type)));
  }
  // The winning value; null when never set.
  val field(const val& node, const std::string& field) const {
    FieldRead read = ValueOrThrow(replica_->Field(IdFromJs(node, "node"), field));
    return FieldValueToJs(read.value);
  }
  // {value, winner, conflicts: [{id, value}]}: concurrent values that lost.
  val fieldWithConflicts(const val& node, const std::string& field) const {
    FieldRead read = ValueOrThrow(replica_->Field(IdFromJs(node, "node"), field));
    val out = val::object();
    out.set("value", FieldValueToJs(read.value));
    out.set("winner", read.winner.IsNull() ? val::null() : IdToJs(read.winner));
    val conflicts = val::array();
    for (const RegisterEntry& e : read.conflicts) {
      val c = val::object();
      c.set("id", IdToJs(e.id));
      c.set("value", FieldValueToJs(e.value));
      conflicts.call<void>("push", c);
    }
    out.set("conflicts", conflicts);
    return out;
  }

  // ---- Text, positions in code points.
  void insertText(const val& node, const std::string& field, size_t pos,
                  const std::string& text) {
    ThrowIfError(replica_->InsertText(IdFromJs(node, "node"), field, pos, text));
  }
  void deleteText(const val& node, const std::string& field, size_t pos,
                  size_t length) {
    ThrowIfError(
        replica_->DeleteText(IdFromJs(node, "node"), field, pos, length));
  }
  std::string text(const val& node, const std::string& field) const {
    return ValueOrThrow(replica_->Text(IdFromJs(node, "node"), field));
  }
  // ---- Text, positions in UTF-16 code units of the current text.
  // The conversion reads the text's code points straight from the
  // sequence (no UTF-8 round trip): this runs on every keystroke.
  void insertTextUtf16(const val& node, const std::string& field, size_t pos16,
                       const std::string& text) {
    insertText(node, field, CodePointAt(node, field, pos16), text);
  }
  void deleteTextUtf16(const val& node, const std::string& field, size_t pos16,
                       size_t len16) {
    const std::u32string content = ContentOf(node, field);
    size_t from = Utf16ToCodePoint(content, pos16);
    size_t to = Utf16ToCodePoint(content, pos16 + len16);
    deleteText(node, field, from, to - from);
  }

  // ---- Sync.
  val version() const { return VersionToJs(replica_->version()); }
  val frontier() const { return IdsToJs(replica_->frontier()); }
  // Encoded ops this replica knows beyond `version` (all when omitted).
  val opsSince(const val& version) const {
    std::vector<Op> ops;
    ThrowIfError(replica_->OpsSince(VersionFromJs(version), &ops));
    return BytesToJs(EncodeOps(ops));
  }
  // Applies encoded ops from a peer; out-of-order ones wait (pendingCount).
  void applyOps(const std::string& bytes) {
    std::vector<Op> ops;
    ThrowIfError(DecodeOps(bytes, &ops));
    ThrowIfError(replica_->ApplyAll(ops));
  }
  size_t pendingCount() const { return replica_->pending_count(); }

  // ---- The wire's JSON form (protocol/json_codec, the same code as the
  // server's), so a browser sends and applies exactly what the server does.

  // Applies a JSON array of wire ops (as the server sends them). Checks the
  // whole batch's shape before applying any of it.
  void applyOpsJson(const std::string& json) {
    protocol::Json j = protocol::Json::parse(json, nullptr, false);
    if (j.is_discarded()) ThrowError("bad_json: ops are not valid JSON");
    std::vector<Op> ops;
    ThrowIfError(protocol::OpsFromJson(j, "ops", kMaxOpsPerCall, &ops));
    for (const Op& op : ops) ThrowIfError(CheckOpShape(op));
    ThrowIfError(replica_->ApplyAll(ops));
  }
  // Applies a joined message's "ops_binary" (base64 of EncodeOps, see
  // docs/protocol.md): a megabyte of base64 for a plan under heavy review,
  // passed as the string it arrived in and decoded here rather than turned
  // into bytes by a JavaScript loop. DecodeOps checks every op's shape
  // before any applies. Returns the number of ops applied.
  double applyOpsBase64(const std::string& base64) {
    std::string bytes;
    Status s = protocol::Base64Decode(base64, &bytes);
    if (!s.ok()) ThrowError("bad_message: ops_binary: " + s.ToString());
    std::vector<Op> ops;
    ThrowIfError(DecodeOps(bytes, &ops));
    ThrowIfError(replica_->ApplyAll(ops));
    return static_cast<double>(ops.size());
  }
  // Wire ops this replica has beyond `version` (null: all), JSON array.
  std::string opsSinceJson(const val& version, bool with_author) const {
    std::vector<Op> ops;
    ThrowIfError(replica_->OpsSince(VersionFromJs(version), &ops));
    return protocol::OpsToJson(ops, with_author).dump();
  }
  // This replica's own ops with a counter above `counter` (what it has not
  // sent yet, or not had acknowledged), without author: the server stamps.
  std::string ownOpsAfterJson(double counter) const {
    VersionVector since = replica_->version();
    since.Set(replica_->id(), ToU64(val(counter), "counter"));
    std::vector<Op> ops;
    ThrowIfError(replica_->OpsSince(since, &ops));
    return protocol::OpsToJson(ops, /*with_author=*/false).dump();
  }
  // The highest counter of this replica's own ops.
  double counter() const { return FromU64(replica_->version().Get(replica_->id())); }
  // The plan as GET /api/plans/{id} shows it (protocol/plan_state).
  std::string stateJson() const {
    return protocol::PlanStateToJson(*replica_).dump();
  }
  // The schema: {kind: {fields: {name: type}, texts: [...], tables: [...],
  // children: [...]}}.
  val schema() const {
    val out = val::object();
    for (const auto& [name, kind] : replica_->schema().kinds()) {
      val k = val::object();
      val fields = val::object();
      for (const auto& [f, type] : kind.fields) {
        fields.set(f, std::string(ValueTypeName(type)));
      }
      k.set("fields", fields);
      val texts = val::array();
      for (const std::string& t : kind.texts) texts.call<void>("push", t);
      k.set("texts", texts);
      val tables = val::array();
      for (const std::string& t : kind.tables) tables.call<void>("push", t);
      k.set("tables", tables);
      val children = val::array();
      for (const std::string& c : kind.children) children.call<void>("push", c);
      k.set("children", children);
      out.set(name, k);
    }
    return out;
  }

  // ---- Anchors in the wire form, positions in UTF-16 units.
  std::string textAnchorJson(const val& node, const std::string& field,
                             size_t pos16, const std::string& side) const {
    OpId id = IdFromJs(node, "node");
    size_t pos = CodePointAt(node, field, pos16);
    Anchor::Side s = side == "after" ? Anchor::Side::kAfter : Anchor::Side::kBefore;
    Anchor anchor = ValueOrThrow(replica_->AnchorAtText(id, field, pos, s));
    return protocol::AnchorToJson(anchor).dump();
  }
  // {node, deleted, parent, index, pos16, charDeleted} for a wire anchor.
  val resolveAnchorJson(const std::string& json) const {
    protocol::Json j = protocol::Json::parse(json, nullptr, false);
    if (j.is_discarded()) ThrowError("bad_json: anchor is not valid JSON");
    Anchor anchor;
    ThrowIfError(protocol::AnchorFromJson(j, "anchor", &anchor));
    AnchorPosition pos = ValueOrThrow(replica_->Resolve(anchor));
    val out = val::object();
    out.set("node", IdToWire(pos.node));
    out.set("parent", IdToWire(pos.parent));
    out.set("index", FromU64(pos.index));
    out.set("deleted", pos.node_deleted);
    if (!anchor.field.empty()) {
      const TextSequence* seq = replica_->TextOf(anchor.node, anchor.field);
      const std::u32string content = seq ? seq->Content() : std::u32string();
      out.set("pos16", FromU64(CodePointToUtf16(content, pos.position)));
      out.set("charDeleted", pos.character_deleted);
    }
    return out;
  }

  // Deletes those characters of `spans` (wire id spans) that are still
  // visible, e.g. to undo one's own typing without touching what others
  // typed in between. Returns the number of characters deleted.
  size_t deleteTextSpans(const val& node, const std::string& field,
                         const std::string& spans_json) {
    OpId id = IdFromJs(node, "node");
    protocol::Json j = protocol::Json::parse(spans_json, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
      ThrowError("bad_json: spans must be a JSON array of id spans");
    }
    const TextSequence* seq = replica_->TextOf(id, field);
    if (seq == nullptr) return 0;
    std::vector<size_t> positions;
    for (const protocol::Json& s : j) {
      if (!s.is_array() || s.size() < 3 || !s[0].is_number_unsigned() ||
          !s[1].is_number_unsigned() || !s[2].is_number_unsigned()) {
        ThrowError("invalid_argument: a span is [replica, counter, length]");
      }
      const uint64_t replica = s[0].get<uint64_t>();
      const uint64_t first = s[1].get<uint64_t>();
      const uint64_t length = s[2].get<uint64_t>();
      if (length > kMaxOpsPerCall) ThrowError("invalid_argument: span too long");
      for (uint64_t k = 0; k < length; ++k) {
        Result<TextSequence::Location> loc = seq->Locate(OpId{replica, first + k});
        if (loc.ok() && !loc->deleted) positions.push_back(loc->position);
      }
    }
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    // Delete runs of adjacent positions, last run first, so earlier
    // positions stay valid.
    size_t end = positions.size();
    while (end > 0) {
      size_t begin = end - 1;
      while (begin > 0 && positions[begin - 1] + 1 == positions[begin]) --begin;
      ThrowIfError(replica_->DeleteText(id, field, positions[begin], end - begin));
      end = begin;
    }
    return positions.size();
  }

  // ---- Tables. Axis 'row' or 'column'; a null row is the column header
  // row, a null column the row header column.
  val insertTableLine(const val& node, const std::string& table,
                      const std::string& axis, size_t index) {
    return IdToWire(ValueOrThrow(replica_->InsertTableLine(
        IdFromJs(node, "node"), table, AxisFromJs(axis), index)));
  }
  void deleteTableLine(const val& node, const std::string& table,
                       const std::string& axis, const val& line) {
    ThrowIfError(replica_->DeleteTableLine(IdFromJs(node, "node"), table,
                                           AxisFromJs(axis),
                                           IdFromJs(line, "line")));
  }
  // Numbers are stored as numbers (not ints), strings as strings.
  void setCell(const val& node, const std::string& table, const val& row,
               const val& column, const val& value) {
    static const ValueType kNumberType = ValueType::kNumber;
    ThrowIfError(replica_->SetCell(IdFromJs(node, "node"), table,
                                   IdFromJs(row, "row"),
                                   IdFromJs(column, "column"),
                                   FieldValueFromJs(value, &kNumberType)));
  }

  // Who this replica's local ops are by (the server stamps its own on the
  // ops it accepts). Set it before review edits: only a comment's author
  // may edit or delete it, and the core checks that locally too.
  // time_ms: the wall time stamped on the next local ops (0: none); the
  // server stamps its own on what it stores.
  void setAuthor(const std::string& user, const std::string& municipality,
                 double time_ms) {
    replica_->SetAuthor(
        Author{user, municipality, static_cast<int64_t>(time_ms)});
  }

  // ---- Review (protocol/review_json.h), JSON in and out, positions in
  // code points.
  // One local review edit, e.g. {"op": "reply", "thread": [r, c], "body":
  // "..."} -> {"ok": true, "id": [r, c]} (the thread, comment or suggestion
  // made, else the op logged) or {"ok": false, "error": "not_found: ..."};
  // never throws for a refused edit (nothing changes then).
  std::string reviewEditJson(const std::string& request) {
    protocol::Json j = protocol::Json::parse(request, nullptr, false);
    protocol::Json out = protocol::Json::object();
    if (j.is_discarded()) {
      out["ok"] = false;
      out["error"] = "bad_json: the request is not valid JSON";
      return out.dump();
    }
    Result<OpId> id = protocol::ApplyReviewRequest(replica_.get(), j);
    out["ok"] = id.ok();
    if (id.ok()) {
      out["id"] = protocol::OpIdToJson(*id);
    } else {
      out["error"] = id.status().ToString();
    }
    return out.dump(-1, ' ', false, protocol::Json::error_handler_t::replace);
  }
  // A review view: the members of a review_query message plus "viewer":
  // {"user", "municipality"} -> {"query", "items", ...extras}, as the
  // server's `review` reply has them. Throws for a bad query.
  std::string reviewJson(const std::string& query) const {
    protocol::Json j = protocol::Json::parse(query, nullptr, false);
    if (j.is_discarded()) ThrowError("bad_json: the query is not valid JSON");
    protocol::ReviewQuery q;
    ThrowIfError(protocol::ReviewQueryFromJson(j, &q));
    return ValueOrThrow(protocol::RunReviewQueryText(*replica_, q));
  }

  // ---- Snapshots and checks.
  val encodeSnapshot() const { return BytesToJs(replica_->EncodeSnapshot()); }
  std::string canonicalDump() const { return replica_->CanonicalDump(); }
  // Empty when the invariants hold, else the violation.
  std::string checkInvariants() const {
    Status st = replica_->CheckInvariants();
    return st.ok() ? std::string() : st.ToString();
  }

 private:
  // The visible code points of a text (empty when never written); throws
  // for an unknown node or a field its kind does not have.
  std::u32string ContentOf(const val& node, const std::string& field) const {
    OpId id = IdFromJs(node, "node");
    const TextSequence* seq = replica_->TextOf(id, field);
    if (seq != nullptr) return seq->Content();
    ValueOrThrow(replica_->Text(id, field));  // names what is wrong
    return std::u32string();
  }
  size_t CodePointAt(const val& node, const std::string& field, size_t pos16) const {
    return Utf16ToCodePoint(ContentOf(node, field), pos16);
  }

  // The core's readers REQUIRE an existing node; check it here instead.
  OpId Existing(const val& node) const {
    OpId id = IdFromJs(node, "node");
    if (!replica_->HasNode(id)) {
      ThrowError("not_found: node " + id.ToString() + " does not exist");
    }
    return id;
  }

  std::unique_ptr<Replica> replica_;
};
#endif  // SAMPLAN_WASM_REPLICA

val Features() {
  val list = val::array();
  list.call<void>("push", std::string("utf8"));
#ifdef SAMPLAN_WASM_TEXT_SEQUENCE
  list.call<void>("push", std::string("text_sequence"));
#endif
#ifdef SAMPLAN_WASM_REPLICA
  list.call<void>("push", std::string("replica"));
  list.call<void>("push", std::string("protocol"));
#endif
  return list;
}

void BindUtf8() {
  emscripten::function("utf8Check", &Utf8Check);
  emscripten::function("countCodePoints", &CountCodePoints);
  emscripten::function("utf16ToCodePoint", &Utf16ToCodePointFn);
  emscripten::function("codePointToUtf16", &CodePointToUtf16Fn);
}

void BindTextSequence() {
#ifdef SAMPLAN_WASM_TEXT_SEQUENCE
  emscripten::class_<JsTextSequence>("TextSequence")
      .constructor<double>()
      .property("replica", &JsTextSequence::replica)
      .property("length", &JsTextSequence::length)
      .property("totalLength", &JsTextSequence::totalLength)
      .property("utf16Length", &JsTextSequence::utf16Length)
      .function("text", &JsTextSequence::text)
      .function("insert", &JsTextSequence::insert)
      .function("remove", &JsTextSequence::remove)
      .function("insertUtf16", &JsTextSequence::insertUtf16)
      .function("removeUtf16", &JsTextSequence::removeUtf16)
      .function("utf16ToCodePoint", &JsTextSequence::utf16ToCodePoint)
      .function("codePointToUtf16", &JsTextSequence::codePointToUtf16)
      .function("apply", &JsTextSequence::apply)
      .function("idAt", &JsTextSequence::idAt)
      .function("checkInvariants", &JsTextSequence::checkInvariants);
#endif
}

void BindReplica() {
#ifdef SAMPLAN_WASM_REPLICA
  emscripten::class_<JsReplica>("Replica")
      .constructor<double>()
      .constructor<const std::string&, double>()
      .class_function("root", &JsReplica::root)
      .property("id", &JsReplica::id)
      .function("createNode", &JsReplica::createNode)
      .function("moveNode", &JsReplica::moveNode)
      .function("deleteNode", &JsReplica::deleteNode)
      .function("hasNode", &JsReplica::hasNode)
      .function("isDeleted", &JsReplica::isDeleted)
      .function("kindOf", &JsReplica::kindOf)
      .function("parentOf", &JsReplica::parentOf)
      .function("children", &JsReplica::children)
      .function("numbering", &JsReplica::numbering)
      .function("setField", &JsReplica::setField)
      .function("field", &JsReplica::field)
      .function("fieldWithConflicts", &JsReplica::fieldWithConflicts)
      .function("insertText", &JsReplica::insertText)
      .function("deleteText", &JsReplica::deleteText)
      .function("text", &JsReplica::text)
      .function("insertTextUtf16", &JsReplica::insertTextUtf16)
      .function("deleteTextUtf16", &JsReplica::deleteTextUtf16)
      .function("version", &JsReplica::version)
      .function("frontier", &JsReplica::frontier)
      .function("opsSince", &JsReplica::opsSince)
      .function("applyOps", &JsReplica::applyOps)
      .function("pendingCount", &JsReplica::pendingCount)
      .function("encodeSnapshot", &JsReplica::encodeSnapshot)
      .function("canonicalDump", &JsReplica::canonicalDump)
      .function("checkInvariants", &JsReplica::checkInvariants)
      .function("applyOpsJson", &JsReplica::applyOpsJson)
      .function("applyOpsBase64", &JsReplica::applyOpsBase64)
      .function("opsSinceJson", &JsReplica::opsSinceJson)
      .function("ownOpsAfterJson", &JsReplica::ownOpsAfterJson)
      .function("counter", &JsReplica::counter)
      .function("stateJson", &JsReplica::stateJson)
      .function("schema", &JsReplica::schema)
      .function("textAnchorJson", &JsReplica::textAnchorJson)
      .function("resolveAnchorJson", &JsReplica::resolveAnchorJson)
      .function("deleteTextSpans", &JsReplica::deleteTextSpans)
      .function("insertTableLine", &JsReplica::insertTableLine)
      .function("deleteTableLine", &JsReplica::deleteTableLine)
      .function("setCell", &JsReplica::setCell)
      .function("setAuthor", &JsReplica::setAuthor)
      .function("reviewEditJson", &JsReplica::reviewEditJson)
      .function("reviewJson", &JsReplica::reviewJson);
#endif
}

}  // namespace
}  // namespace samplan::wasm

EMSCRIPTEN_BINDINGS(samplan_core) {
  emscripten::function("features", &samplan::wasm::Features);
  samplan::wasm::BindUtf8();
  samplan::wasm::BindTextSequence();
  samplan::wasm::BindReplica();
}
