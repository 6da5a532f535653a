#include "crdt/value.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "crdt/utf8.h"

namespace samplan {
namespace {

constexpr uint8_t kMaxTypeByte = static_cast<uint8_t>(ValueType::kStringList);

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int DigitsAt(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t k = 0; k < n; ++k) v = v * 10 + (s[pos + k] - '0');
  return v;
}

bool IsLeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// OK when `s` is exactly "YYYY-MM-DD" naming a real proleptic Gregorian date
// in years 0001..9999.
Status ValidateDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
    return Status::InvalidArgument("date is not of the form YYYY-MM-DD");
  }
  for (size_t k : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(s[k])) {
      return Status::InvalidArgument("date is not of the form YYYY-MM-DD");
    }
  }
  const int year = DigitsAt(s, 0, 4);
  const int month = DigitsAt(s, 5, 2);
  const int day = DigitsAt(s, 8, 2);
  if (year < 1) return Status::InvalidArgument("date year 0000 is invalid");
  if (month < 1 || month > 12) {
    return Status::InvalidArgument("date month " + std::to_string(month) +
                                   " is not 1..12");
  }
  static constexpr int kDaysInMonth[12] = {31, 28, 31, 30, 31, 30,
                                           31, 31, 30, 31, 30, 31};
  int days = kDaysInMonth[month - 1];
  if (month == 2 && IsLeapYear(year)) days = 29;
  if (day < 1 || day > days) {
    return Status::InvalidArgument(
        "date day " + std::to_string(day) + " is not 1.." +
        std::to_string(days) + " for " + std::string(s.substr(0, 7)));
  }
  return Status::OK();
}

// Shortest of %.15g / %.16g / %.17g that reads back to exactly `v`.
std::string FormatNumber(double v) {
  char buf[40];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (precision == 17 || std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// Appends `s` as a double-quoted string. Control characters, '"' and '\\'
// are escaped; when `s` is not valid UTF-8, every non-ASCII byte is written
// as \xNN so the output stays deterministic and readable.
void AppendQuoted(std::string_view s, std::string* out) {
  const bool escape_high = !utf8::Validate(s).ok();
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (u < 0x20 || u == 0x7F) {
          out->append("\\u00");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 0xF]);
        } else if (u >= 0x80 && escape_high) {
          out->append("\\x");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 0xF]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// Checks the type-specific payload; the returned message is suitable for
// both Validate (InvalidArgument) and DecodeFrom (Corruption).
std::string PayloadError(const FieldValue& v) {
  switch (v.type) {
    case ValueType::kNull:
    case ValueType::kBool:
    case ValueType::kInt:
      return "";
    case ValueType::kNumber:
      if (!std::isfinite(v.d)) return "number value is not finite";
      return "";
    case ValueType::kString: {
      Status st = utf8::Validate(v.s);
      if (!st.ok()) return "string value: " + st.message();
      return "";
    }
    case ValueType::kDate: {
      Status st = ValidateDate(v.s);
      if (!st.ok()) return "date value: " + st.message();
      return "";
    }
    case ValueType::kStringList:
      for (size_t k = 0; k < v.list.size(); ++k) {
        Status st = utf8::Validate(v.list[k]);
        if (!st.ok()) {
          return "string list item " + std::to_string(k) + ": " + st.message();
        }
      }
      return "";
  }
  return "unknown value type " + std::to_string(static_cast<int>(v.type));
}

}  // namespace

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNull:
      return "null";
    case ValueType::kBool:
      return "bool";
    case ValueType::kInt:
      return "int";
    case ValueType::kNumber:
      return "number";
    case ValueType::kString:
      return "string";
    case ValueType::kDate:
      return "date";
    case ValueType::kStringList:
      return "string_list";
  }
  return "unknown";
}

bool ParseValueType(std::string_view name, ValueType* type) {
  for (uint8_t t = 0; t <= kMaxTypeByte; ++t) {
    const auto candidate = static_cast<ValueType>(t);
    if (name == ValueTypeName(candidate)) {
      *type = candidate;
      return true;
    }
  }
  return false;
}

FieldValue FieldValue::Bool(bool v) {
  FieldValue f;
  f.type = ValueType::kBool;
  f.b = v;
  return f;
}

FieldValue FieldValue::Int(int64_t v) {
  FieldValue f;
  f.type = ValueType::kInt;
  f.i = v;
  return f;
}

FieldValue FieldValue::Number(double v) {
  FieldValue f;
  f.type = ValueType::kNumber;
  f.d = v;
  return f;
}

FieldValue FieldValue::String(std::string v) {
  FieldValue f;
  f.type = ValueType::kString;
  f.s = std::move(v);
  return f;
}

FieldValue FieldValue::Date(std::string yyyy_mm_dd) {
  FieldValue f;
  f.type = ValueType::kDate;
  f.s = std::move(yyyy_mm_dd);
  return f;
}

FieldValue FieldValue::StringList(std::vector<std::string> v) {
  FieldValue f;
  f.type = ValueType::kStringList;
  f.list = std::move(v);
  return f;
}

Status FieldValue::Validate() const {
  std::string error = PayloadError(*this);
  if (!error.empty()) return Status::InvalidArgument(error);
  return Status::OK();
}

std::string FieldValue::DebugString() const {
  std::string out;
  switch (type) {
    case ValueType::kNull:
      return "null";
    case ValueType::kBool:
      return b ? "true" : "false";
    case ValueType::kInt:
      return std::to_string(i);
    case ValueType::kNumber:
      return FormatNumber(d);
    case ValueType::kString:
      AppendQuoted(s, &out);
      return out;
    case ValueType::kDate:
      out = "date:";
      // A valid date needs no quoting; anything else is shown quoted.
      if (ValidateDate(s).ok()) {
        out += s;
      } else {
        AppendQuoted(s, &out);
      }
      return out;
    case ValueType::kStringList:
      out.push_back('[');
      for (size_t k = 0; k < list.size(); ++k) {
        if (k > 0) out.push_back(',');
        AppendQuoted(list[k], &out);
      }
      out.push_back(']');
      return out;
  }
  return "unknown(" + std::to_string(static_cast<int>(type)) + ")";
}

void FieldValue::EncodeTo(Writer* w) const {
  w->U8(static_cast<uint8_t>(type));
  switch (type) {
    case ValueType::kNull:
      break;
    case ValueType::kBool:
      w->U8(b ? 1 : 0);
      break;
    case ValueType::kInt:
      w->SignedVarint(i);
      break;
    case ValueType::kNumber: {
      uint64_t bits;
      static_assert(sizeof(bits) == sizeof(d));
      std::memcpy(&bits, &d, sizeof(bits));
      w->Fixed64(bits);
      break;
    }
    case ValueType::kString:
    case ValueType::kDate:
      w->Bytes(s);
      break;
    case ValueType::kStringList:
      w->Varint(list.size());
      for (const std::string& item : list) w->Bytes(item);
      break;
  }
}

Status FieldValue::DecodeFrom(Reader* r, FieldValue* out) {
  const size_t start = r->position();
  uint8_t type_byte;
  SAMPLAN_RETURN_IF_ERROR(r->U8(&type_byte, "value type"));
  if (type_byte > kMaxTypeByte) {
    return Status::Corruption("unknown value type byte " +
                              std::to_string(type_byte) + " at byte " +
                              std::to_string(start));
  }
  FieldValue v;
  v.type = static_cast<ValueType>(type_byte);
  switch (v.type) {
    case ValueType::kNull:
      break;
    case ValueType::kBool: {
      uint8_t byte;
      SAMPLAN_RETURN_IF_ERROR(r->U8(&byte, "bool value"));
      if (byte > 1) {
        return Status::Corruption("bool value byte " + std::to_string(byte) +
                                  " is not 0 or 1");
      }
      v.b = byte == 1;
      break;
    }
    case ValueType::kInt:
      SAMPLAN_RETURN_IF_ERROR(r->SignedVarint(&v.i, "int value"));
      break;
    case ValueType::kNumber: {
      uint64_t bits;
      SAMPLAN_RETURN_IF_ERROR(r->Fixed64(&bits, "number value"));
      std::memcpy(&v.d, &bits, sizeof(bits));
      break;
    }
    case ValueType::kString:
    case ValueType::kDate: {
      std::string_view bytes;
      SAMPLAN_RETURN_IF_ERROR(r->Bytes(
          &bytes, v.type == ValueType::kDate ? "date value" : "string value"));
      v.s.assign(bytes.data(), bytes.size());
      break;
    }
    case ValueType::kStringList: {
      uint64_t n;
      // Each item is at least its one-byte length prefix.
      SAMPLAN_RETURN_IF_ERROR(r->Count(&n, 1, "string list length"));
      v.list.reserve(n);
      for (uint64_t k = 0; k < n; ++k) {
        std::string_view bytes;
        SAMPLAN_RETURN_IF_ERROR(r->Bytes(&bytes, "string list item"));
        v.list.emplace_back(bytes.data(), bytes.size());
      }
      break;
    }
  }
  std::string error = PayloadError(v);
  if (!error.empty()) {
    return Status::Corruption(error + " (value at byte " +
                              std::to_string(start) + ")");
  }
  *out = std::move(v);
  return Status::OK();
}

}  // namespace samplan
