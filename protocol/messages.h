// The WebSocket messages of protocol version 1 (docs/protocol.md).
//
// Every message is one JSON object {"v": 1, "type": ..., ...}. Client
// messages are parsed from untrusted text by ParseClientMessage, which never
// throws: malformed JSON, wrong types, unknown types and bad operations give
// a ProtocolError naming the problem (its `code` is one of the kCode...
// constants, sent back as {"type": "error", "code", "message", "ref"}).
// Server messages are built by the Make... functions as serialized text,
// ready to be shared between sessions.
//
// Thread-safety: stateless functions, reentrant.
#ifndef SAMPLAN_PROTOCOL_MESSAGES_H_
#define SAMPLAN_PROTOCOL_MESSAGES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/anchor.h"
#include "crdt/op.h"
#include "crdt/version_vector.h"
#include "protocol/json_codec.h"
#include "protocol/history_json.h"
#include "protocol/review_json.h"

namespace samplan::protocol {

inline constexpr int kProtocolVersion = 1;

// Error codes (the "code" of an error message).
inline constexpr char kCodeBadJson[] = "bad_json";
inline constexpr char kCodeBadMessage[] = "bad_message";
inline constexpr char kCodeUnknownType[] = "unknown_type";
inline constexpr char kCodeUnsupportedVersion[] = "unsupported_version";
inline constexpr char kCodeNotAuthenticated[] = "not_authenticated";
inline constexpr char kCodeAuthFailed[] = "auth_failed";
inline constexpr char kCodeNotJoined[] = "not_joined";
inline constexpr char kCodeAlreadyJoined[] = "already_joined";
inline constexpr char kCodePlanNotFound[] = "plan_not_found";
inline constexpr char kCodeForbidden[] = "forbidden";
inline constexpr char kCodeInvalidOp[] = "invalid_op";
inline constexpr char kCodeMissingDeps[] = "missing_dependencies";
inline constexpr char kCodeBatchTooLarge[] = "batch_too_large";
inline constexpr char kCodeRateLimited[] = "rate_limited";
inline constexpr char kCodeReplicaInUse[] = "replica_in_use";
inline constexpr char kCodeReplicaTakenOver[] = "replica_taken_over";
inline constexpr char kCodeStorage[] = "storage_error";
inline constexpr char kCodeUnavailable[] = "unavailable";
inline constexpr char kCodeQuotaExceeded[] = "quota_exceeded";
// A newer history request of the session replaced this one before it ran.
inline constexpr char kCodeSuperseded[] = "superseded";

struct ProtocolError {
  std::string code;
  std::string message;
  std::string ref;  // the offending message's "ref", when it had one
};

// How a `joined` message carries the ops a client lacks: a JSON array
// ("ops", the default) or base64 of EncodeOps ("ops_binary"), which a join
// asks for with "encoding": "binary". A plan with thousands of review items
// has tens of thousands of small ops: as JSON its join is megabytes that
// take hundreds of ms to write and parse; the binary list is half the
// size, a tenth of the time to write and about a fifth to read.
enum class OpsEncoding { kJson, kBinary };

enum class ClientType {
  kAuth,
  kJoin,
  kLeave,
  kOps,
  kPresence,
  kPing,
  kReviewQuery,
  kHistory
};

struct ClientMessage {
  ClientType type = ClientType::kPing;
  std::string ref;  // optional correlation id echoed in replies
  // kAuth
  std::string token;
  // kJoin
  std::string plan;
  VersionVector version;
  std::optional<uint64_t> replica;  // resume as this replica id
  OpsEncoding encoding = OpsEncoding::kJson;  // of joined's ops
  // kOps
  std::vector<Op> ops;
  // kPresence
  std::optional<Anchor> anchor;
  std::optional<Anchor> head;  // the other end of a selection
  bool typing = false;
  // kReviewQuery (its "viewer" member is ignored: the server asks as the
  // session's user)
  ReviewQuery review;
  // kHistory (history_json.h)
  HistoryQuery history;
};

// The longest field name a presence anchor may carry (as long as an op's
// field name, crdt/op.cc), so an anchor, which the server repeats to every
// member and later joiner, stays a few hundred bytes.
inline constexpr size_t kMaxAnchorFieldBytes = 256;

struct ParseLimits {
  size_t max_ops_per_batch = 1000;
  // Entries of a join's version vector (a plan has one per replica that
  // ever wrote; more is an attack on the parser and the room).
  size_t max_version_entries = 10000;
};

// Parses one client message. On failure returns false and fills `error`
// (code bad_json, bad_message, unknown_type, unsupported_version,
// batch_too_large or invalid_op). A review_query's bad member is
// bad_message naming it ("status: expected open or resolved"). A join with more than
// max_version_entries version entries and a presence anchor whose field
// name passes kMaxAnchorFieldBytes are bad_message naming the limit. A
// join's "encoding" other than "json" or "binary" is bad_message naming it.
bool ParseClientMessage(std::string_view text, const ParseLimits& limits,
                        ClientMessage* out, ProtocolError* error);

// ---- Server messages (serialized JSON text).

std::string MakeError(std::string_view code, std::string_view message,
                      std::string_view ref);
std::string MakeAuthenticated(std::string_view user,
                              std::string_view municipality,
                              int64_t expires_s, std::string_view ref);
// `peers`: presence entries (see MakePresenceEntry) of the other sessions.
// Exactly one of `ops` / `snapshot` is meaningful: `snapshot` non-empty
// means the client must load it instead of applying ops. `encoding`: how
// `ops` travel ("ops" JSON array, or "ops_binary" base64 of EncodeOps, the
// authors included).
std::string MakeJoined(std::string_view plan, std::string_view role,
                       uint64_t replica, uint64_t seq,
                       const VersionVector& version, const std::vector<Op>& ops,
                       std::string_view snapshot, const Json& peers,
                       std::string_view ref,
                       OpsEncoding encoding = OpsEncoding::kJson);
// The same with the ops already encoded: `ops_binary_base64` is
// Base64Encode(EncodeOps(ops)), spliced in as "ops_binary" (a room may keep
// it for the next fresh join instead of encoding again).
std::string MakeJoinedBinary(std::string_view plan, std::string_view role,
                             uint64_t replica, uint64_t seq,
                             const VersionVector& version,
                             std::string_view ops_binary_base64,
                             const Json& peers, std::string_view ref);
std::string MakeAck(std::string_view ref, uint64_t first_seq,
                    uint64_t last_seq, size_t accepted, size_t duplicates);
std::string MakeOpsBroadcast(uint64_t first_seq, uint64_t last_seq,
                             const std::vector<Op>& ops);
Json MakePresenceEntry(std::string_view session, std::string_view user,
                       std::string_view municipality, std::string_view role,
                       const std::optional<Anchor>& anchor,
                       const std::optional<Anchor>& head, bool typing);
std::string MakePresence(const Json& entry);
std::string MakePresenceLeft(std::string_view session);
std::string MakePong(std::string_view ref);
std::string MakeLeft(std::string_view plan, std::string_view ref);
// The answer to a review_query: `answer` is RunReviewQuery's object
// ("query", "items", extras), sent with "seq" and the query's "ref".
std::string MakeReview(const Json& answer, uint64_t seq, std::string_view ref);
// The same from RunReviewQueryText's object text (spliced, not reparsed).
// REQUIRES: `answer` is a JSON object's text.
std::string MakeReviewText(std::string_view answer, uint64_t seq,
                           std::string_view ref);

// Serializes with invalid UTF-8 replaced (never throws).
std::string Dump(const Json& j);

}  // namespace samplan::protocol

#endif  // SAMPLAN_PROTOCOL_MESSAGES_H_
