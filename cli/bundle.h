// Bundles: one plan's history up to a signed named version, in one JSON file
// that anyone can check without the server, its database or its keys'
// private halves (`samplan export` writes one, `samplan verify --bundle`
// checks one).
//
//   {"format": "samplan-bundle", "format_version": 1,
//    "plan": {"id", "title"},
//    "version": {"plan", "name", "reference", "seq", "head" (hex), "time_ms",
//                "created_by", "created_ms", "key_id", "signature" (base64)},
//    "versions": [every named version of the plan with seq <= version.seq,
//                 same members, creation order],
//    "checkpoints": [the plan's checkpoints (DATA/checkpoints.log) with
//                    seq <= version.seq: {"plan", "seq", "head", "time_ms",
//                    "key_id", "signature"}],
//    "keys": [{"id", "public_key" (base64 of 32 bytes), "created_ms",
//              "retired_ms"}],   every key of the server, retired ones too
//    "log": {"ops": N, "encoding": "samplan-oplog-v1", "data": base64},
//    "state": PlanStateToJson (protocol/plan_state.h) after op N, plus
//             "plan" and "seq" (as GET /api/plans/{id} answers)}
//
// "plan" inside a version/checkpoint repeats the bundle's plan id (it is part
// of the signed message; keeping it lets a verifier say "the signed version
// belongs to plan A, not B" instead of only "forged").
//
// The log data ("samplan-oplog-v1"): for seq 1..N one record each:
//   varint seq, 32 bytes chain(seq), varint length, canonical op bytes
// (CanonicalOpBytes, storage/plan_store.h: the op with its author, as the
// chain hashes it).
//
// VerifyBundle checks, in this order, and reports the FIRST thing that does
// not hold: the format; each record's seq is the next one; each chain value
// recomputes from the previous one and the op's bytes; the log ends at
// version.seq and its last chain value is version.head; the version belongs
// to this plan; its signature verifies with the listed key it names (a
// retired key is fine if it was retired after the signing); every other
// listed version and checkpoint verifies and matches the chain at its seq;
// every op decodes and applies, and replaying the log gives `state`.
//
// What a bundle proves: the listed keys signed those heads, and the log and
// state are exactly that history. Whether the keys are the server's is for
// the reader to compare with the published keys (GET /api/keys, `samplan
// keys`): the report names the key id.
//
// Thread-safety: functions only, reentrant.
#ifndef SAMPLAN_CLI_BUNDLE_H_
#define SAMPLAN_CLI_BUNDLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/status.h"
#include "storage/plan_store.h"

namespace samplan {

inline constexpr std::string_view kBundleFormat = "samplan-bundle";
inline constexpr int kBundleFormatVersion = 1;
inline constexpr std::string_view kBundleLogEncoding = "samplan-oplog-v1";

// One record of the log data; `bytes` views the decoded data.
struct BundleLogRecord {
  uint64_t seq = 0;
  ChainHash chain{};
  std::string_view bytes;
};

// Appends one record to `out`.
void AppendBundleLogRecord(uint64_t seq, const ChainHash& chain,
                           std::string_view op_bytes, std::string* out);
// Splits log data into records (views into `data`). Corruption naming the
// record number (1-based) and what when the data is truncated or malformed.
Status ParseBundleLog(std::string_view data,
                      std::vector<BundleLogRecord>* out);

// Writes the bundle of plan `plan_id` up to its named version
// `version_name` into *json. `data_dir` holds keys/ (KeyRing::Load) and,
// if present, checkpoints.log. NotFound for an unknown plan or version, or
// when there are no keys; Corruption when the stored log does not match
// the version (chain) or does not replay.
Status ExportBundle(PlanStore* store, const std::string& data_dir,
                    std::string_view plan_id, std::string_view version_name,
                    std::string* json);

// What VerifyBundle found.
struct BundleReport {
  std::string plan_id, plan_title;
  std::string version_name, reference, created_by;
  uint64_t seq = 0;
  std::string head_hex;
  int64_t time_ms = 0, created_ms = 0;
  std::string key_id;
  int64_t key_created_ms = 0, key_retired_ms = 0;
  uint64_t ops = 0;
  size_t versions = 0, checkpoints = 0, keys = 0;
  // Empty when verified; else the first check that does not hold (also the
  // returned Corruption's message).
  std::string problem;
};

// Checks a bundle (see above). OK when every check holds; otherwise
// Corruption with the first problem (report->problem too). Needs nothing
// but the bundle.
Status VerifyBundle(std::string_view bundle_json, BundleReport* report);

// One line for a verified bundle: "bundle verified: plan demo, version
// 'Vedtatt' (seq 812, head ab12..., signed by key K at ...), N operations,
// M checkpoints".
std::string BundleSummary(const BundleReport& report);

// A file-name-friendly form of a version name: ASCII letters and digits
// lowercased, Norwegian/Swedish letters transliterated, anything else one
// '-', at most 60 characters ("Vedtatt i kommunestyret 2026" ->
// "vedtatt-i-kommunestyret-2026").
std::string BundleSlug(std::string_view name);

}  // namespace samplan

#endif  // SAMPLAN_CLI_BUNDLE_H_
