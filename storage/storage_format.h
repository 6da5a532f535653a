// The byte layout of the RocksDB plan store: keys and value records
// (documented in docs/storage.md).
//
// Keys order by plan, then by sequence number: a plan id (never containing
// a NUL byte) is followed by a NUL byte and the sequence number as 8 bytes
// big-endian, so a byte-wise ordered scan visits one plan's records in
// sequence order. Values start with a format version byte.
//
// Decoding never crashes on bad bytes; it returns Corruption naming what
// was wrong. Thread-safety: functions only; reentrant.
#ifndef SAMPLAN_STORAGE_STORAGE_FORMAT_H_
#define SAMPLAN_STORAGE_STORAGE_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "crdt/status.h"
#include "storage/plan_store.h"

namespace samplan {
namespace storage_format {

// Column family names.
inline constexpr char kOpsFamily[] = "ops";
inline constexpr char kSnapshotsFamily[] = "snapshots";
inline constexpr char kPlansFamily[] = "plans";
// Added with issue 10; created when an older database is opened.
// "versions": SeqKey(plan, creation index 1, 2, ...) -> EncodeVersionRecord;
// "people": user id -> EncodePersonRecord;
// "erasures": big-endian index 1, 2, ... -> EncodeErasureRecord.
inline constexpr char kVersionsFamily[] = "versions";
inline constexpr char kPeopleFamily[] = "people";
inline constexpr char kErasuresFamily[] = "erasures";
// Key in the default family holding the store's format version.
inline constexpr char kFormatKey[] = "samplan.storage.format";
inline constexpr char kFormatValue[] = "1";

inline constexpr uint8_t kOpRecordVersion = 1;
inline constexpr uint8_t kPlanRecordVersion = 1;
inline constexpr uint8_t kSnapshotRecordVersion = 1;

// plan_id + '\0': the prefix of every key of the plan in "ops"/"snapshots".
std::string PlanPrefix(std::string_view plan_id);
// plan_id + '\0' + big-endian seq.
std::string SeqKey(std::string_view plan_id, uint64_t seq);
// Parses a SeqKey of `plan_id`; false when `key` is not one.
bool ParseSeqKey(std::string_view key, std::string_view plan_id,
                 uint64_t* seq);

void PutBigEndian64(std::string* out, uint64_t v);
uint64_t GetBigEndian64(const char* p);

// ---- "ops" values: version, chain value (32 bytes), canonical op bytes.
std::string EncodeOpRecord(const ChainHash& chain, std::string_view op_bytes);
Status DecodeOpRecord(std::string_view value, ChainHash* chain,
                      std::string_view* op_bytes);
// Decodes a whole op record stored at `seq` into `out`, checking that the op
// bytes are in canonical form (re-encoding gives the same bytes, so the
// chain over the stored bytes is the chain over the op). `op_bytes`, if
// non-null, receives the stored op bytes (pointing into `value`).
Status DecodeStoredOp(uint64_t seq, std::string_view value, StoredOp* out,
                      std::string_view* op_bytes);

// ---- "plans" values.
struct PlanRecord {
  uint64_t last_seq = 0;
  ChainHash head{};
  int64_t created_ms = 0;
  int64_t last_time_ms = 0;  // server time of last_seq (0: empty)
  std::string title;
};
std::string EncodePlanRecord(const PlanRecord& r);
Status DecodePlanRecord(std::string_view value, PlanRecord* r);

// ---- "snapshots" values: version, chain value at the snapshot's seq,
// SHA-256 of the snapshot bytes, the snapshot bytes.
std::string EncodeSnapshotRecord(const ChainHash& chain,
                                 std::string_view snapshot);
// Checks the digest. `snapshot` points into `value`.
Status DecodeSnapshotRecord(std::string_view value, ChainHash* chain,
                            std::string_view* snapshot);

ChainHash Sha256(std::string_view bytes);

}  // namespace storage_format
}  // namespace samplan

#endif  // SAMPLAN_STORAGE_STORAGE_FORMAT_H_
