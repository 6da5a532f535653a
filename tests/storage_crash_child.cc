// storage_crash_child: the process the storage crash and backup tests kill.
//
//   storage_crash_child DIR PLANS FIRST_REPLICA_ID SEED [MAX_BATCHES]
//
// Opens the RocksDB plan store in DIR (durable mode), creates plans
// "plan0" .. "plan<PLANS-1>" if missing, rebuilds each from the store and
// then, one thread per plan, appends random valid edits forever (or
// MAX_BATCHES per plan). After each Append returns OK it writes one line
// "<plan index> <last seq> <its chain value in hex>\n" to stdout (a single write(2), so lines from
// the threads never mix): every seq printed has been acknowledged.
// Exit status 2 on a usage error, 3 on a storage error (message on stderr).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/plan_loader.h"
#include "storage/rocksdb_plan_store.h"
#include "storage/testing/random_plan_editor.h"

namespace samplan {
namespace {

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "storage_crash_child: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  std::exit(3);
}

void AppendForever(RocksDbPlanStore* store, int index, ReplicaId first_id,
                   uint64_t seed, long max_batches) {
  const std::string plan_id = "plan" + std::to_string(index);
  LoadedPlan loaded;
  if (Status s = store->Load(plan_id, &loaded); !s.ok()) Die("load", s);
  auto replica = RebuildReplica(loaded, first_id + 100);
  if (!replica.ok()) Die("rebuild", replica.status());
  testing_util::RandomPlanEditor editor(seed, first_id, replica->get());
  const AppendContext who{"user" + std::to_string(index), "Moss", 0};
  for (long n = 0; max_batches < 0 || n < max_batches; ++n) {
    std::vector<StoredOp> stored;
    if (Status s = store->Append(plan_id, editor.NextBatch(), who, &stored);
        !s.ok()) {
      Die("append", s);
    }
    const std::string line = std::to_string(index) + " " +
                             std::to_string(stored.back().seq) + " " +
                             ChainToHex(stored.back().chain) + "\n";
    if (write(STDOUT_FILENO, line.data(), line.size()) !=
        static_cast<ssize_t>(line.size())) {
      std::exit(0);  // the reader went away
    }
  }
}

int Main(int argc, char** argv) {
  if (argc < 5) {
    std::fputs("usage: storage_crash_child DIR PLANS FIRST_REPLICA_ID SEED "
               "[MAX_BATCHES]\n", stderr);
    return 2;
  }
  const std::string dir = argv[1];
  const int plans = std::atoi(argv[2]);
  const ReplicaId first_id = std::strtoull(argv[3], nullptr, 10);
  const uint64_t seed = std::strtoull(argv[4], nullptr, 10);
  const long max_batches = argc > 5 ? std::atol(argv[5]) : -1;
  std::unique_ptr<RocksDbPlanStore> store;
  if (Status s = RocksDbPlanStore::Open(dir, {}, &store); !s.ok()) {
    Die("open", s);
  }
  for (int i = 0; i < plans; ++i) {
    Status s = store->CreatePlan("plan" + std::to_string(i), "crash test");
    if (!s.ok() && s.code() != Status::Code::kFailedPrecondition) {
      Die("create", s);
    }
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < plans; ++i) {
    threads.emplace_back(AppendForever, store.get(), i, first_id + 1000 * i,
                         seed * 31 + i, max_batches);
  }
  for (std::thread& t : threads) t.join();
  return 0;
}

}  // namespace
}  // namespace samplan

int main(int argc, char** argv) { return samplan::Main(argc, argv); }
