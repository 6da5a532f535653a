#include "protocol/plan_state.h"

namespace samplan::protocol {
namespace {

Json NodeToJson(const Replica& r, OpId node, int depth) {
  Json j = Json::object();
  const std::string& kind = r.KindOf(node);
  j["id"] = OpIdToJson(node);
  j["kind"] = kind;
  j["number"] = r.Numbering(node);
  NodeContentToJson(r, node, &j);
  Json children = Json::array();
  if (depth < 256) {
    for (const OpId& c : r.Children(node)) {
      children.push_back(NodeToJson(r, c, depth + 1));
    }
  }
  j["children"] = std::move(children);
  return j;
}

}  // namespace

void NodeContentToJson(const Replica& r, OpId node, Json* j) {
  const KindSchema* ks = r.schema().Find(r.KindOf(node));
  Json fields = Json::object();
  Json texts = Json::object();
  Json tables = Json::object();
  if (ks != nullptr) {
    for (const auto& [name, type] : ks->fields) {
      Result<FieldRead> f = r.Field(node, name);
      if (!f.ok() || f->winner.IsNull()) continue;
      Json v = ValueToJson(f->value);
      if (!f->conflicts.empty()) {
        Json c = Json::array();
        for (const RegisterEntry& e : f->conflicts) c.push_back(ValueToJson(e.value));
        v["conflicts"] = std::move(c);
      }
      fields[name] = std::move(v);
    }
    for (const std::string& name : ks->texts) {
      Result<std::string> t = r.Text(node, name);
      if (t.ok() && !t->empty()) texts[name] = *t;
    }
    for (const std::string& name : ks->tables) {
      if (const Table* t = r.TableOf(node, name)) tables[name] = TableToJson(*t);
    }
  }
  (*j)["fields"] = std::move(fields);
  (*j)["texts"] = std::move(texts);
  if (!tables.empty()) (*j)["tables"] = std::move(tables);
}


Json RegisterToJson(const MultiValueRegister* reg) {
  if (reg == nullptr || reg->empty()) return Json(nullptr);
  Json j = ValueToJson(reg->winner().value);
  Json conflicts = Json::array();
  for (size_t i = 1; i < reg->entries().size(); ++i) {
    conflicts.push_back(ValueToJson(reg->entries()[i].value));
  }
  if (!conflicts.empty()) j["conflicts"] = std::move(conflicts);
  return j;
}

Json TableToJson(const Table& table) {
  Json j = Json::object();
  const std::vector<OpId> rows = table.VisibleLines(TableAxis::kRow);
  const std::vector<OpId> cols = table.VisibleLines(TableAxis::kColumn);
  Json columns = Json::array();
  for (const OpId& c : cols) {
    columns.push_back(Json{{"id", OpIdToJson(c)},
                           {"header", RegisterToJson(table.Cell(kNullId, c))}});
  }
  Json out_rows = Json::array();
  for (const OpId& r : rows) {
    Json cells = Json::array();
    for (const OpId& c : cols) cells.push_back(RegisterToJson(table.Cell(r, c)));
    out_rows.push_back(Json{{"id", OpIdToJson(r)},
                            {"header", RegisterToJson(table.Cell(r, kNullId))},
                            {"cells", std::move(cells)}});
  }
  j["columns"] = std::move(columns);
  j["rows"] = std::move(out_rows);
  return j;
}


Json PlanStateToJson(const Replica& replica) {
  Json j = Json::object();
  j["version"] = VersionToJson(replica.version());
  j["root"] = NodeToJson(replica, kRootNode, 0);
  return j;
}

}  // namespace samplan::protocol
