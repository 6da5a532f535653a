// Base64 (RFC 4648) in its two uses here: the standard alphabet with '='
// padding (snapshots inside JSON messages) and the URL-safe alphabet
// without padding (the parts of a signed token, as JWT writes them).
//
// Thread-safety: pure functions.
#ifndef SAMPLAN_PROTOCOL_BASE64_H_
#define SAMPLAN_PROTOCOL_BASE64_H_

#include <string>
#include <string_view>

#include "crdt/status.h"

namespace samplan::protocol {

enum class Base64Variant {
  kStandard,  // "+/", padded with '=' to a multiple of 4
  kUrl,       // "-_", no padding
};

std::string Base64Encode(std::string_view bytes,
                         Base64Variant variant = Base64Variant::kStandard);
// InvalidArgument naming the offset of a bad character, a wrong length or
// misplaced padding; `out` is then unspecified.
Status Base64Decode(std::string_view text, std::string* out,
                    Base64Variant variant = Base64Variant::kStandard);

}  // namespace samplan::protocol

#endif  // SAMPLAN_PROTOCOL_BASE64_H_
