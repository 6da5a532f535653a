// RawDb: direct access to a RocksDbPlanStore's database for tamper tests,
// bypassing the store (which must be closed). Opens every column family.
// RewriteHistory rewrites a plan's log from one seq on with recomputed chain
// values, the way someone with write access to the files would hide a
// change: the result is self-consistent (VerifyPlan accepts it), only
// signed checkpoints and versions reveal it.
//
// Thread-safety: none; one owner.
#ifndef SAMPLAN_STORAGE_TESTING_RAW_DB_H_
#define SAMPLAN_STORAGE_TESTING_RAW_DB_H_

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "storage/plan_store.h"
#include "storage/storage_format.h"

namespace samplan {
namespace testing_util {

class RawDb {
 public:
  explicit RawDb(const std::string& dir) {
    std::vector<std::string> names;
    EXPECT_TRUE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& n : names) {
      families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(), dir, families,
                                          &handles_, &db_);
    EXPECT_TRUE(s.ok()) << s.ToString();
    for (size_t i = 0; i < names.size(); ++i) by_name_[names[i]] = handles_[i];
  }
  ~RawDb() {
    for (auto* h : handles_) {
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    delete db_;
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  std::string Get(const char* family, const std::string& key) {
    std::string value;
    EXPECT_TRUE(
        db_->Get(rocksdb::ReadOptions(), by_name_[family], key, &value).ok())
        << family;
    return value;
  }
  void Put(const char* family, const std::string& key,
           const std::string& value) {
    EXPECT_TRUE(
        db_->Put(rocksdb::WriteOptions(), by_name_[family], key, value).ok());
  }
  void Delete(const char* family, const std::string& key) {
    EXPECT_TRUE(
        db_->Delete(rocksdb::WriteOptions(), by_name_[family], key).ok());
  }

  storage_format::PlanRecord GetPlanRecord(const std::string& plan) {
    storage_format::PlanRecord rec;
    EXPECT_TRUE(storage_format::DecodePlanRecord(
                    Get(storage_format::kPlansFamily, plan), &rec)
                    .ok());
    return rec;
  }
  void PutPlanRecord(const std::string& plan,
                     const storage_format::PlanRecord& rec) {
    Put(storage_format::kPlansFamily, plan,
        storage_format::EncodePlanRecord(rec));
  }

  // Deletes ops after `seq` and rewinds the plan record to `seq`: a
  // consistent, shorter log.
  void CutOff(const std::string& plan, uint64_t seq) {
    storage_format::PlanRecord rec = GetPlanRecord(plan);
    StoredOp op;
    for (uint64_t s = seq + 1; s <= rec.last_seq; ++s) {
      Delete(storage_format::kOpsFamily, storage_format::SeqKey(plan, s));
    }
    EXPECT_TRUE(storage_format::DecodeStoredOp(
                    seq,
                    Get(storage_format::kOpsFamily,
                        storage_format::SeqKey(plan, seq)),
                    &op, nullptr)
                    .ok());
    rec.last_seq = seq;
    rec.head = op.chain;
    rec.last_time_ms = op.server_time_ms;
    PutPlanRecord(plan, rec);
  }

  // Applies `change` to op `seq` and recomputes every chain value from
  // there on and the plan's head.
  void RewriteHistory(const std::string& plan, uint64_t seq,
                      const std::function<void(Op*)>& change) {
    namespace sf = storage_format;
    sf::PlanRecord rec = GetPlanRecord(plan);
    ChainHash chain{};
    if (seq > 1) {
      StoredOp prev;
      EXPECT_TRUE(sf::DecodeStoredOp(
                      seq - 1, Get(sf::kOpsFamily, sf::SeqKey(plan, seq - 1)),
                      &prev, nullptr)
                      .ok());
      chain = prev.chain;
    }
    for (uint64_t s = seq; s <= rec.last_seq; ++s) {
      StoredOp op;
      EXPECT_TRUE(sf::DecodeStoredOp(s, Get(sf::kOpsFamily, sf::SeqKey(plan, s)),
                                     &op, nullptr)
                      .ok());
      if (s == seq) change(&op.op);
      const std::string bytes = CanonicalOpBytes(op.op);
      chain = NextChain(chain, bytes);
      Put(sf::kOpsFamily, sf::SeqKey(plan, s), sf::EncodeOpRecord(chain, bytes));
    }
    rec.head = chain;
    PutPlanRecord(plan, rec);
  }

 private:
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name_;
};

}  // namespace testing_util
}  // namespace samplan

#endif  // SAMPLAN_STORAGE_TESTING_RAW_DB_H_
