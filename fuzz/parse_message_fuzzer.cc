// libFuzzer target: protocol::ParseClientMessage on arbitrary bytes, the
// first thing untrusted WebSocket input reaches.
//
// Beyond "never crashes, never throws, never hangs" it checks what the
// server relies on afterwards:
//   - a rejection carries one of the documented error codes, and the error
//     reply built from it serializes;
//   - a parsed batch respects the limit, every op passes CheckOpShape, and
//     its JSON form (what the server broadcasts) serializes and parses back
//     to ops that encode to the same canonical bytes the store hashes;
//   - the binary form round-trips: what the store writes it reads back
//     identically (the store treats a mismatch as corruption).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/op.h"
#include "fuzz/fuzz_check.h"
#include "protocol/messages.h"

namespace {

using samplan::Op;
namespace protocol = samplan::protocol;

constexpr size_t kMaxOps = 64;  // a small limit so the limit path is hit

const std::set<std::string>& ParseErrorCodes() {
  static const std::set<std::string> codes = {
      protocol::kCodeBadJson, protocol::kCodeBadMessage,
      protocol::kCodeUnknownType, protocol::kCodeUnsupportedVersion,
      protocol::kCodeBatchTooLarge, protocol::kCodeInvalidOp};
  return codes;
}

void CheckOps(const std::vector<Op>& ops) {
  FUZZ_CHECK(!ops.empty() && ops.size() <= kMaxOps, "batch size out of range");
  for (const Op& op : ops) {
    samplan::Status shape = samplan::CheckOpShape(op);
    FUZZ_CHECK(shape.ok(), "parsed op fails CheckOpShape: " + shape.ToString());
  }
  // The broadcast: ops as the server sends them (author included).
  const std::string sent = protocol::MakeOpsBroadcast(1, ops.size(), ops);
  protocol::Json back = protocol::Json::parse(sent, nullptr, false);
  FUZZ_CHECK(!back.is_discarded(), "broadcast is not valid JSON: " + sent);
  std::vector<Op> reparsed;
  samplan::Status s =
      protocol::OpsFromJson(back["ops"], "ops", kMaxOps, &reparsed);
  FUZZ_CHECK(s.ok(), "broadcast ops do not parse: " + s.ToString());
  FUZZ_CHECK(reparsed.size() == ops.size(), "broadcast lost ops");
  const std::string bytes = samplan::EncodeOps(ops);
  FUZZ_CHECK(samplan::EncodeOps(reparsed) == bytes,
             "a peer reading the broadcast gets other canonical bytes");
  // What the store writes, it must read back to the same bytes.
  std::vector<Op> decoded;
  s = samplan::DecodeOps(bytes, &decoded);
  FUZZ_CHECK(s.ok(), "encoded ops do not decode: " + s.ToString());
  FUZZ_CHECK(samplan::EncodeOps(decoded) == bytes, "re-encoding differs");
  // The in-memory op must be what the store keeps: otherwise the server's
  // replica and a replay of the log see different ops.
  FUZZ_CHECK(decoded == ops,
             "parsed op differs from its stored form: " +
                 samplan::DescribeOp(ops.front()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  protocol::ParseLimits limits;
  limits.max_ops_per_batch = kMaxOps;
  protocol::ClientMessage message;
  protocol::ProtocolError error;
  if (!protocol::ParseClientMessage(text, limits, &message, &error)) {
    FUZZ_CHECK(ParseErrorCodes().count(error.code) == 1,
               "undocumented error code " + error.code);
    FUZZ_CHECK(error.ref.size() <= 128, "ref not truncated");
    const std::string reply =
        protocol::MakeError(error.code, error.message, error.ref);
    FUZZ_CHECK(!protocol::Json::parse(reply, nullptr, false).is_discarded(),
               "error reply is not valid JSON");
    return 0;
  }
  FUZZ_CHECK(message.ref.size() <= 128, "ref not truncated");
  switch (message.type) {
    case protocol::ClientType::kOps:
      CheckOps(message.ops);
      break;
    case protocol::ClientType::kJoin:
      FUZZ_CHECK(!message.replica || (*message.replica >= 1 &&
                                      *message.replica <=
                                          protocol::kMaxWireInteger),
                 "replica id out of range");
      // The version is echoed back in `joined`.
      (void)protocol::MakeJoined(message.plan, "viewer", 1, 0,
                                 message.version, {}, "",
                                 protocol::Json::array(), message.ref);
      break;
    case protocol::ClientType::kPresence: {
      // Presence is relayed to the other sessions.
      const std::string relayed = protocol::MakePresence(
          protocol::MakePresenceEntry("s1", "u", "m", "editor",
                                      message.anchor, message.head,
                                      message.typing));
      FUZZ_CHECK(!protocol::Json::parse(relayed, nullptr, false).is_discarded(),
                 "presence relay is not valid JSON");
      break;
    }
    default:
      break;
  }
  return 0;
}
