// PlanStore: the durable history of every plan on a server.
//
// Each plan's history is an append-only operation log: operations receive
// consecutive server sequence numbers 1, 2, 3, ..., carry who (user,
// municipality) and when (server time), and are chained: chain(n) =
// SHA-256(chain(n-1) || canonical bytes of operation n), chain(0) = 32 zero
// bytes. The log is the source of truth; snapshots (Replica::EncodeSnapshot
// at some sequence number) only make loading fast. History is never
// rewritten.
//
// Implementations: RocksDbPlanStore (rocksdb_plan_store.h), the server's
// durable default, and MemoryPlanStore (memory_plan_store.h) for tests.
//
// Thread-safety: every method may be called concurrently from any thread.
// Appends to one plan are serialized internally; Append returns only once
// the batch is durable (in durable mode), and concurrent appenders share one
// sync (group commit).
#ifndef SAMPLAN_STORAGE_PLAN_STORE_H_
#define SAMPLAN_STORAGE_PLAN_STORE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/op.h"
#include "crdt/status.h"

namespace samplan {

// Defined in named_version.h and people.h (which include this header).
struct NamedVersion;
struct Person;
struct Erasure;

using ChainHash = std::array<uint8_t, 32>;

// Who appended and when; applied to every op of a batch, unless
// `op_authors` is set: then each op keeps its own op.author (user,
// municipality and time; a caller that holds stamped copies of the ops,
// like a server room, appends several authors' batches at once that way).
struct AppendContext {
  std::string user;
  std::string municipality;
  int64_t server_time_ms = 0;  // 0: the store stamps the current time
  bool op_authors = false;
};

// One operation as stored.
struct StoredOp {
  uint64_t seq = 0;
  int64_t server_time_ms = 0;
  std::string user;
  std::string municipality;
  Op op;  // op.author carries user/municipality/time too
  ChainHash chain{};
};

struct PlanInfo {
  std::string plan_id;
  std::string title;          // informational, set at creation
  uint64_t last_seq = 0;      // 0: empty log
  ChainHash head{};           // chain value of last_seq
  uint64_t snapshot_seq = 0;  // 0: no snapshot
  int64_t created_ms = 0;
  int64_t last_time_ms = 0;   // server time of last_seq (0: empty)
};

// A plan as needed to rebuild it: the latest snapshot (if any) and every
// operation after it, in sequence order.
struct LoadedPlan {
  PlanInfo info;
  std::string snapshot;  // empty when there is none
  uint64_t snapshot_seq = 0;
  std::vector<StoredOp> tail;
  // Non-empty when a newer snapshot existed but was unusable (bad digest,
  // undecodable record, chain value not matching the log) and an older one,
  // or the full log, was used instead: the log is the source of truth, so
  // this is a warning for the operator, not a refusal.
  std::string snapshot_problem;
};

// A stored snapshot's position in the history.
struct SnapshotRef {
  uint64_t seq = 0;
  size_t bytes = 0;
};

class PlanStore {
 public:
  virtual ~PlanStore() = default;

  // Creates an empty plan. InvalidArgument for an empty or invalid id
  // (allowed: [A-Za-z0-9_-], 1..64 bytes); FailedPrecondition if it exists.
  virtual Status CreatePlan(std::string_view plan_id, std::string_view title) = 0;
  virtual Status ListPlans(std::vector<PlanInfo>* out) = 0;
  // NotFound for an unknown plan.
  virtual Status GetPlanInfo(std::string_view plan_id, PlanInfo* out) = 0;

  // Appends `ops` atomically with consecutive sequence numbers; on success
  // `stored` (if non-null) receives them as stored. Nothing of a failed
  // append is visible. REQUIRES: ops non-empty.
  // Each op is stored with op.author = {who.user, who.municipality, server
  // time} (or its own author with who.op_authors). Server time never
  // decreases within a plan: the time used is max(who.server_time_ms (the
  // op's with op_authors) or now, the plan's latest time), so time ranges
  // map to sequence ranges. InvalidArgument when an op fails CheckOpShape.
  virtual Status Append(std::string_view plan_id, const std::vector<Op>& ops,
                        const AppendContext& who,
                        std::vector<StoredOp>* stored) = 0;

  // The latest snapshot plus the ops after it. Corruption (naming plan,
  // sequence number and what) when the stored data or the chain is
  // inconsistent: the plan is refused, never silently reset.
  virtual Status Load(std::string_view plan_id, LoadedPlan* out) = 0;

  // Stores a snapshot of the plan as of `seq` (REQUIRES: seq <= last_seq).
  virtual Status PutSnapshot(std::string_view plan_id, uint64_t seq,
                             std::string_view snapshot) = 0;

  // History reads, paged: ops with seq in [from_seq, from_seq + limit), and
  // ops with server time in [from_ms, to_ms), at most `limit`, from seq
  // `after_seq` + 1 on.
  virtual Status ReadRange(std::string_view plan_id, uint64_t from_seq,
                           size_t limit, std::vector<StoredOp>* out) = 0;
  virtual Status ReadTimeRange(std::string_view plan_id, int64_t from_ms,
                               int64_t to_ms, uint64_t after_seq, size_t limit,
                               std::vector<StoredOp>* out) = 0;

  // ---- Extensions (have defaults so that test doubles need not implement
  // them).

  // Every snapshot kept for the plan, oldest first. Default: the one Load
  // uses, if any.
  virtual Status ListSnapshots(std::string_view plan_id,
                               std::vector<SnapshotRef>* out);
  // The snapshot bytes stored at `seq`; NotFound if there is none there,
  // Corruption if its record or digest does not check. Default: via Load.
  virtual Status ReadSnapshot(std::string_view plan_id, uint64_t seq,
                              std::string* out);

  // ---- Named versions (named_version.h). Defaults: FailedPrecondition
  // ("this store keeps no named versions").

  // Stores a named version of v.plan_id (v.key_id and v.signature as given:
  // the caller signs). NotFound for an unknown plan; InvalidArgument for a
  // bad name (CheckVersionName), seq 0 or > last_seq, or v.head != chain(seq);
  // FailedPrecondition "version 'X' already exists" (names are immutable).
  virtual Status PutVersion(const NamedVersion& v);
  // The plan's named versions in creation order. NotFound for an unknown
  // plan.
  virtual Status ListVersions(std::string_view plan_id,
                              std::vector<NamedVersion>* out);

  // ---- People (people.h): personal data kept apart from the op log so
  // that it can be erased. The op log is never touched by these.
  // Defaults: FailedPrecondition ("this store keeps no people").

  // Creates or replaces a person. InvalidArgument for a bad user id
  // (CheckUserId); FailedPrecondition when the user was erased (an erased
  // user stays erased).
  virtual Status PutPerson(const Person& p);
  // NotFound for an unknown user.
  virtual Status GetPerson(std::string_view user, Person* out);
  // Every person, ordered by user id.
  virtual Status ListPeople(std::vector<Person>* out);
  // Clears the person's name and e-mail, sets erased_ms = now_ms and
  // erased_by = by, and appends an Erasure record. NotFound if unknown.
  // Erasing an erased user again records the erasure again.
  virtual Status ErasePerson(std::string_view user, std::string_view by,
                             std::string_view reason, int64_t now_ms);
  // Every erasure, oldest first.
  virtual Status ListErasures(std::vector<Erasure>* out);
};

// Whether `plan_id` is a valid plan id: [A-Za-z0-9_-], 1..64 bytes.
bool IsValidPlanId(std::string_view plan_id);
// The highest sequence number a store hands out; Append beyond it fails.
inline constexpr uint64_t kMaxSeq = (uint64_t{1} << 62);


// The canonical bytes of an operation that the chain hashes:
// EncodeOpTo(op) of the op with its author slots set from the StoredOp.
std::string CanonicalOpBytes(const Op& op);
// chain(n) from chain(n-1) and op n's canonical bytes.
ChainHash NextChain(const ChainHash& previous, std::string_view op_bytes);
std::string ChainToHex(const ChainHash& h);

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_PLAN_STORE_H_
