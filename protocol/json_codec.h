// JSON <-> core types for the wire format (docs/protocol.md).
//
// Encoders never fail. Decoders take untrusted JSON (already parsed with
// exceptions disabled) and return InvalidArgument naming the path of the
// first bad element ("ops[3].node: expected [replica, counter]"); they
// never throw and never read past what the JSON holds. Decoding checks
// shape and types only; CheckOpShape and Replica::Apply do the rest. An op's
// members that its kind does not use are ignored, so a decoded op equals
// what the store keeps of it (EncodeOpTo). Review kinds (add_comment ..
// revoke_approval) keep every body member the store keeps for them (node,
// parent, left, right, target, column, name, text, quote, value,
// supersedes, spans), each optional on input and written only when set;
// CheckOpShape refuses the ones a kind must leave empty.
//
// Wire forms:
//   OpId           [replica, counter]            (both unsigned integers)
//   VersionVector  [[replica, count], ...]
//   FieldValue     {"type": "string", "value": "Moss"}   (see ValueTypeName)
//   IdSpan         [replica, counter, length] or [..., true] when backward
//   Anchor         {"node": id} or {"node": id, "field": "title",
//                   "char": id, "side": "before"|"after"}
//   Op             {"id", "lamport", "deps", "kind", ...kind fields,
//                   "author": {"user", "municipality", "time"}}
//
// Thread-safety: stateless functions, reentrant.
#ifndef SAMPLAN_PROTOCOL_JSON_CODEC_H_
#define SAMPLAN_PROTOCOL_JSON_CODEC_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/anchor.h"
#include "crdt/ids.h"
#include "crdt/op.h"
#include "crdt/status.h"
#include "protocol/base64.h"
#include "crdt/value.h"
#include "crdt/version_vector.h"

namespace samplan::protocol {

using Json = nlohmann::json;

// Largest replica id or counter accepted on the wire: 2^53 - 1, the largest
// integer a JavaScript number holds exactly.
inline constexpr uint64_t kMaxWireInteger = (uint64_t{1} << 53) - 1;

Json OpIdToJson(OpId id);
Status OpIdFromJson(const Json& j, std::string_view path, OpId* out);

Json VersionToJson(const VersionVector& v);
Status VersionFromJson(const Json& j, std::string_view path,
                       VersionVector* out);

Json ValueToJson(const FieldValue& v);
Status ValueFromJson(const Json& j, std::string_view path, FieldValue* out);

// [[replica, counter, length], ...], `true` appended to a backward span.
Json SpansToJson(const std::vector<IdSpan>& spans);

Json AnchorToJson(const Anchor& a);
Status AnchorFromJson(const Json& j, std::string_view path, Anchor* out);

// `with_author`: include the author slots (the server's broadcasts do; a
// client's are ignored by the server, which stamps its own).
Json OpToJson(const Op& op, bool with_author = true);
Status OpFromJson(const Json& j, std::string_view path, Op* out);

Json OpsToJson(const std::vector<Op>& ops, bool with_author = true);
// REQUIRES: max_ops > 0. InvalidArgument past max_ops.
Status OpsFromJson(const Json& j, std::string_view path, size_t max_ops,
                   std::vector<Op>* out);


}  // namespace samplan::protocol

#endif  // SAMPLAN_PROTOCOL_JSON_CODEC_H_
