#include "crdt/utf8.h"

namespace samplan::utf8 {
namespace {

// Decodes one code point starting at s[i]. Returns the sequence length, or 0
// when the bytes there are not well-formed UTF-8 (Unicode 15, table 3-7).
size_t DecodeOne(std::string_view s, size_t i, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len;
  char32_t value;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    value = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    value = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
    value = (value << 6) | (b & 0x3F);
  }
  *cp = value;
  return len;
}

Status InvalidAt(size_t offset) {
  return Status::InvalidArgument("invalid UTF-8 at byte offset " +
                                 std::to_string(offset));
}

}  // namespace

Status Validate(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    const size_t n = DecodeOne(s, i, &cp);
    if (n == 0) return InvalidAt(i);
    i += n;
  }
  return Status::OK();
}

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

Result<std::u32string> Decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp;
    const size_t n = DecodeOne(s, i, &cp);
    if (n == 0) return InvalidAt(i);
    out.push_back(cp);
    i += n;
  }
  return out;
}

void Append(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string Encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : s) Append(cp, &out);
  return out;
}

size_t ByteOffsetOf(std::string_view s, size_t index) {
  size_t seen = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == index) return i;
      ++seen;
    }
  }
  return s.size();
}

Result<size_t> Utf16ToCodePointOffset(std::u32string_view s, size_t utf16) {
  size_t units = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (units == utf16) return i;
    units += s[i] > 0xFFFF ? 2 : 1;
    if (units > utf16) {
      return Status::InvalidArgument("UTF-16 offset " + std::to_string(utf16) +
                                     " splits a surrogate pair");
    }
  }
  if (units == utf16) return s.size();
  return Status::OutOfRange("UTF-16 offset " + std::to_string(utf16) +
                            " is past the end (" + std::to_string(units) +
                            " units)");
}

size_t CodePointToUtf16Offset(std::u32string_view s, size_t code_points) {
  size_t units = 0;
  for (size_t i = 0; i < code_points && i < s.size(); ++i) {
    units += s[i] > 0xFFFF ? 2 : 1;
  }
  return units;
}

}  // namespace samplan::utf8
