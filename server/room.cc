#include "server/room.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <thread>

#include "protocol/messages.h"
#include "protocol/plan_state.h"
#include "server/event_log.h"
#include "server/permissions.h"
#include "server/server.h"
#include "server/websocket_session.h"
#include "storage/checkpoint_scheduler.h"
#include "storage/snapshot_scheduler.h"

namespace samplan {

namespace asio = boost::asio;
namespace proto = protocol;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<const std::string> Shared(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

}  // namespace

Room::Room(Server* server, std::string plan_id)
    : server_(server),
      plan_id_(std::move(plan_id)),
      strand_(asio::make_strand(server->io_context().get_executor())),
      rng_(std::random_device{}()) {
  server_->metrics().open_plans.fetch_add(1);
}

Room::~Room() { server_->metrics().open_plans.fetch_sub(1); }

namespace {

// What loading a plan produces, built off the room's strand.
struct LoadResult {
  Status status;
  std::unique_ptr<Replica> replica;
  uint64_t last_seq = 0;
  int64_t last_time_ms = 0;
  std::map<ReplicaId, std::string> users;
};

LoadResult LoadPlan(PlanStore* store, const std::string& plan_id) {
  LoadResult out;
  LoadedPlan plan;
  out.status = store->Load(plan_id, &plan);
  if (!out.status.ok()) return out;
  std::unique_ptr<Replica> replica;
  if (!plan.snapshot.empty()) {
    Result<std::unique_ptr<Replica>> r =
        Replica::DecodeSnapshot(plan.snapshot, kServerReplica);
    if (!r.ok()) {
      out.status = r.status();
      return out;
    }
    replica = std::move(*r);
  } else {
    replica = std::make_unique<Replica>(kServerReplica);
  }
  for (const StoredOp& s : plan.tail) {
    Status st = replica->Apply(s.op);
    if (!st.ok()) {
      out.status = Status::Corruption("plan " + plan_id + " seq " +
                                      std::to_string(s.seq) +
                                      " does not apply: " + st.message());
      return out;
    }
    if (s.op.id.replica >= kFirstClientReplica) {
      out.users.emplace(s.op.id.replica, s.user);
    }
  }
  if (replica->pending_count() != 0) {
    out.status = Status::Corruption(
        "plan " + plan_id + " has operations with missing dependencies");
    return out;
  }
  for (const Op& op : replica->log()) {
    if (op.id.replica >= kFirstClientReplica) {
      out.users.emplace(op.id.replica, op.author.user);
    }
  }
  out.last_seq = plan.tail.empty() ? plan.snapshot_seq : plan.tail.back().seq;
  out.last_seq = std::max(out.last_seq, plan.info.last_seq);
  out.last_time_ms = plan.info.last_time_ms;
  out.replica = std::move(replica);
  return out;
}

}  // namespace

void Room::WhenLoaded(std::function<void(Status)> then) {
  if (poisoned_) {
    then(Status::FailedPrecondition(
        "plan " + plan_id_ + " is being reloaded after a storage error"));
    return;
  }
  if (loaded_) {
    then(Status::OK());
    return;
  }
  load_waiters_.push_back(std::move(then));
  if (loading_) return;
  loading_ = true;
  asio::post(server_->blocking_pool(),
             [self = shared_from_this(),
              guard = asio::make_work_guard(server_->io_context())]() mutable {
               auto result = std::make_shared<LoadResult>(
                   LoadPlan(self->server_->store(), self->plan_id_));
               asio::post(self->strand_, [self, result] {
                 self->FinishLoad(std::move(result->status),
                                  std::move(result->replica),
                                  result->last_seq, result->last_time_ms,
                                  std::move(result->users));
               });
               guard.reset();
             });
}

void Room::FinishLoad(Status status, std::unique_ptr<Replica> replica,
                      uint64_t last_seq, int64_t last_time_ms,
                      std::map<ReplicaId, std::string> users) {
  loading_ = false;
  if (status.ok()) {
    last_seq_ = last_seq;
    last_time_ms_ = last_time_ms;
    replica_users_ = std::move(users);
    text_chars_ = replica->TotalTextChars();
    const ServerConfig& cfg = server_->config();
    pipeline_ = std::make_unique<AppendPipeline>(
        replica->version(),
        AppendPipeline::Limits{cfg.max_pending_batches, cfg.max_pending_ops});
    replica_ = std::move(replica);
    loaded_ = true;
    LogEvent({{"event", "plan_loaded"}, {"plan", plan_id_}, {"seq", last_seq_}});
  } else if (status.code() != Status::Code::kNotFound) {
    LogEvent({{"event", "plan_load_failed"},
              {"plan", plan_id_},
              {"error", status.ToString()}});
  }
  std::vector<std::function<void(Status)>> waiters;
  waiters.swap(load_waiters_);
  for (auto& then : waiters) then(status);
  MaybeUnload();
}

void Room::SendError(const SessionPtr& s, std::string_view code,
                     std::string_view message, std::string_view ref) {
  server_->metrics().errors_sent_total.fetch_add(1);
  s->Send(Shared(proto::MakeError(code, message, ref)));
}

void Room::Broadcast(const std::shared_ptr<const std::string>& msg,
                     const WebsocketSession* except) {
  for (auto& [ptr, m] : members_) {
    if (ptr != except) m.session->Send(msg);
  }
}

std::string Room::PresenceOf(const Member& m) const {
  return proto::MakePresence(proto::MakePresenceEntry(
      m.session_id, m.user, m.municipality, RoleName(m.role), m.anchor,
      m.head, m.typing));
}

Result<ReplicaId> Room::ChooseReplica(const JoinRequest& req) {
  auto in_use = [&](ReplicaId id) {
    for (const auto& [ptr, m] : members_) {
      if (m.replica == id) return true;
    }
    return false;
  };
  if (req.replica) {
    const ReplicaId id = *req.replica;
    if (id < kFirstClientReplica) {
      return Status::InvalidArgument("replica ids below 2^32 are reserved");
    }
    if (in_use(id)) {
      return Status::FailedPrecondition("replica " + std::to_string(id) +
                                        " is in use by another session");
    }
    auto it = replica_users_.find(id);
    if (it == replica_users_.end() && replica_->version().Get(id) != 0) {
      // Its ops are older than the snapshot the room was loaded from: the
      // author of its first op in the log owns it; look it up first.
      return Status::NotFound("owner of replica " + std::to_string(id));
    }
    if (it != replica_users_.end() && it->second != req.user) {
      return Status::InvalidArgument("replica " + std::to_string(id) +
                                     " belongs to another user");
    }
    return id;
  }
  std::uniform_int_distribution<uint64_t> dist(kFirstClientReplica,
                                               proto::kMaxWireInteger);
  for (int attempt = 0; attempt < 64; ++attempt) {
    const ReplicaId id = dist(rng_);
    if (!in_use(id) && replica_users_.count(id) == 0 &&
        replica_->version().Get(id) == 0) {
      return id;
    }
  }
  return Status::FailedPrecondition("no free replica id");
}

void Room::Join(SessionPtr session, JoinRequest request) {
  asio::post(strand_, [self = shared_from_this(), session = std::move(session),
                       request = std::move(request)]() mutable {
    self->WhenLoaded([self, session = std::move(session),
                      request = std::move(request)](Status loaded) mutable {
      if (!loaded.ok()) {
        const bool missing = loaded.code() == Status::Code::kNotFound;
        self->SendError(session,
                        missing ? proto::kCodePlanNotFound
                                : proto::kCodeUnavailable,
                        missing ? "plan '" + self->plan_id_ + "' does not exist"
                                : loaded.ToString(),
                        request.ref);
        session->OnJoinFailed();
        self->MaybeUnload();
        return;
      }
      self->DoJoin(std::move(session), std::move(request));
    });
  });
}

void Room::LookUpOwnerThenJoin(SessionPtr session, JoinRequest request,
                               ReplicaId id) {
  owner_lookups_.push_back(session);  // keeps the room loaded meanwhile
  asio::post(
      server_->blocking_pool(),
      [self = shared_from_this(), session = std::move(session),
       request = std::move(request), id, last_seq = last_seq_,
       guard = asio::make_work_guard(server_->io_context())]() mutable {
        constexpr size_t kPage = 4096;
        std::string owner;
        Status status = Status::NotFound(
            "replica " + std::to_string(id) + " has no operation in the log");
        for (uint64_t from = 1; from <= last_seq; from += kPage) {
          std::vector<StoredOp> page;
          Status read = self->server_->store()->ReadRange(self->plan_id_, from,
                                                          kPage, &page);
          if (!read.ok()) {
            status = read;
            break;
          }
          auto it = std::find_if(
              page.begin(), page.end(),
              [&](const StoredOp& s) { return s.op.id.replica == id; });
          if (it != page.end()) {
            owner = it->user;
            status = Status::OK();
            break;
          }
          if (page.size() < kPage) break;
        }
        asio::post(self->strand_, [self, session = std::move(session),
                                   request = std::move(request), id, status,
                                   owner = std::move(owner)]() mutable {
          auto& d = self->owner_lookups_;
          auto it = std::find(d.begin(), d.end(), session);
          if (it == d.end()) {  // it left (or the room failed) meanwhile
            self->MaybeUnload();
            return;
          }
          d.erase(it);
          if (!status.ok()) {
            self->SendError(session, proto::kCodeReplicaInUse,
                            status.message(), request.ref);
            session->OnJoinFailed();
            self->MaybeUnload();
            return;
          }
          self->replica_users_.emplace(id, owner);
          self->DoJoin(std::move(session), std::move(request));
        });
        guard.reset();
      });
}

// A user rejoining with their own replica while the server still holds
// their previous session (a reloaded page whose socket is not closed yet, a
// laptop that changed networks and whose old connection has not timed
// out): the new session takes the replica over, the old one is told and
// closed. Its batches still in the pipeline are stored as usual; the new
// session re-sends them and is acked once they are (duplicates).
// Another user's session is never displaced (ChooseReplica refuses).
void Room::TakeOverReplica(ReplicaId id, const std::string& user) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    Member& m = it->second;
    if (m.replica != id || m.user != user) continue;
    SessionPtr old = m.session;
    RemoveMember(it);
    SendError(old, proto::kCodeReplicaTakenOver,
              "replica " + std::to_string(id) +
                  " was taken over by a newer session of the same user",
              "");
    old->Close(boost::beast::websocket::close_code::policy_error);
    return;
  }
}

void Room::RemoveMember(MemberMap::iterator it) {
  const std::string session_id = it->second.session_id;
  members_.erase(it);
  Broadcast(Shared(proto::MakePresenceLeft(session_id)), nullptr);
}

void Room::DoJoin(SessionPtr session, JoinRequest req) {
  if (members_.count(session.get()) != 0) {
    SendError(session, proto::kCodeAlreadyJoined, "already joined this plan",
              req.ref);
    return;
  }
  if (req.replica) TakeOverReplica(*req.replica, req.user);
  Result<ReplicaId> replica = ChooseReplica(req);
  if (!replica.ok() && replica.status().code() == Status::Code::kNotFound) {
    const ReplicaId id = *req.replica;
    LookUpOwnerThenJoin(std::move(session), std::move(req), id);
    return;
  }
  if (!replica.ok()) {
    SendError(session, proto::kCodeReplicaInUse, replica.status().message(),
              req.ref);
    session->OnJoinFailed();
    MaybeUnload();
    return;
  }
  std::vector<Op> ops;
  size_t sent_ops = 0;
  std::string snapshot;
  // For "encoding": "binary": Base64Encode(EncodeOps(ops)), which a fresh
  // join (empty version) takes from fresh_join_ops_ while the durable
  // version is the one it was made at.
  const bool binary = req.encoding == proto::OpsEncoding::kBinary;
  const bool fresh = binary && req.version.empty();
  std::shared_ptr<const std::string> encoded;
  if (fresh && fresh_join_ops_ && fresh_join_version_ == pipeline_->durable()) {
    encoded = fresh_join_ops_;
    sent_ops = fresh_join_op_count_;
  } else if (Status since = replica_->OpsSince(req.version, &ops); since.ok()) {
    ops = pipeline_->DurableOnly(std::move(ops));
    sent_ops = ops.size();
    if (binary) {
      encoded = std::make_shared<const std::string>(
          proto::Base64Encode(EncodeOps(ops)));
      if (fresh) {
        fresh_join_ops_ = encoded;
        fresh_join_op_count_ = ops.size();
        fresh_join_version_ = pipeline_->durable();
      }
    }
  } else {
    // The client is older than the replica's history (loaded from a
    // snapshot): send a snapshot, which must not hold non-durable ops.
    ops.clear();
    if (Busy()) {
      deferred_joins_.emplace_back(std::move(session), std::move(req));
      return;
    }
    snapshot = replica_->EncodeSnapshot();
  }
  nlohmann::json peers = nlohmann::json::array();
  for (const auto& [ptr, m] : members_) {
    peers.push_back(proto::MakePresenceEntry(m.session_id, m.user,
                                             m.municipality, RoleName(m.role),
                                             m.anchor, m.head, m.typing));
  }
  Member m;
  m.session = session;
  m.session_id = req.session_id;
  m.user = req.user;
  m.municipality = req.municipality;
  m.role = req.role;
  m.replica = *replica;
  session->Send(Shared(
      encoded ? proto::MakeJoinedBinary(plan_id_, RoleName(req.role), *replica,
                                        last_seq_, pipeline_->durable(),
                                        *encoded, peers, req.ref)
              : proto::MakeJoined(plan_id_, RoleName(req.role), *replica,
                                  last_seq_, pipeline_->durable(), ops,
                                  snapshot, peers, req.ref)));
  const std::string presence = PresenceOf(m);
  members_.emplace(session.get(), std::move(m));
  Broadcast(Shared(presence), session.get());
  LogEvent({{"event", "join"},
            {"plan", plan_id_},
            {"session", req.session_id},
            {"user", req.user},
            {"role", RoleName(req.role)},
            {"replica", *replica},
            {"sent_ops", sent_ops},
            {"sent_snapshot", !snapshot.empty()}});
}

void Room::Leave(SessionPtr session, bool reply, std::string ref) {
  asio::post(strand_, [self = shared_from_this(), session = std::move(session),
                       reply, ref = std::move(ref)] {
    for (auto it = self->deferred_joins_.begin();
         it != self->deferred_joins_.end(); ++it) {
      if (it->first == session) {
        self->deferred_joins_.erase(it);
        break;
      }
    }
    auto& lookups = self->owner_lookups_;
    lookups.erase(std::remove(lookups.begin(), lookups.end(), session),
                  lookups.end());
    auto it = self->members_.find(session.get());
    if (it != self->members_.end()) self->RemoveMember(it);
    if (reply) session->Send(Shared(proto::MakeLeft(self->plan_id_, ref)));
    self->MaybeUnload();
  });
}

void Room::UpdatePresence(SessionPtr session, std::optional<Anchor> anchor,
                          std::optional<Anchor> head, bool typing) {
  asio::post(strand_, [self = shared_from_this(), session = std::move(session),
                       anchor = std::move(anchor), head = std::move(head),
                       typing]() mutable {
    auto it = self->members_.find(session.get());
    if (it == self->members_.end()) {
      self->SendError(session, proto::kCodeNotJoined, "join a plan first", "");
      return;
    }
    // Shown to everyone: each end must name what the plan has (a node, a
    // text field of its kind, a character of that text), like any op field.
    for (const std::optional<Anchor>* end : {&anchor, &head}) {
      if (!*end) continue;
      Result<AnchorPosition> at = self->replica_->Resolve(**end);
      if (!at.ok()) {
        self->SendError(session, proto::kCodeBadMessage,
                        std::string(end == &anchor ? "presence anchor: "
                                                   : "presence head: ") +
                            at.status().ToString() +
                            " (send presence after the ops it refers to)",
                        "");
        return;
      }
    }
    it->second.anchor = std::move(anchor);
    it->second.head = std::move(head);
    it->second.typing = typing;
    self->Broadcast(Shared(self->PresenceOf(it->second)), session.get());
  });
}

void Room::SubmitOps(SessionPtr session, std::string ref, std::vector<Op> ops,
                     Clock::time_point received) {
  asio::post(strand_, [self = shared_from_this(), session = std::move(session),
                       ref = std::move(ref), ops = std::move(ops),
                       received]() mutable {
    self->DoSubmit(session, ref, std::move(ops), received);
  });
}

int64_t Room::AuthorTime() {
  last_time_ms_ = std::max(NowMs(), last_time_ms_);
  return last_time_ms_;
}

void Room::DoSubmit(const SessionPtr& session, const std::string& ref,
                    std::vector<Op> ops, Clock::time_point received) {
  Metrics& metrics = server_->metrics();
  auto it = members_.find(session.get());
  if (it == members_.end()) {
    metrics.ops_rejected_total.fetch_add(ops.size());
    SendError(session, proto::kCodeNotJoined, "join a plan first", ref);
    return;
  }
  if (poisoned_ || !loaded_) {
    metrics.ops_rejected_total.fetch_add(ops.size());
    SendError(session, proto::kCodeUnavailable,
              "plan is being reloaded; rejoin", ref);
    return;
  }
  const Member& m = it->second;
  if (!pipeline_->HasRoom(ops.size())) {
    metrics.ops_rejected_total.fetch_add(ops.size());
    SendError(session, proto::kCodeUnavailable,
              "the plan has too many operations waiting for storage; "
              "re-send this batch later",
              ref);
    return;
  }
  Replica& replica = *replica_;
  const ServerConfig& cfg = server_->config();
  AppendPipeline::Batch batch;
  batch.ticket = next_ticket_++;
  batch.replica = m.replica;
  Reply reply{session, ref, 0, received};
  const Author author{m.user, m.municipality, AuthorTime()};
  // The causal rule's clock bound: the plan's clock plus the units this
  // batch may add (ops whose shape is bad count nothing and fail anyway).
  uint64_t batch_units = 0;
  for (const Op& op : ops) {
    if (CheckOpShape(op).ok()) batch_units += op.Length();
  }
  const uint64_t max_lamport = replica.max_lamport() + batch_units;
  uint64_t nodes = replica.tree().node_count();
  std::string code, message;
  size_t failed_at = ops.size();
  for (size_t i = 0; i < ops.size(); ++i) {
    Op& op = ops[i];
    const std::string where =
        "operation " + std::to_string(i) + " (" + op.id.ToString() + ")";
    auto fail = [&](std::string_view c, const std::string& why) {
      code = c;
      message = where + ": " + why;
      failed_at = i;
    };
    if (op.id.replica != m.replica) {
      fail(proto::kCodeForbidden,
           "this session writes as replica " + std::to_string(m.replica));
      break;
    }
    Status shape = CheckOpShape(op);
    if (!shape.ok()) {
      fail(proto::kCodeInvalidOp, shape.ToString());
      break;
    }
    const uint64_t known = replica.version().Get(op.id.replica);
    if (op.LastId().counter <= known) {
      // Acked only once stored, like the first copy (which may still be on
      // its way to storage).
      batch.await_counter = std::max(batch.await_counter, op.LastId().counter);
      ++reply.duplicates;
      continue;
    }
    if (op.id.counter <= known) {
      op = SliceOpFrom(op, known - op.id.counter + 1);
    }
    Status causal = replica.CheckRemoteOp(op, max_lamport);
    if (!causal.ok()) {
      fail(causal.code() == Status::Code::kNotFound ? proto::kCodeMissingDeps
                                                    : proto::kCodeInvalidOp,
           causal.ToString());
      break;
    }
    op.author = author;
    Status allowed = CheckOpPermission(replica, op, m.role, m.municipality);
    if (!allowed.ok()) {
      fail(proto::kCodeForbidden, allowed.message());
      break;
    }
    if (op.kind == OpKind::kInsertText &&
        text_chars_ + op.Length() > cfg.max_plan_chars) {
      fail(proto::kCodeQuotaExceeded,
           "the plan would pass its limit of " +
               std::to_string(cfg.max_plan_chars) +
               " characters (deleted ones count: they stay in the history)");
      break;
    }
    if (op.kind == OpKind::kCreateNode && nodes + 1 > cfg.max_plan_nodes) {
      fail(proto::kCodeQuotaExceeded,
           "the plan would pass its limit of " +
               std::to_string(cfg.max_plan_nodes) + " nodes");
      break;
    }
    const size_t pending_before = replica.pending_count();
    Status applied = replica.Apply(op);
    if (!applied.ok()) {
      fail(proto::kCodeInvalidOp, applied.ToString());
      break;
    }
    if (replica.pending_count() != pending_before ||
        !replica.version().Includes(op.LastId())) {
      // CheckRemoteOp rules this out; were it to happen, the replica would
      // hold an op it may apply later without our checks, so reload it.
      Poison("operation " + op.id.ToString() + " was held back");
      return;
    }
    if (op.kind == OpKind::kInsertText) text_chars_ += op.Length();
    if (op.kind == OpKind::kCreateNode) ++nodes;
    batch.await_counter = std::max(batch.await_counter, op.LastId().counter);
    batch.ops.push_back(std::move(op));
  }
  // The replica id is this user's from its first accepted op on (ids that
  // never wrote anything are not remembered).
  if (!batch.ops.empty()) replica_users_.emplace(m.replica, m.user);
  if (failed_at < ops.size()) {
    const size_t rejected = ops.size() - failed_at;
    metrics.ops_rejected_total.fetch_add(rejected);
    SendError(session, code,
              message + (rejected > 1 ? " (this and the " +
                                            std::to_string(rejected - 1) +
                                            " after it were rejected)"
                                      : ""),
              ref);
    LogEvent({{"event", "ops_rejected"},
              {"plan", plan_id_},
              {"session", m.session_id},
              {"user", m.user},
              {"municipality", m.municipality},
              {"role", RoleName(m.role)},
              {"code", code},
              {"op_index", failed_at},
              {"rejected", rejected}});
    // The ops before the failing one are accepted and acked once stored.
    if (batch.ops.empty()) return;
  }
  replies_.emplace(batch.ticket, std::move(reply));
  pipeline_->Add(std::move(batch));
  StartAppends();
  AnswerDone();
}

void Room::StartAppends() {
  std::optional<AppendPipeline::Launch> launch = pipeline_->TakeLaunch();
  if (!launch) return;
  server_->AppendStarted();
  // The pool runs the blocking Append; the work guard keeps the io_context
  // running (also during shutdown) until the result is back on the strand.
  asio::post(server_->blocking_pool(),
             [self = shared_from_this(), ops = std::move(launch->ops),
              guard = asio::make_work_guard(server_->io_context())]() mutable {
               if (const int delay =
                       self->server_->config().test_append_delay_ms) {
                 std::this_thread::sleep_for(std::chrono::milliseconds(delay));
               }
               AppendContext who;
               who.op_authors = true;  // each batch's own, set in DoSubmit
               std::vector<StoredOp> stored;
               Status s = self->server_->store()->Append(self->plan_id_, ops,
                                                         who, &stored);
               asio::post(self->strand_, [self, s = std::move(s),
                                          stored = std::move(stored)]() mutable {
                 self->FinishAppend(std::move(s), std::move(stored));
               });
               guard.reset();
             });
}

void Room::FinishAppend(Status status, std::vector<StoredOp> stored) {
  server_->AppendFinished();
  Status s = pipeline_->Finish(status, std::move(stored));
  if (!s.ok()) {
    server_->metrics().append_failures_total.fetch_add(1);
    AnswerDone();
    for (const AppendPipeline::Batch& b : pipeline_->FailAll()) {
      auto r = replies_.find(b.ticket);
      if (r == replies_.end()) continue;
      if (SessionPtr sender = r->second.sender.lock()) {
        SendError(sender, proto::kCodeStorage,
                  "operations were not stored: " + s.ToString(),
                  r->second.ref);
      }
      replies_.erase(r);
    }
    if (!poisoned_) Poison("append failed: " + s.ToString());
    return;
  }
  AnswerDone();
  if (SnapshotScheduler* snapshots = server_->snapshots()) {
    snapshots->NoteAppended(plan_id_, last_seq_);
  }
  if (CheckpointScheduler* checkpoints = server_->checkpoints()) {
    checkpoints->NoteAppended(plan_id_, last_seq_);
  }
  if (poisoned_) {
    MaybeUnload();
    return;
  }
  StartAppends();
  if (!Busy()) {
    std::vector<std::pair<SessionPtr, JoinRequest>> joins;
    joins.swap(deferred_joins_);
    for (auto& [session, request] : joins) {
      DoJoin(std::move(session), std::move(request));
    }
  }
  MaybeUnload();
}

void Room::AnswerDone() {
  Metrics& metrics = server_->metrics();
  for (AppendPipeline::Done& done : pipeline_->TakeDone()) {
    auto r = replies_.find(done.batch.ticket);
    Reply reply = std::move(r->second);
    replies_.erase(r);
    SessionPtr sender = reply.sender.lock();
    const size_t n = done.stored.size();
    if (n == 0) {
      // Only duplicates, all stored by now.
      if (sender) {
        sender->Send(Shared(proto::MakeAck(reply.ref, last_seq_, last_seq_, 0,
                                           reply.duplicates)));
      }
      continue;
    }
    last_seq_ = std::max(last_seq_, done.last_seq);
    metrics.CountAcceptedOps(n);
    if (sender) {
      sender->Send(Shared(proto::MakeAck(reply.ref, done.first_seq,
                                         done.last_seq, n, reply.duplicates)));
    }
    Broadcast(Shared(proto::MakeOpsBroadcast(done.first_seq, done.last_seq,
                                             done.stored)),
              sender.get());
    metrics.ObserveBroadcastLatency(
        std::chrono::duration<double>(Clock::now() - reply.received).count());
  }
}

void Room::Poison(const std::string& why) {
  poisoned_ = true;
  LogEvent({{"event", "plan_poisoned"}, {"plan", plan_id_}, {"error", why}});
  for (auto& [ptr, m] : members_) {
    m.session->OnJoinFailed();
    m.session->Close(boost::beast::websocket::close_code::internal_error);
  }
  members_.clear();
  for (auto& [session, request] : deferred_joins_) {
    SendError(session, proto::kCodeUnavailable, "plan is being reloaded",
              request.ref);
    session->OnJoinFailed();
  }
  deferred_joins_.clear();
  for (const SessionPtr& session : owner_lookups_) {
    SendError(session, proto::kCodeUnavailable, "plan is being reloaded", "");
    session->OnJoinFailed();
  }
  owner_lookups_.clear();
  for (const AppendPipeline::Batch& b : pipeline_->FailAll()) {
    replies_.erase(b.ticket);
  }
  MaybeUnload();
}

void Room::MaybeUnload() {
  if (!members_.empty() || Busy() || !deferred_joins_.empty() ||
      !owner_lookups_.empty() || loading_) {
    return;
  }
  server_->UnloadIfUnused(this);
}

void Room::ScheduleUnloadCheck() {
  asio::post(strand_, [self = shared_from_this()] { self->MaybeUnload(); });
}

void Room::QueryReview(SessionPtr session, std::string ref,
                       proto::ReviewQuery query) {
  asio::post(strand_, [self = shared_from_this(), session = std::move(session),
                       ref = std::move(ref),
                       query = std::move(query)]() mutable {
    auto it = self->members_.find(session.get());
    if (it == self->members_.end()) {
      self->SendError(session, proto::kCodeNotJoined, "join a plan first",
                      ref);
      return;
    }
    if (self->poisoned_ || !self->loaded_) {
      self->SendError(session, proto::kCodeUnavailable,
                      "plan is being reloaded; rejoin", ref);
      return;
    }
    query.viewer_user = it->second.user;
    query.viewer_municipality = it->second.municipality;
    Result<std::string> answer =
        proto::RunReviewQueryText(*self->replica_, query);
    if (!answer.ok()) {
      self->SendError(session, proto::kCodeBadMessage,
                      answer.status().message(), ref);
      return;
    }
    session->Send(
        Shared(proto::MakeReviewText(*answer, self->last_seq_, ref)));
  });
}

void Room::RenderReview(proto::ReviewQuery query,
                        std::function<void(int, std::string)> done) {
  asio::post(strand_, [self = shared_from_this(), query = std::move(query),
                       done = std::move(done)] {
    self->WhenLoaded([self, query, done](Status loaded) {
      auto error = [&](int status, std::string_view code,
                       const std::string& message) {
        nlohmann::json err = {
            {"error", {{"code", code}, {"message", message}}}};
        done(status, proto::Dump(err));
      };
      if (!loaded.ok()) {
        const bool missing = loaded.code() == Status::Code::kNotFound;
        if (missing) {
          error(404, proto::kCodePlanNotFound,
                "plan '" + self->plan_id_ + "' does not exist");
        } else {
          error(503, proto::kCodeUnavailable, loaded.ToString());
        }
        self->MaybeUnload();
        return;
      }
      Result<std::string> answer =
          proto::RunReviewQueryText(*self->replica_, query);
      if (!answer.ok()) {
        error(400, "bad_request", answer.status().message());
      } else {
        // {"plan", "seq", then the answer's members}.
        std::string body = proto::Dump(nlohmann::json{
            {"plan", self->plan_id_}, {"seq", self->last_seq_}});
        body.pop_back();
        body += ',';
        body += std::string_view(*answer).substr(1);
        done(200, std::move(body));
      }
      self->MaybeUnload();
    });
  });
}

void Room::RenderState(std::function<void(int, std::string)> done) {
  asio::post(strand_, [self = shared_from_this(), done = std::move(done)] {
    self->WhenLoaded([self, done = std::move(done)](Status loaded) {
      if (!loaded.ok()) {
        const bool missing = loaded.code() == Status::Code::kNotFound;
        nlohmann::json err = {
            {"error",
             {{"code",
               missing ? proto::kCodePlanNotFound : proto::kCodeUnavailable},
              {"message", missing ? "plan '" + self->plan_id_ +
                                        "' does not exist"
                                  : loaded.ToString()}}}};
        done(missing ? 404 : 503, proto::Dump(err));
        self->MaybeUnload();
        return;
      }
      nlohmann::json j = proto::PlanStateToJson(*self->replica_);
      j["plan"] = self->plan_id_;
      j["seq"] = self->last_seq_;
      done(200, proto::Dump(j));
      self->MaybeUnload();
    });
  });
}

}  // namespace samplan
