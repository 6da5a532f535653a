// HistoryService: answers the auditor's questions about a plan — who
// changed what, the plan at a point (time travel), the diff between two
// points, blame, named versions — from the plan's stored log.
//
// History is read from the PlanStore, never from a room: it shows exactly
// what is durable and hash-chained, and a long query never holds up a
// room's strand (other members' edits). Each plan gets a PlanHistory
// (crdt/history.h) built on first use from the store and caught up with the
// ops stored since on every query; at most kMaxCachedPlans histories are
// kept, the least recently used idle one is dropped first.
//
// Queries run on the service's own worker threads, one at a time per plan
// (a PlanHistory has no thread-safety of its own), never on a network
// thread or the storage pool.
//
// Named versions are created here too: the chain head at the chosen point,
// signed with the server's active Ed25519 key (storage/signing.h) and
// stored with PlanStore::PutVersion (names are immutable).
//
// Thread-safety: every method may be called from any thread; `done`
// callbacks run on a worker thread.
#ifndef SAMPLAN_SERVER_HISTORY_SERVICE_H_
#define SAMPLAN_SERVER_HISTORY_SERVICE_H_

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "crdt/history.h"
#include "crdt/status.h"
#include "protocol/history_json.h"
#include "protocol/json_codec.h"
#include "storage/named_version.h"
#include "storage/plan_store.h"
#include "storage/signing.h"

namespace samplan {

// Entries an export (CSV or JSON) lists at most; past it "truncated".
inline constexpr size_t kMaxExportEntries = 100000;
// Plans whose history is kept in memory between queries.
inline constexpr size_t kMaxCachedPlans = 16;

// The answer to a history query: a JSON payload (its members are spliced
// into the WebSocket reply or the HTTP body), or a text document (CSV,
// Markdown) with its content type.
struct HistoryAnswer {
  Status status;  // InvalidArgument: bad request; NotFound: unknown
                  // version, node or plan
  protocol::Json body = protocol::Json::object();
  std::string text;
  std::string content_type;  // non-empty when `text` is the answer
  std::string filename;      // suggested download name for `text`
};

class HistoryService {
 public:
  // `store` must outlive the service; `keys` may be null (no signing:
  // creating a named version fails with FailedPrecondition).
  HistoryService(PlanStore* store, const KeyRing* keys, size_t threads = 2);
  ~HistoryService();  // waits for running queries
  HistoryService(const HistoryService&) = delete;
  HistoryService& operator=(const HistoryService&) = delete;

  // Runs `query` ("changes", "export", "at", "diff", "blame" or
  // "versions") on `plan`. REQUIRES: the caller checked the role.
  void Query(std::string plan, protocol::HistoryQuery query,
             std::function<void(HistoryAnswer)> done);

  // Names the point `at` of `plan` (kHead: the current head). The answer's
  // body is {"version": {...}}. FailedPrecondition when the name exists.
  void CreateVersion(std::string plan, std::string name, std::string reference,
                     protocol::HistoryPoint at, std::string created_by,
                     std::function<void(HistoryAnswer)> done);

  // Runs `fn` on a worker thread (for the server's other slow reads).
  void Post(std::function<void()> fn);

  const KeyRing* keys() const { return keys_; }

 private:
  struct PlanEntry {
    std::mutex mu;  // one query at a time on `history`
    std::unique_ptr<PlanHistory> history;
    std::chrono::steady_clock::time_point last_used;
    int users = 0;  // guarded by HistoryService::mu_
  };

  std::shared_ptr<PlanEntry> Acquire(const std::string& plan);
  void Release(const std::shared_ptr<PlanEntry>& entry);
  // Brings entry->history up to the store's last seq. REQUIRES: entry->mu
  // held.
  Status CatchUp(const std::string& plan, PlanEntry* entry);
  HistoryAnswer RunQuery(const std::string& plan, PlanHistory* h,
                         const protocol::HistoryQuery& q);
  HistoryAnswer RunCreateVersion(const std::string& plan, PlanHistory* h,
                                 const std::string& name,
                                 const std::string& reference,
                                 const protocol::HistoryPoint& at,
                                 const std::string& created_by);

  PlanStore* store_;
  const KeyRing* keys_;
  boost::asio::thread_pool pool_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<PlanEntry>> plans_;  // guarded by mu_
};

// The JSON of a named version: {"name", "reference", "seq", "time", "head",
// "created_by", "created_ms", "key_id", "signature"} (head hex, signature
// base64).
protocol::Json NamedVersionToJson(const NamedVersion& v);

}  // namespace samplan

#endif  // SAMPLAN_SERVER_HISTORY_SERVICE_H_
