#include "crdt/schema.h"

#include <utility>

namespace samplan {
namespace {

using V = ValueType;

// Fields every content node carries: who owns it (municipalities; empty =
// joint) and its workflow status.
KindSchema Content(std::string name, std::set<std::string, std::less<>> texts,
                   std::set<std::string, std::less<>> children) {
  KindSchema k;
  k.name = std::move(name);
  k.fields = {{"owner", V::kStringList}, {"status", V::kString}};
  k.texts = std::move(texts);
  k.children = std::move(children);
  return k;
}

}  // namespace

PlanSchema PlanSchema::Default() {
  const std::set<std::string, std::less<>> blocks = {
      "text_block", "list", "footnote", "stakeholder"};
  auto with = [&](std::set<std::string, std::less<>> extra) {
    extra.insert(blocks.begin(), blocks.end());
    return extra;
  };
  PlanSchema s;
  KindSchema plan = Content("plan", {"title", "intro"},
                            with({"chapter", "goal", "indicator", "adoption"}));
  plan.fields["period_start"] = V::kInt;
  plan.fields["period_end"] = V::kInt;
  plan.fields["municipalities"] = V::kStringList;
  plan.fields["vision"] = V::kString;
  s.AddKind(plan);
  s.AddKind(Content("chapter", {"title", "intro"},
                    with({"goal", "measure", "indicator"})));
  KindSchema goal = Content("goal", {"title", "body"},
                            with({"subgoal", "measure", "indicator"}));
  goal.fields["target_year"] = V::kInt;
  s.AddKind(goal);
  KindSchema subgoal = goal;
  subgoal.name = "subgoal";
  subgoal.children = with({"measure", "indicator"});
  s.AddKind(subgoal);
  KindSchema measure = Content("measure", {"title", "body"}, with({}));
  measure.fields["deadline"] = V::kDate;
  measure.fields["year"] = V::kInt;
  measure.fields["responsible"] = V::kStringList;
  measure.fields["cost"] = V::kNumber;
  measure.fields["done"] = V::kBool;
  s.AddKind(measure);
  KindSchema indicator = Content("indicator", {"title", "description"}, {});
  indicator.fields["unit"] = V::kString;
  indicator.fields["source"] = V::kString;
  indicator.fields["baseline_year"] = V::kInt;
  indicator.tables = {"values"};
  s.AddKind(indicator);
  s.AddKind(Content("text_block", {"body"}, {}));
  s.AddKind(Content("list", {"title"}, {"list_item"}));
  s.AddKind(Content("list_item", {"body"}, {}));
  KindSchema footnote = Content("footnote", {"body"}, {});
  footnote.fields["url"] = V::kString;
  s.AddKind(footnote);
  s.AddKind(Content("stakeholder", {"name", "role"}, {}));
  KindSchema adoption = Content("adoption", {"note"}, {});
  adoption.fields["body"] = V::kString;
  adoption.fields["date"] = V::kDate;
  s.AddKind(adoption);
  return s;
}

Status PlanSchema::AddKind(KindSchema kind) {
  if (kind.name.empty()) return Status::InvalidArgument("kind name is empty");
  if (kinds_.count(kind.name)) {
    return Status::InvalidArgument("kind '" + kind.name + "' defined twice");
  }
  std::string name = kind.name;
  kinds_.emplace(std::move(name), std::move(kind));
  return Status::OK();
}

const KindSchema* PlanSchema::Find(std::string_view kind) const {
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? nullptr : &it->second;
}

Status PlanSchema::CheckChild(std::string_view parent_kind,
                              std::string_view child_kind) const {
  if (parent_kind == "trash") return Status::OK();
  const KindSchema* child = Find(child_kind);
  if (child == nullptr || child_kind == "plan") {
    return Status::InvalidArgument("unknown node kind '" +
                                   std::string(child_kind) + "'");
  }
  const KindSchema* parent = Find(parent_kind);
  if (parent == nullptr || parent->children.count(child_kind) == 0) {
    return Status::InvalidArgument("a " + std::string(child_kind) +
                                   " cannot be placed under a " +
                                   std::string(parent_kind));
  }
  return Status::OK();
}

Status PlanSchema::CheckField(std::string_view kind, std::string_view field,
                              const FieldValue& value) const {
  const KindSchema* k = Find(kind);
  const auto no_field = [&] {
    return Status::InvalidArgument("a " + std::string(kind) +
                                   " has no field '" + std::string(field) +
                                   "'");
  };
  if (k == nullptr) return no_field();
  auto it = k->fields.find(field);
  if (it == k->fields.end()) return no_field();
  if (value.type != ValueType::kNull && value.type != it->second) {
    return Status::InvalidArgument(
        "field '" + std::string(field) + "' of a " + std::string(kind) +
        " holds " + ValueTypeName(it->second) + ", not " +
        ValueTypeName(value.type));
  }
  return Status::OK();
}

Status PlanSchema::CheckText(std::string_view kind,
                             std::string_view field) const {
  const KindSchema* k = Find(kind);
  if (k == nullptr || k->texts.count(field) == 0) {
    return Status::InvalidArgument("a " + std::string(kind) +
                                   " has no text field '" +
                                   std::string(field) + "'");
  }
  return Status::OK();
}

Status PlanSchema::CheckTable(std::string_view kind,
                              std::string_view table) const {
  const KindSchema* k = Find(kind);
  if (k == nullptr || k->tables.count(table) == 0) {
    return Status::InvalidArgument("a " + std::string(kind) +
                                   " has no table '" + std::string(table) +
                                   "'");
  }
  return Status::OK();
}

namespace {

void PutNames(Writer* w, const std::set<std::string, std::less<>>& names) {
  w->Varint(names.size());
  for (const auto& n : names) w->Bytes(n);
}

Status GetNames(Reader* r, std::set<std::string, std::less<>>* names) {
  uint64_t n;
  SAMPLAN_RETURN_IF_ERROR(r->Count(&n, 1, "schema names"));
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view v;
    SAMPLAN_RETURN_IF_ERROR(r->Bytes(&v, "schema name"));
    names->emplace(v);
  }
  return Status::OK();
}

}  // namespace

void PlanSchema::EncodeTo(Writer* w) const {
  w->Varint(kinds_.size());
  for (const auto& [name, k] : kinds_) {
    w->Bytes(name);
    w->Varint(k.fields.size());
    for (const auto& [field, type] : k.fields) {
      w->Bytes(field);
      w->U8(static_cast<uint8_t>(type));
    }
    PutNames(w, k.texts);
    PutNames(w, k.tables);
    PutNames(w, k.children);
  }
}

Status PlanSchema::DecodeFrom(Reader* r, PlanSchema* out) {
  PlanSchema s;
  uint64_t n;
  SAMPLAN_RETURN_IF_ERROR(r->Count(&n, 4, "schema kinds"));
  for (uint64_t i = 0; i < n; ++i) {
    KindSchema k;
    std::string_view name;
    SAMPLAN_RETURN_IF_ERROR(r->Bytes(&name, "kind name"));
    k.name.assign(name);
    uint64_t fields;
    SAMPLAN_RETURN_IF_ERROR(r->Count(&fields, 2, "kind fields"));
    for (uint64_t f = 0; f < fields; ++f) {
      std::string_view field;
      uint8_t type;
      SAMPLAN_RETURN_IF_ERROR(r->Bytes(&field, "field name"));
      SAMPLAN_RETURN_IF_ERROR(r->U8(&type, "field type"));
      if (type > static_cast<uint8_t>(ValueType::kStringList)) {
        return Status::Corruption("unknown field type in schema");
      }
      k.fields.emplace(std::string(field), static_cast<ValueType>(type));
    }
    SAMPLAN_RETURN_IF_ERROR(GetNames(r, &k.texts));
    SAMPLAN_RETURN_IF_ERROR(GetNames(r, &k.tables));
    SAMPLAN_RETURN_IF_ERROR(GetNames(r, &k.children));
    Status added = s.AddKind(std::move(k));
    if (!added.ok()) return Status::Corruption(added.message());
  }
  *out = std::move(s);
  return Status::OK();
}

bool operator==(const PlanSchema& a, const PlanSchema& b) {
  if (a.kinds_.size() != b.kinds_.size()) return false;
  for (const auto& [name, k] : a.kinds_) {
    const KindSchema* o = b.Find(name);
    if (o == nullptr || o->fields != k.fields || o->texts != k.texts ||
        o->tables != k.tables || o->children != k.children) {
      return false;
    }
  }
  return true;
}

}  // namespace samplan
