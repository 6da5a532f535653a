// Test helpers for diffs: a stored-log stand-in (ops in seq order with
// their authors, seq = index + 1) that several editing replicas append to,
// a DiffSource over it, and states rebuilt from its prefixes.
//
// Thread-safety: none. Test code only.
#ifndef SAMPLAN_CRDT_TESTING_DIFF_LOG_H_
#define SAMPLAN_CRDT_TESTING_DIFF_LOG_H_

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "crdt/diff_source.h"
#include "crdt/replica.h"

namespace samplan {
namespace testing_util {

// The stored log: what the server appends, in arrival order.
class DiffLog : public DiffSource {
 public:
  static constexpr int64_t kStartMs = 1782036000000;  // 2026-06-21 10:00 UTC

  // Appends the ops `r` made since `before`, stamped with `user` of
  // `municipality` and a server time one second after the previous op.
  void Record(const Replica& r, const VersionVector& before,
              const std::string& user, const std::string& municipality) {
    std::vector<Op> ops;
    if (!r.OpsSince(before, &ops).ok()) return;
    for (Op& op : ops) Append(std::move(op), user, municipality);
  }

  void Append(Op op, const std::string& user, const std::string& municipality) {
    op.author = Author{user, municipality,
                       kStartMs + static_cast<int64_t>(ops_.size()) * 1000};
    ops_.push_back(std::move(op));
    const Op& o = ops_.back();
    units_[o.id.replica].push_back(
        Unit{o.id.counter, o.Length(), static_cast<uint64_t>(ops_.size())});
  }

  const std::vector<Op>& ops() const { return ops_; }
  uint64_t last_seq() const { return ops_.size(); }

  // A fresh replica that applied ops 1..seq.
  std::unique_ptr<Replica> StateAt(uint64_t seq, ReplicaId id = 999999) const {
    auto r = std::make_unique<Replica>(id);
    for (uint64_t i = 0; i < seq; ++i) {
      Status s = r->Apply(ops_[i]);
      if (!s.ok()) return nullptr;
    }
    if (r->pending_count() != 0) return nullptr;
    return r;
  }

  // Brings `r` up to date with the log (applies what it lacks).
  Status Sync(Replica* r) const {
    for (const Op& op : ops_) {
      if (r->version().Includes(op.LastId())) continue;
      Status s = r->Apply(op);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  bool AuthorOf(OpId id, Author* author, uint64_t* seq) const override {
    auto it = units_.find(id.replica);
    if (it == units_.end()) return false;
    const std::vector<Unit>& list = it->second;
    auto u = std::upper_bound(
        list.begin(), list.end(), id.counter,
        [](uint64_t c, const Unit& unit) { return c < unit.counter; });
    if (u == list.begin()) return false;
    --u;
    if (id.counter >= u->counter + u->length) return false;
    *seq = u->seq;
    *author = ops_[u->seq - 1].author;
    return true;
  }

  void ForEachOpBetween(
      uint64_t after_seq, uint64_t to_seq,
      const std::function<void(uint64_t seq, const Op& op)>& fn)
      const override {
    to_seq = std::min<uint64_t>(to_seq, ops_.size());
    for (uint64_t s = after_seq + 1; s <= to_seq; ++s) fn(s, ops_[s - 1]);
  }

 private:
  struct Unit {
    uint64_t counter, length, seq;
  };
  std::vector<Op> ops_;
  std::map<ReplicaId, std::vector<Unit>> units_;  // ascending counter
};

// An editing client: a replica that records each edit into the log.
class Client {
 public:
  Client(ReplicaId id, std::string user, std::string municipality,
         DiffLog* log)
      : replica(id),
        user_(std::move(user)),
        municipality_(std::move(municipality)),
        log_(log) {}

  // Runs `edit` on the replica and records what it made.
  template <typename F>
  auto Do(F&& edit) {
    const VersionVector before = replica.version();
    auto result = edit(replica);
    log_->Record(replica, before, user_, municipality_);
    return result;
  }
  Status Sync() { return log_->Sync(&replica); }

  Replica replica;

 private:
  std::string user_;
  std::string municipality_;
  DiffLog* log_;
};

}  // namespace testing_util
}  // namespace samplan

#endif  // SAMPLAN_CRDT_TESTING_DIFF_LOG_H_
