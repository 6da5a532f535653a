#include "protocol/base64.h"

#include <cstdint>

namespace samplan::protocol {
namespace {

const char* Alphabet(Base64Variant variant) {
  return variant == Base64Variant::kStandard
             ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}

// The 6-bit value of `c`, or -1.
int Digit(char c, Base64Variant variant) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  const char* alphabet = Alphabet(variant);
  if (c == alphabet[62]) return 62;
  if (c == alphabet[63]) return 63;
  return -1;
}

}  // namespace

std::string Base64Encode(std::string_view bytes, Base64Variant variant) {
  const char* alphabet = Alphabet(variant);
  const bool pad = variant == Base64Variant::kStandard;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) |
                       (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (rest == 2) v |= uint8_t(bytes[i + 1]) << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) {
      out += alphabet[(v >> 6) & 63];
    } else if (pad) {
      out += '=';
    }
    if (pad) out += '=';
  }
  return out;
}

Status Base64Decode(std::string_view text, std::string* out,
                    Base64Variant variant) {
  if (variant == Base64Variant::kStandard) {
    if (text.size() % 4 != 0) {
      return Status::InvalidArgument("base64 length is not a multiple of 4");
    }
    size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
      ++pad;
    }
    text.remove_suffix(pad);
  }
  out->clear();
  out->reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const int d = Digit(text[i], variant);
    if (d < 0) {
      return Status::InvalidArgument(
          text[i] == '=' ? "base64 data after padding at offset " +
                               std::to_string(i)
                         : "invalid base64 character at offset " +
                               std::to_string(i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) {  // a lone trailing character encodes no whole byte
    return Status::InvalidArgument("base64 ends in the middle of a byte");
  }
  return Status::OK();
}

}  // namespace samplan::protocol
