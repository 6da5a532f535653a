// Named versions: a plan's state at one sequence number given a name (and a
// reference such as a council case number), signed by the server's key, so
// that "the version the council adopted" can be shown to be exactly that
// prefix of the op log (its chain value) later, also outside the server.
//
// Names are immutable: a stored name is never moved or deleted
// (PlanStore::PutVersion refuses a second one). Stored by PlanStore
// (plan_store.h: PutVersion, ListVersions).
//
// Thread-safety: plain data and functions; reentrant.
#ifndef SAMPLAN_STORAGE_NAMED_VERSION_H_
#define SAMPLAN_STORAGE_NAMED_VERSION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "crdt/status.h"
#include "storage/plan_store.h"

namespace samplan {

struct NamedVersion {
  std::string plan_id, name, reference;
  uint64_t seq = 0;
  ChainHash head{};       // chain(seq)
  int64_t time_ms = 0;    // server time of op seq
  std::string created_by;
  int64_t created_ms = 0;
  std::string key_id;
  std::string signature;  // 64 raw bytes
};

// The exact bytes signed:
// "samplan-version-v1\nplan:<id>\nname:<name>\nreference:<ref>\nseq:<seq>\n"
// "head:<hex>\ntime_ms:<t>\ncreated_by:<user>\ncreated_ms:<ms>\n"
std::string VersionSigningMessage(const NamedVersion& v);

// OK when `name` is 1..200 code points of valid UTF-8 without control
// characters (C0, DEL, C1); InvalidArgument saying what is wrong otherwise.
Status CheckVersionName(std::string_view name);

// For PutVersion: InvalidArgument unless v.head is op.chain and v.time_ms
// op.server_time_ms (REQUIRES: op is the stored op at v.seq).
Status CheckVersionAgainstOp(const NamedVersion& v, const StoredOp& op);

// The record bytes stored by RocksDbPlanStore ("versions" family) and their
// decoding (Corruption on bad bytes).
std::string EncodeVersionRecord(const NamedVersion& v);
Status DecodeVersionRecord(std::string_view value, NamedVersion* v);

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_NAMED_VERSION_H_
