#include "server/websocket_session.h"

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

}  // namespace

WebsocketSession::WebsocketSession(asio::ip::tcp::socket&& socket,
                                   Server* server, std::string remote,
                                   std::optional<Claims> header_claims)
    : server_(server),
      ws_(std::move(socket)),
      id_(server->NextSessionId()),
      remote_(std::move(remote)),
      auth_timer_(ws_.get_executor()),
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
  ws_.read_message_max(cfg.max_message_bytes);
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
  if (!claims_) {
    auth_timer_.expires_after(
        std::chrono::seconds(server_->config().auth_timeout_s));
    auth_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->claims_ || self->finished_) return;
      self->SendError(proto::kCodeNotAuthenticated,
                      "no auth message within the time limit", "");
      self->Close(websocket::close_code::policy_error);
    });
  }
  DoRead();
}

void WebsocketSession::DoRead() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WebsocketSession::OnRead,
                                                    shared_from_this()));
}

void WebsocketSession::OnRead(beast::error_code ec, size_t) {
  if (ec) {
    if (ec == websocket::error::message_too_big) {
      server_->metrics().oversized_messages_total.fetch_add(1);
      Finish("message too big (closed with 1009)");
    } else if (ec == websocket::error::closed) {
      Finish("closed by client");
    } else {
      Finish(ec.message().c_str());
    }
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
    ++refused_in_row_;
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
    if (refused_in_row_ > 10 * server_->config().rate_burst) {
      Close(websocket::close_code::policy_error);
    }
    return;
  }
  refused_in_row_ = 0;
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
    Close(websocket::close_code::policy_error);
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
    case proto::ClientType::kPresence:
      if (!room_) {
        SendError(proto::kCodeNotJoined, "join a plan first", msg.ref);
        return;
      }
      room_->UpdatePresence(self, std::move(msg.anchor), msg.typing);
      return;
    default:
      return;
  }
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
  ws_.text(true);
  ws_.async_write(asio::buffer(*queue_.front()),
                  beast::bind_front_handler(&WebsocketSession::OnWrite,
                                            shared_from_this()));
}

void WebsocketSession::OnWrite(beast::error_code ec, size_t) {
  if (ec || queue_.empty()) return;  // the read side reports the failure
  queued_bytes_ -= queue_.front()->size();
  queue_.pop_front();
  if (!queue_.empty() && !closing_) DoWrite();
}

void WebsocketSession::Close(websocket::close_code code) {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this(), code] {
    if (self->closing_ || self->finished_) return;
    self->closing_ = true;
    self->ws_.async_close(code, [self](beast::error_code) {
      // The pending read completes with `closed` and calls Finish.
    });
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
