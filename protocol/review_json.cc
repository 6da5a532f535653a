#include "protocol/review_json.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "crdt/ownership.h"
#include "crdt/utf8.h"

namespace samplan::protocol {
namespace {

Status Bad(std::string_view member, std::string_view what) {
  std::string msg(member);
  msg += ": ";
  msg += what;
  return Status::InvalidArgument(msg);
}

Json AuthorToJson(const Author& a) {
  return Json{{"user", a.user},
              {"municipality", a.municipality},
              {"time", a.wall_time_ms}};
}

Json IdOrNull(OpId id) { return id.IsNull() ? Json(nullptr) : OpIdToJson(id); }

Json Strings(const std::vector<std::string>& list) {
  Json a = Json::array();
  for (const std::string& s : list) a.push_back(s);
  return a;
}


bool Contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// The winning string of a thread attribute, or "" when unset / null.
std::string WinnerString(const MultiValueRegister& reg) {
  if (reg.empty()) return "";
  const FieldValue& v = reg.winner().value;
  return v.type == ValueType::kString || v.type == ValueType::kDate ? v.s : "";
}

// Writes JSON text straight into a string: the thread and suggestion views
// produce thousands of small objects, which as nlohmann trees cost more to
// build, serialize and free than the query itself. Strings are escaped as
// JSON requires; invalid UTF-8 (never in applied ops) is replaced as
// protocol::Dump does.
class JsonWriter {
 public:
  std::string& text() { return out_; }

  void BeginObject() {
    Sep();
    out_ += '{';
  }
  void EndObject() { out_ += '}'; }
  void BeginArray() {
    Sep();
    out_ += '[';
  }
  void EndArray() { out_ += ']'; }
  void Key(std::string_view key) {
    Sep();
    Quote(key);
    out_ += ':';
  }
  void String(std::string_view s) {
    Sep();
    Quote(s);
  }
  void Uint(uint64_t v) {
    Sep();
    out_ += std::to_string(v);
  }
  void Int(int64_t v) {
    Sep();
    out_ += std::to_string(v);
  }
  void Bool(bool b) {
    Sep();
    out_ += b ? "true" : "false";
  }
  void Null() {
    Sep();
    out_ += "null";
  }
  void Id(OpId id) {
    Sep();
    out_ += '[';
    out_ += std::to_string(id.replica);
    out_ += ',';
    out_ += std::to_string(id.counter);
    out_ += ']';
  }
  void IdOrNull(OpId id) {
    if (id.IsNull()) {
      Null();
    } else {
      Id(id);
    }
  }
  // A complete JSON value as text.
  void Raw(std::string_view json) {
    Sep();
    out_ += json;
  }

 private:
  // A comma before a value or key unless it opens a container or follows
  // a key.
  void Sep() {
    if (out_.empty()) return;
    const char c = out_.back();
    if (c != '{' && c != '[' && c != ':') out_ += ',';
  }
  // REQUIRES: `s` is valid UTF-8. Every string written comes from an op
  // (CheckOpShape validated it on admission), the schema or a query member
  // that was checked when parsed, so it is not validated again here: that
  // was a sixth of an inbox's cost.
  void Quote(std::string_view s) {
    out_ += '"';
    size_t run = 0;  // start of the characters not yet copied
    for (size_t i = 0; i < s.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default: {
          static const char kHex[] = "0123456789abcdef";
          out_ += "\\u00";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 15];
        }
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_ += '"';
  }

  std::string out_;
};

// One answer being written: its items (as JSON text, at most
// kMaxReviewItems) and its extra members.
struct Answer {
  JsonWriter w;
  size_t items = 0;
  bool truncated = false;
  Json extras = Json::object();

  // Whether one more item may be written (else the answer is truncated).
  bool Next() {
    if (items >= kMaxReviewItems) {
      truncated = true;
      return false;
    }
    ++items;
    return true;
  }
  void Add(const Json& item) {
    if (Next()) w.Raw(item.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
};

// ----------------------------------------------------------------- query --

// What every view of one call shares: the replica, the owner cache and the
// subtree filter.
class ViewContext {
 public:
  ViewContext(const Replica& r, const ReviewQuery& q) : r_(r), q_(q), owners_(r) {}

  // Builds the subtree filter. InvalidArgument for an unknown node.
  Status Init() {
    if (q_.node.IsNull()) return Status::OK();
    if (!r_.HasNode(q_.node)) {
      return Bad("node", "unknown node " + q_.node.ToString());
    }
    subtree_.emplace();
    std::vector<OpId> stack{q_.node};
    size_t budget = r_.tree().node_count();
    while (!stack.empty() && budget-- > 0) {
      const OpId n = stack.back();
      stack.pop_back();
      subtree_->insert(n);
      for (OpId c : r_.Children(n)) stack.push_back(c);
    }
    return Status::OK();
  }

  bool InSubtree(OpId node) const {
    return !subtree_ || subtree_->count(node) != 0;
  }
  const std::vector<std::string>& OwnerOf(OpId node) {
    return owners_.Of(node);
  }
  const Replica& replica() const { return r_; }
  const ReviewQuery& query() const { return q_; }

 private:
  const Replica& r_;
  const ReviewQuery& q_;
  OwnerCache owners_;
  std::optional<std::unordered_set<OpId, OpIdHash>> subtree_;
};

// ---- threads

// Comments by others newer than `user`'s latest mark_read.
size_t Unread(const Thread& t,
              const std::string& user) {
  auto mark_it = t.read.find(user);
  const uint64_t mark = mark_it == t.read.end() ? 0 : mark_it->second;
  size_t n = 0;
  for (const Comment* c : t.comment_refs) {
    if (!c->deleted && c->author.user != user &&
        c->lamport > mark) {
      ++n;
    }
  }
  return n;
}

bool Mentioned(const Thread& t,
               std::string_view party) {
  for (const Comment* c : t.comment_refs) {
    if (!c->deleted && Contains(c->mentions, party)) return true;
  }
  return false;
}

const char* AnchorKindName(AnchorKind k) {
  switch (k) {
    case AnchorKind::kNode:
      return "node";
    case AnchorKind::kField:
      return "field";
    case AnchorKind::kText:
      return "text";
    case AnchorKind::kCell:
      return "cell";
  }
  return "node";
}

void WriteAuthor(JsonWriter* w, const Author& a) {
  w->BeginObject();
  w->Key("user");
  w->String(a.user);
  w->Key("municipality");
  w->String(a.municipality);
  w->Key("time");
  w->Int(a.wall_time_ms);
  w->EndObject();
}

void WriteStrings(JsonWriter* w, const std::vector<std::string>& list) {
  w->BeginArray();
  for (const std::string& s : list) w->String(s);
  w->EndArray();
}

void WriteComment(JsonWriter* w, const Comment& c) {
  w->BeginObject();
  w->Key("id");
  w->Id(c.id);
  w->Key("author");
  WriteAuthor(w, c.author);
  w->Key("body");
  w->String(c.deleted ? std::string_view() : std::string_view(c.body));
  w->Key("mentions");
  WriteStrings(w, c.deleted ? std::vector<std::string>{} : c.mentions);
  w->Key("edited");
  if (c.revision.IsNull()) {
    w->Null();
  } else {
    w->Int(c.edited_ms);
  }
  w->Key("revisions");
  w->Uint(c.revisions);
  w->Key("deleted");
  w->Bool(c.deleted);
  w->EndObject();
}

// A thread; `reasons` (inbox) are written when given, `unread` when the
// query has a viewer.
void WriteThread(ViewContext* ctx, const Thread& t, JsonWriter* w,
                 const std::vector<const char*>* reasons = nullptr,
                 size_t* unread_out = nullptr) {
  const Replica& r = ctx->replica();
  const ReviewState& review = r.review();
  w->BeginObject();
  w->Key("id");
  w->Id(t.id);
  w->Key("anchor");
  w->BeginObject();
  w->Key("kind");
  w->String(AnchorKindName(t.anchor));
  w->Key("node");
  w->Id(t.node);
  if (t.anchor != AnchorKind::kNode) {
    w->Key("field");
    w->String(t.field);
  }
  if (t.anchor == AnchorKind::kText) {
    w->Key("first");
    w->Id(t.first);
    w->Key("last");
    w->Id(t.last);
  }
  if (t.anchor == AnchorKind::kCell) {
    w->Key("row");
    w->IdOrNull(t.row);
    w->Key("column");
    w->IdOrNull(t.column);
  }
  w->EndObject();
  const Replica::ThreadPlace place = r.LocateThread(t);
  w->Key("place");
  w->BeginObject();
  w->Key("node_deleted");
  w->Bool(place.node_deleted);
  w->Key("orphaned");
  w->Bool(place.orphaned);
  if (t.anchor == AnchorKind::kText && !place.orphaned) {
    w->Key("from");
    w->Uint(place.from);
    w->Key("to");
    w->Uint(place.to);
  }
  w->EndObject();
  if (t.anchor == AnchorKind::kText) {
    w->Key("quote");
    w->String(t.quote);
  }
  w->Key("resolved");
  w->Bool(t.IsResolved());
  const std::string assignee = WinnerString(t.assignee);
  w->Key("assignee");
  if (assignee.empty()) {
    w->Null();
  } else {
    w->String(assignee);
  }
  const std::string due = WinnerString(t.due);
  w->Key("due");
  if (due.empty()) {
    w->Null();
  } else {
    w->String(due);
  }
  w->Key("owner");
  WriteStrings(w, ctx->OwnerOf(t.node));
  w->Key("author");
  if (const Comment* first = review.FindComment(t.id)) {
    WriteAuthor(w, first->author);
  } else {
    w->Null();
  }
  w->Key("comments");
  w->BeginArray();
  for (const Comment* c : t.comment_refs) WriteComment(w, *c);
  w->EndArray();
  const std::string& viewer = ctx->query().viewer_user;
  if (!viewer.empty()) {
    const size_t unread = Unread(t, viewer);
    if (unread_out != nullptr) *unread_out = unread;
    w->Key("unread");
    w->Uint(unread);
  }
  w->Key("conflicted");
  w->Bool(t.resolved.entries().size() > 1 || t.assignee.entries().size() > 1 ||
          t.due.entries().size() > 1);
  if (reasons != nullptr) {
    w->Key("reasons");
    w->BeginArray();
    for (const char* reason : *reasons) w->String(reason);
    w->EndArray();
  }
  w->EndObject();
}

// The threads in the order they were opened ((lamport, id) of the first
// comment).
std::vector<const Thread*> ThreadsInOrder(const ReviewState& review) {
  std::vector<std::pair<std::pair<uint64_t, OpId>, const Thread*>> order;
  order.reserve(review.threads().size());
  for (const auto& [id, t] : review.threads()) {
    const Comment* c = review.FindComment(id);
    order.push_back({{c != nullptr ? c->lamport : 0, id}, &t});
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const Thread*> out;
  out.reserve(order.size());
  for (const auto& e : order) out.push_back(e.second);
  return out;
}

// Whether `t` passes the query's thread filters.
bool ThreadMatches(ViewContext* ctx, const Thread& t) {
  const ReviewQuery& q = ctx->query();
  const ReviewState& review = ctx->replica().review();
  if (!ctx->InSubtree(t.node)) return false;
  if (q.status == "open" && t.IsResolved()) return false;
  if (q.status == "resolved" && !t.IsResolved()) return false;
  if (!q.author.empty() || !q.municipality.empty()) {
    const Comment* first = review.FindComment(t.id);
    if (first == nullptr) return false;
    if (!q.author.empty() && first->author.user != q.author) return false;
    if (!q.municipality.empty() &&
        first->author.municipality != q.municipality) {
      return false;
    }
  }
  if (!q.assignee.empty() && WinnerString(t.assignee) != q.assignee) {
    return false;
  }
  if (!q.mention.empty() && !Mentioned(t, q.mention)) return false;
  return true;
}

void ThreadsView(ViewContext* ctx, Answer* out) {
  for (const Thread* t : ThreadsInOrder(ctx->replica().review())) {
    if (ThreadMatches(ctx, *t) && out->Next()) WriteThread(ctx, *t, &out->w);
  }
}

void InboxView(ViewContext* ctx, Answer* out) {
  const ReviewQuery& q = ctx->query();
  const ReviewState& review = ctx->replica().review();
  const std::string user_party = "user:" + q.viewer_user;
  const std::string mun_party = q.viewer_municipality.empty()
                                    ? std::string()
                                    : "municipality:" + q.viewer_municipality;
  size_t unread = 0, unread_threads = 0;
  std::vector<const char*> reasons;
  for (const Thread* t : ThreadsInOrder(review)) {
    reasons.clear();
    if (Mentioned(*t, user_party) ||
        (!mun_party.empty() && Mentioned(*t, mun_party))) {
      reasons.push_back("mention");
    }
    const std::string assignee = WinnerString(t->assignee);
    if (!assignee.empty() &&
        (assignee == user_party || assignee == mun_party)) {
      reasons.push_back("assigned");
    }
    if (!q.viewer_municipality.empty() &&
        Contains(ctx->OwnerOf(t->node), q.viewer_municipality)) {
      reasons.push_back("owner");
    }
    if (reasons.empty() || !ThreadMatches(ctx, *t)) continue;
    size_t n = 0;
    if (out->Next()) {
      WriteThread(ctx, *t, &out->w, &reasons, &n);
    } else {
      n = Unread(*t, q.viewer_user);
    }
    if (!t->IsResolved()) {
      unread += n;
      unread_threads += n > 0;
    }
  }
  out->extras["unread"] = unread;
  out->extras["unread_threads"] = unread_threads;
}

// ---- suggestions

const char* SuggestionKindName(OpKind k) {
  switch (k) {
    case OpKind::kSuggestText:
      return "text";
    case OpKind::kSuggestField:
      return "field";
    case OpKind::kSuggestCell:
      return "cell";
    case OpKind::kSuggestNode:
      return "node";
    case OpKind::kSuggestMove:
      return "move";
    default:
      return "delete";
  }
}

const char* StatusName(SuggestionStatus s) {
  switch (s) {
    case SuggestionStatus::kOpen:
      return "open";
    case SuggestionStatus::kAccepted:
      return "accepted";
    case SuggestionStatus::kRejected:
      return "rejected";
  }
  return "open";
}

// The node a suggestion is about (the parent for a new node).
OpId SuggestionNode(const Op& op) {
  return op.kind == OpKind::kSuggestNode ? op.parent : op.node;
}

// Where a text suggestion's range or insertion point is now.
std::optional<std::pair<size_t, size_t>> TextPlace(const Replica& r,
                                                   const Op& op) {
  const TextSequence* text = r.TextOf(op.node, op.name);
  if (!op.left.IsNull()) {
    if (text == nullptr) return std::nullopt;
    Result<TextSequence::Location> a = text->Locate(op.left);
    Result<TextSequence::Location> b = text->Locate(op.right);
    if (!a.ok() || !b.ok()) return std::nullopt;
    const size_t from = a->position;
    const size_t to = std::max(from, b->position + (b->deleted ? 0 : 1));
    return std::make_pair(from, to);
  }
  size_t at = 0;
  if (!op.target.IsNull()) {
    if (text == nullptr) return std::nullopt;
    Result<TextSequence::Location> loc = text->Locate(op.target);
    if (!loc.ok()) return std::nullopt;
    at = loc->position + (loc->deleted ? 0 : 1);
  }
  return std::make_pair(at, at);
}

void WriteSuggestion(ViewContext* ctx, const Suggestion& s, JsonWriter* w) {
  const Replica& r = ctx->replica();
  const Op& op = s.op;
  w->BeginObject();
  w->Key("id");
  w->Id(op.id);
  w->Key("kind");
  w->String(SuggestionKindName(op.kind));
  w->Key("author");
  WriteAuthor(w, op.author);
  auto id = [&](const char* key, OpId value) {
    w->Key(key);
    w->Id(value);
  };
  auto id_or_null = [&](const char* key, OpId value) {
    w->Key(key);
    w->IdOrNull(value);
  };
  auto str = [&](const char* key, std::string_view value) {
    w->Key(key);
    w->String(value);
  };
  auto value = [&](const FieldValue& v) {
    w->Key("value");
    w->Raw(ValueToJson(v).dump(-1, ' ', false, Json::error_handler_t::replace));
  };
  switch (op.kind) {
    case OpKind::kSuggestText:
      id("node", op.node);
      str("field", op.name);
      if (!op.left.IsNull()) {
        id("first", op.left);
        id("last", op.right);
        str("quote", op.quote);
      } else {
        id_or_null("after", op.target);
      }
      str("text", op.text);
      if (auto place = TextPlace(r, op)) {
        w->Key("place");
        w->BeginObject();
        w->Key("from");
        w->Uint(place->first);
        w->Key("to");
        w->Uint(place->second);
        w->EndObject();
      }
      break;
    case OpKind::kSuggestField:
      id("node", op.node);
      str("field", op.name);
      value(op.value);
      break;
    case OpKind::kSuggestCell:
      id("node", op.node);
      str("field", op.name);
      id_or_null("row", op.target);
      id_or_null("column", op.column);
      value(op.value);
      break;
    case OpKind::kSuggestNode:
      id("parent", op.parent);
      id_or_null("left", op.left);
      str("node_kind", op.name);
      str("text", op.text);
      break;
    case OpKind::kSuggestMove:
      id("node", op.node);
      id("parent", op.parent);
      id_or_null("left", op.left);
      id("former_parent", op.target);
      break;
    default:
      id("node", op.node);
      id("former_parent", op.target);
      break;
  }
  str("status", StatusName(s.status));
  w->Key("decided_by");
  if (s.status == SuggestionStatus::kOpen) {
    w->Null();
  } else {
    WriteAuthor(w, s.decided_by);
  }
  str("reason", s.reason);
  w->Key("applied");
  w->Raw(SpansToJson(s.applied).dump());
  w->Key("stale_accepted");
  w->Bool(s.stale_accepted);
  // Staleness is about what an open suggestion would still change; a
  // decided one changed what it was made on itself.
  Replica::SuggestionCheck check;
  if (s.status == SuggestionStatus::kOpen) check = r.CheckSuggestion(s);
  w->Key("stale");
  w->Bool(check.stale);
  str("change", check.change);
  w->Key("now");
  if (check.now.type == ValueType::kNull) {
    w->Null();
  } else {
    w->Raw(ValueToJson(check.now).dump(-1, ' ', false,
                                       Json::error_handler_t::replace));
  }
  w->Key("owner");
  WriteStrings(w, ctx->OwnerOf(SuggestionNode(op)));
  w->EndObject();
}

void SuggestionsView(ViewContext* ctx, Answer* out) {
  const ReviewQuery& q = ctx->query();
  // In the order they were made.
  std::vector<std::pair<std::pair<uint64_t, OpId>, const Suggestion*>> order;
  for (const auto& [id, s] : ctx->replica().review().suggestions()) {
    if (!q.status.empty() && q.status != StatusName(s.status)) continue;
    if (!q.author.empty() && s.op.author.user != q.author) continue;
    if (!q.municipality.empty() && s.op.author.municipality != q.municipality) {
      continue;
    }
    if (!ctx->InSubtree(SuggestionNode(s.op))) continue;
    order.push_back({{s.op.lamport, id}, &s});
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& e : order) {
    if (out->Next()) WriteSuggestion(ctx, *e.second, &out->w);
  }
}

// ---- conflicts

Json EntryToJson(const RegisterEntry& e) {
  return Json{{"id", OpIdToJson(e.id)},
              {"value", ValueToJson(e.value)},
              {"author", AuthorToJson(e.author)}};
}

void ConflictsView(ViewContext* ctx, Answer* out) {
  const Replica& r = ctx->replica();
  // The live tree in plan order.
  std::vector<OpId> stack{kRootNode};
  size_t budget = r.tree().node_count();
  while (!stack.empty() && budget-- > 0) {
    const OpId node = stack.back();
    stack.pop_back();
    const std::vector<OpId> children = r.Children(node);
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      stack.push_back(*it);
    }
    if (!ctx->InSubtree(node)) continue;
    const KindSchema* ks = r.schema().Find(r.KindOf(node));
    if (ks == nullptr) continue;
    for (const auto& [name, type] : ks->fields) {
      Result<FieldRead> f = r.Field(node, name);
      if (!f.ok() || f->conflicts.empty()) continue;
      Json values = Json::array();
      values.push_back(Json{{"id", OpIdToJson(f->winner)},
                            {"value", ValueToJson(f->value)},
                            {"author", AuthorToJson(f->author)}});
      for (const RegisterEntry& e : f->conflicts) values.push_back(EntryToJson(e));
      out->Add(Json{{"node", OpIdToJson(node)},
                    {"field", name},
                    {"values", std::move(values)}});
    }
    for (const std::string& name : ks->tables) {
      const Table* t = r.TableOf(node, name);
      if (t == nullptr) continue;
      std::vector<OpId> rows = t->VisibleLines(TableAxis::kRow);
      std::vector<OpId> cols = t->VisibleLines(TableAxis::kColumn);
      rows.insert(rows.begin(), kNullId);  // the column headers
      cols.insert(cols.begin(), kNullId);  // the row headers
      for (OpId row : rows) {
        for (OpId col : cols) {
          if (row.IsNull() && col.IsNull()) continue;
          const MultiValueRegister* cell = t->Cell(row, col);
          if (cell == nullptr || cell->entries().size() < 2) continue;
          Json values = Json::array();
          for (const RegisterEntry& e : cell->entries()) {
            values.push_back(EntryToJson(e));
          }
          out->Add(Json{{"node", OpIdToJson(node)},
                        {"table", name},
                        {"row", IdOrNull(row)},
                        {"column", IdOrNull(col)},
                        {"values", std::move(values)}});
        }
      }
    }
  }
}

// ---- sign-off

void SignoffView(ViewContext* ctx, Answer* out) {
  const Replica& r = ctx->replica();
  const auto& approvals = r.review().approvals();
  // Joint parts need every municipality of the plan.
  std::vector<std::string> plan_municipalities;
  if (Result<FieldRead> f = r.Field(kRootNode, "municipalities");
      f.ok() && f->value.type == ValueType::kStringList) {
    plan_municipalities = f->value.list;
  }
  // Each approval's outdated check runs once, however many parts ask.
  std::unordered_map<const Approval*, std::pair<bool, OpId>> outdated;
  auto check = [&](const Approval& a) -> const std::pair<bool, OpId>& {
    auto it = outdated.find(&a);
    if (it != outdated.end()) return it->second;
    OpId edit;
    const bool o = r.ApprovalOutdated(a, &edit);
    return outdated.emplace(&a, std::make_pair(o, o ? edit : kNullId))
        .first->second;
  };
  auto current = [&](OpId node, const std::string& municipality) {
    auto it = approvals.find(std::make_pair(node, municipality));
    return it != approvals.end() && !it->second.revoked &&
           !check(it->second).first;
  };
  bool complete = true;
  std::vector<OpId> stack{kRootNode};
  size_t budget = r.tree().node_count();
  while (!stack.empty() && budget-- > 0) {
    const OpId node = stack.back();
    stack.pop_back();
    const std::vector<OpId> children = r.Children(node);
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      stack.push_back(*it);
    }
    const std::string& kind = r.KindOf(node);
    if (node != kRootNode && kind != "chapter" && kind != "goal") continue;
    if (!ctx->InSubtree(node)) continue;
    Json part = Json::object();
    part["node"] = OpIdToJson(node);
    part["kind"] = kind;
    part["number"] = r.Numbering(node);
    Result<std::string> title = r.Text(node, "title");
    part["title"] = title.ok() ? *title : std::string();
    const std::vector<std::string>& own = ctx->OwnerOf(node);
    const std::vector<std::string>& owners =
        own.empty() ? plan_municipalities : own;
    part["owners"] = Strings(owners);
    Json list = Json::array();
    for (auto it = approvals.lower_bound(std::make_pair(node, std::string()));
         it != approvals.end() && it->first.first == node; ++it) {
      const Approval& a = it->second;
      if (a.revoked) continue;
      const auto& [is_outdated, edit] = check(a);
      list.push_back(Json{{"municipality", a.municipality},
                          {"author", AuthorToJson(a.author)},
                          {"id", OpIdToJson(a.id)},
                          {"outdated", is_outdated},
                          {"outdated_by", IdOrNull(edit)}});
    }
    part["approvals"] = std::move(list);
    // An approval of an ancestor covers the part (a chapter approved as a
    // whole approves its goals).
    Json missing = Json::array();
    for (const std::string& m : owners) {
      bool ok = false;
      OpId at = node;
      for (size_t depth = 0; depth < 256 && !at.IsNull() && !ok; ++depth) {
        ok = current(at, m);
        if (at == kRootNode) break;
        at = r.ParentOf(at);
      }
      if (!ok) missing.push_back(m);
    }
    complete = complete && missing.empty();
    part["missing"] = std::move(missing);
    out->Add(part);
  }
  out->extras["complete"] = complete;
}

// ---------------------------------------------------------- query parsing --

Status OptionalString(const Json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::OK();
  if (!it->is_string()) return Bad(key, "expected a string");
  *out = it->get<std::string>();
  if (out->size() > 256) return Bad(key, "longer than 256 bytes");
  return Status::OK();
}

}  // namespace

const char* ReviewViewName(ReviewView view) {
  switch (view) {
    case ReviewView::kThreads:
      return "threads";
    case ReviewView::kInbox:
      return "inbox";
    case ReviewView::kSuggestions:
      return "suggestions";
    case ReviewView::kConflicts:
      return "conflicts";
    case ReviewView::kSignoff:
      return "signoff";
  }
  return "threads";
}

bool ParseReviewView(std::string_view name, ReviewView* view) {
  for (ReviewView v : {ReviewView::kThreads, ReviewView::kInbox,
                       ReviewView::kSuggestions, ReviewView::kConflicts,
                       ReviewView::kSignoff}) {
    if (name == ReviewViewName(v)) {
      *view = v;
      return true;
    }
  }
  return false;
}

Status ReviewQueryFromJson(const Json& j, ReviewQuery* out) {
  if (!j.is_object()) return Bad("query", "expected an object");
  ReviewQuery q;
  auto name = j.find("query");
  if (name == j.end() || !name->is_string() ||
      !ParseReviewView(name->get<std::string>(), &q.view)) {
    return Bad("query",
               "expected threads, inbox, suggestions, conflicts or signoff");
  }
  if (auto n = j.find("node"); n != j.end() && !n->is_null()) {
    SAMPLAN_RETURN_IF_ERROR(OpIdFromJson(*n, "node", &q.node));
  }
  SAMPLAN_RETURN_IF_ERROR(OptionalString(j, "status", &q.status));
  if (!q.status.empty()) {
    const bool suggestions = q.view == ReviewView::kSuggestions;
    const bool ok = q.status == "open" ||
                    (suggestions ? q.status == "accepted" ||
                                       q.status == "rejected"
                                 : q.status == "resolved");
    if (!ok) {
      return Bad("status", suggestions
                               ? "expected open, accepted or rejected"
                               : "expected open or resolved");
    }
  }
  SAMPLAN_RETURN_IF_ERROR(OptionalString(j, "author", &q.author));
  SAMPLAN_RETURN_IF_ERROR(OptionalString(j, "municipality", &q.municipality));
  SAMPLAN_RETURN_IF_ERROR(OptionalString(j, "assignee", &q.assignee));
  SAMPLAN_RETURN_IF_ERROR(OptionalString(j, "mention", &q.mention));
  if (auto v = j.find("viewer"); v != j.end() && !v->is_null()) {
    if (!v->is_object()) return Bad("viewer", "expected {user, municipality}");
    SAMPLAN_RETURN_IF_ERROR(OptionalString(*v, "user", &q.viewer_user));
    SAMPLAN_RETURN_IF_ERROR(
        OptionalString(*v, "municipality", &q.viewer_municipality));
  }
  *out = std::move(q);
  return Status::OK();
}

Result<std::string> RunReviewQueryText(const Replica& replica,
                                       const ReviewQuery& query) {
  if (query.view == ReviewView::kInbox && query.viewer_user.empty()) {
    return Bad("viewer", "the inbox needs a viewer user");
  }
  ViewContext ctx(replica, query);
  SAMPLAN_RETURN_IF_ERROR(ctx.Init());
  Answer answer;
  answer.w.text().reserve(4096);
  answer.w.text() += "{\"query\":\"";
  answer.w.text() += ReviewViewName(query.view);
  answer.w.text() += "\",\"items\":[";
  switch (query.view) {
    case ReviewView::kThreads:
      ThreadsView(&ctx, &answer);
      break;
    case ReviewView::kInbox:
      InboxView(&ctx, &answer);
      break;
    case ReviewView::kSuggestions:
      SuggestionsView(&ctx, &answer);
      break;
    case ReviewView::kConflicts:
      ConflictsView(&ctx, &answer);
      break;
    case ReviewView::kSignoff:
      SignoffView(&ctx, &answer);
      break;
  }
  answer.w.EndArray();
  if (answer.truncated) answer.extras["truncated"] = true;
  for (auto it = answer.extras.begin(); it != answer.extras.end(); ++it) {
    answer.w.Key(it.key());
    answer.w.Raw(it->dump());
  }
  answer.w.EndObject();
  return std::move(answer.w.text());
}

Result<Json> RunReviewQuery(const Replica& replica, const ReviewQuery& query) {
  Result<std::string> text = RunReviewQueryText(replica, query);
  if (!text.ok()) return text.status();
  Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption("review view is not JSON");
  return j;
}

// --------------------------------------------------------------- requests --

namespace {

// Members of a request object; each names itself in errors.
class Request {
 public:
  explicit Request(const Json& j) : j_(j) {}

  const Json* Find(const char* key) const {
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }

  // [replica, counter] or {"replica", "counter"}.
  Status Id(const char* key, OpId* out, bool required = true) const {
    const Json* m = Find(key);
    if (m == nullptr) {
      *out = kNullId;
      return required ? Bad(key, "missing") : Status::OK();
    }
    if (m->is_object()) {
      auto r = m->find("replica");
      auto c = m->find("counter");
      if (r == m->end() || c == m->end()) {
        return Bad(key, "expected [replica, counter]");
      }
      return OpIdFromJson(Json::array({*r, *c}), key, out);
    }
    return OpIdFromJson(*m, key, out);
  }

  Status String(const char* key, std::string* out,
                bool required = true) const {
    const Json* m = Find(key);
    if (m == nullptr) return required ? Bad(key, "missing") : Status::OK();
    if (!m->is_string()) return Bad(key, "expected a string");
    *out = m->get<std::string>();
    return Status::OK();
  }

  Status Size(const char* key, size_t* out, bool required = true) const {
    const Json* m = Find(key);
    if (m == nullptr) return required ? Bad(key, "missing") : Status::OK();
    if (!m->is_number_unsigned() ||
        m->get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
      return Bad(key, "expected a non-negative integer");
    }
    *out = static_cast<size_t>(m->get<uint64_t>());
    return Status::OK();
  }

  Status Bool(const char* key, bool* out) const {
    const Json* m = Find(key);
    if (m == nullptr) return Status::OK();
    if (!m->is_boolean()) return Bad(key, "expected true or false");
    *out = m->get<bool>();
    return Status::OK();
  }

  Status Mentions(std::vector<std::string>* out) const {
    const Json* m = Find("mentions");
    if (m == nullptr) return Status::OK();
    if (!m->is_array()) return Bad("mentions", "expected an array of strings");
    for (const Json& e : *m) {
      if (!e.is_string()) return Bad("mentions", "expected an array of strings");
      out->push_back(e.get<std::string>());
    }
    return Status::OK();
  }

  // A field value: the wire form {"type", "value"}, or a plain JSON value
  // typed by `type` when known (int vs number, string vs date).
  Status Value(const char* key, const ValueType* type, FieldValue* out) const {
    const Json* m = Find(key);
    if (m == nullptr) {
      *out = FieldValue::Null();
      return Status::OK();
    }
    if (m->is_object()) return ValueFromJson(*m, key, out);
    if (m->is_boolean()) {
      *out = FieldValue::Bool(m->get<bool>());
    } else if (m->is_number_integer() &&
               (type == nullptr || *type != ValueType::kNumber)) {
      if (m->is_number_unsigned() &&
          m->get<uint64_t>() >
              static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Bad(key, "integer too large");
      }
      *out = FieldValue::Int(m->get<int64_t>());
    } else if (m->is_number()) {
      if (type != nullptr && *type == ValueType::kInt) {
        return Bad(key, "expected an integer");
      }
      *out = FieldValue::Number(m->get<double>());
    } else if (m->is_string()) {
      *out = type != nullptr && *type == ValueType::kDate
                 ? FieldValue::Date(m->get<std::string>())
                 : FieldValue::String(m->get<std::string>());
    } else if (m->is_array()) {
      std::vector<std::string> list;
      for (const Json& e : *m) {
        if (!e.is_string()) return Bad(key, "expected an array of strings");
        list.push_back(e.get<std::string>());
      }
      *out = FieldValue::StringList(std::move(list));
    } else {
      return Bad(key, "unsupported value");
    }
    Status valid = out->Validate();
    return valid.ok() ? Status::OK() : Bad(key, valid.message());
  }

 private:
  const Json& j_;
};

// The id of the op just logged (for edits that return a Status).
Result<OpId> LastLogged(const Replica& r, Status s) {
  if (!s.ok()) return s;
  return r.log().back().id;
}

}  // namespace

Result<OpId> ApplyReviewRequest(Replica* r, const Json& json) {
  if (!json.is_object()) return Bad("request", "expected an object");
  const Request req(json);
  std::string op;
  SAMPLAN_RETURN_IF_ERROR(req.String("op", &op));
  std::vector<std::string> mentions;
  SAMPLAN_RETURN_IF_ERROR(req.Mentions(&mentions));
  if (op == "add_thread") {
    Replica::ThreadAnchorSpec a;
    SAMPLAN_RETURN_IF_ERROR(req.Id("node", &a.node));
    SAMPLAN_RETURN_IF_ERROR(req.String("field", &a.field, false));
    SAMPLAN_RETURN_IF_ERROR(req.Size("from", &a.from, false));
    SAMPLAN_RETURN_IF_ERROR(req.Size("to", &a.to, false));
    SAMPLAN_RETURN_IF_ERROR(req.Id("row", &a.row, false));
    SAMPLAN_RETURN_IF_ERROR(req.Id("column", &a.column, false));
    if (a.to < a.from) return Bad("to", "before from");
    std::string body;
    SAMPLAN_RETURN_IF_ERROR(req.String("body", &body));
    return r->AddThread(a, body, mentions);
  }
  if (op == "reply") {
    OpId thread;
    std::string body;
    SAMPLAN_RETURN_IF_ERROR(req.Id("thread", &thread));
    SAMPLAN_RETURN_IF_ERROR(req.String("body", &body));
    return r->Reply(thread, body, mentions);
  }
  if (op == "edit_comment") {
    OpId comment;
    std::string body;
    SAMPLAN_RETURN_IF_ERROR(req.Id("comment", &comment));
    SAMPLAN_RETURN_IF_ERROR(req.String("body", &body));
    return LastLogged(*r, r->EditComment(comment, body, mentions));
  }
  if (op == "delete_comment") {
    OpId comment;
    SAMPLAN_RETURN_IF_ERROR(req.Id("comment", &comment));
    const size_t before = r->log().size();
    Status s = r->DeleteComment(comment);
    if (s.ok() && r->log().size() == before) return comment;  // deleted already
    return LastLogged(*r, s);
  }
  if (op == "set_thread") {
    OpId thread;
    std::string attribute;
    SAMPLAN_RETURN_IF_ERROR(req.Id("thread", &thread));
    SAMPLAN_RETURN_IF_ERROR(req.String("attribute", &attribute));
    static const ValueType kBool = ValueType::kBool;
    static const ValueType kString = ValueType::kString;
    static const ValueType kDate = ValueType::kDate;
    const ValueType* type = attribute == "resolved"   ? &kBool
                            : attribute == "due"      ? &kDate
                            : attribute == "assignee" ? &kString
                                                      : nullptr;
    if (type == nullptr) {
      return Bad("attribute", "expected resolved, assignee or due");
    }
    FieldValue value;
    SAMPLAN_RETURN_IF_ERROR(req.Value("value", type, &value));
    return LastLogged(*r, r->SetThread(thread, attribute, value));
  }
  if (op == "mark_read") {
    OpId thread;
    SAMPLAN_RETURN_IF_ERROR(req.Id("thread", &thread));
    return LastLogged(*r, r->MarkRead(thread));
  }
  if (op == "suggest_text") {
    OpId node;
    std::string field, text;
    size_t pos = 0, length = 0;
    SAMPLAN_RETURN_IF_ERROR(req.Id("node", &node));
    SAMPLAN_RETURN_IF_ERROR(req.String("field", &field));
    SAMPLAN_RETURN_IF_ERROR(req.Size("pos", &pos));
    SAMPLAN_RETURN_IF_ERROR(req.Size("length", &length, false));
    SAMPLAN_RETURN_IF_ERROR(req.String("text", &text, false));
    return r->SuggestText(node, field, pos, length, text);
  }
  if (op == "suggest_field") {
    OpId node;
    std::string field;
    SAMPLAN_RETURN_IF_ERROR(req.Id("node", &node));
    SAMPLAN_RETURN_IF_ERROR(req.String("field", &field));
    const ValueType* type = nullptr;
    if (r->HasNode(node)) {
      if (const KindSchema* ks = r->schema().Find(r->KindOf(node))) {
        auto it = ks->fields.find(field);
        if (it != ks->fields.end()) type = &it->second;
      }
    }
    FieldValue value;
    SAMPLAN_RETURN_IF_ERROR(req.Value("value", type, &value));
    return r->SuggestField(node, field, value);
  }
  if (op == "suggest_cell") {
    OpId node, row, column;
    std::string table;
    SAMPLAN_RETURN_IF_ERROR(req.Id("node", &node));
    SAMPLAN_RETURN_IF_ERROR(req.String("table", &table));
    SAMPLAN_RETURN_IF_ERROR(req.Id("row", &row, false));
    SAMPLAN_RETURN_IF_ERROR(req.Id("column", &column, false));
    static const ValueType kNumber = ValueType::kNumber;  // as setCell
    FieldValue value;
    SAMPLAN_RETURN_IF_ERROR(req.Value("value", &kNumber, &value));
    return r->SuggestCell(node, table, row, column, value);
  }
  if (op == "suggest_node") {
    OpId parent;
    size_t index = 0;
    std::string kind, title;
    SAMPLAN_RETURN_IF_ERROR(req.Id("parent", &parent));
    SAMPLAN_RETURN_IF_ERROR(req.Size("index", &index));
    SAMPLAN_RETURN_IF_ERROR(req.String("kind", &kind));
    SAMPLAN_RETURN_IF_ERROR(req.String("title", &title, false));
    return r->SuggestNode(parent, index, kind, title);
  }
  if (op == "suggest_move") {
    OpId node, parent;
    size_t index = 0;
    SAMPLAN_RETURN_IF_ERROR(req.Id("node", &node));
    SAMPLAN_RETURN_IF_ERROR(req.Id("parent", &parent));
    SAMPLAN_RETURN_IF_ERROR(req.Size("index", &index));
    return r->SuggestMove(node, parent, index);
  }
  if (op == "suggest_delete") {
    OpId node;
    SAMPLAN_RETURN_IF_ERROR(req.Id("node", &node));
    return r->SuggestDelete(node);
  }
  if (op == "accept") {
    OpId suggestion;
    bool stale = false;
    SAMPLAN_RETURN_IF_ERROR(req.Id("suggestion", &suggestion));
    SAMPLAN_RETURN_IF_ERROR(req.Bool("stale", &stale));
    return LastLogged(*r, r->AcceptSuggestion(suggestion, stale));
  }
  if (op == "reject") {
    OpId suggestion;
    std::string reason;
    SAMPLAN_RETURN_IF_ERROR(req.Id("suggestion", &suggestion));
    SAMPLAN_RETURN_IF_ERROR(req.String("reason", &reason, false));
    return LastLogged(*r, r->RejectSuggestion(suggestion, reason));
  }
  if (op == "approve" || op == "revoke") {
    OpId node;
    std::string municipality;
    SAMPLAN_RETURN_IF_ERROR(req.Id("node", &node));
    SAMPLAN_RETURN_IF_ERROR(req.String("municipality", &municipality));
    return LastLogged(*r, op == "approve"
                              ? r->Approve(node, municipality)
                              : r->RevokeApproval(node, municipality));
  }
  return Bad("op", "unknown review request '" + op.substr(0, 64) + "'");
}

}  // namespace samplan::protocol
