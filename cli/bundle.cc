#include "cli/bundle.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "cli/storage_commands.h"
#include "crdt/codec.h"
#include "crdt/replica.h"
#include "protocol/base64.h"
#include "protocol/plan_state.h"
#include "storage/checkpoint_log.h"
#include "storage/named_version.h"
#include "storage/plan_loader.h"
#include "storage/signing.h"

namespace samplan {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr size_t kReadPage = 4096;

using cli_util::IsoTime;

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// ---- export ----------------------------------------------------------------

OrderedJson VersionJson(const NamedVersion& v) {
  OrderedJson j;
  j["plan"] = v.plan_id;
  j["name"] = v.name;
  j["reference"] = v.reference;
  j["seq"] = v.seq;
  j["head"] = ChainToHex(v.head);
  j["time_ms"] = v.time_ms;
  j["created_by"] = v.created_by;
  j["created_ms"] = v.created_ms;
  j["key_id"] = v.key_id;
  j["signature"] = protocol::Base64Encode(v.signature);
  return j;
}

OrderedJson CheckpointJson(const Checkpoint& c) {
  OrderedJson j;
  j["plan"] = c.plan_id;
  j["seq"] = c.seq;
  j["head"] = ChainToHex(c.head);
  j["time_ms"] = c.time_ms;
  j["key_id"] = c.key_id;
  j["signature"] = protocol::Base64Encode(c.signature);
  return j;
}

// ---- verify: reading the bundle's members ------------------------------

Status FormatError(std::string_view what) {
  return Status::Corruption("not a valid bundle: " + std::string(what));
}

const Json* Member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

Status GetString(const Json& object, std::string_view key,
                 std::string_view path, std::string* out) {
  const Json* j = Member(object, key);
  if (j == nullptr || !j->is_string()) {
    return FormatError(std::string(path) + "." + std::string(key) +
                       " must be a string");
  }
  *out = j->get<std::string>();
  return Status::OK();
}

Status GetUint(const Json& object, std::string_view key, std::string_view path,
               uint64_t* out) {
  const Json* j = Member(object, key);
  if (j == nullptr || !j->is_number_unsigned()) {
    return FormatError(std::string(path) + "." + std::string(key) +
                       " must be a non-negative integer");
  }
  *out = j->get<uint64_t>();
  return Status::OK();
}

Status GetInt(const Json& object, std::string_view key, std::string_view path,
              int64_t* out) {
  const Json* j = Member(object, key);
  if (j == nullptr || !j->is_number_integer()) {
    return FormatError(std::string(path) + "." + std::string(key) +
                       " must be an integer");
  }
  *out = j->get<int64_t>();
  return Status::OK();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Status GetHead(const Json& object, std::string_view path, ChainHash* out) {
  std::string hex;
  SAMPLAN_RETURN_IF_ERROR(GetString(object, "head", path, &hex));
  if (hex.size() != 64) {
    return FormatError(std::string(path) +
                       ".head must be 64 lowercase hex digits");
  }
  for (size_t i = 0; i < 32; ++i) {
    const int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return FormatError(std::string(path) +
                         ".head must be 64 lowercase hex digits");
    }
    (*out)[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return Status::OK();
}

Status GetBase64(const Json& object, std::string_view key,
                 std::string_view path, size_t size, std::string* out) {
  std::string text;
  SAMPLAN_RETURN_IF_ERROR(GetString(object, key, path, &text));
  if (!protocol::Base64Decode(text, out).ok() ||
      (size != 0 && out->size() != size)) {
    return FormatError(std::string(path) + "." + std::string(key) +
                       " must be base64" +
                       (size != 0 ? " of " + std::to_string(size) + " bytes"
                                  : std::string()));
  }
  return Status::OK();
}

Status ParseVersion(const Json& j, std::string_view path,
                    std::string_view bundle_plan, NamedVersion* v) {
  if (!j.is_object()) return FormatError(std::string(path) + " must be an object");
  // "plan" is optional (the signed message names it anyway): default to the
  // bundle's plan.
  if (Member(j, "plan") != nullptr) {
    SAMPLAN_RETURN_IF_ERROR(GetString(j, "plan", path, &v->plan_id));
  } else {
    v->plan_id = std::string(bundle_plan);
  }
  SAMPLAN_RETURN_IF_ERROR(GetString(j, "name", path, &v->name));
  SAMPLAN_RETURN_IF_ERROR(GetString(j, "reference", path, &v->reference));
  SAMPLAN_RETURN_IF_ERROR(GetUint(j, "seq", path, &v->seq));
  SAMPLAN_RETURN_IF_ERROR(GetHead(j, path, &v->head));
  SAMPLAN_RETURN_IF_ERROR(GetInt(j, "time_ms", path, &v->time_ms));
  SAMPLAN_RETURN_IF_ERROR(GetString(j, "created_by", path, &v->created_by));
  SAMPLAN_RETURN_IF_ERROR(GetInt(j, "created_ms", path, &v->created_ms));
  SAMPLAN_RETURN_IF_ERROR(GetString(j, "key_id", path, &v->key_id));
  SAMPLAN_RETURN_IF_ERROR(GetBase64(j, "signature", path, 64, &v->signature));
  if (v->seq == 0) return FormatError(std::string(path) + ".seq must be >= 1");
  return Status::OK();
}

Status ParseCheckpoint(const Json& j, std::string_view path,
                       std::string_view bundle_plan, Checkpoint* c) {
  if (!j.is_object()) return FormatError(std::string(path) + " must be an object");
  if (Member(j, "plan") != nullptr) {
    SAMPLAN_RETURN_IF_ERROR(GetString(j, "plan", path, &c->plan_id));
  } else {
    c->plan_id = std::string(bundle_plan);
  }
  SAMPLAN_RETURN_IF_ERROR(GetUint(j, "seq", path, &c->seq));
  SAMPLAN_RETURN_IF_ERROR(GetHead(j, path, &c->head));
  SAMPLAN_RETURN_IF_ERROR(GetInt(j, "time_ms", path, &c->time_ms));
  SAMPLAN_RETURN_IF_ERROR(GetString(j, "key_id", path, &c->key_id));
  SAMPLAN_RETURN_IF_ERROR(GetBase64(j, "signature", path, 64, &c->signature));
  return Status::OK();
}

Status ParseKey(const Json& j, std::string_view path, PublicKeyInfo* k) {
  if (!j.is_object()) return FormatError(std::string(path) + " must be an object");
  SAMPLAN_RETURN_IF_ERROR(GetString(j, "id", path, &k->id));
  SAMPLAN_RETURN_IF_ERROR(GetBase64(j, "public_key", path, 32, &k->public_key));
  SAMPLAN_RETURN_IF_ERROR(GetInt(j, "created_ms", path, &k->created_ms));
  SAMPLAN_RETURN_IF_ERROR(GetInt(j, "retired_ms", path, &k->retired_ms));
  return Status::OK();
}

// The path of the first place where `a` and `b` differ ("" when equal).
std::string FirstDifference(const Json& a, const Json& b,
                            const std::string& path) {
  if (a == b) return "";
  if (a.is_object() && b.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end()) return path + "." + it.key();
      std::string d = FirstDifference(*it, *other, path + "." + it.key());
      if (!d.empty()) return d;
    }
    for (auto it = b.begin(); it != b.end(); ++it) {
      if (a.find(it.key()) == a.end()) return path + "." + it.key();
    }
  }
  if (a.is_array() && b.is_array()) {
    const size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      std::string d = FirstDifference(a[i], b[i],
                                      path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return path + "[" + std::to_string(n) + "]";
  }
  return path;
}

// ---- verify: the big log string, read without the JSON lexer -----------
//
// A bundle's log data is tens of megabytes of base64 in one JSON string;
// nlohmann's lexer takes ~150 ms per 28 MB on it. FindLogData locates it
// with a structural scan (memchr over strings), so that only the rest goes
// through the JSON parser; DecodeBase64Fast decodes it with a table.

size_t SkipSpace(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' ||
                          t[i] == '\t')) {
    ++i;
  }
  return i;
}

// At t[i] == '"': the index after the closing quote (npos if none).
size_t SkipString(std::string_view t, size_t i) {
  ++i;
  while (i < t.size()) {
    const void* hit = std::memchr(t.data() + i, '"', t.size() - i);
    if (hit == nullptr) return std::string_view::npos;
    size_t q = static_cast<const char*>(hit) - t.data();
    size_t backslashes = 0;
    while (q - backslashes > i && t[q - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return q + 1;
    i = q + 1;
  }
  return std::string_view::npos;
}

// At the start of a value: the index after it (npos if malformed).
size_t SkipValue(std::string_view t, size_t i) {
  if (i >= t.size()) return std::string_view::npos;
  if (t[i] == '"') return SkipString(t, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    while (i < t.size()) {
      const char c = t[i];
      if (c == '"') {
        i = SkipString(t, i);
        if (i == std::string_view::npos) return i;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return std::string_view::npos;
  }
  while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']') ++i;
  return i;
}

// Calls fn(key, value_begin, value_end) for each member of the object at
// t[i] == '{'; false if malformed.
template <typename Fn>
bool ForEachMember(std::string_view t, size_t i, Fn fn) {
  if (i >= t.size() || t[i] != '{') return false;
  i = SkipSpace(t, i + 1);
  if (i < t.size() && t[i] == '}') return true;
  while (i < t.size()) {
    if (t[i] != '"') return false;
    const size_t key_end = SkipString(t, i);
    if (key_end == std::string_view::npos) return false;
    const std::string_view key = t.substr(i + 1, key_end - i - 2);
    // An escaped key might spell a name this scan does not see: leave such
    // documents to the JSON parser.
    if (key.find('\\') != std::string_view::npos) return false;
    i = SkipSpace(t, key_end);
    if (i >= t.size() || t[i] != ':') return false;
    const size_t begin = SkipSpace(t, i + 1);
    const size_t end = SkipValue(t, begin);
    if (end == std::string_view::npos) return false;
    fn(key, begin, end);
    i = SkipSpace(t, end);
    if (i < t.size() && t[i] == '}') return true;
    if (i >= t.size() || t[i] != ',') return false;
    i = SkipSpace(t, i + 1);
  }
  return false;
}

// The span [begin, end) of the string value of the top-level "log"."data"
// member, quotes included, when there is exactly one and it holds no
// escapes; false otherwise (then the caller parses everything).
bool FindLogData(std::string_view t, size_t* begin, size_t* end) {
  int found = 0;
  bool inner_ok = true;
  const bool ok = ForEachMember(
      t, SkipSpace(t, 0), [&](std::string_view key, size_t b, size_t) {
        if (key != "log") return;
        inner_ok &= ForEachMember(
            t, b, [&](std::string_view k, size_t vb, size_t ve) {
              if (k != "data" || t[vb] != '"') return;
              *begin = vb;
              *end = ve;
              ++found;
            });
      });
  return ok && inner_ok && found == 1 &&
      t.substr(*begin, *end - *begin).find('\\') == std::string_view::npos;
}

// Standard padded base64 into *out; false on anything else.
bool DecodeBase64Fast(std::string_view in, std::string* out) {
  static const auto kTable = [] {
    std::array<int8_t, 256> t;
    t.fill(-1);
    const char* alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(alphabet[i])] = i;
    return t;
  }();
  if (in.size() % 4 != 0) return false;
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() >= 2 && in[in.size() - 2] == '=') ++pad;
  out->resize(in.size() / 4 * 3);
  char* o = out->data();
  const size_t full = in.size() / 4 - (pad > 0 ? 1 : 0);
  const uint8_t* p = reinterpret_cast<const uint8_t*>(in.data());
  for (size_t g = 0; g < full; ++g, p += 4, o += 3) {
    const int a = kTable[p[0]], b = kTable[p[1]], c = kTable[p[2]],
              d = kTable[p[3]];
    if ((a | b | c | d) < 0) return false;
    const uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) |
                       (uint32_t(c) << 6) | uint32_t(d);
    o[0] = static_cast<char>(v >> 16);
    o[1] = static_cast<char>(v >> 8);
    o[2] = static_cast<char>(v);
  }
  if (pad > 0) {
    const int a = kTable[p[0]], b = kTable[p[1]];
    const int c = pad == 1 ? kTable[p[2]] : 0;
    if ((a | b | c) < 0) return false;
    const uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) |
                       (uint32_t(c) << 6);
    // The bits below the last whole byte must be zero (canonical form).
    if ((pad == 2 && (v & 0xFFFF) != 0) || (pad == 1 && (v & 0xFF) != 0)) {
      return false;
    }
    o[0] = static_cast<char>(v >> 16);
    if (pad == 1) o[1] = static_cast<char>(v >> 8);
    out->resize(out->size() - pad);
  }
  return true;
}

// Collects checks' outcome: the first problem wins.
class Checker {
 public:
  explicit Checker(BundleReport* report) : report_(report) {}
  Status Fail(std::string problem) {
    report_->problem = std::move(problem);
    return Status::Corruption(report_->problem);
  }
  Status Fail(const Status& format_error) {
    return Fail(std::string(format_error.message()));
  }

 private:
  BundleReport* report_;
};

// Checks a signed version against the keys and the log's chain values.
// `label` names it in messages.
Status CheckVersion(const NamedVersion& v, const std::string& plan_id,
                    const std::vector<PublicKeyInfo>& keys,
                    const std::vector<BundleLogRecord>& log,
                    const PublicKeyInfo** key_out, Checker* checker) {
  const std::string label = "version " + Quoted(v.name);
  if (v.plan_id != plan_id) {
    return checker->Fail("the signed " + label + " belongs to plan " +
                         Quoted(v.plan_id) + ", not " + Quoted(plan_id));
  }
  const PublicKeyInfo* key = FindKey(keys, v.key_id);
  if (key == nullptr) {
    return checker->Fail(label + " is signed by key " + v.key_id +
                         ", which the bundle does not list");
  }
  if (!VerifyEd25519(key->public_key, VersionSigningMessage(v),
                     v.signature)) {
    return checker->Fail("forged: signature of " + label +
                         " does not verify with key " + v.key_id);
  }
  if (key->retired_ms != 0 && v.created_ms > key->retired_ms) {
    return checker->Fail(label + " was signed at " + IsoTime(v.created_ms) +
                         " with key " + v.key_id + ", retired at " +
                         IsoTime(key->retired_ms));
  }
  if (v.seq > log.size()) {
    return checker->Fail(label + " is at seq " + std::to_string(v.seq) +
                         " but the log ends at seq " +
                         std::to_string(log.size()) +
                         ": operations were cut off");
  }
  const ChainHash& chain = log[v.seq - 1].chain;
  if (chain != v.head) {
    return checker->Fail("the log's chain value at seq " +
                         std::to_string(v.seq) + " is " + ChainToHex(chain) +
                         " but " + label + " signed " + ChainToHex(v.head) +
                         ": the history was rewritten");
  }
  if (key_out != nullptr) *key_out = key;
  return Status::OK();
}

}  // namespace

// ---- log records -------------------------------------------------------------

void AppendBundleLogRecord(uint64_t seq, const ChainHash& chain,
                           std::string_view op_bytes, std::string* out) {
  Writer w(out);
  w.Varint(seq);
  w.Raw(std::string_view(reinterpret_cast<const char*>(chain.data()),
                         chain.size()));
  w.Bytes(op_bytes);
}

Status ParseBundleLog(std::string_view data,
                      std::vector<BundleLogRecord>* out) {
  out->clear();
  Reader r(data);
  while (!r.AtEnd()) {
    BundleLogRecord rec;
    std::string_view chain;
    const Status s = [&]() -> Status {
      SAMPLAN_RETURN_IF_ERROR(r.Varint(&rec.seq, "seq"));
      SAMPLAN_RETURN_IF_ERROR(r.Raw(rec.chain.size(), &chain, "chain"));
      return r.Bytes(&rec.bytes, "operation");
    }();
    if (!s.ok()) {
      return Status::Corruption("log record " + std::to_string(out->size() + 1) +
                                " is malformed: " + std::string(s.message()));
    }
    std::copy(chain.begin(), chain.end(), rec.chain.begin());
    out->push_back(rec);
  }
  return Status::OK();
}

// ---- export --------------------------------------------------------------------

Status ExportBundle(PlanStore* store, const std::string& data_dir,
                    std::string_view plan_id, std::string_view version_name,
                    std::string* json) {
  const std::string plan(plan_id);
  PlanInfo info;
  SAMPLAN_RETURN_IF_ERROR(store->GetPlanInfo(plan_id, &info));
  std::vector<NamedVersion> versions;
  SAMPLAN_RETURN_IF_ERROR(store->ListVersions(plan_id, &versions));
  const NamedVersion* version = nullptr;
  for (const NamedVersion& v : versions) {
    if (v.name == version_name) version = &v;
  }
  if (version == nullptr) {
    std::string names;
    for (const NamedVersion& v : versions) {
      names += (names.empty() ? "" : ", ") + Quoted(v.name);
    }
    return Status::NotFound("plan " + plan + " has no version named " +
                            Quoted(version_name) +
                            (names.empty() ? " (it has no named versions)"
                                           : " (it has " + names + ")"));
  }
  if (version->seq == 0 || version->seq > info.last_seq) {
    return Status::Corruption("plan " + plan + ": version " +
                              Quoted(version->name) + " is at seq " +
                              std::to_string(version->seq) +
                              " but the log ends at seq " +
                              std::to_string(info.last_seq));
  }
  std::unique_ptr<KeyRing> ring;
  if (Status s = KeyRing::Load(data_dir, &ring); !s.ok()) {
    if (s.code() == Status::Code::kNotFound) {
      return Status::NotFound("no signing keys in " + data_dir +
                              "/keys: " + std::string(s.message()));
    }
    return s;
  }
  std::vector<Checkpoint> checkpoints;
  if (Status s = ReadCheckpoints(data_dir + "/checkpoints.log", &checkpoints);
      !s.ok() && s.code() != Status::Code::kNotFound) {
    return s;
  }

  // The log, checked as it is read, and the state it replays to.
  std::string data;
  auto replica = std::make_unique<Replica>(kStorageReplicaId);
  LogReplay replay(replica.get(), 0);
  ReplayProblem problem;
  ChainHash chain{};
  uint64_t next = 1;
  std::vector<StoredOp> page;
  while (next <= version->seq) {
    const size_t want = static_cast<size_t>(
        std::min<uint64_t>(kReadPage, version->seq - next + 1));
    SAMPLAN_RETURN_IF_ERROR(store->ReadRange(plan_id, next, want, &page));
    if (page.empty()) {
      return Status::Corruption("plan " + plan + ": the log has no op " +
                                std::to_string(next));
    }
    for (const StoredOp& op : page) {
      if (op.seq != next) {
        return Status::Corruption("plan " + plan + ": expected op " +
                                  std::to_string(next) + ", read op " +
                                  std::to_string(op.seq));
      }
      const std::string bytes = CanonicalOpBytes(op.op);
      chain = NextChain(chain, bytes);
      if (chain != op.chain) {
        return Status::Corruption("plan " + plan + " seq " +
                                  std::to_string(op.seq) +
                                  ": the stored chain value does not match");
      }
      AppendBundleLogRecord(op.seq, chain, bytes, &data);
      if (!replay.Apply(op, &problem)) {
        return Status::Corruption("plan " + plan + " seq " +
                                  std::to_string(problem.seq) + ": " +
                                  problem.what);
      }
      if (++next > version->seq) break;
    }
  }
  if (!replay.Finish(&problem)) {
    return Status::Corruption("plan " + plan + " seq " +
                              std::to_string(problem.seq) + ": " +
                              problem.what);
  }
  if (chain != version->head) {
    return Status::Corruption("plan " + plan + ": the log's chain value at seq " +
                              std::to_string(version->seq) + " is " +
                              ChainToHex(chain) + " but version " +
                              Quoted(version->name) + " signed " +
                              ChainToHex(version->head));
  }

  OrderedJson out;
  out["format"] = kBundleFormat;
  out["format_version"] = kBundleFormatVersion;
  out["plan"] = OrderedJson{{"id", info.plan_id}, {"title", info.title}};
  out["version"] = VersionJson(*version);
  OrderedJson listed = OrderedJson::array();
  for (const NamedVersion& v : versions) {
    if (v.seq <= version->seq) listed.push_back(VersionJson(v));
  }
  out["versions"] = std::move(listed);
  OrderedJson signed_heads = OrderedJson::array();
  for (const Checkpoint& c : checkpoints) {
    if (c.plan_id == plan && c.seq <= version->seq) {
      signed_heads.push_back(CheckpointJson(c));
    }
  }
  out["checkpoints"] = std::move(signed_heads);
  OrderedJson keys = OrderedJson::array();
  for (const PublicKeyInfo& k : ring->keys()) {
    keys.push_back(OrderedJson{{"id", k.id},
                               {"public_key", protocol::Base64Encode(k.public_key)},
                               {"created_ms", k.created_ms},
                               {"retired_ms", k.retired_ms}});
  }
  out["keys"] = std::move(keys);
  OrderedJson log;
  log["ops"] = version->seq;
  log["encoding"] = kBundleLogEncoding;
  log["data"] = protocol::Base64Encode(data);
  data.clear();
  data.shrink_to_fit();
  out["log"] = std::move(log);
  Json state = protocol::PlanStateToJson(*replica);
  state["plan"] = info.plan_id;
  state["seq"] = version->seq;
  out["state"] = OrderedJson(state);
  *json = out.dump(1, ' ', false, OrderedJson::error_handler_t::replace);
  json->push_back('\n');
  return Status::OK();
}

// ---- verify ----------------------------------------------------------------------

Status VerifyBundle(std::string_view bundle_json, BundleReport* report) {
  *report = BundleReport{};
  Checker check(report);
  // The log data lifted out (see FindLogData); the rest parsed as JSON.
  std::string_view log_data;
  bool log_data_lifted = false;
  Json bundle;
  if (size_t begin, end; FindLogData(bundle_json, &begin, &end)) {
    std::string rest;
    rest.reserve(bundle_json.size() - (end - begin) + 2);
    rest.append(bundle_json.substr(0, begin));
    rest.append("\"\"");
    rest.append(bundle_json.substr(end));
    bundle = Json::parse(rest, nullptr, /*allow_exceptions=*/false);
    log_data = bundle_json.substr(begin + 1, end - begin - 2);
    log_data_lifted = true;
  } else {
    bundle = Json::parse(bundle_json.begin(), bundle_json.end(), nullptr,
                         /*allow_exceptions=*/false);
  }
  if (bundle.is_discarded() || !bundle.is_object()) {
    return check.Fail("not a samplan bundle: the file is not a JSON object");
  }

  // Format.
  std::string format;
  if (!GetString(bundle, "format", "bundle", &format).ok() ||
      format != kBundleFormat) {
    return check.Fail("not a samplan bundle: \"format\" is not \"" +
                      std::string(kBundleFormat) + "\"");
  }
  uint64_t format_version = 0;
  if (Status s = GetUint(bundle, "format_version", "bundle", &format_version);
      !s.ok()) {
    return check.Fail(s);
  }
  if (format_version != kBundleFormatVersion) {
    return check.Fail("bundle format_version " + std::to_string(format_version) +
                      " is not supported (this samplan reads version " +
                      std::to_string(kBundleFormatVersion) + ")");
  }
  const Json* plan = Member(bundle, "plan");
  if (plan == nullptr || !plan->is_object()) {
    return check.Fail(FormatError("plan must be an object"));
  }
  if (Status s = GetString(*plan, "id", "plan", &report->plan_id); !s.ok()) {
    return check.Fail(s);
  }
  if (Status s = GetString(*plan, "title", "plan", &report->plan_title);
      !s.ok()) {
    return check.Fail(s);
  }
  const std::string& plan_id = report->plan_id;

  const Json* version_json = Member(bundle, "version");
  if (version_json == nullptr) return check.Fail(FormatError("no version"));
  NamedVersion version;
  if (Status s = ParseVersion(*version_json, "version", plan_id, &version);
      !s.ok()) {
    return check.Fail(s);
  }
  report->version_name = version.name;
  report->reference = version.reference;
  report->created_by = version.created_by;
  report->seq = version.seq;
  report->head_hex = ChainToHex(version.head);
  report->time_ms = version.time_ms;
  report->created_ms = version.created_ms;
  report->key_id = version.key_id;

  std::vector<NamedVersion> versions;
  const Json* versions_json = Member(bundle, "versions");
  if (versions_json == nullptr || !versions_json->is_array()) {
    return check.Fail(FormatError("versions must be an array"));
  }
  for (size_t i = 0; i < versions_json->size(); ++i) {
    NamedVersion v;
    if (Status s = ParseVersion((*versions_json)[i],
                                "versions[" + std::to_string(i) + "]",
                                plan_id, &v);
        !s.ok()) {
      return check.Fail(s);
    }
    versions.push_back(std::move(v));
  }
  std::vector<Checkpoint> checkpoints;
  const Json* checkpoints_json = Member(bundle, "checkpoints");
  if (checkpoints_json == nullptr || !checkpoints_json->is_array()) {
    return check.Fail(FormatError("checkpoints must be an array"));
  }
  for (size_t i = 0; i < checkpoints_json->size(); ++i) {
    Checkpoint c;
    if (Status s = ParseCheckpoint((*checkpoints_json)[i],
                                   "checkpoints[" + std::to_string(i) + "]",
                                   plan_id, &c);
        !s.ok()) {
      return check.Fail(s);
    }
    checkpoints.push_back(std::move(c));
  }
  std::vector<PublicKeyInfo> keys;
  const Json* keys_json = Member(bundle, "keys");
  if (keys_json == nullptr || !keys_json->is_array()) {
    return check.Fail(FormatError("keys must be an array"));
  }
  for (size_t i = 0; i < keys_json->size(); ++i) {
    PublicKeyInfo k;
    const std::string path = "keys[" + std::to_string(i) + "]";
    if (Status s = ParseKey((*keys_json)[i], path, &k); !s.ok()) {
      return check.Fail(s);
    }
    if (KeyIdOf(k.public_key) != k.id) {
      return check.Fail("key " + k.id + " (" + path +
                        "): the id does not match its public key, whose id "
                        "is " + KeyIdOf(k.public_key));
    }
    keys.push_back(std::move(k));
  }
  report->keys = keys.size();

  const Json* log_json = Member(bundle, "log");
  if (log_json == nullptr || !log_json->is_object()) {
    return check.Fail(FormatError("log must be an object"));
  }
  uint64_t op_count = 0;
  std::string encoding, data;
  if (Status s = GetUint(*log_json, "ops", "log", &op_count); !s.ok()) {
    return check.Fail(s);
  }
  if (Status s = GetString(*log_json, "encoding", "log", &encoding); !s.ok()) {
    return check.Fail(s);
  }
  if (encoding != kBundleLogEncoding) {
    return check.Fail("log encoding " + Quoted(encoding) +
                      " is not supported (this samplan reads " +
                      std::string(kBundleLogEncoding) + ")");
  }
  if (log_data_lifted) {
    // The parser saw "" where the data was: the member read is the lifted
    // one.
    const Json* placeholder = Member(*log_json, "data");
    if (placeholder == nullptr || *placeholder != "") {
      return check.Fail(FormatError("log.data must be a string"));
    }
    if (!DecodeBase64Fast(log_data, &data)) {
      return check.Fail(FormatError("log.data must be base64"));
    }
  } else if (Status s = GetBase64(*log_json, "data", "log", 0, &data);
             !s.ok()) {
    return check.Fail(s);
  }
  const Json* state_json = Member(bundle, "state");
  if (state_json == nullptr || !state_json->is_object()) {
    return check.Fail(FormatError("state must be an object"));
  }

  // The log: records, sequence numbers, chain values.
  std::vector<BundleLogRecord> log;
  // A record takes at least 34 bytes: a claimed count beyond that is not
  // believed for the reservation.
  log.reserve(static_cast<size_t>(std::min<uint64_t>(op_count, data.size() / 34)));
  if (Status s = ParseBundleLog(data, &log); !s.ok()) return check.Fail(s);
  if (log.size() != op_count) {
    return check.Fail("log.ops says " + std::to_string(op_count) +
                      " operations but the data holds " +
                      std::to_string(log.size()));
  }
  report->ops = log.size();
  for (size_t i = 0; i < log.size(); ++i) {
    const uint64_t expected = i + 1;
    const uint64_t seq = log[i].seq;
    if (seq == expected) continue;
    if (seq == 0) {
      return check.Fail("log record " + std::to_string(i + 1) +
                        " has seq 0 (ops are numbered from 1)");
    }
    if (seq < expected) {  // records 1..i were ops 1..i: a repeat
      return check.Fail("op " + std::to_string(seq) +
                        " appears twice (again at record " +
                        std::to_string(i + 1) + ")");
    }
    for (size_t j = i + 1; j < log.size(); ++j) {
      if (log[j].seq == expected) {
        return check.Fail("ops out of order at record " +
                          std::to_string(i + 1) + ": op " +
                          std::to_string(seq) + " comes before op " +
                          std::to_string(expected));
      }
    }
    return check.Fail("op " + std::to_string(expected) + " is missing");
  }
  ChainHash chain{};
  for (const BundleLogRecord& rec : log) {
    const ChainHash next = NextChain(chain, rec.bytes);
    if (next != rec.chain) {
      return check.Fail(
          "op " + std::to_string(rec.seq) +
          ": its chain value does not match its bytes: the operation was "
          "changed" +
          (rec.seq > 1 ? " (or an earlier one, with its chain value "
                         "recomputed)"
                       : ""));
    }
    chain = next;
  }

  // The signed version: the log ends there, with its head.
  if (log.size() < version.seq) {
    return check.Fail("the log ends at seq " + std::to_string(log.size()) +
                      " but version " + Quoted(version.name) +
                      " is at seq " + std::to_string(version.seq) +
                      ": operations were cut off (the history was rewound)");
  }
  if (log.size() > version.seq) {
    return check.Fail("the log goes on past version " + Quoted(version.name) +
                      " (seq " + std::to_string(version.seq) +
                      ") to seq " + std::to_string(log.size()));
  }
  if (chain != version.head) {
    return check.Fail("the log's head at seq " + std::to_string(log.size()) +
                      " is " + ChainToHex(chain) + " but version " +
                      Quoted(version.name) + " signed " +
                      ChainToHex(version.head) +
                      ": the history was rewritten or is another plan's");
  }
  const PublicKeyInfo* key = nullptr;
  SAMPLAN_RETURN_IF_ERROR(
      CheckVersion(version, plan_id, keys, log, &key, &check));
  report->key_created_ms = key->created_ms;
  report->key_retired_ms = key->retired_ms;

  // Every other signed head in the bundle.
  for (const NamedVersion& v : versions) {
    SAMPLAN_RETURN_IF_ERROR(CheckVersion(v, plan_id, keys, log, nullptr, &check));
  }
  report->versions = versions.size();
  for (const Checkpoint& c : checkpoints) {
    const std::string label = "checkpoint at seq " + std::to_string(c.seq) +
                              " (" + IsoTime(c.time_ms) + ")";
    if (c.plan_id != plan_id) {
      return check.Fail(label + " belongs to plan " + Quoted(c.plan_id) +
                        ", not " + Quoted(plan_id));
    }
    const PublicKeyInfo* k = FindKey(keys, c.key_id);
    if (k == nullptr) {
      return check.Fail(label + " is signed by key " + c.key_id +
                        ", which the bundle does not list");
    }
    if (!VerifyEd25519(k->public_key, CheckpointSigningMessage(c),
                       c.signature)) {
      return check.Fail("forged: signature of " + label +
                        " does not verify with key " + c.key_id);
    }
    if (c.seq == 0 || c.seq > log.size()) {
      return check.Fail(label + " signed seq " + std::to_string(c.seq) +
                        " but the log ends at seq " +
                        std::to_string(log.size()) +
                        ": operations were cut off");
    }
    if (log[c.seq - 1].chain != c.head) {
      return check.Fail("the log's chain value at seq " +
                        std::to_string(c.seq) + " is " +
                        ChainToHex(log[c.seq - 1].chain) + " but " + label +
                        " signed " + ChainToHex(c.head) +
                        ": the history was rewritten");
    }
  }
  report->checkpoints = checkpoints.size();

  // Replay: every op decodes and applies, and the result is `state`.
  auto replica = std::make_unique<Replica>(kStorageReplicaId);
  LogReplay replay(replica.get(), 0);
  ReplayProblem problem;
  StoredOp stored;
  for (const BundleLogRecord& rec : log) {
    Reader r(rec.bytes);
    stored.seq = rec.seq;
    Status s = DecodeOpFrom(&r, &stored.op);
    if (s.ok() && !r.AtEnd()) {
      s = Status::Corruption("bytes left over after the operation");
    }
    if (!s.ok()) {
      return check.Fail("op " + std::to_string(rec.seq) +
                        " does not decode: " + std::string(s.message()));
    }
    if (rec.seq == version.seq && stored.op.author.wall_time_ms != version.time_ms) {
      return check.Fail("version " + Quoted(version.name) + " says op " +
                        std::to_string(version.seq) + " was made at " +
                        IsoTime(version.time_ms) + " but the op says " +
                        IsoTime(stored.op.author.wall_time_ms));
    }
    if (!replay.Apply(stored, &problem)) {
      return check.Fail("op " + std::to_string(problem.seq) +
                        " does not apply: " + problem.what);
    }
  }
  if (!replay.Finish(&problem)) {
    return check.Fail("op " + std::to_string(problem.seq) +
                      " does not apply: " + problem.what);
  }
  Json expected = protocol::PlanStateToJson(*replica);
  expected["plan"] = plan_id;
  expected["seq"] = version.seq;
  const std::string where = FirstDifference(*state_json, expected, "state");
  if (!where.empty()) {
    return check.Fail("the state in the bundle differs from the replay of "
                      "its log (first at " + where + ")");
  }
  return Status::OK();
}

std::string BundleSummary(const BundleReport& r) {
  std::string key = "key " + r.key_id;
  if (r.key_retired_ms != 0) key += " (retired " + IsoTime(r.key_retired_ms) + ")";
  return "bundle verified: plan " + r.plan_id + ", version " +
         Quoted(r.version_name) +
         (r.reference.empty() ? "" : " [" + r.reference + "]") + " (seq " +
         std::to_string(r.seq) + ", head " + r.head_hex + ", signed by " +
         key + " at " + IsoTime(r.created_ms) + " by " + r.created_by +
         "), " + std::to_string(r.ops) + " operations, " +
         std::to_string(r.checkpoints) + " checkpoints";
}

std::string BundleSlug(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kLetters[] = {
      {"æ", "ae"}, {"Æ", "ae"}, {"ø", "o"}, {"Ø", "o"}, {"å", "a"},
      {"Å", "a"},  {"ä", "a"},  {"Ä", "a"}, {"ö", "o"}, {"Ö", "o"},
      {"é", "e"},  {"É", "e"},  {"ü", "u"}, {"Ü", "u"}};
  std::string out;
  bool dash = false;
  auto put = [&](std::string_view s) {
    if (dash && !out.empty()) out.push_back('-');
    dash = false;
    out.append(s);
  };
  for (size_t i = 0; i < name.size();) {
    const char c = name[i];
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      put(std::string_view(&name[i], 1));
      ++i;
      continue;
    }
    if (c >= 'A' && c <= 'Z') {
      const char lower = static_cast<char>(c - 'A' + 'a');
      put(std::string_view(&lower, 1));
      ++i;
      continue;
    }
    bool mapped = false;
    for (const auto& [from, to] : kLetters) {
      if (name.substr(i).starts_with(from)) {
        put(to);
        i += from.size();
        mapped = true;
        break;
      }
    }
    if (mapped) continue;
    dash = true;
    ++i;
    // Skip the rest of a multi-byte character.
    while (i < name.size() && (static_cast<uint8_t>(name[i]) & 0xC0) == 0x80) ++i;
  }
  if (out.size() > 60) out.resize(60);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "version" : out;
}

}  // namespace samplan
