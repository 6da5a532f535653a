// The store-independent parts of plan_store.h: the hash chain, plan ids and
// the default implementations of the extension methods.
#include "storage/plan_store.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "crdt/codec.h"

namespace samplan {

std::string CanonicalOpBytes(const Op& op) {
  std::string out;
  Writer w(&out);
  EncodeOpTo(op, &w);
  return out;
}

namespace {

// SHA-256 fetched once (an implicit fetch per digest is slow in OpenSSL 3),
// and one digest context per thread, reused.
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

ChainHash NextChain(const ChainHash& previous, std::string_view op_bytes) {
  thread_local DigestContext context;
  ChainHash out{};
  unsigned int len = 0;
  EVP_MD_CTX* ctx = context.ctx;
  // These fail only on allocation failure, which we treat as fatal like any
  // other out-of-memory.
  const bool ok = ctx != nullptr && Sha256Md() != nullptr &&
                  EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, previous.data(), previous.size()) == 1 &&
                  EVP_DigestUpdate(ctx, op_bytes.data(), op_bytes.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 &&
                  len == out.size();
  if (!ok) {
    std::fputs("samplan: SHA-256 (OpenSSL EVP) failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string ChainToHex(const ChainHash& h) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(h.size() * 2);
  for (uint8_t b : h) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

bool IsValidPlanId(std::string_view plan_id) {
  if (plan_id.empty() || plan_id.size() > 64) return false;
  for (char c : plan_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status PlanStore::ListSnapshots(std::string_view plan_id,
                                std::vector<SnapshotRef>* out) {
  out->clear();
  LoadedPlan plan;
  SAMPLAN_RETURN_IF_ERROR(Load(plan_id, &plan));
  if (plan.snapshot_seq != 0) {
    out->push_back(SnapshotRef{plan.snapshot_seq, plan.snapshot.size()});
  }
  return Status::OK();
}

Status PlanStore::ReadSnapshot(std::string_view plan_id, uint64_t seq,
                               std::string* out) {
  LoadedPlan plan;
  SAMPLAN_RETURN_IF_ERROR(Load(plan_id, &plan));
  if (plan.snapshot_seq != seq || seq == 0) {
    return Status::NotFound("plan " + std::string(plan_id) +
                            ": no snapshot at seq " + std::to_string(seq));
  }
  *out = std::move(plan.snapshot);
  return Status::OK();
}

}  // namespace samplan
