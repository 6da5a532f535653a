#include "storage/rocksdb_plan_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <utility>

#include "storage/append_builder.h"
#include "storage/named_version.h"
#include "storage/people.h"
#include "storage/rocks_logger.h"
#include "storage/rocks_status.h"

namespace samplan {

namespace sf = storage_format;

namespace {

rocksdb::Slice ToSlice(std::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}
std::string_view ToView(const rocksdb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

std::string PlanLabel(std::string_view plan_id) {
  return "plan " + std::string(plan_id);
}

// A RocksDB snapshot, released on scope exit. A secondary instance has
// none (and needs none: its view changes only on a catch-up).
class ScopedSnapshot {
 public:
  ScopedSnapshot(rocksdb::DB* db, bool secondary)
      : db_(db), snapshot_(secondary ? nullptr : db->GetSnapshot()) {}
  ~ScopedSnapshot() {
    if (snapshot_ != nullptr) db_->ReleaseSnapshot(snapshot_);
  }
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// The first key after every key of the plan in "ops"/"snapshots".
std::string PlanUpperBound(std::string_view plan_id) {
  std::string key(plan_id);
  key.push_back('\x01');
  return key;
}

rocksdb::ColumnFamilyOptions FamilyOptions() {
  rocksdb::ColumnFamilyOptions cf;
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 16 * 1024;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

}  // namespace

struct RocksDbPlanStore::Writer {
  std::string_view plan_id;
  const std::vector<Op>* ops = nullptr;
  const AppendContext* who = nullptr;
  std::vector<StoredOp>* stored = nullptr;
  Status status;
  bool done = false;
  std::condition_variable cv;
};

RocksDbPlanStore::RocksDbPlanStore(const RocksDbPlanStoreOptions& options)
    : options_(options) {}

Status RocksDbPlanStore::Open(const std::string& dir,
                              const RocksDbPlanStoreOptions& options,
                              std::unique_ptr<RocksDbPlanStore>* out) {
  std::unique_ptr<RocksDbPlanStore> store(new RocksDbPlanStore(options));
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.max_background_jobs = 2;
  if (options.env != nullptr) db_options.env = options.env;
  if (options.secondary_path.empty()) {
    // Never RocksDB's own file logger: see rocks_logger.h. (The directory
    // must exist before the logger opens its file.)
    std::error_code ec;
    if (options.create_if_missing) std::filesystem::create_directories(dir, ec);
    db_options.info_log = std::make_shared<StdioLogger>(
        dir, rocksdb::InfoLogLevel::INFO_LEVEL);
  }

  // Open every family present (RocksDB requires it), plus ours.
  std::vector<std::string> names;
  rocksdb::Status listed =
      rocksdb::DB::ListColumnFamilies(db_options, dir, &names);
  if (!listed.ok()) names.clear();  // a new database
  const size_t existing = names.size();
  for (const char* ours : {rocksdb::kDefaultColumnFamilyName.c_str(),
                           sf::kOpsFamily, sf::kSnapshotsFamily,
                           sf::kPlansFamily}) {
    if (std::find(names.begin(), names.end(), ours) == names.end()) {
      names.push_back(ours);
    }
  }
  const bool secondary = !options.secondary_path.empty();
  if (secondary && names.size() != existing) {
    return Status::FailedPrecondition(dir + " is not a samplan database");
  }
  // The families added later are created in a database that predates them
  // (never in a secondary instance, which cannot write: there they read as
  // empty).
  if (!secondary) {
    if (listed.ok() && names.size() == existing) {
      db_options.create_missing_column_families = true;
    }
    for (const char* added :
         {sf::kVersionsFamily, sf::kPeopleFamily, sf::kErasuresFamily}) {
      if (std::find(names.begin(), names.end(), added) == names.end()) {
        names.push_back(added);
      }
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) {
    families.emplace_back(name, FamilyOptions());
  }
  rocksdb::Status s;
  if (secondary) {
    db_options.max_open_files = -1;  // keep files the primary deletes
    s = rocksdb::DB::OpenAsSecondary(db_options, dir, options.secondary_path,
                                     families, &store->handles_, &store->db_);
    if (s.ok()) s = store->db_->TryCatchUpWithPrimary();
  } else {
    s = rocksdb::DB::Open(db_options, dir, families, &store->handles_,
                          &store->db_);
  }
  if (!s.ok()) return FromRocks(s, "opening " + dir);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == sf::kOpsFamily) store->ops_ = store->handles_[i];
    if (names[i] == sf::kSnapshotsFamily) store->snapshots_ = store->handles_[i];
    if (names[i] == sf::kPlansFamily) store->plans_ = store->handles_[i];
    if (names[i] == sf::kVersionsFamily) store->versions_ = store->handles_[i];
    if (names[i] == sf::kPeopleFamily) store->people_ = store->handles_[i];
    if (names[i] == sf::kErasuresFamily) store->erasures_ = store->handles_[i];
  }

  std::string format;
  s = store->db_->Get(rocksdb::ReadOptions(), sf::kFormatKey, &format);
  if (s.IsNotFound() && secondary) {
    return Status::FailedPrecondition(dir + " is not a samplan database");
  } else if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = store->db_->Put(wo, sf::kFormatKey, sf::kFormatValue);
    if (!s.ok()) return FromRocks(s, "writing the format version in " + dir);
  } else if (!s.ok()) {
    return FromRocks(s, "reading the format version in " + dir);
  } else if (format != sf::kFormatValue) {
    return Status::FailedPrecondition("unsupported storage format '" + format +
                                      "' in " + dir);
  }
  *out = std::move(store);
  return Status::OK();
}

RocksDbPlanStore::~RocksDbPlanStore() {
  if (db_ == nullptr) return;
  if (!options_.sync) db_->FlushWAL(/*sync=*/true).PermitUncheckedError();
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
  delete db_;
}

Status RocksDbPlanStore::ReadPlanRecord(std::string_view plan_id,
                                        const rocksdb::Snapshot* snapshot,
                                        sf::PlanRecord* record) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  rocksdb::Status s = db_->Get(ro, plans_, ToSlice(plan_id), &value);
  if (s.IsNotFound()) {
    return Status::NotFound("unknown plan '" + std::string(plan_id) + "'");
  }
  SAMPLAN_RETURN_IF_ERROR(FromRocks(s, PlanLabel(plan_id)));
  Status d = sf::DecodePlanRecord(value, record);
  if (!d.ok()) {
    return Status::Corruption(PlanLabel(plan_id) +
                              ": plan record: " + d.message());
  }
  return Status::OK();
}

Status RocksDbPlanStore::FindPlanLocked(std::string_view plan_id,
                                        CachedPlan** plan) {
  auto it = cache_.find(plan_id);
  if (it == cache_.end()) {
    if (!IsValidPlanId(plan_id)) {
      return Status::NotFound("unknown plan '" + std::string(plan_id) + "'");
    }
    CachedPlan loaded;
    SAMPLAN_RETURN_IF_ERROR(ReadPlanRecord(plan_id, nullptr, &loaded.record));
    it = cache_.emplace(std::string(plan_id), std::move(loaded)).first;
  }
  *plan = &it->second;
  return Status::OK();
}

Status RocksDbPlanStore::CreatePlan(std::string_view plan_id,
                                    std::string_view title) {
  if (!IsValidPlanId(plan_id)) {
    return Status::InvalidArgument("invalid plan id '" + std::string(plan_id) +
                                   "'");
  }
  std::lock_guard<std::mutex> lock(mu_);
  CachedPlan* existing;
  Status found = FindPlanLocked(plan_id, &existing);
  if (found.ok()) {
    return Status::FailedPrecondition("plan '" + std::string(plan_id) +
                                      "' exists");
  }
  if (found.code() != Status::Code::kNotFound) return found;
  CachedPlan plan;
  plan.record.created_ms = NowMs();
  plan.record.title = std::string(title);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  rocksdb::Status s = db_->Put(wo, plans_, ToSlice(plan_id),
                               sf::EncodePlanRecord(plan.record));
  SAMPLAN_RETURN_IF_ERROR(FromRocks(s, "creating " + PlanLabel(plan_id)));
  cache_.emplace(std::string(plan_id), std::move(plan));
  return Status::OK();
}

Status RocksDbPlanStore::LatestSnapshotSeq(std::string_view plan_id,
                                           uint64_t* seq) {
  *seq = 0;
  std::vector<SnapshotRef> refs;
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, snapshots_));
  it->SeekForPrev(sf::SeqKey(plan_id, ~uint64_t{0}));
  if (it->Valid()) {
    uint64_t found;
    if (sf::ParseSeqKey(ToView(it->key()), plan_id, &found)) *seq = found;
  }
  return FromRocks(it->status(), PlanLabel(plan_id) + ": snapshots");
}

Status RocksDbPlanStore::ListPlans(std::vector<PlanInfo>* out) {
  out->clear();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), plans_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    PlanInfo info;
    info.plan_id = std::string(ToView(it->key()));
    sf::PlanRecord record;
    Status d = sf::DecodePlanRecord(ToView(it->value()), &record);
    if (!d.ok()) {
      return Status::Corruption(PlanLabel(info.plan_id) +
                                ": plan record: " + d.message());
    }
    info.title = record.title;
    info.last_seq = record.last_seq;
    info.head = record.head;
    info.created_ms = record.created_ms;
    info.last_time_ms = record.last_time_ms;
    SAMPLAN_RETURN_IF_ERROR(LatestSnapshotSeq(info.plan_id, &info.snapshot_seq));
    out->push_back(std::move(info));
  }
  return FromRocks(it->status(), "listing plans");
}

Status RocksDbPlanStore::GetPlanInfo(std::string_view plan_id, PlanInfo* out) {
  sf::PlanRecord record;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CachedPlan* plan;
    SAMPLAN_RETURN_IF_ERROR(FindPlanLocked(plan_id, &plan));
    record = plan->record;
  }
  *out = PlanInfo{};
  out->plan_id = std::string(plan_id);
  out->title = record.title;
  out->last_seq = record.last_seq;
  out->head = record.head;
  out->created_ms = record.created_ms;
  out->last_time_ms = record.last_time_ms;
  return LatestSnapshotSeq(plan_id, &out->snapshot_seq);
}

// ---- Append: leader/follower group commit ---------------------------------

Status RocksDbPlanStore::Append(std::string_view plan_id,
                                const std::vector<Op>& ops,
                                const AppendContext& who,
                                std::vector<StoredOp>* stored) {
  if (ops.empty()) {
    return Status::InvalidArgument("append to " + PlanLabel(plan_id) +
                                   ": no operations");
  }
  Writer w;
  w.plan_id = plan_id;
  w.ops = &ops;
  w.who = &who;
  w.stored = stored;
  std::unique_lock<std::mutex> lock(mu_);
  writers_.push_back(&w);
  if (filling_ && writers_.size() >= expected_writers_) {
    writers_.front()->cv.notify_one();  // the waiting leader's group is full
  }
  while (!w.done && &w != writers_.front()) w.cv.wait(lock);
  if (w.done) return w.status;
  if (options_.sync && writers_.size() < expected_writers_) {
    // Group fill: the appenders the previous group just released usually
    // come back within microseconds, while a sync takes 100 us or more;
    // waiting briefly lets one sync cover them all instead of alternating
    // half-full groups. Only when that many appenders were seen last time.
    filling_ = true;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    while (writers_.size() < expected_writers_ &&
           w.cv.wait_until(lock, deadline) == std::cv_status::no_timeout) {
    }
    filling_ = false;
    if (writers_.size() < expected_writers_) {
      expected_writers_ = writers_.size();  // load dropped: stop waiting
    }
  }
  LeadGroup(&lock);
  return w.status;
}

void RocksDbPlanStore::LeadGroup(std::unique_lock<std::mutex>* lock) {
  // Take the queued writers, and a copy of their plans' committed heads.
  std::vector<Writer*> group;
  std::map<std::string, PlanHead, std::less<>> heads;
  std::map<std::string, sf::PlanRecord, std::less<>> records;
  size_t ops = 0;
  for (Writer* w : writers_) {
    if (!group.empty() && ops + w->ops->size() > options_.max_group_ops) break;
    group.push_back(w);
    ops += w->ops->size();
    if (records.count(w->plan_id) != 0) continue;
    CachedPlan* plan;
    w->status = FindPlanLocked(w->plan_id, &plan);
    if (!w->status.ok()) continue;
    records.emplace(std::string(w->plan_id), plan->record);
    heads.emplace(std::string(w->plan_id),
                  PlanHead{plan->record.last_seq, plan->record.head,
                           plan->record.last_time_ms});
  }
  lock->unlock();

  // Number, chain and encode them in queue order; one batch for all.
  const int64_t now = NowMs();
  rocksdb::WriteBatch batch;
  std::vector<std::vector<StoredOp>> built(group.size());
  std::vector<bool> in_batch(group.size(), false);
  std::vector<std::string> bytes;
  Status batch_status;
  for (size_t i = 0; i < group.size() && batch_status.ok(); ++i) {
    Writer* w = group[i];
    if (!w->status.ok()) continue;  // unknown plan
    auto head = heads.find(w->plan_id);
    if (head == heads.end()) {  // the plan failed to load for an earlier one
      w->status = Status::NotFound("unknown plan '" +
                                   std::string(w->plan_id) + "'");
      continue;
    }
    bytes.clear();
    w->status = BuildAppend(w->plan_id, *w->ops, *w->who, now, &head->second,
                            &built[i], &bytes);
    if (!w->status.ok()) continue;
    in_batch[i] = true;
    for (size_t k = 0; k < bytes.size(); ++k) {
      rocksdb::Status s = batch.Put(
          ops_, sf::SeqKey(w->plan_id, built[i][k].seq),
          sf::EncodeOpRecord(built[i][k].chain, bytes[k]));
      if (!s.ok()) batch_status = FromRocks(s, "building the write batch");
    }
  }
  for (auto& [plan_id, head] : heads) {
    sf::PlanRecord& record = records[plan_id];
    if (record.last_seq == head.last_seq) continue;  // nothing appended
    record.last_seq = head.last_seq;
    record.head = head.head;
    record.last_time_ms = head.last_time_ms;
    rocksdb::Status s =
        batch.Put(plans_, ToSlice(plan_id), sf::EncodePlanRecord(record));
    if (!s.ok()) batch_status = FromRocks(s, "building the write batch");
  }
  if (batch_status.ok() && batch.Count() > 0) {
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync;
    batch_status = FromRocks(db_->Write(wo, &batch), "appending");
  }

  lock->lock();
  if (batch.Count() > 0) ++group_commits_;
  for (auto& [plan_id, record] : records) {
    auto it = cache_.find(plan_id);
    if (batch_status.ok()) {
      if (it != cache_.end()) it->second.record = record;
    } else if (it != cache_.end()) {
      // Re-read on next use: the database decides what is visible.
      cache_.erase(it);
    }
  }
  for (size_t i = 0; i < group.size(); ++i) {
    Writer* w = group[i];
    if (in_batch[i]) {
      if (batch_status.ok()) {
        if (w->stored != nullptr) *w->stored = std::move(built[i]);
      } else {
        w->status = batch_status;
      }
    }
    writers_.pop_front();
    w->done = true;
    if (i != 0) w->cv.notify_one();
  }
  // Appenders seen: this group and those queued behind it.
  expected_writers_ = std::min<size_t>(group.size() + writers_.size(), 64);
  if (!writers_.empty()) writers_.front()->cv.notify_one();
}

uint64_t RocksDbPlanStore::group_commits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return group_commits_;
}

// ---- Reads -------------------------------------------------------------------

Status RocksDbPlanStore::ReadOp(std::string_view plan_id, uint64_t seq,
                                const rocksdb::Snapshot* snapshot,
                                StoredOp* out) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  rocksdb::Status s = db_->Get(ro, ops_, sf::SeqKey(plan_id, seq), &value);
  const std::string where = PlanLabel(plan_id) + " seq " + std::to_string(seq);
  if (s.IsNotFound()) {
    return Status::Corruption(where + ": operation missing from the log");
  }
  SAMPLAN_RETURN_IF_ERROR(FromRocks(s, where));
  Status d = sf::DecodeStoredOp(seq, value, out, nullptr);
  if (!d.ok()) return Status::Corruption(where + ": " + d.message());
  return Status::OK();
}

Status RocksDbPlanStore::Load(std::string_view plan_id, LoadedPlan* out) {
  *out = LoadedPlan{};
  ScopedSnapshot snap(db_, !options_.secondary_path.empty());
  sf::PlanRecord record;
  SAMPLAN_RETURN_IF_ERROR(ReadPlanRecord(plan_id, snap.get(), &record));
  out->info.plan_id = std::string(plan_id);
  out->info.title = record.title;
  out->info.last_seq = record.last_seq;
  out->info.head = record.head;
  out->info.created_ms = record.created_ms;
  out->info.last_time_ms = record.last_time_ms;

  // The newest usable snapshot, whose chain value matches the log's.
  ChainHash chain{};  // chain value at out->snapshot_seq
  {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap.get();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, snapshots_));
    const std::string prefix = sf::PlanPrefix(plan_id);
    for (it->SeekForPrev(sf::SeqKey(plan_id, ~uint64_t{0}));
         it->Valid() && it->key().starts_with(ToSlice(prefix)); it->Prev()) {
      uint64_t seq;
      std::string problem;
      ChainHash snapshot_chain;
      std::string_view bytes;
      if (!sf::ParseSeqKey(ToView(it->key()), plan_id, &seq)) {
        problem = "snapshot key of bad length";
      } else if (seq == 0 || seq > record.last_seq) {
        problem = "snapshot at seq " + std::to_string(seq) +
                  " is past the log's end " + std::to_string(record.last_seq);
      } else if (Status d = sf::DecodeSnapshotRecord(ToView(it->value()),
                                                     &snapshot_chain, &bytes);
                 !d.ok()) {
        problem = "snapshot at seq " + std::to_string(seq) + ": " + d.message();
      } else {
        StoredOp anchor;
        Status a = ReadOp(plan_id, seq, snap.get(), &anchor);
        if (!a.ok()) {
          problem = a.message();
        } else if (anchor.chain != snapshot_chain) {
          problem = "snapshot at seq " + std::to_string(seq) +
                    ": chain value differs from the log's";
        } else {
          out->snapshot_seq = seq;
          out->snapshot.assign(bytes);
          chain = snapshot_chain;
          break;
        }
      }
      if (out->snapshot_problem.empty()) {
        out->snapshot_problem = PlanLabel(plan_id) + ": " + problem +
                                "; using an older snapshot or the full log";
      }
    }
    SAMPLAN_RETURN_IF_ERROR(
        FromRocks(it->status(), PlanLabel(plan_id) + ": snapshots"));
  }
  out->info.snapshot_seq = out->snapshot_seq;

  // The tail, verified: consecutive seqs, every chain value, the head.
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  const std::string upper = PlanUpperBound(plan_id);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, ops_));
  uint64_t expected = out->snapshot_seq + 1;
  out->tail.reserve(record.last_seq - out->snapshot_seq);
  std::string_view op_bytes;  // into the iterator's value
  for (it->Seek(sf::SeqKey(plan_id, expected)); it->Valid(); it->Next()) {
    uint64_t seq;
    if (!sf::ParseSeqKey(ToView(it->key()), plan_id, &seq)) {
      return Status::Corruption(PlanLabel(plan_id) + " seq " +
                                std::to_string(expected) +
                                ": malformed key in the operation log");
    }
    const std::string where = PlanLabel(plan_id) + " seq " +
                              std::to_string(expected);
    if (seq != expected) {
      return Status::Corruption(
          where + ": operation missing from the log (next stored is seq " +
          std::to_string(seq) + ")");
    }
    if (seq > record.last_seq) {
      return Status::Corruption(where + ": operation past the plan's last seq " +
                                std::to_string(record.last_seq));
    }
    StoredOp op;
    Status d = sf::DecodeStoredOp(seq, ToView(it->value()), &op, &op_bytes);
    if (!d.ok()) return Status::Corruption(where + ": " + d.message());
    chain = NextChain(chain, op_bytes);
    if (chain != op.chain) {
      return Status::Corruption(where + ": chain mismatch (stored " +
                                ChainToHex(op.chain) + ", computed " +
                                ChainToHex(chain) + ")");
    }
    out->tail.push_back(std::move(op));
    ++expected;
  }
  SAMPLAN_RETURN_IF_ERROR(
      FromRocks(it->status(), PlanLabel(plan_id) + ": operation log"));
  if (expected != record.last_seq + 1) {
    return Status::Corruption(PlanLabel(plan_id) + " seq " +
                              std::to_string(expected) +
                              ": operation missing from the log (plan ends at " +
                              std::to_string(record.last_seq) + ")");
  }
  if (chain != record.head) {
    return Status::Corruption(PlanLabel(plan_id) + " seq " +
                              std::to_string(record.last_seq) +
                              ": chain head differs from the plan record");
  }
  return Status::OK();
}

Status RocksDbPlanStore::PutSnapshot(std::string_view plan_id, uint64_t seq,
                                     std::string_view snapshot) {
  std::lock_guard<std::mutex> snapshot_lock(snapshot_mu_);
  uint64_t last_seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CachedPlan* plan;
    SAMPLAN_RETURN_IF_ERROR(FindPlanLocked(plan_id, &plan));
    last_seq = plan->record.last_seq;
  }
  if (seq > last_seq) {
    // A group commit writes the database before it updates the cache, so a
    // snapshot built from a Load in between may be ahead of the cache: the
    // database's own record decides.
    sf::PlanRecord record;
    if (ReadPlanRecord(plan_id, nullptr, &record).ok()) {
      last_seq = std::max(last_seq, record.last_seq);
    }
  }
  if (seq == 0 || seq > last_seq) {
    return Status::InvalidArgument(PlanLabel(plan_id) + ": snapshot at seq " +
                                   std::to_string(seq) + " outside 1.." +
                                   std::to_string(last_seq));
  }
  StoredOp anchor;
  SAMPLAN_RETURN_IF_ERROR(ReadOp(plan_id, seq, nullptr, &anchor));
  rocksdb::WriteBatch batch;
  rocksdb::Status s =
      batch.Put(snapshots_, sf::SeqKey(plan_id, seq),
                sf::EncodeSnapshotRecord(anchor.chain, snapshot));
  SAMPLAN_RETURN_IF_ERROR(FromRocks(s, PlanLabel(plan_id) + ": snapshot"));
  // Keep the newest keep_snapshots (counting this one).
  std::vector<SnapshotRef> refs;
  SAMPLAN_RETURN_IF_ERROR(ListSnapshots(plan_id, &refs));
  std::vector<uint64_t> seqs;
  for (const SnapshotRef& r : refs) {
    if (r.seq != seq) seqs.push_back(r.seq);
  }
  seqs.push_back(seq);
  std::sort(seqs.begin(), seqs.end());
  const size_t keep = std::max<size_t>(options_.keep_snapshots, 1);
  for (size_t i = 0; i + keep < seqs.size(); ++i) {
    s = batch.Delete(snapshots_, sf::SeqKey(plan_id, seqs[i]));
    SAMPLAN_RETURN_IF_ERROR(FromRocks(s, PlanLabel(plan_id) + ": snapshot"));
  }
  // Not synced: a lost snapshot is rebuilt from the log.
  rocksdb::WriteOptions wo;
  wo.sync = false;
  return FromRocks(db_->Write(wo, &batch),
                   PlanLabel(plan_id) + ": writing snapshot");
}

Status RocksDbPlanStore::ReadRangeAt(std::string_view plan_id,
                                     uint64_t from_seq, uint64_t last_seq,
                                     size_t limit,
                                     const rocksdb::Snapshot* snapshot,
                                     std::vector<StoredOp>* out) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  const std::string upper = PlanUpperBound(plan_id);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, ops_));
  const uint64_t first = std::max<uint64_t>(from_seq, 1);
  for (it->Seek(sf::SeqKey(plan_id, first));
       it->Valid() && out->size() < limit; it->Next()) {
    uint64_t seq;
    if (!sf::ParseSeqKey(ToView(it->key()), plan_id, &seq)) {
      return Status::Corruption(PlanLabel(plan_id) +
                                ": malformed key in the operation log");
    }
    if (seq > last_seq && last_seq != 0) break;
    StoredOp op;
    Status d = sf::DecodeStoredOp(seq, ToView(it->value()), &op, nullptr);
    if (!d.ok()) {
      return Status::Corruption(PlanLabel(plan_id) + " seq " +
                                std::to_string(seq) + ": " + d.message());
    }
    out->push_back(std::move(op));
  }
  return FromRocks(it->status(), PlanLabel(plan_id) + ": operation log");
}

Status RocksDbPlanStore::ReadRange(std::string_view plan_id, uint64_t from_seq,
                                   size_t limit, std::vector<StoredOp>* out) {
  out->clear();
  ScopedSnapshot snap(db_, !options_.secondary_path.empty());
  sf::PlanRecord record;
  SAMPLAN_RETURN_IF_ERROR(ReadPlanRecord(plan_id, snap.get(), &record));
  // Records past last_seq are returned too (last_seq 0 means no bound), so
  // that a verifier sees them; a consistent log has none.
  return ReadRangeAt(plan_id, from_seq, 0, limit, snap.get(), out);
}

Status RocksDbPlanStore::ReadTimeRange(std::string_view plan_id,
                                       int64_t from_ms, int64_t to_ms,
                                       uint64_t after_seq, size_t limit,
                                       std::vector<StoredOp>* out) {
  out->clear();
  ScopedSnapshot snap(db_, !options_.secondary_path.empty());
  sf::PlanRecord record;
  SAMPLAN_RETURN_IF_ERROR(ReadPlanRecord(plan_id, snap.get(), &record));
  if (record.last_seq == 0 || limit == 0 || from_ms >= to_ms) {
    return Status::OK();
  }
  // Server time never decreases along the log: binary search for the first
  // seq with time >= from_ms in [after_seq + 1, last_seq + 1).
  uint64_t lo = after_seq + 1, hi = record.last_seq + 1;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    StoredOp op;
    SAMPLAN_RETURN_IF_ERROR(ReadOp(plan_id, mid, snap.get(), &op));
    if (op.server_time_ms < from_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo > record.last_seq) return Status::OK();
  std::vector<StoredOp> page;
  SAMPLAN_RETURN_IF_ERROR(
      ReadRangeAt(plan_id, lo, record.last_seq, limit, snap.get(), &page));
  for (StoredOp& op : page) {
    if (op.server_time_ms >= to_ms) break;
    out->push_back(std::move(op));
  }
  return Status::OK();
}

Status RocksDbPlanStore::ListSnapshots(std::string_view plan_id,
                                       std::vector<SnapshotRef>* out) {
  out->clear();
  rocksdb::ReadOptions ro;
  const std::string upper = PlanUpperBound(plan_id);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, snapshots_));
  for (it->Seek(sf::PlanPrefix(plan_id)); it->Valid(); it->Next()) {
    uint64_t seq;
    if (!sf::ParseSeqKey(ToView(it->key()), plan_id, &seq)) {
      return Status::Corruption(PlanLabel(plan_id) +
                                ": malformed snapshot key");
    }
    const size_t header = 1 + 64;
    out->push_back(SnapshotRef{
        seq, it->value().size() > header ? it->value().size() - header : 0});
  }
  return FromRocks(it->status(), PlanLabel(plan_id) + ": snapshots");
}

Status RocksDbPlanStore::ReadSnapshot(std::string_view plan_id, uint64_t seq,
                                      std::string* out) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), snapshots_,
                               sf::SeqKey(plan_id, seq), &value);
  const std::string where =
      PlanLabel(plan_id) + " snapshot at seq " + std::to_string(seq);
  if (s.IsNotFound()) return Status::NotFound(where + ": none");
  SAMPLAN_RETURN_IF_ERROR(FromRocks(s, where));
  ChainHash chain;
  std::string_view bytes;
  Status d = sf::DecodeSnapshotRecord(value, &chain, &bytes);
  if (!d.ok()) return Status::Corruption(where + ": " + d.message());
  StoredOp anchor;
  SAMPLAN_RETURN_IF_ERROR(ReadOp(plan_id, seq, nullptr, &anchor));
  if (anchor.chain != chain) {
    return Status::Corruption(where + ": chain value differs from the log's");
  }
  out->assign(bytes);
  return Status::OK();
}

Status RocksDbPlanStore::VerifyChecksums() {
  return FromRocks(db_->VerifyChecksum(), "verifying file checksums");
}

Status RocksDbPlanStore::CompactAll() {
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    SAMPLAN_RETURN_IF_ERROR(
        FromRocks(db_->Flush(rocksdb::FlushOptions(), h), "flushing"));
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForce;
    SAMPLAN_RETURN_IF_ERROR(
        FromRocks(db_->CompactRange(cro, h, nullptr, nullptr), "compacting"));
  }
  return Status::OK();
}

// ---- Named versions and people ------------------------------------------------

namespace {

Status NoFamily(const char* what) {
  return Status::FailedPrecondition(
      std::string("this database has no ") + what +
      " yet (opened read-only; a server or `samplan` command that opens it "
      "for writing adds them)");
}

}  // namespace

Status RocksDbPlanStore::PutVersion(const NamedVersion& v) {
  SAMPLAN_RETURN_IF_ERROR(CheckVersionName(v.name));
  if (versions_ == nullptr) return NoFamily("named versions");
  std::lock_guard<std::mutex> meta_lock(meta_mu_);
  sf::PlanRecord record;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CachedPlan* plan;
    SAMPLAN_RETURN_IF_ERROR(FindPlanLocked(v.plan_id, &plan));
    record = plan->record;
  }
  const std::string label = PlanLabel(v.plan_id);
  if (v.seq == 0 || v.seq > record.last_seq) {
    return Status::InvalidArgument(
        label + ": version seq " + std::to_string(v.seq) +
        " is not in the log (1.." + std::to_string(record.last_seq) + ")");
  }
  StoredOp op;
  SAMPLAN_RETURN_IF_ERROR(ReadOp(v.plan_id, v.seq, nullptr, &op));
  SAMPLAN_RETURN_IF_ERROR(CheckVersionAgainstOp(v, op));
  std::vector<NamedVersion> existing;
  SAMPLAN_RETURN_IF_ERROR(ListVersions(v.plan_id, &existing));
  for (const NamedVersion& e : existing) {
    if (e.name == v.name) {
      return Status::FailedPrecondition("version '" + v.name +
                                        "' already exists");
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  rocksdb::Status s =
      db_->Put(wo, versions_, sf::SeqKey(v.plan_id, existing.size() + 1),
               EncodeVersionRecord(v));
  return FromRocks(s, label + ": storing version '" + v.name + "'");
}

Status RocksDbPlanStore::ListVersions(std::string_view plan_id,
                                      std::vector<NamedVersion>* out) {
  out->clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    CachedPlan* plan;
    SAMPLAN_RETURN_IF_ERROR(FindPlanLocked(plan_id, &plan));
  }
  if (versions_ == nullptr) return Status::OK();
  const std::string prefix = sf::PlanPrefix(plan_id);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), versions_));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    uint64_t index;
    if (!sf::ParseSeqKey(ToView(it->key()), plan_id, &index)) break;
    NamedVersion v;
    Status d = DecodeVersionRecord(ToView(it->value()), &v);
    if (!d.ok()) {
      return Status::Corruption(PlanLabel(plan_id) + ": version record " +
                                std::to_string(index) + ": " + d.message());
    }
    out->push_back(std::move(v));
  }
  return FromRocks(it->status(), PlanLabel(plan_id) + ": versions");
}

Status RocksDbPlanStore::PutPerson(const Person& p) {
  SAMPLAN_RETURN_IF_ERROR(CheckUserId(p.user));
  if (people_ == nullptr) return NoFamily("people");
  std::lock_guard<std::mutex> meta_lock(meta_mu_);
  Person existing;
  Status found = GetPerson(p.user, &existing);
  if (found.ok() && existing.erased_ms != 0) {
    return Status::FailedPrecondition("user '" + p.user + "' was erased");
  }
  if (!found.ok() && found.code() != Status::Code::kNotFound) return found;
  Person stored = p;
  stored.erased_ms = 0;
  stored.erased_by.clear();
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  return FromRocks(db_->Put(wo, people_, ToSlice(p.user),
                            EncodePersonRecord(stored)),
                   "storing person '" + p.user + "'");
}

Status RocksDbPlanStore::GetPerson(std::string_view user, Person* out) {
  if (people_ == nullptr) {
    return Status::NotFound("unknown user '" + std::string(user) + "'");
  }
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), people_, ToSlice(user), &value);
  if (s.IsNotFound()) {
    return Status::NotFound("unknown user '" + std::string(user) + "'");
  }
  SAMPLAN_RETURN_IF_ERROR(FromRocks(s, "reading person '" + std::string(user) + "'"));
  Status d = DecodePersonRecord(value, out);
  if (!d.ok()) {
    return Status::Corruption("person '" + std::string(user) + "': " +
                              d.message());
  }
  return Status::OK();
}

Status RocksDbPlanStore::ListPeople(std::vector<Person>* out) {
  out->clear();
  if (people_ == nullptr) return Status::OK();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), people_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Person p;
    Status d = DecodePersonRecord(ToView(it->value()), &p);
    if (!d.ok()) {
      return Status::Corruption("person '" + std::string(ToView(it->key())) +
                                "': " + d.message());
    }
    out->push_back(std::move(p));
  }
  return FromRocks(it->status(), "listing people");
}

Status RocksDbPlanStore::ErasePerson(std::string_view user,
                                     std::string_view by,
                                     std::string_view reason, int64_t now_ms) {
  if (people_ == nullptr || erasures_ == nullptr) return NoFamily("people");
  std::lock_guard<std::mutex> meta_lock(meta_mu_);
  Person p;
  SAMPLAN_RETURN_IF_ERROR(GetPerson(user, &p));
  p.name.clear();
  p.email.clear();
  p.erased_ms = now_ms;
  p.erased_by = std::string(by);
  uint64_t next = 1;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), erasures_));
    it->SeekToLast();
    if (it->Valid() && it->key().size() == 8) {
      next = sf::GetBigEndian64(it->key().data()) + 1;
    }
    SAMPLAN_RETURN_IF_ERROR(FromRocks(it->status(), "reading erasures"));
  }
  std::string key;
  sf::PutBigEndian64(&key, next);
  Erasure e{std::string(user), std::string(by), std::string(reason), now_ms};
  // One batch: the cleared record and its erasure record together.
  rocksdb::WriteBatch batch;
  rocksdb::Status s = batch.Put(people_, ToSlice(user), EncodePersonRecord(p));
  if (s.ok()) s = batch.Put(erasures_, key, EncodeErasureRecord(e));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  if (s.ok()) s = db_->Write(wo, &batch);
  SAMPLAN_RETURN_IF_ERROR(FromRocks(s, "erasing user '" + std::string(user) + "'"));
  // The old values may linger in memtables and table files until
  // compaction rewrites them; compact the family now so the name and
  // e-mail leave the disk, not only the live view.
  rocksdb::CompactRangeOptions cro;
  cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  SAMPLAN_RETURN_IF_ERROR(FromRocks(
      db_->Flush(rocksdb::FlushOptions(), people_), "flushing people"));
  return FromRocks(db_->CompactRange(cro, people_, nullptr, nullptr),
                   "compacting people");
}

Status RocksDbPlanStore::ListErasures(std::vector<Erasure>* out) {
  out->clear();
  if (erasures_ == nullptr) return Status::OK();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), erasures_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Erasure e;
    Status d = DecodeErasureRecord(ToView(it->value()), &e);
    if (!d.ok()) return Status::Corruption("erasure record: " + d.message());
    out->push_back(std::move(e));
  }
  return FromRocks(it->status(), "listing erasures");
}

}  // namespace samplan
