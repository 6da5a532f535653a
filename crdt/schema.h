// PlanSchema: which node kinds exist and what each may hold.
//
// The set of kinds is data, not code: a schema lists kinds with their typed
// fields, text fields, tables and the kinds allowed as children. Every
// replica of a plan uses the same schema (it travels in the snapshot), and
// validation against it depends only on immutable facts (a node's kind),
// so every replica accepts or rejects an operation alike.
//
// Thread-safety: immutable after construction.
#ifndef SAMPLAN_CRDT_SCHEMA_H_
#define SAMPLAN_CRDT_SCHEMA_H_

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/codec.h"
#include "crdt/status.h"
#include "crdt/value.h"

namespace samplan {

struct KindSchema {
  std::string name;
  std::map<std::string, ValueType, std::less<>> fields;
  std::set<std::string, std::less<>> texts;
  std::set<std::string, std::less<>> tables;
  // Kinds allowed as children; empty = none.
  std::set<std::string, std::less<>> children;
};

class PlanSchema {
 public:
  // The regional plan model from the brief: plan, chapter, goal, subgoal,
  // measure, indicator, text_block, list, list_item, footnote, stakeholder,
  // adoption.
  static PlanSchema Default();

  // InvalidArgument on an empty or repeated name.
  Status AddKind(KindSchema kind);
  // nullptr for an unknown kind.
  const KindSchema* Find(std::string_view kind) const;
  const std::map<std::string, KindSchema, std::less<>>& kinds() const {
    return kinds_;
  }

  // Validation helpers; each names the kind and the field on failure.
  Status CheckChild(std::string_view parent_kind,
                    std::string_view child_kind) const;
  Status CheckField(std::string_view kind, std::string_view field,
                    const FieldValue& value) const;
  Status CheckText(std::string_view kind, std::string_view field) const;
  Status CheckTable(std::string_view kind, std::string_view table) const;

  void EncodeTo(Writer* w) const;
  static Status DecodeFrom(Reader* r, PlanSchema* out);

  friend bool operator==(const PlanSchema& a, const PlanSchema& b);

 private:
  std::map<std::string, KindSchema, std::less<>> kinds_;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_SCHEMA_H_
