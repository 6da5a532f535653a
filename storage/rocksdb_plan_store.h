// RocksDbPlanStore: the durable PlanStore, one RocksDB database per server
// data directory (layout in docs/storage.md).
//
// Appends go through a leader/follower queue (group commit): the first
// waiting appender becomes the leader, takes every queued append (of any
// plan), numbers and chains them in queue order, writes them as one
// WriteBatch together with the plans' new metadata and syncs the WAL once
// (WriteOptions::sync) before any of them returns. An append therefore
// returns OK only when it is on stable storage, the log of a plan has no
// gaps even after a crash at any moment, and concurrent appenders share one
// fdatasync. When fewer appenders are queued than the last group saw, the
// leader waits up to 50 us for the ones just released to come back, so
// that groups stay full instead of alternating half-full. A failed write fails every append of its group and changes
// nothing visible; RocksDB then refuses every later write (reads keep
// working) until the store is reopened, e.g. after disk space was freed.
//
// Load verifies the tail it returns: the snapshot's digest and its chain
// value against the log, consecutive sequence numbers, every chain value
// after the snapshot, and the plan's head. A failure refuses the plan with
// Corruption naming plan, sequence number and what; other plans are not
// affected. The full history (before the snapshot too, and every snapshot
// against a replay) is checked by VerifyPlan (plan_verifier.h).
//
// RocksDB errors map to Corruption (corruption reported by RocksDB) or
// FailedPrecondition ("storage error: ..." for I/O errors, a full disk, a
// database in read-only error state).
//
// Thread-safety: every method may be called concurrently.
#ifndef SAMPLAN_STORAGE_ROCKSDB_PLAN_STORE_H_
#define SAMPLAN_STORAGE_ROCKSDB_PLAN_STORE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/plan_store.h"
#include "storage/storage_format.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
class Snapshot;
}  // namespace rocksdb

namespace samplan {

struct RocksDbPlanStoreOptions {
  // Durable mode: Append returns after the WAL is synced. false: after the
  // write reached the OS (survives a process crash, not a power loss).
  bool sync = true;
  bool create_if_missing = true;
  // Snapshots kept per plan (the newest ones); older ones are deleted when
  // a new one is put. >= 1.
  size_t keep_snapshots = 2;
  // Upper bound on ops taken into one group commit.
  size_t max_group_ops = 65536;
  // For tests (fault injection); nullptr: the default Env. Not owned; must
  // outlive the store.
  rocksdb::Env* env = nullptr;
  // Non-empty: open read-only as a RocksDB secondary instance (no LOCK, so
  // while a server has the database open), keeping its info log in this
  // directory. The store sees the database as of Open; every write fails
  // with FailedPrecondition. For `samplan verify` / `samplan log`.
  std::string secondary_path;
};

class RocksDbPlanStore : public PlanStore {
 public:
  // Opens (creating if allowed) the database in directory `dir`.
  // FailedPrecondition when it is locked by another process or of an
  // unknown format.
  static Status Open(const std::string& dir,
                     const RocksDbPlanStoreOptions& options,
                     std::unique_ptr<RocksDbPlanStore>* out);
  // Closes the database. REQUIRES: no call in progress.
  ~RocksDbPlanStore() override;
  RocksDbPlanStore(const RocksDbPlanStore&) = delete;
  RocksDbPlanStore& operator=(const RocksDbPlanStore&) = delete;

  Status CreatePlan(std::string_view plan_id, std::string_view title) override;
  Status ListPlans(std::vector<PlanInfo>* out) override;
  Status GetPlanInfo(std::string_view plan_id, PlanInfo* out) override;
  Status Append(std::string_view plan_id, const std::vector<Op>& ops,
                const AppendContext& who,
                std::vector<StoredOp>* stored) override;
  Status Load(std::string_view plan_id, LoadedPlan* out) override;
  Status PutSnapshot(std::string_view plan_id, uint64_t seq,
                     std::string_view snapshot) override;
  Status ReadRange(std::string_view plan_id, uint64_t from_seq, size_t limit,
                   std::vector<StoredOp>* out) override;
  Status ReadTimeRange(std::string_view plan_id, int64_t from_ms,
                       int64_t to_ms, uint64_t after_seq, size_t limit,
                       std::vector<StoredOp>* out) override;
  Status ListSnapshots(std::string_view plan_id,
                       std::vector<SnapshotRef>* out) override;
  Status ReadSnapshot(std::string_view plan_id, uint64_t seq,
                      std::string* out) override;
  // Named versions and people: families "versions", "people", "erasures"
  // (storage_format.h), written synchronously (options.sync). ErasePerson
  // also flushes and compacts "people" so that the old name and e-mail
  // leave the table files at once, not at some later compaction (the WAL
  // segment holding the old record is deleted when RocksDB recycles it).
  Status PutVersion(const NamedVersion& v) override;
  Status ListVersions(std::string_view plan_id,
                      std::vector<NamedVersion>* out) override;
  Status PutPerson(const Person& p) override;
  Status GetPerson(std::string_view user, Person* out) override;
  Status ListPeople(std::vector<Person>* out) override;
  Status ErasePerson(std::string_view user, std::string_view by,
                     std::string_view reason, int64_t now_ms) override;
  Status ListErasures(std::vector<Erasure>* out) override;

  // Reads every block of every file and checks its RocksDB checksum.
  Status VerifyChecksums();
  // Flushes memtables to table files and compacts everything (tests,
  // benchmarks, before measuring the size on disk).
  Status CompactAll();
  // Number of WriteBatch writes (group commits) done by Append so far.
  uint64_t group_commits() const;

 private:
  struct Writer;
  struct CachedPlan {
    storage_format::PlanRecord record;
  };

  explicit RocksDbPlanStore(const RocksDbPlanStoreOptions& options);

  // Finds the plan's committed record in cache_ (reading it from the
  // database on first use). REQUIRES: mu_ held.
  Status FindPlanLocked(std::string_view plan_id, CachedPlan** plan);
  Status ReadPlanRecord(std::string_view plan_id,
                        const rocksdb::Snapshot* snapshot,
                        storage_format::PlanRecord* record);
  // Newest snapshot seq of the plan (0: none), by a reverse seek.
  Status LatestSnapshotSeq(std::string_view plan_id, uint64_t* seq);
  Status ReadOp(std::string_view plan_id, uint64_t seq,
                const rocksdb::Snapshot* snapshot, StoredOp* out);
  Status ReadRangeAt(std::string_view plan_id, uint64_t from_seq,
                     uint64_t last_seq, size_t limit,
                     const rocksdb::Snapshot* snapshot,
                     std::vector<StoredOp>* out);
  // The group-commit leader's work for the writers at the front of the
  // queue. REQUIRES: mu_ held via `lock`; the caller is writers_.front().
  void LeadGroup(std::unique_lock<std::mutex>* lock);

  const RocksDbPlanStoreOptions options_;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* ops_ = nullptr;
  rocksdb::ColumnFamilyHandle* snapshots_ = nullptr;
  rocksdb::ColumnFamilyHandle* plans_ = nullptr;
  // nullptr only in a secondary instance of a database that predates them
  // (read as empty).
  rocksdb::ColumnFamilyHandle* versions_ = nullptr;
  rocksdb::ColumnFamilyHandle* people_ = nullptr;
  rocksdb::ColumnFamilyHandle* erasures_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // all, owned

  mutable std::mutex mu_;
  std::deque<Writer*> writers_;                          // guarded by mu_
  std::map<std::string, CachedPlan, std::less<>> cache_;  // guarded by mu_
  uint64_t group_commits_ = 0;                            // guarded by mu_
  size_t expected_writers_ = 1;  // guarded by mu_; see Append
  bool filling_ = false;         // guarded by mu_: a leader waits for more
  std::mutex snapshot_mu_;  // serializes PutSnapshot (pruning)
  // Serializes the read-check-write of PutVersion, PutPerson, ErasePerson.
  std::mutex meta_mu_;
};

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_ROCKSDB_PLAN_STORE_H_
