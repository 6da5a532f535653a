// Byte-level encoding primitives for the core's binary formats.
//
// Writer appends little-endian fixed-width integers, LEB128 varints and
// length-prefixed strings to a std::string. Reader reads them back with
// bounds checks: every read on untrusted bytes either succeeds or returns a
// Corruption status naming what was being read; it never reads past the end
// and never allocates more than the remaining input can justify.
//
// Thread-safety: none; one Writer/Reader per thread.
#ifndef SAMPLAN_CRDT_CODEC_H_
#define SAMPLAN_CRDT_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "crdt/status.h"

namespace samplan {

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  // Zig-zag signed varint.
  void SignedVarint(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Fixed64(uint64_t v) {
    for (int i = 0; i < 8; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void Bytes(std::string_view s) {
    Varint(s.size());
    out_->append(s.data(), s.size());
  }
  void Raw(std::string_view s) { out_->append(s.data(), s.size()); }

 private:
  std::string* out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool AtEnd() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }

  // Each `what` names the field for the error message.
  Status U8(uint8_t* v, const char* what);
  Status Varint(uint64_t* v, const char* what);
  Status SignedVarint(int64_t* v, const char* what);
  Status Fixed64(uint64_t* v, const char* what);
  Status Bytes(std::string_view* v, const char* what);
  Status Raw(size_t n, std::string_view* v, const char* what);
  // A count of items that each take at least `min_item_bytes` bytes; fails
  // when the input cannot hold that many (guards allocations).
  Status Count(uint64_t* n, size_t min_item_bytes, const char* what);

 private:
  Status Truncated(const char* what) const;
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_CODEC_H_
