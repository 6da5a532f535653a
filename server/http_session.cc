#include "server/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket.hpp>

#include "server/event_log.h"
#include "server/server.h"
#include "server/websocket_session.h"

namespace samplan {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

HttpSession::HttpSession(asio::ip::tcp::socket&& socket, Server* server,
                         std::unique_ptr<ConnectionSlot> slot)
    : server_(server), stream_(std::move(socket)), slot_(std::move(slot)) {
  beast::error_code ec;
  // Small messages (acks, presence, single edits) must not wait for
  // Nagle's algorithm and the peer's delayed ACK (up to 40 ms).
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

HttpSession::~HttpSession() = default;

void HttpSession::Run() {
  asio::dispatch(stream_.get_executor(),
                 beast::bind_front_handler(&HttpSession::DoRead,
                                           shared_from_this()));
}

void HttpSession::DoRead() {
  parser_.emplace();
  parser_->body_limit(64 * 1024);
  parser_->header_limit(16 * 1024);
  stream_.expires_after(
      std::chrono::seconds(server_->config().handshake_timeout_s));
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnRead,
                                             shared_from_this()));
}

void HttpSession::OnRead(beast::error_code ec, size_t) {
  if (ec == http::error::end_of_stream) {
    DoClose();
    return;
  }
  if (ec) return;  // timeout or reset: the socket closes with us
  HttpRequest req = parser_->release();
  if (websocket::is_upgrade(req)) {
    const auto origin_it = req.find(http::field::origin);
    const std::string_view origin =
        origin_it == req.end()
            ? std::string_view()
            : std::string_view(origin_it->value().data(),
                               origin_it->value().size());
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    std::string error;
    std::optional<Claims> claims;
    http::status refuse = http::status::ok;
    std::string why;
    if (path != "/ws") {
      refuse = http::status::not_found;
      why = "WebSocket endpoint is /ws";
    } else if (!OriginAllowed(origin, server_->config().allowed_origins)) {
      refuse = http::status::forbidden;
      why = "origin not allowed";
    } else if (server_->stopping()) {
      refuse = http::status::service_unavailable;
      why = "server is shutting down";
    } else {
      claims = BearerClaims(server_, req, &error);
      if (!claims && !error.empty()) {
        refuse = http::status::unauthorized;
        why = error;
      }
    }
    if (refuse != http::status::ok) {
      LogEvent({{"event", "ws_refused"},
                {"remote", remote_},
                {"origin", std::string(origin)},
                {"reason", why}});
      HttpResponse res{refuse, req.version()};
      res.set(http::field::server, "samplan");
      res.set(http::field::content_type, "text/plain");
      res.body() = why + "\n";
      res.keep_alive(false);
      res.prepare_payload();
      Write(std::move(res));
      return;
    }
    std::make_shared<WebsocketSession>(stream_.release_socket(), server_,
                                       remote_, std::move(claims),
                                       std::move(slot_))
        ->Run(std::move(req));
    return;
  }
  auto self = shared_from_this();
  const bool stopping = server_->stopping();
  HandleHttpRequest(server_, req, [self, stopping](HttpResponse res) {
    if (stopping) res.keep_alive(false);
    asio::post(self->stream_.get_executor(),
               [self, res = std::move(res)]() mutable {
                 self->Write(std::move(res));
               });
  });
}

void HttpSession::Write(HttpResponse res) {
  response_ = std::make_shared<HttpResponse>(std::move(res));
  const bool keep_alive = response_->keep_alive();
  stream_.expires_after(
      std::chrono::seconds(server_->config().idle_timeout_s));
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&HttpSession::OnWrite,
                                              shared_from_this(), keep_alive));
}

void HttpSession::OnWrite(bool keep_alive, beast::error_code ec, size_t) {
  if (ec) return;
  response_.reset();
  if (!keep_alive || server_->stopping()) {
    DoClose();
    return;
  }
  DoRead();
}

void HttpSession::DoClose() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace samplan
