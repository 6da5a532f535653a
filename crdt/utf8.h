// UTF-8 validation and code point conversion.
//
// The core counts text positions in Unicode code points (scalar values).
// Every string entering the core is validated here: overlong forms,
// surrogates (U+D800..U+DFFF), values above U+10FFFF and truncated
// sequences are rejected with a Status naming the byte offset.
//
// A UTF-16 client (a browser) converts its offsets with
// Utf16ToCodePointOffset / CodePointToUtf16Offset over the same text: a
// code point above U+FFFF is two UTF-16 units but one position here.
#ifndef SAMPLAN_CRDT_UTF8_H_
#define SAMPLAN_CRDT_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "crdt/status.h"

namespace samplan::utf8 {

// OK when `s` is well-formed UTF-8; otherwise InvalidArgument naming the
// offset of the first bad byte.
Status Validate(std::string_view s);

// Number of code points. REQUIRES: Validate(s).ok()
size_t CountCodePoints(std::string_view s);

// Decodes `s` into code points. Fails like Validate.
Result<std::u32string> Decode(std::string_view s);

// Appends the UTF-8 encoding of `cp`. REQUIRES: cp is a Unicode scalar value.
void Append(char32_t cp, std::string* out);
std::string Encode(std::u32string_view s);

// True for a Unicode scalar value (not a surrogate, <= U+10FFFF).
inline bool IsScalarValue(char32_t cp) {
  return cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
}

// Byte offset of code point `index` in valid UTF-8 `s` (s.size() when
// index == count). REQUIRES: index <= CountCodePoints(s).
size_t ByteOffsetOf(std::string_view s, size_t index);

// Converts a UTF-16 code unit offset in `s` to a code point offset. Fails
// with OutOfRange past the end and InvalidArgument when the offset splits a
// surrogate pair.
Result<size_t> Utf16ToCodePointOffset(std::u32string_view s, size_t utf16);
size_t CodePointToUtf16Offset(std::u32string_view s, size_t code_points);

}  // namespace samplan::utf8

#endif  // SAMPLAN_CRDT_UTF8_H_
