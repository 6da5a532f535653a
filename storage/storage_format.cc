#include "storage/storage_format.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crdt/codec.h"

namespace samplan {
namespace storage_format {

std::string PlanPrefix(std::string_view plan_id) {
  std::string key(plan_id);
  key.push_back('\0');
  return key;
}

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

std::string SeqKey(std::string_view plan_id, uint64_t seq) {
  std::string key = PlanPrefix(plan_id);
  PutBigEndian64(&key, seq);
  return key;
}

bool ParseSeqKey(std::string_view key, std::string_view plan_id,
                 uint64_t* seq) {
  if (key.size() != plan_id.size() + 9) return false;
  if (key.substr(0, plan_id.size()) != plan_id) return false;
  if (key[plan_id.size()] != '\0') return false;
  *seq = GetBigEndian64(key.data() + plan_id.size() + 1);
  return true;
}

namespace {

Status GetHash(Reader* r, ChainHash* h, const char* what) {
  std::string_view raw;
  SAMPLAN_RETURN_IF_ERROR(r->Raw(h->size(), &raw, what));
  std::memcpy(h->data(), raw.data(), h->size());
  return Status::OK();
}

Status CheckVersion(Reader* r, uint8_t expected, const char* what) {
  uint8_t version;
  SAMPLAN_RETURN_IF_ERROR(r->U8(&version, what));
  if (version != expected) {
    return Status::Corruption(std::string("unsupported ") + what + " " +
                              std::to_string(version));
  }
  return Status::OK();
}

}  // namespace

std::string EncodeOpRecord(const ChainHash& chain, std::string_view op_bytes) {
  std::string out;
  out.reserve(1 + chain.size() + op_bytes.size());
  out.push_back(static_cast<char>(kOpRecordVersion));
  out.append(reinterpret_cast<const char*>(chain.data()), chain.size());
  out.append(op_bytes.data(), op_bytes.size());
  return out;
}

Status DecodeOpRecord(std::string_view value, ChainHash* chain,
                      std::string_view* op_bytes) {
  Reader r(value);
  SAMPLAN_RETURN_IF_ERROR(CheckVersion(&r, kOpRecordVersion, "op record version"));
  SAMPLAN_RETURN_IF_ERROR(GetHash(&r, chain, "chain value"));
  *op_bytes = value.substr(r.position());
  if (op_bytes->empty()) return Status::Corruption("op record has no op");
  return Status::OK();
}

Status DecodeStoredOp(uint64_t seq, std::string_view value, StoredOp* out,
                      std::string_view* op_bytes) {
  std::string_view bytes;
  SAMPLAN_RETURN_IF_ERROR(DecodeOpRecord(value, &out->chain, &bytes));
  Reader r(bytes);
  SAMPLAN_RETURN_IF_ERROR(DecodeOpFrom(&r, &out->op));
  if (!r.AtEnd()) return Status::Corruption("trailing bytes after the op");
  thread_local std::string canonical;
  canonical.clear();
  Writer w(&canonical);
  EncodeOpTo(out->op, &w);
  if (canonical != bytes) {
    return Status::Corruption("op bytes are not in canonical form");
  }
  out->seq = seq;
  out->user = out->op.author.user;
  out->municipality = out->op.author.municipality;
  out->server_time_ms = out->op.author.wall_time_ms;
  if (op_bytes != nullptr) *op_bytes = bytes;
  return Status::OK();
}

std::string EncodePlanRecord(const PlanRecord& p) {
  std::string out;
  Writer w(&out);
  w.U8(kPlanRecordVersion);
  w.Varint(p.last_seq);
  w.Raw(std::string_view(reinterpret_cast<const char*>(p.head.data()),
                         p.head.size()));
  w.SignedVarint(p.created_ms);
  w.SignedVarint(p.last_time_ms);
  w.Bytes(p.title);
  return out;
}

Status DecodePlanRecord(std::string_view value, PlanRecord* p) {
  Reader r(value);
  SAMPLAN_RETURN_IF_ERROR(
      CheckVersion(&r, kPlanRecordVersion, "plan record version"));
  SAMPLAN_RETURN_IF_ERROR(r.Varint(&p->last_seq, "last seq"));
  SAMPLAN_RETURN_IF_ERROR(GetHash(&r, &p->head, "chain head"));
  SAMPLAN_RETURN_IF_ERROR(r.SignedVarint(&p->created_ms, "creation time"));
  SAMPLAN_RETURN_IF_ERROR(r.SignedVarint(&p->last_time_ms, "last time"));
  std::string_view title;
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&title, "title"));
  p->title.assign(title);
  if (!r.AtEnd()) return Status::Corruption("trailing bytes in plan record");
  if (p->last_seq > kMaxSeq) return Status::Corruption("last seq too large");
  return Status::OK();
}

std::string EncodeSnapshotRecord(const ChainHash& chain,
                                 std::string_view snapshot) {
  const ChainHash digest = Sha256(snapshot);
  std::string out;
  out.reserve(1 + 64 + snapshot.size());
  out.push_back(static_cast<char>(kSnapshotRecordVersion));
  out.append(reinterpret_cast<const char*>(chain.data()), chain.size());
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  out.append(snapshot.data(), snapshot.size());
  return out;
}

Status DecodeSnapshotRecord(std::string_view value, ChainHash* chain,
                            std::string_view* snapshot) {
  Reader r(value);
  SAMPLAN_RETURN_IF_ERROR(
      CheckVersion(&r, kSnapshotRecordVersion, "snapshot record version"));
  SAMPLAN_RETURN_IF_ERROR(GetHash(&r, chain, "snapshot chain value"));
  ChainHash digest;
  SAMPLAN_RETURN_IF_ERROR(GetHash(&r, &digest, "snapshot digest"));
  *snapshot = value.substr(r.position());
  if (Sha256(*snapshot) != digest) {
    return Status::Corruption("snapshot digest mismatch");
  }
  return Status::OK();
}

ChainHash Sha256(std::string_view bytes) {
  ChainHash out{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(),
                 nullptr) != 1 ||
      len != out.size()) {
    std::fputs("samplan: SHA-256 (OpenSSL EVP) failed\n", stderr);
    std::abort();
  }
  return out;
}

}  // namespace storage_format
}  // namespace samplan
