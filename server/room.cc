#include "server/room.h"

#include <boost/asio/post.hpp>
#include <chrono>

#include "protocol/messages.h"
#include "protocol/plan_state.h"
#include "server/event_log.h"
#include "server/permissions.h"
#include "server/server.h"
#include "server/websocket_session.h"
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

Status Room::EnsureLoaded() {
  if (poisoned_) {
    return Status::FailedPrecondition("plan " + plan_id_ +
                                      " is being reloaded after a storage error");
  }
  if (loaded_) return Status::OK();
  LoadedPlan plan;
  SAMPLAN_RETURN_IF_ERROR(server_->store()->Load(plan_id_, &plan));
  std::unique_ptr<Replica> replica;
  if (!plan.snapshot.empty()) {
    Result<std::unique_ptr<Replica>> r =
        Replica::DecodeSnapshot(plan.snapshot, kServerReplica);
    if (!r.ok()) return r.status();
    replica = std::move(*r);
  } else {
    replica = std::make_unique<Replica>(kServerReplica);
  }
  for (const StoredOp& s : plan.tail) {
    Status st = replica->Apply(s.op);
    if (!st.ok()) {
      return Status::Corruption("plan " + plan_id_ + " seq " +
                                std::to_string(s.seq) +
                                " does not apply: " + st.message());
    }
    if (s.op.id.replica >= kFirstClientReplica) {
      replica_users_[s.op.id.replica] = s.user;
    }
  }
  if (replica->pending_count() != 0) {
    return Status::Corruption("plan " + plan_id_ +
                              " has operations with missing dependencies");
  }
  for (const Op& op : replica->log()) {
    if (op.id.replica >= kFirstClientReplica) {
      replica_users_.emplace(op.id.replica, op.author.user);
    }
  }
  last_seq_ = plan.tail.empty() ? plan.snapshot_seq : plan.tail.back().seq;
  if (last_seq_ < plan.info.last_seq) last_seq_ = plan.info.last_seq;
  durable_ = replica->version();
  replica_ = std::move(replica);
  loaded_ = true;
  LogEvent({{"event", "plan_loaded"},
            {"plan", plan_id_},
            {"seq", last_seq_},
            {"ops_in_tail", plan.tail.size()}});
  return Status::OK();
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
      m.typing));
}

Status Room::FindReplicaOwner(ReplicaId id, std::string* owner) {
  constexpr size_t kPage = 4096;
  for (uint64_t from = 1; from <= last_seq_; from += kPage) {
    std::vector<StoredOp> page;
    SAMPLAN_RETURN_IF_ERROR(
        server_->store()->ReadRange(plan_id_, from, kPage, &page));
    for (const StoredOp& s : page) {
      if (s.op.id.replica == id) {
        *owner = s.user;
        return Status::OK();
      }
    }
    if (page.size() < kPage) break;
  }
  return Status::NotFound("replica " + std::to_string(id) +
                          " has no operation in the log");
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
    if (it != replica_users_.end() && it->second != req.user) {
      return Status::InvalidArgument("replica " + std::to_string(id) +
                                     " belongs to another user");
    }
    if (it == replica_users_.end() && replica_->version().Get(id) != 0) {
      // Its ops are older than the snapshot the room was loaded from: the
      // author of its first op in the log owns it.
      std::string owner;
      SAMPLAN_RETURN_IF_ERROR(FindReplicaOwner(id, &owner));
      replica_users_.emplace(id, owner);
      if (owner != req.user) {
        return Status::InvalidArgument("replica " + std::to_string(id) +
                                       " belongs to another user");
      }
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
    Status loaded = self->EnsureLoaded();
    if (!loaded.ok()) {
      const bool missing = loaded.code() == Status::Code::kNotFound;
      self->SendError(session,
                      missing ? proto::kCodePlanNotFound
                              : proto::kCodeUnavailable,
                      missing ? "plan '" + self->plan_id_ + "' does not exist"
                              : loaded.ToString(),
                      request.ref);
      if (!missing) {
        LogEvent({{"event", "plan_load_failed"},
                  {"plan", self->plan_id_},
                  {"error", loaded.ToString()}});
      }
      session->OnJoinFailed();
      self->MaybeUnload();
      return;
    }
    self->DoJoin(std::move(session), std::move(request));
  });
}

void Room::DoJoin(SessionPtr session, JoinRequest req) {
  if (members_.count(session.get()) != 0) {
    SendError(session, proto::kCodeAlreadyJoined, "already joined this plan",
              req.ref);
    return;
  }
  Result<ReplicaId> replica = ChooseReplica(req);
  if (!replica.ok()) {
    SendError(session, proto::kCodeReplicaInUse, replica.status().message(),
              req.ref);
    session->OnJoinFailed();
    MaybeUnload();
    return;
  }
  std::vector<Op> ops;
  std::string snapshot;
  Status since = replica_->OpsSince(req.version, &ops);
  if (since.ok()) {
    ops = DurableOnly(std::move(ops));
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
                                             m.anchor, m.typing));
  }
  Member m;
  m.session = session;
  m.session_id = req.session_id;
  m.user = req.user;
  m.municipality = req.municipality;
  m.role = req.role;
  m.replica = *replica;
  session->Send(Shared(proto::MakeJoined(plan_id_, RoleName(req.role), *replica,
                                         last_seq_, durable_, ops,
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
            {"sent_ops", ops.size()},
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
    auto it = self->members_.find(session.get());
    if (it != self->members_.end()) {
      const std::string id = it->second.session_id;
      self->members_.erase(it);
      self->Broadcast(Shared(proto::MakePresenceLeft(id)), nullptr);
    }
    if (reply) session->Send(Shared(proto::MakeLeft(self->plan_id_, ref)));
    self->MaybeUnload();
  });
}

void Room::UpdatePresence(SessionPtr session, std::optional<Anchor> anchor,
                          bool typing) {
  asio::post(strand_, [self = shared_from_this(), session = std::move(session),
                       anchor = std::move(anchor), typing]() mutable {
    auto it = self->members_.find(session.get());
    if (it == self->members_.end()) {
      self->SendError(session, proto::kCodeNotJoined, "join a plan first", "");
      return;
    }
    it->second.anchor = std::move(anchor);
    it->second.typing = typing;
    self->Broadcast(Shared(self->PresenceOf(it->second)), session.get());
  });
}

void Room::SubmitOps(SessionPtr session, std::string ref, std::vector<Op> ops,
                     Clock::time_point received) {
  asio::post(strand_, [self = shared_from_this(), session = std::move(session),
                       ref = std::move(ref), ops = std::move(ops),
                       received]() mutable {
    Metrics& metrics = self->server_->metrics();
    auto it = self->members_.find(session.get());
    if (it == self->members_.end()) {
      metrics.ops_rejected_total.fetch_add(ops.size());
      self->SendError(session, proto::kCodeNotJoined, "join a plan first", ref);
      return;
    }
    if (self->poisoned_ || !self->loaded_) {
      metrics.ops_rejected_total.fetch_add(ops.size());
      self->SendError(session, proto::kCodeUnavailable,
                      "plan is being reloaded; rejoin", ref);
      return;
    }
    const Member& m = it->second;
    Replica& replica = *self->replica_;
    Batch batch;
    batch.sender = session;
    batch.replica = m.replica;
    batch.ref = ref;
    batch.user = m.user;
    batch.municipality = m.municipality;
    batch.time_ms = NowMs();
    batch.received = received;
    const Author author{m.user, m.municipality, batch.time_ms};
    std::string code, message;
    size_t failed_at = ops.size();
    for (size_t i = 0; i < ops.size(); ++i) {
      Op& op = ops[i];
      const std::string where =
          "operation " + std::to_string(i) + " (" + op.id.ToString() + ")";
      if (op.id.replica != m.replica) {
        code = proto::kCodeForbidden;
        message = where + ": this session writes as replica " +
                  std::to_string(m.replica);
        failed_at = i;
        break;
      }
      const uint64_t known = replica.version().Get(op.id.replica);
      if (op.LastId().counter <= known) {
        ++batch.duplicates;
        continue;
      }
      if (op.id.counter > known + 1) {
        code = proto::kCodeMissingDeps;
        message = where + ": operations " + std::to_string(op.id.replica) +
                  ":" + std::to_string(known + 1) + ".." +
                  std::to_string(op.id.counter - 1) + " are missing";
        failed_at = i;
        break;
      }
      if (op.id.counter <= known) {
        op = SliceOpFrom(op, known - op.id.counter + 1);
      }
      bool deps_ok = true;
      for (const OpId& dep : op.deps) {
        if (!replica.version().Includes(dep)) {
          code = proto::kCodeMissingDeps;
          message = where + ": dependency " + dep.ToString() +
                    " is unknown to the server";
          deps_ok = false;
          break;
        }
      }
      if (!deps_ok) {
        failed_at = i;
        break;
      }
      op.author = author;
      Status allowed = CheckOpPermission(replica, op, m.role, m.municipality);
      if (!allowed.ok()) {
        code = proto::kCodeForbidden;
        message = where + ": " + allowed.message();
        failed_at = i;
        break;
      }
      const size_t pending_before = replica.pending_count();
      Status applied = replica.Apply(op);
      if (!applied.ok()) {
        code = proto::kCodeInvalidOp;
        message = where + ": " + applied.ToString();
        failed_at = i;
        break;
      }
      if (replica.pending_count() != pending_before ||
          !replica.version().Includes(op.LastId())) {
        // Cannot happen after the checks above; the replica now holds an
        // op it may apply later without our checks, so reload it.
        self->Poison("operation " + op.id.ToString() + " was held back");
        return;
      }
      batch.ops.push_back(std::move(op));
    }
    // The replica id is this user's from its first accepted op on (ids
    // that never wrote anything are not remembered).
    if (!batch.ops.empty()) self->replica_users_.emplace(m.replica, m.user);
    if (failed_at < ops.size()) {
      const size_t rejected = ops.size() - failed_at;
      metrics.ops_rejected_total.fetch_add(rejected);
      self->SendError(session, code,
                      message + (rejected > 1
                                     ? " (this and the " +
                                           std::to_string(rejected - 1) +
                                           " after it were rejected)"
                                     : ""),
                      ref);
      LogEvent({{"event", "ops_rejected"},
                {"plan", self->plan_id_},
                {"session", m.session_id},
                {"user", m.user},
                {"municipality", m.municipality},
                {"role", RoleName(m.role)},
                {"code", code},
                {"op_index", failed_at},
                {"rejected", rejected}});
    }
    if (batch.ops.empty()) {
      if (failed_at == ops.size()) {
        session->Send(Shared(proto::MakeAck(ref, self->last_seq_,
                                            self->last_seq_, 0,
                                            batch.duplicates)));
      }
      return;
    }
    self->queue_.push_back(std::move(batch));
    self->StartAppends();
  });
}

std::vector<Op> Room::DurableOnly(std::vector<Op> ops) const {
  if (!Busy()) return ops;
  std::vector<Op> out;
  out.reserve(ops.size());
  for (Op& op : ops) {
    const uint64_t have = durable_.Get(op.id.replica);
    if (op.id.replica == 0 || op.LastId().counter <= have) {
      out.push_back(std::move(op));
    } else if (op.id.counter <= have) {
      out.push_back(SliceOpTo(op, have - op.id.counter + 1));
    }
  }
  return out;
}

bool Room::Launchable(const Batch& b) const {
  if (replicas_in_flight_.count(b.replica) != 0) return false;
  if (in_flight_.empty()) return true;
  auto ok = [&](OpId id) {
    return id.replica == b.replica || durable_.Includes(id);
  };
  for (const Op& op : b.ops) {
    for (const OpId& d : op.deps) {
      if (!ok(d)) return false;
    }
    for (const OpId& d : op.supersedes) {
      if (!ok(d)) return false;
    }
    for (OpId id : {op.node, op.parent, op.left, op.right, op.target, op.column}) {
      if (!ok(id)) return false;
    }
    for (const IdSpan& s : op.spans) {
      if (s.length > 0 && !ok(OpId{s.replica, s.counter + s.length - 1})) {
        return false;
      }
    }
  }
  return true;
}

void Room::StartAppends() {
  while (!queue_.empty() && Launchable(queue_.front())) {
    // This batch and the consecutive ones of the same sender, as one append.
    std::vector<Batch> group;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
    while (!queue_.empty() && queue_.front().replica == group[0].replica) {
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    std::vector<Op> ops;
    for (const Batch& b : group) ops.insert(ops.end(), b.ops.begin(), b.ops.end());
    const uint64_t launch = next_launch_++;
    ++replicas_in_flight_[group[0].replica];
    AppendContext who{group[0].user, group[0].municipality, group[0].time_ms};
    in_flight_.emplace(launch, std::move(group));
    server_->AppendStarted();
    // The pool runs the blocking Append; the work guard keeps the
    // io_context running (also during shutdown) until the result is back
    // on the strand.
    asio::post(server_->blocking_pool(),
               [self = shared_from_this(), launch, ops = std::move(ops), who,
                guard = asio::make_work_guard(server_->io_context())]() mutable {
                 std::vector<StoredOp> stored;
                 Status s = self->server_->store()->Append(self->plan_id_, ops,
                                                           who, &stored);
                 asio::post(self->strand_, [self, launch, s = std::move(s),
                                            stored = std::move(stored)]() mutable {
                   self->FinishAppend(launch, std::move(s), std::move(stored));
                 });
                 guard.reset();
               });
  }
}

void Room::FinishAppend(uint64_t launch, Status status,
                        std::vector<StoredOp> stored) {
  server_->AppendFinished();
  auto it = in_flight_.find(launch);
  std::vector<Batch> group = std::move(it->second);
  in_flight_.erase(it);
  if (--replicas_in_flight_[group[0].replica] == 0) {
    replicas_in_flight_.erase(group[0].replica);
  }
  size_t total = 0;
  for (const Batch& b : group) total += b.ops.size();
  Metrics& metrics = server_->metrics();
  if (!status.ok() || stored.size() != total) {
    metrics.append_failures_total.fetch_add(1);
    for (const Batch& b : group) {
      if (SessionPtr sender = b.sender.lock()) {
        SendError(sender, proto::kCodeStorage,
                  "operations were not stored: " + status.ToString(), b.ref);
      }
    }
    Poison("append failed: " + status.ToString());
    return;
  }
  size_t at = 0;
  for (Batch& batch : group) {
    SessionPtr sender = batch.sender.lock();
    const size_t n = batch.ops.size();
    std::vector<Op> ops;
    ops.reserve(n);
    for (size_t k = at; k < at + n; ++k) {
      const Op& op = stored[k].op;
      durable_.Set(op.id.replica,
                   std::max(durable_.Get(op.id.replica), op.LastId().counter));
      ops.push_back(std::move(stored[k].op));
    }
    const uint64_t first = stored[at].seq, last = stored[at + n - 1].seq;
    at += n;
    last_seq_ = std::max(last_seq_, last);
    metrics.CountAcceptedOps(n);
    if (sender) {
      sender->Send(Shared(proto::MakeAck(batch.ref, first, last, n,
                                         batch.duplicates)));
    }
    Broadcast(Shared(proto::MakeOpsBroadcast(first, last, ops)), sender.get());
    metrics.ObserveBroadcastLatency(
        std::chrono::duration<double>(Clock::now() - batch.received).count());
  }
  if (SnapshotScheduler* snapshots = server_->snapshots()) {
    snapshots->NoteAppended(plan_id_, last_seq_);
  }
  if (poisoned_) return;
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
  queue_.clear();
  MaybeUnload();
}

void Room::MaybeUnload() {
  if (!members_.empty() || Busy() || !deferred_joins_.empty()) return;
  server_->UnloadIfUnused(this);
}

void Room::ScheduleUnloadCheck() {
  asio::post(strand_, [self = shared_from_this()] { self->MaybeUnload(); });
}

void Room::RenderState(std::function<void(int, std::string)> done) {
  asio::post(strand_, [self = shared_from_this(), done = std::move(done)] {
    Status loaded = self->EnsureLoaded();
    if (!loaded.ok()) {
      const bool missing = loaded.code() == Status::Code::kNotFound;
      nlohmann::json err = {
          {"error",
           {{"code", missing ? proto::kCodePlanNotFound : proto::kCodeUnavailable},
            {"message", missing ? "plan '" + self->plan_id_ + "' does not exist"
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
}

}  // namespace samplan
