#include "storage/rocks_logger.h"

#include <sys/time.h>

#include <cstdio>
#include <ctime>

namespace samplan {

namespace {
constexpr long kMaxLogBytes = 16L << 20;
}  // namespace

StdioLogger::StdioLogger(const std::string& dir, rocksdb::InfoLogLevel level)
    : rocksdb::Logger(level), path_(dir + "/LOG") {
  file_ = std::fopen(path_.c_str(), "a");
  if (file_ != nullptr) size_ = std::ftell(file_);
}

StdioLogger::~StdioLogger() {
  CloseImpl().PermitUncheckedError();
}

rocksdb::Status StdioLogger::CloseImpl() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) std::fclose(file_);  // errors ignored: see header
  file_ = nullptr;
  return rocksdb::Status::OK();
}

void StdioLogger::RotateIfLarge() {
  if (size_ < kMaxLogBytes || file_ == nullptr) return;
  std::fclose(file_);
  std::rename(path_.c_str(), (path_ + ".old").c_str());
  file_ = std::fopen(path_.c_str(), "a");
  size_ = 0;
}

void StdioLogger::Logv(const char* format, va_list ap) {
  char line[1024];
  timeval now;
  gettimeofday(&now, nullptr);
  std::tm tm{};
  const time_t secs = now.tv_sec;
  gmtime_r(&secs, &tm);
  const size_t stamp = std::strftime(line, sizeof(line), "%Y/%m/%d-%H:%M:%S", &tm);
  int n = std::snprintf(line + stamp, sizeof(line) - stamp, ".%06ld ",
                        static_cast<long>(now.tv_usec));
  size_t used = stamp + (n > 0 ? static_cast<size_t>(n) : 0);
  va_list copy;
  va_copy(copy, ap);
  n = std::vsnprintf(line + used, sizeof(line) - used, format, copy);
  va_end(copy);
  used = std::min(sizeof(line) - 2, used + (n > 0 ? static_cast<size_t>(n) : 0));
  if (used == 0 || line[used - 1] != '\n') line[used++] = '\n';
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ == nullptr) return;
  size_ += static_cast<long>(std::fwrite(line, 1, used, file_));
  std::fflush(file_);  // a failure just loses the line
  RotateIfLarge();
}

void StdioLogger::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) std::fflush(file_);
}

}  // namespace samplan
