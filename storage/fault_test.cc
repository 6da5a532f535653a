// Failed writes: an append whose write or sync fails reports an error, and
// nothing of it is visible, before or after reopening. Failures come from a
// fault-injecting RocksDB FileSystem (always) and from a real full disk on
// a tiny tmpfs (when the test may mount one, i.e. runs as root).
#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <sys/mount.h>

#include <atomic>
#include <filesystem>

#include "storage/plan_verifier.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/testing/temp_dir.h"

namespace samplan {
namespace {

using testing_util::TempDir;

std::atomic<bool> g_fail_writes{false};

rocksdb::IOStatus Injected() {
  return rocksdb::IOStatus::IOError("injected write failure");
}

// A writable file whose appends and syncs fail while g_fail_writes is set.
class FailingFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  using FSWritableFileOwnerWrapper::FSWritableFileOwnerWrapper;
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (g_fail_writes) return Injected();
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (g_fail_writes) return Injected();
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* dbg) override {
    if (g_fail_writes) return Injected();
    return FSWritableFileOwnerWrapper::Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    if (g_fail_writes) return Injected();
    return FSWritableFileOwnerWrapper::Fsync(options, dbg);
  }
};

class FailingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FailingFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FailingFileSystem"; }
  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, &file, dbg);
    if (s.ok()) result->reset(new FailingFile(std::move(file)));
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& name, const std::string& old_name,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s =
        target()->ReuseWritableFile(name, old_name, options, &file, dbg);
    if (s.ok()) result->reset(new FailingFile(std::move(file)));
    return s;
  }
};

Op TextOp(uint64_t counter, size_t bytes) {
  Op op;
  op.id = OpId{7, counter};
  op.lamport = counter;
  op.kind = OpKind::kInsertText;
  op.node = kRootNode;
  op.name = "title";
  op.text = std::string(bytes, 'x');
  return op;
}

void ExpectPlanAt(PlanStore* store, uint64_t last_seq) {
  PlanInfo info;
  ASSERT_TRUE(store->GetPlanInfo("p", &info).ok());
  EXPECT_EQ(info.last_seq, last_seq);
  LoadedPlan loaded;
  Status s = store->Load("p", &loaded);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(loaded.tail.size(), last_seq);
  std::vector<StoredOp> all;
  ASSERT_TRUE(store->ReadRange("p", 1, 1000, &all).ok());
  EXPECT_EQ(all.size(), last_seq);
}

TEST(StorageFaultTest, FailedWriteFailsAppendAndLeavesNoTrace) {
  TempDir dir;
  auto fs = std::make_shared<FailingFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  RocksDbPlanStoreOptions options;
  options.env = env.get();
  const std::string data = dir.path() + "/data";
  {
    std::unique_ptr<RocksDbPlanStore> store;
    ASSERT_TRUE(RocksDbPlanStore::Open(data, options, &store).ok());
    ASSERT_TRUE(store->CreatePlan("p", "").ok());
    for (uint64_t i = 1; i <= 5; ++i) {
      ASSERT_TRUE(store->Append("p", {TextOp(3 * i - 2, 3)}, {}, nullptr).ok());
    }
    g_fail_writes = true;
    Status s = store->Append("p", {TextOp(16, 3), TextOp(19, 3)}, {}, nullptr);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("injected"), std::string::npos) << s.ToString();
    g_fail_writes = false;
    ExpectPlanAt(store.get(), 5);
  }
  std::unique_ptr<RocksDbPlanStore> store;
  Status s = RocksDbPlanStore::Open(data, options, &store);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectPlanAt(store.get(), 5);
  std::vector<StoredOp> stored;
  ASSERT_TRUE(store->Append("p", {TextOp(16, 3)}, {}, &stored).ok());
  EXPECT_EQ(stored[0].seq, 6u);
  PlanVerifyReport report;
  s = VerifyPlan(store.get(), "p", &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(StorageFaultTest, FullDiskFailsAppendAndLeavesNoTrace) {
  TempDir dir;
  const std::string mnt = dir.path() + "/mnt";
  std::filesystem::create_directory(mnt);
  if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=6m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs (needs root): " << strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  const std::string data = mnt + "/data";
  uint64_t acked = 0;
  Status failure;
  {
    std::unique_ptr<RocksDbPlanStore> store;
    ASSERT_TRUE(RocksDbPlanStore::Open(data, {}, &store).ok());
    ASSERT_TRUE(store->CreatePlan("p", "").ok());
    for (uint64_t i = 1; i <= 2000; ++i) {
      std::vector<StoredOp> stored;
      Status s = store->Append("p", {TextOp((i - 1) * 65536 + 1, 65536)}, {},
                               &stored);
      if (!s.ok()) {
        failure = s;
        break;
      }
      acked = stored[0].seq;
    }
    EXPECT_FALSE(failure.ok()) << "the disk never filled";
    EXPECT_GT(acked, 0u);
    std::printf("full disk after %llu appends: %s\n",
                static_cast<unsigned long long>(acked),
                failure.ToString().c_str());
    // Reads still see exactly the acknowledged ops.
    PlanInfo info;
    if (store->GetPlanInfo("p", &info).ok()) {
      EXPECT_EQ(info.last_seq, acked);
    }
    // Further appends fail too (no crash), even small ones.
    EXPECT_FALSE(store->Append("p", {TextOp(1u << 30, 1)}, {}, nullptr).ok());
  }
  // Give it room and reopen: the acknowledged ops, nothing else.
  ASSERT_EQ(mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0);
  {
    std::unique_ptr<RocksDbPlanStore> store;
    Status s = RocksDbPlanStore::Open(data, {}, &store);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ExpectPlanAt(store.get(), acked);
    PlanVerifyReport report;
    s = VerifyPlan(store.get(), "p", &report);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
}

}  // namespace
}  // namespace samplan
