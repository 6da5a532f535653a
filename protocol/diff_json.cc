#include "protocol/diff_json.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "crdt/utf8.h"
#include "protocol/plan_state.h"

namespace samplan::protocol {
namespace {

// ---- Encoding ------------------------------------------------------------

Json ValueStateToJson(const ValueState& v) {
  if (!v.set) return Json(nullptr);
  Json j = ValueToJson(v.value);
  if (!v.conflicts.empty()) {
    Json c = Json::array();
    for (const FieldValue& f : v.conflicts) c.push_back(ValueToJson(f));
    j["conflicts"] = std::move(c);
  }
  return j;
}


Json NodeHead(const DiffNode& n) {
  return Json{{"node", OpIdToJson(n.id)},
              {"kind", n.kind},
              {"number", n.number},
              {"title", n.title}};
}

Json LinesToJson(const std::vector<LineChange>& lines) {
  Json a = Json::array();
  for (const LineChange& l : lines) {
    a.push_back(Json{{"id", OpIdToJson(l.line)},
                     {"index", l.index},
                     {"by", DiffByToJson(l.by)}});
  }
  return a;
}

Json PieceToJson(const TextPiece& p) {
  switch (p.kind) {
    case TextPiece::Kind::kRetain:
      return Json{{"op", "retain"}, {"length", p.length}};
    case TextPiece::Kind::kInsert:
      return Json{{"op", "insert"},
                  {"length", p.length},
                  {"text", p.text},
                  {"by", DiffByToJson(p.by)},
                  {"seq_last", p.seq_last}};
    case TextPiece::Kind::kDelete: {
      Json j{{"op", "delete"},
             {"length", p.length},
             {"text", p.text},
             {"by", DiffByToJson(p.by)}};
      if (!p.also.empty()) {
        Json also = Json::array();
        for (const DiffBy& b : p.also) also.push_back(DiffByToJson(b));
        j["also"] = std::move(also);
      }
      return j;
    }
  }
  return Json(nullptr);
}

Json ReviewItemsToJson(const std::vector<ReviewChange>& items) {
  Json a = Json::array();
  for (const ReviewChange& c : items) {
    Json j{{"id", OpIdToJson(c.item)},
           {"what", c.what},
           {"node", OpIdToJson(c.node.id)},
           {"number", c.node.number},
           {"title", c.node.title},
           {"node_removed", c.node_removed},
           {"field", c.field},
           {"text", c.text},
           {"by", DiffByToJson(c.by)}};
    if (c.what == "thread") j["orphaned"] = c.orphaned;
    if (!c.reason.empty()) j["reason"] = c.reason;
    a.push_back(std::move(j));
  }
  return a;
}

Json StatsToJson(const DiffStats& s) {
  return Json{{"ops", s.ops},
              {"nodes_added", s.nodes_added},
              {"nodes_removed", s.nodes_removed},
              {"nodes_moved", s.nodes_moved},
              {"nodes_renumbered", s.nodes_renumbered},
              {"nodes_changed", s.nodes_changed},
              {"fields_changed", s.fields_changed},
              {"texts_changed", s.texts_changed},
              {"tables_changed", s.tables_changed},
              {"cells_changed", s.cells_changed},
              {"lines_added", s.lines_added},
              {"lines_removed", s.lines_removed},
              {"chars_inserted", s.chars_inserted},
              {"chars_deleted", s.chars_deleted},
              {"threads_opened", s.threads_opened},
              {"threads_resolved", s.threads_resolved},
              {"threads_reopened", s.threads_reopened},
              {"suggestions_accepted", s.suggestions_accepted},
              {"suggestions_rejected", s.suggestions_rejected},
              {"approvals_given", s.approvals_given},
              {"approvals_revoked", s.approvals_revoked}};
}

}  // namespace

Json DiffByToJson(const DiffBy& by) {
  if (by.seq == 0 && by.author.user.empty()) return Json(nullptr);
  return Json{{"user", by.author.user},
              {"municipality", by.author.municipality},
              {"time", by.author.wall_time_ms},
              {"seq", by.seq}};
}

Json DiffToJson(const PlanDiff& diff, const Replica& older,
                const Replica& newer) {
  (void)older;
  Json j = Json::object();
  j["from"] = Json{{"seq", diff.from_seq}, {"time", diff.from_time}};
  j["to"] = Json{{"seq", diff.to_seq},
                 {"time", diff.to_time},
                 {"version", VersionToJson(newer.version())}};
  Json added = Json::array();
  for (const NodeAdded& a : diff.added) {
    Json n = NodeHead(a.node);
    n["parent"] = OpIdToJson(a.parent);
    n["index"] = a.index;
    n["by"] = DiffByToJson(a.by);
    NodeContentToJson(newer, a.node.id, &n);
    added.push_back(std::move(n));
  }
  Json removed = Json::array();
  for (const NodeRemoved& r : diff.removed) {
    Json n = NodeHead(r.node);
    n["parent"] = OpIdToJson(r.parent);
    n["index"] = r.index;
    n["with_parent"] = r.with_parent;
    n["by"] = DiffByToJson(r.by);
    removed.push_back(std::move(n));
  }
  Json moved = Json::array();
  for (const NodeMoved& m : diff.moved) {
    Json n = NodeHead(m.node);
    n["old_parent"] = OpIdToJson(m.old_parent);
    n["old_index"] = m.old_index;
    n["old_number"] = m.old_number;
    n["parent"] = OpIdToJson(m.new_parent);
    n["index"] = m.new_index;
    n["by"] = DiffByToJson(m.by);
    moved.push_back(std::move(n));
  }
  Json renumbered = Json::array();
  for (const NodeRenumbered& r : diff.renumbered) {
    Json n = NodeHead(r.node);
    n["old_number"] = r.old_number;
    renumbered.push_back(std::move(n));
  }
  j["nodes"] = Json{{"added", std::move(added)},
                    {"removed", std::move(removed)},
                    {"moved", std::move(moved)},
                    {"renumbered", std::move(renumbered)}};
  Json changes = Json::array();
  for (const NodeChanges& c : diff.changes) {
    Json n = NodeHead(c.node);
    Json fields = Json::array();
    for (const FieldChange& f : c.fields) {
      Json fj{{"field", f.name},
              {"old", ValueStateToJson(f.old_value)},
              {"new", ValueStateToJson(f.new_value)},
              {"by", DiffByToJson(f.by)}};
      if (!f.conflicts_by.empty()) {
        Json cb = Json::array();
        for (const DiffBy& b : f.conflicts_by) cb.push_back(DiffByToJson(b));
        fj["conflicts_by"] = std::move(cb);
      }
      fields.push_back(std::move(fj));
    }
    Json texts = Json::array();
    for (const TextChange& t : c.texts) {
      Json pieces = Json::array();
      for (const TextPiece& p : t.pieces) pieces.push_back(PieceToJson(p));
      texts.push_back(Json{{"field", t.name},
                           {"inserted", t.inserted},
                           {"deleted", t.deleted},
                           {"pieces", std::move(pieces)}});
    }
    Json tables = Json::array();
    for (const TableChange& t : c.tables) {
      Json cells = Json::array();
      for (const CellChange& cell : t.cells) {
        cells.push_back(Json{{"row", OpIdToJson(cell.row)},
                             {"column", OpIdToJson(cell.column)},
                             {"old", ValueStateToJson(cell.old_value)},
                             {"new", ValueStateToJson(cell.new_value)},
                             {"by", DiffByToJson(cell.by)}});
      }
      tables.push_back(Json{{"table", t.name},
                            {"created", t.created},
                            {"rows_added", LinesToJson(t.rows_added)},
                            {"rows_removed", LinesToJson(t.rows_removed)},
                            {"columns_added", LinesToJson(t.columns_added)},
                            {"columns_removed", LinesToJson(t.columns_removed)},
                            {"cells", std::move(cells)}});
    }
    n["fields"] = std::move(fields);
    n["texts"] = std::move(texts);
    n["tables"] = std::move(tables);
    changes.push_back(std::move(n));
  }
  j["changes"] = std::move(changes);
  const ReviewChanges& rv = diff.review;
  j["review"] = Json{{"opened", ReviewItemsToJson(rv.opened)},
                     {"resolved", ReviewItemsToJson(rv.resolved)},
                     {"reopened", ReviewItemsToJson(rv.reopened)},
                     {"accepted", ReviewItemsToJson(rv.accepted)},
                     {"rejected", ReviewItemsToJson(rv.rejected)},
                     {"approved", ReviewItemsToJson(rv.approved)},
                     {"revoked", ReviewItemsToJson(rv.revoked)}};
  j["stats"] = StatsToJson(diff.stats);
  return j;
}

// ---- Applying ----------------------------------------------------------------

namespace {

Status Bad(const std::string& path, std::string_view what) {
  return Status::InvalidArgument(path + ": " + std::string(what));
}

struct StateNode {
  Json body;  // every member but "children"
  std::vector<OpId> children;
  bool removed = false;
};

class Applier {
 public:
  Status Run(const Json& older, const Json& diff, Json* out) {
    if (!older.is_object() || !older.contains("root")) {
      return Bad("state", "expected {\"version\", \"root\"}");
    }
    if (!diff.is_object()) return Bad("diff", "expected an object");
    SAMPLAN_RETURN_IF_ERROR(Flatten(older["root"], "state.root", 0));
    SAMPLAN_RETURN_IF_ERROR(Structure(diff));
    SAMPLAN_RETURN_IF_ERROR(Changes(diff));
    const Json* to = Member(diff, "to");
    if (to == nullptr || !to->is_object() || !to->contains("version")) {
      return Bad("diff.to", "expected {\"seq\", \"time\", \"version\"}");
    }
    Json result = Json::object();
    result["version"] = (*to)["version"];
    Json root;
    SAMPLAN_RETURN_IF_ERROR(Build(kRootNode, 0, &root));
    result["root"] = std::move(root);
    *out = std::move(result);
    return Status::OK();
  }

 private:
  static const Json* Member(const Json& j, const char* name) {
    auto it = j.find(name);
    return it == j.end() ? nullptr : &*it;
  }

  Status Flatten(const Json& node, const std::string& path, int depth) {
    if (!node.is_object() || depth > 300) return Bad(path, "expected a node");
    OpId id;
    SAMPLAN_RETURN_IF_ERROR(OpIdFromJson(node.value("id", Json()), path + ".id", &id));
    StateNode n;
    n.body = node;
    n.body.erase("children");
    const Json* children = Member(node, "children");
    if (children != nullptr && children->is_array()) {
      for (size_t i = 0; i < children->size(); ++i) {
        const std::string cp = path + ".children[" + std::to_string(i) + "]";
        OpId child;
        SAMPLAN_RETURN_IF_ERROR(
            OpIdFromJson((*children)[i].value("id", Json()), cp + ".id", &child));
        n.children.push_back(child);
        SAMPLAN_RETURN_IF_ERROR(Flatten((*children)[i], cp, depth + 1));
      }
    }
    if (!nodes_.emplace(id, std::move(n)).second) return Bad(path, "repeated node");
    return Status::OK();
  }

  static Status Array(const Json& parent, const char* name,
                      const std::string& path, const Json** out) {
    auto it = parent.find(name);
    if (it == parent.end() || !it->is_array()) {
      return Bad(path + "." + name, "expected an array");
    }
    *out = &*it;
    return Status::OK();
  }

  static Status Index(const Json& j, const char* name, const std::string& path,
                      size_t* out) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_unsigned()) {
      return Bad(path + "." + name, "expected an index");
    }
    *out = it->get<size_t>();
    return Status::OK();
  }

  static Status Id(const Json& j, const char* name, const std::string& path,
                   OpId* out) {
    return OpIdFromJson(j.value(name, Json()), path + "." + name, out);
  }

  struct Insertion {
    size_t index;
    OpId node;
  };

  Status Structure(const Json& diff) {
    const Json* nodes = Member(diff, "nodes");
    if (nodes == nullptr || !nodes->is_object()) {
      return Bad("diff.nodes", "expected an object");
    }
    const Json *added, *removed, *moved, *renumbered;
    SAMPLAN_RETURN_IF_ERROR(Array(*nodes, "added", "diff.nodes", &added));
    SAMPLAN_RETURN_IF_ERROR(Array(*nodes, "removed", "diff.nodes", &removed));
    SAMPLAN_RETURN_IF_ERROR(Array(*nodes, "moved", "diff.nodes", &moved));
    SAMPLAN_RETURN_IF_ERROR(Array(*nodes, "renumbered", "diff.nodes", &renumbered));
    std::set<OpId> leaving;  // removed or moved: out of their old lists
    for (size_t i = 0; i < removed->size(); ++i) {
      const std::string path = "diff.nodes.removed[" + std::to_string(i) + "]";
      OpId id;
      SAMPLAN_RETURN_IF_ERROR(Id((*removed)[i], "node", path, &id));
      auto it = nodes_.find(id);
      if (it == nodes_.end() || id == kRootNode) return Bad(path, "unknown node");
      it->second.removed = true;
      leaving.insert(id);
    }
    for (size_t i = 0; i < moved->size(); ++i) {
      const std::string path = "diff.nodes.moved[" + std::to_string(i) + "]";
      const Json& m = (*moved)[i];
      OpId id, parent;
      size_t index;
      SAMPLAN_RETURN_IF_ERROR(Id(m, "node", path, &id));
      SAMPLAN_RETURN_IF_ERROR(Id(m, "parent", path, &parent));
      SAMPLAN_RETURN_IF_ERROR(Index(m, "index", path, &index));
      auto it = nodes_.find(id);
      if (it == nodes_.end() || id == kRootNode) return Bad(path, "unknown node");
      if (!m.contains("number") || !m["number"].is_string()) {
        return Bad(path + ".number", "expected a string");
      }
      it->second.body["number"] = m["number"];
      leaving.insert(id);
      insertions_[parent].push_back(Insertion{index, id});
    }
    for (size_t i = 0; i < added->size(); ++i) {
      const std::string path = "diff.nodes.added[" + std::to_string(i) + "]";
      const Json& a = (*added)[i];
      OpId id, parent;
      size_t index;
      SAMPLAN_RETURN_IF_ERROR(Id(a, "node", path, &id));
      SAMPLAN_RETURN_IF_ERROR(Id(a, "parent", path, &parent));
      SAMPLAN_RETURN_IF_ERROR(Index(a, "index", path, &index));
      if (!a.contains("kind") || !a["kind"].is_string() ||
          !a.contains("number") || !a["number"].is_string()) {
        return Bad(path, "expected \"kind\" and \"number\" strings");
      }
      if (nodes_.count(id) != 0 && !nodes_[id].removed) {
        return Bad(path, "node already present");
      }
      StateNode n;
      n.body = Json::object();
      n.body["id"] = OpIdToJson(id);
      n.body["kind"] = a["kind"];
      n.body["number"] = a["number"];
      n.body["fields"] = a.value("fields", Json::object());
      n.body["texts"] = a.value("texts", Json::object());
      if (a.contains("tables")) n.body["tables"] = a["tables"];
      nodes_[id] = std::move(n);
      insertions_[parent].push_back(Insertion{index, id});
    }
    for (size_t i = 0; i < renumbered->size(); ++i) {
      const std::string path = "diff.nodes.renumbered[" + std::to_string(i) + "]";
      const Json& r = (*renumbered)[i];
      OpId id;
      SAMPLAN_RETURN_IF_ERROR(Id(r, "node", path, &id));
      auto it = nodes_.find(id);
      if (it == nodes_.end() || it->second.removed) return Bad(path, "unknown node");
      if (!r.contains("number") || !r["number"].is_string()) {
        return Bad(path + ".number", "expected a string");
      }
      it->second.body["number"] = r["number"];
    }
    // New children lists: the old ones minus what left, then the arrivals
    // at their new indices, ascending.
    for (auto& [id, n] : nodes_) {
      std::erase_if(n.children, [&](OpId c) { return leaving.count(c) != 0; });
    }
    for (auto& [parent, list] : insertions_) {
      auto it = nodes_.find(parent);
      if (it == nodes_.end() || it->second.removed) {
        return Bad("diff.nodes", "unknown parent " + parent.ToString());
      }
      std::sort(list.begin(), list.end(),
                [](const Insertion& a, const Insertion& b) { return a.index < b.index; });
      std::vector<OpId>& children = it->second.children;
      for (const Insertion& ins : list) {
        if (ins.index > children.size()) {
          return Bad("diff.nodes", "index " + std::to_string(ins.index) +
                                       " past the end of " + parent.ToString());
        }
        children.insert(children.begin() + static_cast<std::ptrdiff_t>(ins.index),
                        ins.node);
      }
    }
    return Status::OK();
  }

  Status Changes(const Json& diff) {
    const Json* changes;
    SAMPLAN_RETURN_IF_ERROR(Array(diff, "changes", "diff", &changes));
    for (size_t i = 0; i < changes->size(); ++i) {
      const std::string path = "diff.changes[" + std::to_string(i) + "]";
      const Json& c = (*changes)[i];
      OpId id;
      SAMPLAN_RETURN_IF_ERROR(Id(c, "node", path, &id));
      auto it = nodes_.find(id);
      if (it == nodes_.end() || it->second.removed) return Bad(path, "unknown node");
      Json& body = it->second.body;
      const Json *fields, *texts, *tables;
      SAMPLAN_RETURN_IF_ERROR(Array(c, "fields", path, &fields));
      SAMPLAN_RETURN_IF_ERROR(Array(c, "texts", path, &texts));
      SAMPLAN_RETURN_IF_ERROR(Array(c, "tables", path, &tables));
      for (size_t k = 0; k < fields->size(); ++k) {
        const Json& f = (*fields)[k];
        const std::string fp = path + ".fields[" + std::to_string(k) + "]";
        if (!f.contains("field") || !f["field"].is_string() || !f.contains("new")) {
          return Bad(fp, "expected {\"field\", \"old\", \"new\"}");
        }
        const std::string name = f["field"].get<std::string>();
        if (f["new"].is_null()) {
          body["fields"].erase(name);
        } else {
          body["fields"][name] = f["new"];
        }
      }
      for (size_t k = 0; k < texts->size(); ++k) {
        SAMPLAN_RETURN_IF_ERROR(
            ApplyText((*texts)[k], path + ".texts[" + std::to_string(k) + "]", &body));
      }
      for (size_t k = 0; k < tables->size(); ++k) {
        SAMPLAN_RETURN_IF_ERROR(ApplyTable(
            (*tables)[k], path + ".tables[" + std::to_string(k) + "]", &body));
      }
    }
    return Status::OK();
  }

  static Status ApplyText(const Json& t, const std::string& path, Json* body) {
    if (!t.contains("field") || !t["field"].is_string()) {
      return Bad(path + ".field", "expected a string");
    }
    const std::string name = t["field"].get<std::string>();
    const Json* pieces;
    SAMPLAN_RETURN_IF_ERROR(Array(t, "pieces", path, &pieces));
    std::u32string old;
    if (body->contains("texts") && (*body)["texts"].contains(name)) {
      const Json& s = (*body)["texts"][name];
      if (!s.is_string()) return Bad(path, "state text is not a string");
      Result<std::u32string> d = utf8::Decode(s.get<std::string>());
      if (!d.ok()) return Bad(path, d.status().message());
      old = std::move(d).value();
    }
    std::u32string out;
    size_t at = 0;
    for (size_t i = 0; i < pieces->size(); ++i) {
      const Json& p = (*pieces)[i];
      const std::string pp = path + ".pieces[" + std::to_string(i) + "]";
      const std::string op = p.value("op", "");
      size_t length;
      SAMPLAN_RETURN_IF_ERROR(Index(p, "length", pp, &length));
      if (op == "retain" || op == "delete") {
        if (length > old.size() - at) return Bad(pp, "past the end of the text");
        if (op == "retain") out.append(old, at, length);
        at += length;
      } else if (op == "insert") {
        if (!p.contains("text") || !p["text"].is_string()) {
          return Bad(pp + ".text", "expected a string");
        }
        Result<std::u32string> d = utf8::Decode(p["text"].get<std::string>());
        if (!d.ok()) return Bad(pp + ".text", d.status().message());
        if (d->size() != length) return Bad(pp, "length does not match the text");
        out += *d;
      } else {
        return Bad(pp + ".op", "expected retain, insert or delete");
      }
    }
    if (at != old.size()) return Bad(path, "pieces do not cover the text");
    if (out.empty()) {
      (*body)["texts"].erase(name);
    } else {
      (*body)["texts"][name] = utf8::Encode(out);
    }
    return Status::OK();
  }

  // One axis of a table: the old lines minus the removed ones, plus the
  // added ones at their indices.
  static Status Lines(const Json& t, const char* added_name,
                      const char* removed_name, const std::string& path,
                      std::vector<OpId>* lines) {
    const Json *added, *removed;
    SAMPLAN_RETURN_IF_ERROR(Array(t, added_name, path, &added));
    SAMPLAN_RETURN_IF_ERROR(Array(t, removed_name, path, &removed));
    std::set<OpId> gone;
    for (size_t i = 0; i < removed->size(); ++i) {
      OpId id;
      SAMPLAN_RETURN_IF_ERROR(Id((*removed)[i], "id",
                                 path + "." + removed_name + "[" + std::to_string(i) + "]",
                                 &id));
      gone.insert(id);
    }
    std::erase_if(*lines, [&](OpId l) { return gone.count(l) != 0; });
    std::vector<Insertion> ins;
    for (size_t i = 0; i < added->size(); ++i) {
      const std::string ap = path + "." + added_name + "[" + std::to_string(i) + "]";
      Insertion x{0, {}};
      SAMPLAN_RETURN_IF_ERROR(Id((*added)[i], "id", ap, &x.node));
      SAMPLAN_RETURN_IF_ERROR(Index((*added)[i], "index", ap, &x.index));
      ins.push_back(x);
    }
    std::sort(ins.begin(), ins.end(),
              [](const Insertion& a, const Insertion& b) { return a.index < b.index; });
    for (const Insertion& x : ins) {
      if (x.index > lines->size()) return Bad(path + "." + added_name, "index past the end");
      lines->insert(lines->begin() + static_cast<std::ptrdiff_t>(x.index), x.node);
    }
    return Status::OK();
  }

  static Status ApplyTable(const Json& t, const std::string& path, Json* body) {
    if (!t.contains("table") || !t["table"].is_string()) {
      return Bad(path + ".table", "expected a string");
    }
    const std::string name = t["table"].get<std::string>();
    Json old = Json::object();
    if (body->contains("tables") && (*body)["tables"].contains(name)) {
      old = (*body)["tables"][name];
    }
    // Old lines and cells, by id.
    std::vector<OpId> rows, cols;
    std::map<std::pair<OpId, OpId>, Json> cells;
    const Json columns = old.value("columns", Json::array());
    const Json old_rows = old.value("rows", Json::array());
    for (size_t i = 0; i < columns.size(); ++i) {
      OpId c;
      SAMPLAN_RETURN_IF_ERROR(Id(columns[i], "id", path + ".state.columns", &c));
      cols.push_back(c);
      cells[{kNullId, c}] = columns[i].value("header", Json());
    }
    for (size_t i = 0; i < old_rows.size(); ++i) {
      OpId r;
      SAMPLAN_RETURN_IF_ERROR(Id(old_rows[i], "id", path + ".state.rows", &r));
      rows.push_back(r);
      cells[{r, kNullId}] = old_rows[i].value("header", Json());
      const Json row_cells = old_rows[i].value("cells", Json::array());
      if (row_cells.size() != cols.size()) return Bad(path, "state row has the wrong width");
      for (size_t k = 0; k < cols.size(); ++k) cells[{r, cols[k]}] = row_cells[k];
    }
    SAMPLAN_RETURN_IF_ERROR(Lines(t, "rows_added", "rows_removed", path, &rows));
    SAMPLAN_RETURN_IF_ERROR(Lines(t, "columns_added", "columns_removed", path, &cols));
    const Json* changed;
    SAMPLAN_RETURN_IF_ERROR(Array(t, "cells", path, &changed));
    for (size_t i = 0; i < changed->size(); ++i) {
      const std::string cp = path + ".cells[" + std::to_string(i) + "]";
      OpId r, c;
      SAMPLAN_RETURN_IF_ERROR(Id((*changed)[i], "row", cp, &r));
      SAMPLAN_RETURN_IF_ERROR(Id((*changed)[i], "column", cp, &c));
      cells[{r, c}] = (*changed)[i].value("new", Json());
    }
    auto cell = [&](OpId r, OpId c) {
      auto it = cells.find({r, c});
      return it == cells.end() ? Json(nullptr) : it->second;
    };
    Json out = Json::object();
    Json out_cols = Json::array();
    for (const OpId& c : cols) {
      out_cols.push_back(Json{{"id", OpIdToJson(c)}, {"header", cell(kNullId, c)}});
    }
    Json out_rows = Json::array();
    for (const OpId& r : rows) {
      Json row_cells = Json::array();
      for (const OpId& c : cols) row_cells.push_back(cell(r, c));
      out_rows.push_back(Json{{"id", OpIdToJson(r)},
                              {"header", cell(r, kNullId)},
                              {"cells", std::move(row_cells)}});
    }
    out["columns"] = std::move(out_cols);
    out["rows"] = std::move(out_rows);
    (*body)["tables"][name] = std::move(out);
    return Status::OK();
  }

  Status Build(OpId id, int depth, Json* out) {
    auto it = nodes_.find(id);
    if (it == nodes_.end() || depth > 300) {
      return Bad("diff", "node " + id.ToString() + " is missing");
    }
    *out = it->second.body;
    Json children = Json::array();
    for (const OpId& c : it->second.children) {
      Json child;
      SAMPLAN_RETURN_IF_ERROR(Build(c, depth + 1, &child));
      children.push_back(std::move(child));
    }
    (*out)["children"] = std::move(children);
    return Status::OK();
  }

  std::map<OpId, StateNode> nodes_;
  std::map<OpId, std::vector<Insertion>> insertions_;
};

}  // namespace

Status ApplyDiffToState(const Json& older_state, const Json& diff,
                        Json* newer_state) {
  Applier applier;
  return applier.Run(older_state, diff, newer_state);
}

}  // namespace samplan::protocol
