// TempDir: a fresh directory for a test, removed with everything in it when
// the object goes away. Under $TMPDIR (or /tmp).
//
// Thread-safety: none needed; one owner.
#ifndef SAMPLAN_STORAGE_TESTING_TEMP_DIR_H_
#define SAMPLAN_STORAGE_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace samplan {
namespace testing_util {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/samplan-storage-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The directory itself; the store's data directory is usually a child.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace testing_util
}  // namespace samplan

#endif  // SAMPLAN_STORAGE_TESTING_TEMP_DIR_H_
