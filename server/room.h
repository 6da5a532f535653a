// Room: one open plan on the server: its replica, its members (sessions
// that joined it) and their presence.
//
// Everything a room owns is touched only on its strand; the public methods
// post there and may be called from any thread. A room loads its plan from
// the PlanStore on first use (snapshot + tail). Operation batches are
// checked (permissions first, then causal readiness, then Replica::Apply),
// queued, appended durably (PlanStore::Append on the server's blocking
// pool) and only then acknowledged to the sender and broadcast to every
// other member as one shared immutable buffer.
//
// Appends of different senders run concurrently (the store group-commits
// them into one sync) when they are independent: a batch is launched only
// when its sender has nothing in flight and every id its ops reference is
// durable or the sender's own, so whatever subset of concurrent appends
// survives a crash is causally complete. Consecutive queued batches of one
// sender are appended together. A joining session gets the durable state
// only (ops still in flight reach it as broadcasts), so a client never
// sees an operation the server could lose.
//
// If an append fails the room stops accepting operations, closes every
// session (1011) and is unloaded; the next join reloads the durable state.
#ifndef SAMPLAN_SERVER_ROOM_H_
#define SAMPLAN_SERVER_ROOM_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "crdt/anchor.h"
#include "crdt/op.h"
#include "crdt/replica.h"
#include "crdt/version_vector.h"
#include "server/auth.h"
#include "storage/plan_store.h"

namespace samplan {

class Server;
class WebsocketSession;

// The replica id the server's own copy of every plan uses (it never makes
// local edits). Clients get ids >= kFirstClientReplica.
inline constexpr ReplicaId kServerReplica = 1;
inline constexpr ReplicaId kFirstClientReplica = uint64_t{1} << 32;

struct JoinRequest {
  std::string ref;
  VersionVector version;
  std::optional<uint64_t> replica;
  std::string session_id;
  std::string user;
  std::string municipality;
  Role role = Role::kViewer;
};

class Room : public std::enable_shared_from_this<Room> {
 public:
  using Clock = std::chrono::steady_clock;
  using SessionPtr = std::shared_ptr<WebsocketSession>;

  Room(Server* server, std::string plan_id);
  ~Room();

  const std::string& plan_id() const { return plan_id_; }

  void Join(SessionPtr session, JoinRequest request);
  // `reply`: the client asked to leave and gets "left" (with `ref`).
  void Leave(SessionPtr session, bool reply, std::string ref);
  void SubmitOps(SessionPtr session, std::string ref, std::vector<Op> ops,
                 Clock::time_point received);
  void UpdatePresence(SessionPtr session, std::optional<Anchor> anchor,
                      bool typing);
  // Renders the plan's state (protocol/plan_state.h) plus its sequence
  // number; `done(http_status, body)` runs on the room's strand.
  void RenderState(std::function<void(int, std::string)> done);
  // Unloads the room (via Server::UnloadIfUnused) when it is idle.
  void ScheduleUnloadCheck();

 private:
  struct Member {
    SessionPtr session;
    std::string session_id;
    std::string user;
    std::string municipality;
    Role role = Role::kViewer;
    ReplicaId replica = 0;
    std::optional<Anchor> anchor;
    bool typing = false;
  };
  struct Batch {
    std::weak_ptr<WebsocketSession> sender;
    ReplicaId replica = 0;
    std::string ref;
    std::vector<Op> ops;
    size_t duplicates = 0;
    std::string user;
    std::string municipality;
    int64_t time_ms = 0;
    Clock::time_point received;
  };

  // All REQUIRE running on strand_.
  Status EnsureLoaded();
  void DoJoin(SessionPtr session, JoinRequest request);
  // Launches every queued batch that may go now (see above).
  void StartAppends();
  bool Launchable(const Batch& b) const;
  void FinishAppend(uint64_t launch, Status status,
                    std::vector<StoredOp> stored);
  // `ops` without what is not durable yet (sliced at the boundary).
  std::vector<Op> DurableOnly(std::vector<Op> ops) const;
  void Poison(const std::string& why);
  void SendError(const SessionPtr& s, std::string_view code,
                 std::string_view message, std::string_view ref);
  void Broadcast(const std::shared_ptr<const std::string>& msg,
                 const WebsocketSession* except);
  void MaybeUnload();
  bool Busy() const { return !in_flight_.empty() || !queue_.empty(); }
  Result<ReplicaId> ChooseReplica(const JoinRequest& request);
  // The user who wrote `id`'s first op (a blocking scan of the log; only
  // for replicas whose history is older than the loaded snapshot).
  Status FindReplicaOwner(ReplicaId id, std::string* owner);
  std::string PresenceOf(const Member& m) const;

  Server* server_;
  std::string plan_id_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;

  bool loaded_ = false;
  bool poisoned_ = false;
  std::unique_ptr<Replica> replica_;
  uint64_t last_seq_ = 0;
  std::map<WebsocketSession*, Member> members_;
  // Which user each client replica id belongs to (from the log and from
  // accepted ops).
  std::map<ReplicaId, std::string> replica_users_;
  std::deque<Batch> queue_;  // validated and applied, not yet launched
  std::map<uint64_t, std::vector<Batch>> in_flight_;  // by launch number
  std::map<ReplicaId, int> replicas_in_flight_;
  uint64_t next_launch_ = 1;
  // What is durable: the replica's version minus the ops in queue_ and
  // in_flight_. Causally closed.
  VersionVector durable_;
  std::vector<std::pair<SessionPtr, JoinRequest>> deferred_joins_;
  std::mt19937_64 rng_;
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_ROOM_H_
