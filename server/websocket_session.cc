#include "server/websocket_session.h"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "protocol/messages.h"
#include "server/event_log.h"
#include "server/room.h"
#include "server/server.h"

namespace samplan {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace proto = protocol;

namespace {

bool IsValidPlanName(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Bytes read per async_read_some: a message is assembled from chunks so
// its size is checked before it is all in memory.
constexpr size_t kReadChunk = 64 * 1024;
// Longest wait of one expiry timer (a token valid for years re-arms).
constexpr int64_t kMaxExpiryWaitS = 24 * 3600;

}  // namespace

WebsocketSession::WebsocketSession(asio::ip::tcp::socket&& socket,
                                   Server* server, std::string remote,
                                   std::optional<Claims> header_claims,
                                   std::unique_ptr<ConnectionSlot> slot)
    : server_(server),
      ws_(std::move(socket)),
      id_(server->NextSessionId()),
      remote_(std::move(remote)),
      auth_timer_(ws_.get_executor()),
      expiry_timer_(ws_.get_executor()),
      close_timer_(ws_.get_executor()),
      slot_(std::move(slot)),
      claims_(std::move(header_claims)) {
  tokens_ = server_->config().rate_burst;
  refill_ = std::chrono::steady_clock::now();
}

WebsocketSession::~WebsocketSession() = default;

void WebsocketSession::Run(http::request<http::string_body> req) {
  const ServerConfig& cfg = server_->config();
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeout;
  timeout.handshake_timeout = std::chrono::seconds(cfg.handshake_timeout_s);
  timeout.idle_timeout = std::chrono::seconds(cfg.idle_timeout_s);
  timeout.keep_alive_pings = true;
  ws_.set_option(timeout);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) {
        res.set(http::field::server, "samplan");
      }));
  // The session limits message size itself (ReadLimit, OnRead): Beast's
  // own limit fails the connection with a teardown that resets a client
  // still sending, and would also cut the drain of the close handshake.
  ws_.read_message_max(0);
  ws_.async_accept(req, beast::bind_front_handler(&WebsocketSession::OnAccept,
                                                  shared_from_this()));
}

void WebsocketSession::OnAccept(beast::error_code ec) {
  if (ec) {
    LogEvent({{"event", "ws_handshake_failed"},
              {"remote", remote_},
              {"error", ec.message()}});
    return;
  }
  registered_ = true;
  server_->RegisterSession(shared_from_this());
  server_->metrics().connections.fetch_add(1);
  server_->metrics().connections_total.fetch_add(1);
  LogEvent({{"event", "connect"},
            {"session", id_},
            {"remote", remote_},
            {"authenticated", claims_.has_value()}});
  if (server_->stopping()) {
    Close(websocket::close_code::going_away);
  }
  if (claims_) ArmExpiry();
  if (!claims_) {
    auth_timer_.expires_after(
        std::chrono::seconds(server_->config().auth_timeout_s));
    auth_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->claims_ || self->finished_) return;
      self->SendError(proto::kCodeNotAuthenticated,
                      "no auth message within the time limit", "");
      self->CloseNow(websocket::close_code::policy_error, "auth timeout");
    });
  }
  DoRead();
}

size_t WebsocketSession::ReadLimit() const {
  const size_t max = server_->config().max_message_bytes;
  return claims_ ? max : std::min(max, kPreAuthMessageBytes);
}

void WebsocketSession::DoRead() {
  // Never more than one byte past the limit in memory.
  const size_t limit = ReadLimit();
  const size_t room = limit + 1 - std::min(limit, buffer_.size());
  reading_ = true;
  ws_.async_read_some(buffer_, std::min(kReadChunk, room),
                      beast::bind_front_handler(&WebsocketSession::OnRead,
                                                shared_from_this()));
}

void WebsocketSession::OnRead(beast::error_code ec, size_t) {
  reading_ = false;
  if (ec) {
    if (ec == websocket::error::closed) {
      Finish(close_started_ ? close_reason_ : "closed by client");
    } else {
      Finish(ec.message().c_str());
    }
    return;
  }
  if (buffer_.size() > ReadLimit()) {
    // No further read: the close handshake reads (and discards) the rest
    // of this message and whatever follows until the client's close frame.
    server_->metrics().oversized_messages_total.fetch_add(1);
    buffer_.consume(buffer_.size());
    buffer_.shrink_to_fit();
    LogEvent({{"event", "message_rejected"},
              {"session", id_},
              {"code", "message_too_big"},
              {"limit", ReadLimit()}});
    CloseNow(websocket::close_code::too_big,
             "message too big (closed with 1009)");
    return;
  }
  if (!ws_.is_message_done()) {
    DoRead();
    return;
  }
  const std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  HandleMessage(text);
  if (!finished_) DoRead();
}

bool WebsocketSession::TakeToken() {
  const ServerConfig& cfg = server_->config();
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - refill_).count();
  refill_ = now;
  tokens_ = std::min(cfg.rate_burst, tokens_ + elapsed * cfg.rate_per_second);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void WebsocketSession::HandleMessage(std::string_view text) {
  const auto received = std::chrono::steady_clock::now();
  Metrics& metrics = server_->metrics();
  metrics.messages_in_total.fetch_add(1, std::memory_order_relaxed);
  if (closing_) return;
  if (!TakeToken()) {
    metrics.rate_limited_total.fetch_add(1);
    if (received - last_refused_ >= std::chrono::seconds(1)) {
      refused_streak_ = 0;  // the client paused: a new episode
    }
    last_refused_ = received;
    ++refused_streak_;
    if (received - last_rate_error_ >= std::chrono::seconds(1)) {
      last_rate_error_ = received;
      SendError(proto::kCodeRateLimited,
                "more than " +
                    std::to_string(
                        static_cast<int>(server_->config().rate_per_second)) +
                    " messages per second; message dropped",
                "");
      LogEvent({{"event", "rate_limited"}, {"session", id_}});
    }
    if (refused_streak_ > 10 * server_->config().rate_burst) {
      LogEvent({{"event", "flood_closed"}, {"session", id_}});
      CloseNow(websocket::close_code::policy_error,
               "kept flooding past the rate limit (closed with 1008)");
    }
    return;
  }
  proto::ClientMessage msg;
  proto::ProtocolError error;
  proto::ParseLimits limits;
  limits.max_ops_per_batch = server_->config().max_ops_per_batch;
  if (!proto::ParseClientMessage(text, limits, &msg, &error)) {
    if (error.code == proto::kCodeInvalidOp ||
        error.code == proto::kCodeBatchTooLarge) {
      metrics.ops_rejected_total.fetch_add(1);
    }
    SendError(error.code, error.message, error.ref);
    LogEvent({{"event", "message_rejected"},
              {"session", id_},
              {"code", error.code}});
    return;
  }
  if (msg.type == proto::ClientType::kPing) {
    SendNow(std::make_shared<const std::string>(proto::MakePong(msg.ref)));
    return;
  }
  if (msg.type == proto::ClientType::kAuth) {
    if (room_) {
      SendError(proto::kCodeAlreadyJoined,
                "leave the plan before authenticating again", msg.ref);
      return;
    }
    Claims claims;
    Status s = server_->signer().Verify(msg.token, NowSeconds(), &claims);
    if (!s.ok()) {
      SendError(proto::kCodeAuthFailed, s.message(), msg.ref);
      LogEvent({{"event", "auth_failed"},
                {"session", id_},
                {"remote", remote_},
                {"reason", s.message()}});
      return;
    }
    claims_ = std::move(claims);
    auth_timer_.cancel();
    ArmExpiry();
    SendNow(std::make_shared<const std::string>(proto::MakeAuthenticated(
        claims_->user, claims_->municipality, claims_->expires_s, msg.ref)));
    LogEvent({{"event", "authenticated"},
              {"session", id_},
              {"user", claims_->user},
              {"municipality", claims_->municipality}});
    return;
  }
  if (!claims_) {
    SendError(proto::kCodeNotAuthenticated, "send an auth message first",
              msg.ref);
    return;
  }
  if (claims_->expires_s <= NowSeconds()) {
    SendError(proto::kCodeAuthFailed, "token has expired", msg.ref);
    CloseNow(websocket::close_code::policy_error, "token expired");
    return;
  }
  auto self = shared_from_this();
  switch (msg.type) {
    case proto::ClientType::kJoin: {
      if (room_) {
        SendError(proto::kCodeAlreadyJoined,
                  "already in plan '" + plan_ + "'; leave first", msg.ref);
        return;
      }
      std::optional<Role> role = claims_->RoleFor(msg.plan);
      if (!IsValidPlanName(msg.plan) || !role) {
        SendError(proto::kCodePlanNotFound,
                  "plan '" + msg.plan + "' does not exist or is not visible "
                  "to this token", msg.ref);
        return;
      }
      if (server_->stopping()) {
        SendError(proto::kCodeUnavailable, "server is shutting down", msg.ref);
        return;
      }
      plan_ = msg.plan;
      room_ = server_->AcquireRoom(plan_);
      JoinRequest req;
      req.ref = msg.ref;
      req.version = std::move(msg.version);
      req.replica = msg.replica;
      req.encoding = msg.encoding;
      req.session_id = id_;
      req.user = claims_->user;
      req.municipality = claims_->municipality;
      req.role = *role;
      room_->Join(self, std::move(req));
      return;
    }
    case proto::ClientType::kLeave:
      if (!room_) {
        SendError(proto::kCodeNotJoined, "not in a plan", msg.ref);
        return;
      }
      room_->Leave(self, true, msg.ref);
      server_->ReleaseRoom(room_);
      room_.reset();
      plan_.clear();
      return;
    case proto::ClientType::kOps:
      if (!room_) {
        metrics.ops_rejected_total.fetch_add(msg.ops.size());
        SendError(proto::kCodeNotJoined, "join a plan first", msg.ref);
        return;
      }
      room_->SubmitOps(self, std::move(msg.ref), std::move(msg.ops), received);
      return;
    case proto::ClientType::kReviewQuery: {
      if (!room_) {
        SendError(proto::kCodeNotJoined, "join a plan first", msg.ref);
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      if (review_refill_ == std::chrono::steady_clock::time_point{}) {
        review_refill_ = now;
      }
      review_tokens_ = std::min(
          kReviewQueryBurst,
          review_tokens_ +
              std::chrono::duration<double>(now - review_refill_).count() *
                  kReviewQueriesPerSecond);
      review_refill_ = now;
      if (review_tokens_ < 1) {
        metrics.rate_limited_total.fetch_add(1);
        SendError(proto::kCodeRateLimited,
                  "more than " +
                      std::to_string(static_cast<int>(kReviewQueriesPerSecond)) +
                      " review queries per second; query dropped",
                  msg.ref);
        return;
      }
      review_tokens_ -= 1;
      room_->QueryReview(self, std::move(msg.ref), std::move(msg.review));
      return;
    }
    case proto::ClientType::kHistory: {
      if (!room_) {
        SendError(proto::kCodeNotJoined, "join a plan first", msg.ref);
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      if (history_refill_ == std::chrono::steady_clock::time_point{}) {
        history_refill_ = now;
      }
      history_tokens_ = std::min(
          kHistoryQueryBurst,
          history_tokens_ +
              std::chrono::duration<double>(now - history_refill_).count() *
                  kHistoryQueriesPerSecond);
      history_refill_ = now;
      if (history_tokens_ < 1) {
        metrics.rate_limited_total.fetch_add(1);
        SendError(proto::kCodeRateLimited,
                  "more than " +
                      std::to_string(static_cast<int>(kHistoryQueriesPerSecond)) +
                      " history queries per second; query dropped",
                  msg.ref);
        return;
      }
      history_tokens_ -= 1;
      SubmitHistory(std::move(msg.ref), std::move(msg.history));
      return;
    }
    case proto::ClientType::kPresence:
      if (!room_) {
        SendError(proto::kCodeNotJoined, "join a plan first", msg.ref);
        return;
      }
      room_->UpdatePresence(self, std::move(msg.anchor), std::move(msg.head),
                            msg.typing);
      return;
    default:
      return;
  }
}

void WebsocketSession::ArmExpiry() {
  const uint64_t generation = ++claims_generation_;
  const int64_t left = std::clamp<int64_t>(claims_->expires_s - NowSeconds(),
                                           0, kMaxExpiryWaitS);
  // expires_after cancels the timer of the previous claims.
  expiry_timer_.expires_after(std::chrono::seconds(left));
  expiry_timer_.async_wait([self = shared_from_this(),
                            generation](beast::error_code ec) {
    if (ec || self->finished_ || self->closing_ || !self->claims_ ||
        generation != self->claims_generation_) {
      return;
    }
    // NowSeconds is truncated: a timer never fires early, but one capped
    // at kMaxExpiryWaitS does.
    if (self->claims_->expires_s > NowSeconds()) {
      self->ArmExpiry();
      return;
    }
    self->SendError(proto::kCodeAuthFailed, "token has expired", "");
    LogEvent({{"event", "token_expired"}, {"session", self->id_}});
    self->CloseNow(websocket::close_code::policy_error, "token expired");
  });
}

void WebsocketSession::SendError(std::string_view code,
                                 std::string_view message,
                                 std::string_view ref) {
  server_->metrics().errors_sent_total.fetch_add(1);
  SendNow(std::make_shared<const std::string>(
      proto::MakeError(code, message, ref)));
}

void WebsocketSession::Send(std::shared_ptr<const std::string> message) {
  asio::post(ws_.get_executor(),
             [self = shared_from_this(), message = std::move(message)]() mutable {
               self->SendNow(std::move(message));
             });
}

void WebsocketSession::SendNow(std::shared_ptr<const std::string> message) {
  if (closing_ || finished_) return;
  const ServerConfig& cfg = server_->config();
  if (queue_.size() >= cfg.send_queue_limit ||
      queued_bytes_ + message->size() > cfg.send_queue_bytes) {
    Drop("send queue full (client not reading)");
    return;
  }
  queued_bytes_ += message->size();
  queue_.push_back(std::move(message));
  if (queue_.size() == 1) DoWrite();
}

void WebsocketSession::DoWrite() {
  writing_ = true;
  ws_.text(true);
  // The handler holds the buffer: Finish may clear the queue meanwhile.
  std::shared_ptr<const std::string> message = queue_.front();
  ws_.async_write(asio::buffer(*message),
                  [self = shared_from_this(), message](beast::error_code ec,
                                                       size_t bytes) {
                    self->OnWrite(ec, bytes);
                  });
}

void WebsocketSession::OnWrite(beast::error_code ec, size_t) {
  writing_ = false;
  if (ec) {
    // A pending read reports the failure; without one (a close waiting
    // for this write) nothing else will.
    if (!reading_) Finish(ec.message().c_str());
    return;
  }
  if (queue_.empty()) return;  // finished meanwhile
  queued_bytes_ -= queue_.front()->size();
  queue_.pop_front();
  if (!queue_.empty()) {
    DoWrite();
  } else if (closing_) {
    StartClose();
  }
}

void WebsocketSession::Close(websocket::close_code code) {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this(), code] {
    self->CloseNow(code, code == websocket::close_code::going_away
                             ? "server shutting down"
                             : "closed by server");
  });
}

void WebsocketSession::CloseNow(websocket::close_code code,
                                const char* reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  close_code_ = code;
  close_reason_ = reason;
  // However the client behaves (not reading our queue, not answering the
  // close frame), the connection is gone after the handshake timeout.
  close_timer_.expires_after(
      std::chrono::seconds(server_->config().handshake_timeout_s));
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->finished_) return;
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().shutdown(
        asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
    if (!self->reading_ && !self->writing_ && !self->close_started_) {
      self->Finish("close timed out");
    }
  });
  if (!writing_) StartClose();  // else OnWrite starts it after the queue
}

void WebsocketSession::StartClose() {
  if (close_started_ || finished_) return;
  close_started_ = true;
  ws_.async_close(close_code_, [self = shared_from_this()](beast::error_code) {
    // With a read outstanding it completes with `closed` and calls Finish
    // too; Finish runs once.
    self->Finish(self->close_reason_);
  });
}

void WebsocketSession::Drop(const char* reason) {
  if (finished_) return;
  closing_ = true;
  server_->metrics().slow_clients_disconnected_total.fetch_add(1);
  LogEvent({{"event", "slow_client_dropped"},
            {"session", id_},
            {"reason", reason},
            {"queued_messages", queue_.size()},
            {"queued_bytes", queued_bytes_}});
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(
      asio::ip::tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

void WebsocketSession::ForceClose() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->finished_) return;
    self->closing_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().shutdown(
        asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
}

void WebsocketSession::OnJoinFailed() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    if (!self->room_) return;
    self->server_->ReleaseRoom(self->room_);
    self->room_.reset();
    self->plan_.clear();
  });
}

void WebsocketSession::Finish(const char* reason) {
  if (finished_) return;
  finished_ = true;
  closing_ = true;
  auth_timer_.cancel();
  expiry_timer_.cancel();
  close_timer_.cancel();
  queue_.clear();
  queued_bytes_ = 0;
  if (room_) {
    room_->Leave(shared_from_this(), false, "");
    server_->ReleaseRoom(room_);
    room_.reset();
  }
  if (registered_) {
    server_->UnregisterSession(this);
    server_->metrics().connections.fetch_sub(1);
  }
  LogEvent({{"event", "disconnect"}, {"session", id_}, {"reason", reason}});
}

}  // namespace samplan
