// Online backup of a plan database.
//
// BackupDatabase copies a consistent view of the RocksDB database in
// `data_dir` into a new database in `backup_dir`, while a server may have
// `data_dir` open and be appending to it. It opens `data_dir` as a RocksDB
// *secondary instance* (DB::OpenAsSecondary: no LOCK taken, the primary is
// not disturbed; max_open_files = -1 so the table files it reads stay open
// even if the primary compacts them away), catches up with the primary once
// (TryCatchUpWithPrimary: the MANIFEST and the WAL up to the last complete
// write batch), and copies every column family, key by key, into a fresh
// database, which it then flushes and syncs. Since the secondary's view
// only changes on a catch-up and each append is one write batch, the copy
// is the database as of one moment: every plan holds a prefix of its
// history with its metadata and chain head matching. The result is an
// ordinary database: `RocksDbPlanStore::Open(backup_dir)` (and
// `samplan serve --data backup_dir`) opens it.
//
// A copy that fails because the primary deleted a file between the
// catch-up and the read is retried (up to 3 attempts).
//
// Thread-safety: functions only; independent calls may run concurrently.
#ifndef SAMPLAN_STORAGE_BACKUP_H_
#define SAMPLAN_STORAGE_BACKUP_H_

#include <cstdint>
#include <string>

#include "crdt/status.h"

namespace samplan {

struct BackupReport {
  uint64_t keys = 0;   // records copied
  uint64_t bytes = 0;  // key + value bytes copied
  int attempts = 0;
};

// REQUIRES: backup_dir does not exist or is an empty directory.
Status BackupDatabase(const std::string& data_dir,
                      const std::string& backup_dir, BackupReport* report);

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_BACKUP_H_
