#include "storage/named_version.h"

#include <algorithm>
#include <string>
#include <vector>

#include "crdt/codec.h"
#include "crdt/utf8.h"

namespace samplan {

namespace {
constexpr uint8_t kVersionRecordVersion = 1;
constexpr size_t kMaxVersionNameCodePoints = 200;
}  // namespace

std::string VersionSigningMessage(const NamedVersion& v) {
  std::string m = "samplan-version-v1\n";
  m += "plan:" + v.plan_id + "\n";
  m += "name:" + v.name + "\n";
  m += "reference:" + v.reference + "\n";
  m += "seq:" + std::to_string(v.seq) + "\n";
  m += "head:" + ChainToHex(v.head) + "\n";
  m += "time_ms:" + std::to_string(v.time_ms) + "\n";
  m += "created_by:" + v.created_by + "\n";
  m += "created_ms:" + std::to_string(v.created_ms) + "\n";
  return m;
}

Status CheckVersionName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("version name is empty");
  if (Status s = utf8::Validate(name); !s.ok()) {
    return Status::InvalidArgument("version name: " + s.message());
  }
  Result<std::u32string> cps = utf8::Decode(name);
  if (!cps.ok()) return Status::InvalidArgument("version name: invalid UTF-8");
  if (cps->size() > kMaxVersionNameCodePoints) {
    return Status::InvalidArgument("version name is longer than 200 characters");
  }
  for (char32_t c : *cps) {
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
      return Status::InvalidArgument("version name contains a control character");
    }
  }
  return Status::OK();
}

Status CheckVersionAgainstOp(const NamedVersion& v, const StoredOp& op) {
  if (v.head != op.chain) {
    return Status::InvalidArgument(
        "plan " + v.plan_id + ": version head " + ChainToHex(v.head) +
        " is not the chain value at seq " + std::to_string(v.seq) + " (" +
        ChainToHex(op.chain) + ")");
  }
  if (v.time_ms != op.server_time_ms) {
    return Status::InvalidArgument(
        "plan " + v.plan_id + ": version time " + std::to_string(v.time_ms) +
        " is not the server time of seq " + std::to_string(v.seq) + " (" +
        std::to_string(op.server_time_ms) + ")");
  }
  return Status::OK();
}

std::string EncodeVersionRecord(const NamedVersion& v) {
  std::string out;
  Writer w(&out);
  w.U8(kVersionRecordVersion);
  w.Bytes(v.plan_id);
  w.Bytes(v.name);
  w.Bytes(v.reference);
  w.Varint(v.seq);
  w.Raw(std::string_view(reinterpret_cast<const char*>(v.head.data()),
                         v.head.size()));
  w.SignedVarint(v.time_ms);
  w.Bytes(v.created_by);
  w.SignedVarint(v.created_ms);
  w.Bytes(v.key_id);
  w.Bytes(v.signature);
  return out;
}

Status DecodeVersionRecord(std::string_view value, NamedVersion* v) {
  Reader r(value);
  uint8_t version = 0;
  SAMPLAN_RETURN_IF_ERROR(r.U8(&version, "version record format"));
  if (version != kVersionRecordVersion) {
    return Status::Corruption("version record: unknown format " +
                              std::to_string(version));
  }
  std::string_view plan, name, reference, head, created_by, key_id, signature;
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&plan, "version plan"));
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&name, "version name"));
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&reference, "version reference"));
  SAMPLAN_RETURN_IF_ERROR(r.Varint(&v->seq, "version seq"));
  SAMPLAN_RETURN_IF_ERROR(r.Raw(v->head.size(), &head, "version head"));
  SAMPLAN_RETURN_IF_ERROR(r.SignedVarint(&v->time_ms, "version time"));
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&created_by, "version creator"));
  SAMPLAN_RETURN_IF_ERROR(r.SignedVarint(&v->created_ms, "version creation time"));
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&key_id, "version key id"));
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&signature, "version signature"));
  if (!r.AtEnd()) return Status::Corruption("version record: trailing bytes");
  v->plan_id = std::string(plan);
  v->name = std::string(name);
  v->reference = std::string(reference);
  std::copy(head.begin(), head.end(), reinterpret_cast<char*>(v->head.data()));
  v->created_by = std::string(created_by);
  v->key_id = std::string(key_id);
  v->signature = std::string(signature);
  return Status::OK();
}

// The defaults of plan_store.h for stores without named versions.
Status PlanStore::PutVersion(const NamedVersion&) {
  return Status::FailedPrecondition("this store keeps no named versions");
}

Status PlanStore::ListVersions(std::string_view, std::vector<NamedVersion>*) {
  return Status::FailedPrecondition("this store keeps no named versions");
}

}  // namespace samplan
