#include "protocol/messages.h"

namespace samplan::protocol {
namespace {

bool Fail(ProtocolError* e, std::string_view code, std::string message,
          std::string ref) {
  e->code = std::string(code);
  e->message = std::move(message);
  e->ref = std::move(ref);
  return false;
}

Json Base(std::string_view type) {
  Json j = Json::object();
  j["v"] = kProtocolVersion;
  j["type"] = type;
  return j;
}

void AddRef(Json* j, std::string_view ref) {
  if (!ref.empty()) (*j)["ref"] = ref;
}

}  // namespace

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool ParseClientMessage(std::string_view text, const ParseLimits& limits,
                        ClientMessage* out, ProtocolError* error) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Fail(error, kCodeBadJson,
                "message is not valid JSON (or not valid UTF-8)", "");
  }
  if (!j.is_object()) {
    return Fail(error, kCodeBadMessage, "message must be a JSON object", "");
  }
  std::string ref;
  if (auto r = j.find("ref"); r != j.end()) {
    if (r->is_string()) {
      ref = r->get<std::string>();
      if (ref.size() > 128) ref.resize(128);
    } else if (r->is_number_integer()) {
      ref = r->dump();
    } else if (!r->is_null()) {
      return Fail(error, kCodeBadMessage, "ref: expected a string", "");
    }
  }
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer()) {
    return Fail(error, kCodeBadMessage, "v: expected the protocol version 1",
                ref);
  }
  if (v->get<int64_t>() != kProtocolVersion) {
    return Fail(error, kCodeUnsupportedVersion,
                "protocol version " + v->dump() +
                    " is not supported (this server speaks 1)",
                ref);
  }
  auto t = j.find("type");
  if (t == j.end() || !t->is_string()) {
    return Fail(error, kCodeBadMessage, "type: expected a message type", ref);
  }
  const std::string type = t->get<std::string>();
  ClientMessage m;
  m.ref = ref;
  if (type == "auth") {
    m.type = ClientType::kAuth;
    auto tok = j.find("token");
    if (tok == j.end() || !tok->is_string()) {
      return Fail(error, kCodeBadMessage, "token: expected a string", ref);
    }
    m.token = tok->get<std::string>();
  } else if (type == "join") {
    m.type = ClientType::kJoin;
    auto p = j.find("plan");
    if (p == j.end() || !p->is_string()) {
      return Fail(error, kCodeBadMessage, "plan: expected a plan id", ref);
    }
    m.plan = p->get<std::string>();
    if (auto ver = j.find("version"); ver != j.end() && !ver->is_null()) {
      if (ver->is_array() && ver->size() > limits.max_version_entries) {
        return Fail(error, kCodeBadMessage,
                    "version: " + std::to_string(ver->size()) +
                        " entries exceed the limit of " +
                        std::to_string(limits.max_version_entries),
                    ref);
      }
      Status s = VersionFromJson(*ver, "version", &m.version);
      if (!s.ok()) return Fail(error, kCodeBadMessage, s.message(), ref);
    }
    if (auto rep = j.find("replica"); rep != j.end() && !rep->is_null()) {
      if (!rep->is_number_unsigned() || rep->get<uint64_t>() == 0 ||
          rep->get<uint64_t>() > kMaxWireInteger) {
        return Fail(error, kCodeBadMessage,
                    "replica: expected an integer from 1 to 2^53-1", ref);
      }
      m.replica = rep->get<uint64_t>();
    }
    if (auto enc = j.find("encoding"); enc != j.end() && !enc->is_null()) {
      if (enc->is_string() && *enc == "binary") {
        m.encoding = OpsEncoding::kBinary;
      } else if (!enc->is_string() || *enc != "json") {
        return Fail(error, kCodeBadMessage,
                    "encoding: expected \"json\" or \"binary\"", ref);
      }
    }
  } else if (type == "leave") {
    m.type = ClientType::kLeave;
  } else if (type == "ops") {
    m.type = ClientType::kOps;
    auto ops = j.find("ops");
    if (ops == j.end()) {
      return Fail(error, kCodeBadMessage, "ops: missing", ref);
    }
    if (ops->is_array() && ops->size() > limits.max_ops_per_batch) {
      return Fail(error, kCodeBatchTooLarge,
                  "batch of " + std::to_string(ops->size()) +
                      " operations exceeds the limit of " +
                      std::to_string(limits.max_ops_per_batch),
                  ref);
    }
    if (ops->is_array() && ops->empty()) {
      return Fail(error, kCodeBadMessage, "ops: empty batch", ref);
    }
    Status s = OpsFromJson(*ops, "ops", limits.max_ops_per_batch, &m.ops);
    if (!s.ok()) return Fail(error, kCodeInvalidOp, s.message(), ref);
  } else if (type == "presence") {
    m.type = ClientType::kPresence;
    // `anchor` is the caret, `head` the other end of a selection.
    for (const char* name : {"anchor", "head"}) {
      auto a = j.find(name);
      if (a == j.end() || a->is_null()) continue;
      Anchor anchor;
      Status s = AnchorFromJson(*a, name, &anchor);
      if (!s.ok()) return Fail(error, kCodeBadMessage, s.message(), ref);
      if (anchor.field.size() > kMaxAnchorFieldBytes) {
        return Fail(error, kCodeBadMessage,
                    std::string(name) + ".field: " +
                        std::to_string(anchor.field.size()) +
                        " bytes exceed the limit of " +
                        std::to_string(kMaxAnchorFieldBytes),
                    ref);
      }
      (name[0] == 'a' ? m.anchor : m.head) = std::move(anchor);
    }
    if (m.head && !m.anchor) {
      return Fail(error, kCodeBadMessage, "head: needs an anchor", ref);
    }
    if (auto ty = j.find("typing"); ty != j.end() && !ty->is_null()) {
      if (!ty->is_boolean()) {
        return Fail(error, kCodeBadMessage, "typing: expected a boolean", ref);
      }
      m.typing = ty->get<bool>();
    }
  } else if (type == "ping") {
    m.type = ClientType::kPing;
  } else if (type == "review_query") {
    m.type = ClientType::kReviewQuery;
    Status s = ReviewQueryFromJson(j, &m.review);
    if (!s.ok()) return Fail(error, kCodeBadMessage, s.message(), ref);
    m.review.viewer_user.clear();
    m.review.viewer_municipality.clear();
  } else if (type == "history") {
    m.type = ClientType::kHistory;
    Status s = HistoryQueryFromJson(j, &m.history);
    if (!s.ok()) return Fail(error, kCodeBadMessage, s.message(), ref);
  } else {
    return Fail(error, kCodeUnknownType,
                "unknown message type '" + type +
                    "' (expected auth, join, leave, ops, presence, "
                    "review_query, history or ping)",
                ref);
  }
  *out = std::move(m);
  return true;
}

std::string MakeError(std::string_view code, std::string_view message,
                      std::string_view ref) {
  Json j = Base("error");
  j["code"] = code;
  j["message"] = message;
  j["ref"] = ref.empty() ? Json(nullptr) : Json(ref);
  return Dump(j);
}

std::string MakeAuthenticated(std::string_view user,
                              std::string_view municipality, int64_t expires_s,
                              std::string_view ref) {
  Json j = Base("authenticated");
  j["user"] = user;
  j["municipality"] = municipality;
  j["expires"] = expires_s;
  AddRef(&j, ref);
  return Dump(j);
}

namespace {

// The joined message but its ops (or snapshot): every member a join
// answers with, whatever the encoding.
Json JoinedHead(std::string_view plan, std::string_view role, uint64_t replica,
                uint64_t seq, const VersionVector& version, const Json& peers,
                std::string_view ref) {
  Json j = Base("joined");
  j["plan"] = plan;
  j["role"] = role;
  j["replica"] = replica;
  j["seq"] = seq;
  j["version"] = VersionToJson(version);
  j["peers"] = peers;
  AddRef(&j, ref);
  return j;
}

}  // namespace

std::string MakeJoined(std::string_view plan, std::string_view role,
                       uint64_t replica, uint64_t seq,
                       const VersionVector& version, const std::vector<Op>& ops,
                       std::string_view snapshot, const Json& peers,
                       std::string_view ref, OpsEncoding encoding) {
  if (snapshot.empty() && encoding == OpsEncoding::kBinary) {
    return MakeJoinedBinary(plan, role, replica, seq, version,
                            Base64Encode(EncodeOps(ops)), peers, ref);
  }
  Json j = JoinedHead(plan, role, replica, seq, version, peers, ref);
  if (!snapshot.empty()) {
    j["snapshot"] = Base64Encode(snapshot);
  } else {
    j["ops"] = OpsToJson(ops);
  }
  return Dump(j);
}

std::string MakeJoinedBinary(std::string_view plan, std::string_view role,
                             uint64_t replica, uint64_t seq,
                             const VersionVector& version,
                             std::string_view ops_binary_base64,
                             const Json& peers, std::string_view ref) {
  // Spliced, not put in the tree: the base64 text is a megabyte for a
  // large plan, and needs no escaping.
  std::string out =
      Dump(JoinedHead(plan, role, replica, seq, version, peers, ref));
  out.pop_back();  // the closing '}' (the head is never empty)
  out.reserve(out.size() + ops_binary_base64.size() + 16);
  out += ",\"ops_binary\":\"";
  out += ops_binary_base64;
  out += "\"}";
  return out;
}

std::string MakeAck(std::string_view ref, uint64_t first_seq, uint64_t last_seq,
                    size_t accepted, size_t duplicates) {
  Json j = Base("ack");
  j["ref"] = ref.empty() ? Json(nullptr) : Json(ref);
  j["first_seq"] = first_seq;
  j["last_seq"] = last_seq;
  j["accepted"] = accepted;
  j["duplicates"] = duplicates;
  return Dump(j);
}

std::string MakeOpsBroadcast(uint64_t first_seq, uint64_t last_seq,
                             const std::vector<Op>& ops) {
  Json j = Base("ops");
  j["first_seq"] = first_seq;
  j["last_seq"] = last_seq;
  j["ops"] = OpsToJson(ops);
  return Dump(j);
}

Json MakePresenceEntry(std::string_view session, std::string_view user,
                       std::string_view municipality, std::string_view role,
                       const std::optional<Anchor>& anchor,
                       const std::optional<Anchor>& head, bool typing) {
  Json j = Json::object();
  j["session"] = session;
  j["user"] = user;
  j["municipality"] = municipality;
  j["role"] = role;
  j["anchor"] = anchor ? AnchorToJson(*anchor) : Json(nullptr);
  j["head"] = head ? AnchorToJson(*head) : Json(nullptr);
  j["typing"] = typing;
  return j;
}

std::string MakePresence(const Json& entry) {
  Json j = Base("presence");
  for (auto it = entry.begin(); it != entry.end(); ++it) j[it.key()] = *it;
  return Dump(j);
}

std::string MakePresenceLeft(std::string_view session) {
  Json j = Base("presence_left");
  j["session"] = session;
  return Dump(j);
}

std::string MakePong(std::string_view ref) {
  Json j = Base("pong");
  AddRef(&j, ref);
  return Dump(j);
}

std::string MakeLeft(std::string_view plan, std::string_view ref) {
  Json j = Base("left");
  j["plan"] = plan;
  AddRef(&j, ref);
  return Dump(j);
}

std::string MakeReviewText(std::string_view answer, uint64_t seq,
                           std::string_view ref) {
  Json head = Base("review");
  AddRef(&head, ref);
  head["seq"] = seq;
  std::string out = Dump(head);  // {"ref":..,"seq":..,"type":..,"v":1}
  out.pop_back();
  if (answer.size() > 2) {  // not "{}"
    out += ',';
    out += answer.substr(1);
  } else {
    out += '}';
  }
  return out;
}

std::string MakeReview(const Json& answer, uint64_t seq, std::string_view ref) {
  Json j = Base("review");
  AddRef(&j, ref);
  j["seq"] = seq;
  for (auto it = answer.begin(); it != answer.end(); ++it) j[it.key()] = *it;
  return Dump(j);
}

}  // namespace samplan::protocol
