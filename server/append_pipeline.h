// AppendPipeline: the way of a room's accepted operation batches to durable
// storage and to their acks, with no sockets and no I/O in it. The room
// adds each batch its replica has just applied, starts the append that
// TakeLaunch returns on the store, reports its result with Finish, and
// answers the senders of the batches that TakeDone returns.
//
// The rules it keeps:
//  - An ack means stored. A batch is done only once every op it carried is
//    durable, the new ones and the duplicates alike: a client that lost its
//    connection mid-append and re-sends its batch is acked only when the
//    first copy has been stored, never at once.
//  - One append per plan at a time, holding every batch queued when it
//    starts (up to Limits::max_ops_per_append ops), in the order the
//    replica applied them, each op with its own author (AppendContext::
//    op_authors). So the log's order is the replica's, whatever prefix of
//    it survives a crash is causally complete, author times stay
//    non-decreasing without the store changing any, and the store still
//    group-commits the appends of different plans into one sync.
//  - Bounded memory: at most Limits::max_batches batches and
//    Limits::max_ops operations wait at once (HasRoom); the room refuses
//    more with `unavailable` before applying anything.
//  - durable() is the replica's version minus everything not yet stored;
//    it is causally closed.
//
// Thread-safety: none; the room's strand owns it.
#ifndef SAMPLAN_SERVER_APPEND_PIPELINE_H_
#define SAMPLAN_SERVER_APPEND_PIPELINE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "crdt/op.h"
#include "crdt/status.h"
#include "crdt/version_vector.h"
#include "storage/plan_store.h"

namespace samplan {

class AppendPipeline {
 public:
  struct Limits {
    size_t max_batches = 1024;
    size_t max_ops = 65536;
    size_t max_ops_per_append = 4096;
  };
  struct Batch {
    uint64_t ticket = 0;  // the caller's handle (who to answer)
    ReplicaId replica = 0;
    // The new ops, in the order the replica applied them, each stamped
    // with its author; all of `replica`.
    std::vector<Op> ops;
    // The highest counter of `replica` the batch carried, duplicates
    // included: the batch is done once durable() reaches it.
    uint64_t await_counter = 0;
  };
  struct Launch {
    std::vector<Op> ops;
  };
  struct Done {
    Batch batch;
    // Stored copies of batch.ops and their sequence numbers; empty and 0
    // when the batch only held duplicates.
    std::vector<Op> stored;
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
  };

  AppendPipeline(VersionVector durable, Limits limits);

  // True when a batch of `ops` new operations may be added now.
  bool HasRoom(size_t ops) const;
  // REQUIRES: every op of `batch` has been applied to the room's replica,
  // in order, after every batch added before it.
  void Add(Batch batch);

  // The append to start now, if any (it is in flight from here on).
  std::optional<Launch> TakeLaunch();
  // Reports the store's answer for the launch in flight. OK: its batches
  // (and any batch that only waited for them) become done. An error, or a
  // `stored` of the wrong size, is returned; the caller then calls FailAll.
  // Ignored when FailAll was called while the launch was in flight.
  Status Finish(const Status& status, std::vector<StoredOp> stored);
  // Batches done since the last call, in the order they became done.
  std::vector<Done> TakeDone();
  // Every batch not done (the failed launch's included), for error
  // replies; the pipeline is empty afterwards.
  std::vector<Batch> FailAll();

  const VersionVector& durable() const { return durable_; }
  // Anything queued, in flight or waiting.
  bool busy() const { return pending_batches_ != 0; }
  bool in_flight() const { return !in_flight_.empty(); }
  // `ops` (from the replica) without what is not durable, sliced at the
  // boundary.
  std::vector<Op> DurableOnly(std::vector<Op> ops) const;

 private:
  void ReleaseWaiting();

  VersionVector durable_;
  Limits limits_;
  std::deque<Batch> queue_;      // not launched yet
  std::vector<Batch> in_flight_;  // the launch being appended
  std::deque<Batch> waiting_;    // only duplicates, not all durable yet
  std::vector<Done> done_;
  size_t pending_batches_ = 0;
  size_t pending_ops_ = 0;
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_APPEND_PIPELINE_H_
