// Mapping RocksDB statuses to samplan Status values: Corruption for
// corruption RocksDB detected, FailedPrecondition ("storage error: ...")
// for everything else (I/O errors, a full disk, a locked database).
//
// Thread-safety: functions only.
#ifndef SAMPLAN_STORAGE_ROCKS_STATUS_H_
#define SAMPLAN_STORAGE_ROCKS_STATUS_H_

#include <rocksdb/status.h>

#include <string>
#include <string_view>

#include "crdt/status.h"

namespace samplan {

inline Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::OK();
  const std::string what = std::string(context) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(what);
  return Status::FailedPrecondition("storage error: " + what);
}

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_ROCKS_STATUS_H_
