// StdioLogger: RocksDB's info log ("LOG" in the data directory) written
// through stdio, ignoring write errors.
//
// Why: Debian's librocksdb is built with assertions enabled, and its own
// file logger asserts (aborting the server) when it writes again after a
// failed write, which is what happens first on a full disk. This logger
// simply loses log lines it cannot write, so a full disk fails appends with
// an error instead of killing the process. The file is renamed to LOG.old
// when it passes 16 MiB.
//
// Thread-safety: Logv may be called concurrently (one mutex).
#ifndef SAMPLAN_STORAGE_ROCKS_LOGGER_H_
#define SAMPLAN_STORAGE_ROCKS_LOGGER_H_

#include <rocksdb/env.h>

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace samplan {

class StdioLogger : public rocksdb::Logger {
 public:
  // Logs into `dir`/LOG (created if needed; nothing is logged if it cannot
  // be opened).
  StdioLogger(const std::string& dir, rocksdb::InfoLogLevel level);
  ~StdioLogger() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Flush() override;

 private:
  rocksdb::Status CloseImpl() override;
  // REQUIRES: mu_ held.
  void RotateIfLarge();

  const std::string path_;
  std::mutex mu_;
  std::FILE* file_ = nullptr;  // guarded by mu_
  long size_ = 0;              // guarded by mu_
};

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_ROCKS_LOGGER_H_
