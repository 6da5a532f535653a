// Room: one open plan on the server: its replica, its members (sessions
// that joined it) and their presence.
//
// Everything a room owns is touched only on its strand; the public methods
// post there and may be called from any thread. A room loads its plan from
// the PlanStore on first use (snapshot + tail) on the server's blocking
// pool, so no network thread waits for the disk; joins and state requests
// that arrive meanwhile wait for it.
//
// An operation batch is checked (sender's replica, Replica::CheckRemoteOp:
// every id it names known and causally before it, Lamport bounds; then the
// permission rules; then quotas) and applied to the replica op by op; the
// first op that fails is refused to its sender alone, with the ops after
// it, and nothing of it is stored. The accepted part goes through the
// AppendPipeline (append_pipeline.h): appended durably on the blocking
// pool, then acknowledged to the sender and broadcast to every other member
// as one shared immutable buffer. An ack always means stored, also for a
// re-sent batch whose ops the replica already holds. A joining session
// gets the durable state only (ops still in flight reach it as broadcasts),
// so a client never sees an operation the server could lose.
//
// Author time stamps are chosen here, before the replica applies an op,
// and the store keeps them exactly, so the replica (and every joining
// client) holds the same authors as the hash-chained log.
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
#include "protocol/messages.h"
#include "protocol/review_json.h"
#include "server/append_pipeline.h"
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
  protocol::OpsEncoding encoding = protocol::OpsEncoding::kJson;
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
                      std::optional<Anchor> head, bool typing);
  // Renders the plan's state (protocol/plan_state.h) plus its sequence
  // number; `done(http_status, body)` runs on the room's strand.
  void RenderState(std::function<void(int, std::string)> done);
  // Answers a review_query of a member (protocol/review_json.h) with a
  // `review` message, asking as the member's user and municipality (its
  // inbox, its unread counts); a query the plan cannot answer is
  // bad_message naming the member. Runs on the strand against the room's
  // replica: O(review items log n) per query.
  void QueryReview(SessionPtr session, std::string ref,
                   protocol::ReviewQuery query);
  // The same for HTTP: `done(http_status, body)` on the strand with
  // {"plan", "seq", "query", "items", ...} (400 for a bad query).
  void RenderReview(protocol::ReviewQuery query,
                    std::function<void(int, std::string)> done);
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
    std::optional<Anchor> head;
    bool typing = false;
  };
  // Who to answer when a batch in the pipeline is done.
  struct Reply {
    std::weak_ptr<WebsocketSession> sender;
    std::string ref;
    size_t duplicates = 0;
    Clock::time_point received;
  };

  // All REQUIRE running on strand_.
  // Runs `then` once the plan is loaded (at once if it is), or with the
  // load error; starts the load on the blocking pool if needed.
  void WhenLoaded(std::function<void(Status)> then);
  void FinishLoad(Status status, std::unique_ptr<Replica> replica,
                  uint64_t last_seq, int64_t last_time_ms,
                  std::map<ReplicaId, std::string> users);
  void DoJoin(SessionPtr session, JoinRequest request);
  void DoSubmit(const SessionPtr& session, const std::string& ref,
                std::vector<Op> ops, Clock::time_point received);
  // Starts every append the pipeline allows now.
  void StartAppends();
  void FinishAppend(Status status, std::vector<StoredOp> stored);
  // Acks and broadcasts what the pipeline reports done.
  void AnswerDone();
  void Poison(const std::string& why);
  void SendError(const SessionPtr& s, std::string_view code,
                 std::string_view message, std::string_view ref);
  void Broadcast(const std::shared_ptr<const std::string>& msg,
                 const WebsocketSession* except);
  void MaybeUnload();
  bool Busy() const { return pipeline_ && pipeline_->busy(); }
  // kNotFound from the returned status means the replica id's owner must
  // be looked up in the log first (LookUpOwnerThenJoin).
  using MemberMap = std::map<WebsocketSession*, Member>;
  // Drops a member and tells the others it left (presence_left).
  void RemoveMember(MemberMap::iterator it);
  void TakeOverReplica(ReplicaId id, const std::string& user);
  Result<ReplicaId> ChooseReplica(const JoinRequest& request);
  // Scans the log for the user who wrote replica `id`'s first op on the
  // blocking pool, then retries the join.
  void LookUpOwnerThenJoin(SessionPtr session, JoinRequest request,
                           ReplicaId id);
  // Author time for a new batch: now, but never before the plan's latest.
  int64_t AuthorTime();
  std::string PresenceOf(const Member& m) const;

  Server* server_;
  std::string plan_id_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;

  bool loaded_ = false;
  bool loading_ = false;
  bool poisoned_ = false;
  std::vector<std::function<void(Status)>> load_waiters_;
  std::unique_ptr<Replica> replica_;
  uint64_t last_seq_ = 0;
  int64_t last_time_ms_ = 0;
  uint64_t text_chars_ = 0;  // Replica::TotalTextChars, kept up to date
  MemberMap members_;
  // Which user each client replica id belongs to (from the log and from
  // accepted ops).
  std::map<ReplicaId, std::string> replica_users_;
  std::unique_ptr<AppendPipeline> pipeline_;  // set once loaded
  std::map<uint64_t, Reply> replies_;         // by pipeline ticket
  uint64_t next_ticket_ = 1;
  std::vector<std::pair<SessionPtr, JoinRequest>> deferred_joins_;
  // Sessions whose join waits for LookUpOwnerThenJoin.
  std::vector<SessionPtr> owner_lookups_;
  std::mt19937_64 rng_;
  // Base64Encode(EncodeOps(every durable op)) as of durable version
  // `fresh_join_version_`: what a fresh binary join (empty version) gets,
  // so a run of joins to a plan with a long log (each a megabyte) encodes
  // it once. Rebuilt by the first such join after the durable version
  // moved; dropped with the room.
  std::shared_ptr<const std::string> fresh_join_ops_;
  size_t fresh_join_op_count_ = 0;
  VersionVector fresh_join_version_;
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_ROOM_H_
