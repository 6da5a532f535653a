#include "crdt/codec.h"

namespace samplan {

Status Reader::Truncated(const char* what) const {
  return Status::Corruption(std::string("truncated input reading ") + what +
                            " at byte " + std::to_string(pos_));
}

Status Reader::U8(uint8_t* v, const char* what) {
  if (pos_ >= in_.size()) return Truncated(what);
  *v = static_cast<uint8_t>(in_[pos_++]);
  return Status::OK();
}

Status Reader::Varint(uint64_t* v, const char* what) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= in_.size()) return Truncated(what);
    const auto byte = static_cast<uint8_t>(in_[pos_++]);
    if (shift == 63 && byte > 1) break;
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return Status::OK();
    }
  }
  return Status::Corruption(std::string("varint too long reading ") + what +
                            " at byte " + std::to_string(pos_));
}

Status Reader::SignedVarint(int64_t* v, const char* what) {
  uint64_t u;
  SAMPLAN_RETURN_IF_ERROR(Varint(&u, what));
  *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  return Status::OK();
}

Status Reader::Fixed64(uint64_t* v, const char* what) {
  if (remaining() < 8) return Truncated(what);
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) {
    r |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
  }
  pos_ += 8;
  *v = r;
  return Status::OK();
}

Status Reader::Bytes(std::string_view* v, const char* what) {
  uint64_t n;
  SAMPLAN_RETURN_IF_ERROR(Varint(&n, what));
  return Raw(n, v, what);
}

Status Reader::Raw(size_t n, std::string_view* v, const char* what) {
  if (n > remaining()) return Truncated(what);
  *v = in_.substr(pos_, n);
  pos_ += n;
  return Status::OK();
}

Status Reader::Count(uint64_t* n, size_t min_item_bytes, const char* what) {
  SAMPLAN_RETURN_IF_ERROR(Varint(n, what));
  if (min_item_bytes > 0 && *n > remaining() / min_item_bytes) {
    return Status::Corruption(std::string("count ") + std::to_string(*n) +
                              " for " + what + " exceeds the input size");
  }
  return Status::OK();
}

}  // namespace samplan
