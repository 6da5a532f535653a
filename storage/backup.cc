#include "storage/backup.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "storage/rocks_status.h"

namespace samplan {

namespace {

namespace fs = std::filesystem;

// Owns a DB and its column family handles.
struct OpenDb {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ~OpenDb() {
    if (db == nullptr) return;
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db->Close().PermitUncheckedError();
    delete db;
  }
};

Status CopyOnce(const std::string& data_dir, const std::string& backup_dir,
                const std::string& secondary_dir, BackupReport* report) {
  rocksdb::Options options;
  options.max_open_files = -1;  // keep every table file open (see header)
  std::vector<std::string> names;
  SAMPLAN_RETURN_IF_ERROR(FromRocks(
      rocksdb::DB::ListColumnFamilies(options, data_dir, &names),
      "reading " + data_dir));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& n : names) {
    families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  }
  OpenDb source;
  SAMPLAN_RETURN_IF_ERROR(FromRocks(
      rocksdb::DB::OpenAsSecondary(options, data_dir, secondary_dir, families,
                                   &source.handles, &source.db),
      "opening " + data_dir + " as a secondary instance"));
  SAMPLAN_RETURN_IF_ERROR(FromRocks(source.db->TryCatchUpWithPrimary(),
                                    "catching up with " + data_dir));
  // Every iterator is created before any copying: one view.
  std::vector<std::unique_ptr<rocksdb::Iterator>> iterators;
  for (auto* h : source.handles) {
    iterators.emplace_back(source.db->NewIterator(rocksdb::ReadOptions(), h));
  }

  rocksdb::Options target_options;
  target_options.create_if_missing = true;
  target_options.error_if_exists = true;
  target_options.create_missing_column_families = true;
  OpenDb target;
  SAMPLAN_RETURN_IF_ERROR(FromRocks(
      rocksdb::DB::Open(target_options, backup_dir, families, &target.handles,
                        &target.db),
      "creating " + backup_dir));
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // flushed and synced at the end
  for (size_t i = 0; i < iterators.size(); ++i) {
    rocksdb::Iterator* it = iterators[i].get();
    rocksdb::WriteBatch batch;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      SAMPLAN_RETURN_IF_ERROR(FromRocks(
          batch.Put(target.handles[i], it->key(), it->value()), "copying"));
      ++report->keys;
      report->bytes += it->key().size() + it->value().size();
      if (batch.GetDataSize() > (4 << 20)) {
        SAMPLAN_RETURN_IF_ERROR(
            FromRocks(target.db->Write(wo, &batch), "writing " + backup_dir));
        batch.Clear();
      }
    }
    SAMPLAN_RETURN_IF_ERROR(
        FromRocks(it->status(), "reading " + data_dir + " (" + names[i] + ")"));
    SAMPLAN_RETURN_IF_ERROR(
        FromRocks(target.db->Write(wo, &batch), "writing " + backup_dir));
  }
  rocksdb::FlushOptions flush;
  flush.wait = true;
  SAMPLAN_RETURN_IF_ERROR(FromRocks(target.db->Flush(flush, target.handles),
                                    "flushing " + backup_dir));
  SAMPLAN_RETURN_IF_ERROR(
      FromRocks(target.db->SyncWAL(), "syncing " + backup_dir));
  return Status::OK();
}

}  // namespace

Status BackupDatabase(const std::string& data_dir,
                      const std::string& backup_dir, BackupReport* report) {
  *report = BackupReport{};
  std::error_code ec;
  if (fs::exists(backup_dir, ec) && !fs::is_empty(backup_dir, ec)) {
    return Status::FailedPrecondition("backup target " + backup_dir +
                                      " exists and is not empty");
  }
  if (!fs::exists(data_dir + "/CURRENT", ec)) {
    return Status::NotFound("no database in " + data_dir);
  }
  const fs::path parent = fs::path(backup_dir).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  std::string secondary = (fs::temp_directory_path(ec) /
                           "samplan-backup-secondary-XXXXXX")
                              .string();
  if (mkdtemp(secondary.data()) == nullptr) {
    return Status::FailedPrecondition("cannot create a temporary directory");
  }
  Status s;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    report->attempts = attempt;
    report->keys = report->bytes = 0;
    s = CopyOnce(data_dir, backup_dir, secondary, report);
    if (s.ok()) break;
    fs::remove_all(backup_dir, ec);
  }
  fs::remove_all(secondary, ec);
  return s;
}

}  // namespace samplan
