// FieldValue: the typed value of a node field or a table cell.
//
// Types: null, bool, int (int64), number (double, finite), string (UTF-8),
// date ("YYYY-MM-DD", a valid calendar date) and string list (e.g. owner
// municipalities). Values are plain data; copying is cheap enough for the
// small values fields hold.
#ifndef SAMPLAN_CRDT_VALUE_H_
#define SAMPLAN_CRDT_VALUE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/codec.h"
#include "crdt/status.h"

namespace samplan {

enum class ValueType : uint8_t {
  kNull = 0,
  kBool = 1,
  kInt = 2,
  kNumber = 3,
  kString = 4,
  kDate = 5,
  kStringList = 6,
};

// "null", "bool", "int", "number", "string", "date", "string_list".
const char* ValueTypeName(ValueType type);
// REQUIRES nothing; returns false for an unknown name.
bool ParseValueType(std::string_view name, ValueType* type);

struct FieldValue {
  ValueType type = ValueType::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;                  // kString and kDate
  std::vector<std::string> list;  // kStringList

  static FieldValue Null() { return {}; }
  static FieldValue Bool(bool v);
  static FieldValue Int(int64_t v);
  static FieldValue Number(double v);
  static FieldValue String(std::string v);
  static FieldValue Date(std::string yyyy_mm_dd);
  static FieldValue StringList(std::vector<std::string> v);

  // OK when the value is well formed: valid UTF-8 strings, a real calendar
  // date, a finite number.
  Status Validate() const;
  // Human-readable form for debugging and canonical dumps.
  std::string DebugString() const;

  void EncodeTo(Writer* w) const;
  static Status DecodeFrom(Reader* r, FieldValue* out);

  friend bool operator==(const FieldValue&, const FieldValue&) = default;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_VALUE_H_
