// WebsocketSession: one client connection speaking the JSON protocol
// (docs/protocol.md) after the HTTP upgrade.
//
// The session reads one message at a time (at most max_message_bytes; a
// larger one closes the connection with 1009), enforces a token-bucket rate
// limit, parses and dispatches messages to its Room, and writes from a
// bounded queue of shared immutable buffers: when the queue passes
// send_queue_limit messages or send_queue_bytes bytes (a client that stops
// reading) the connection is dropped instead of growing memory. Handshake
// and idle timeouts with keep-alive pings come from
// websocket::stream_base::timeout.
//
// Thread-safety: Send, Close, ForceClose and OnJoinFailed may be called from any
// thread (they post to the session's strand); the rest runs on the strand.
#ifndef SAMPLAN_SERVER_WEBSOCKET_SESSION_H_
#define SAMPLAN_SERVER_WEBSOCKET_SESSION_H_

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "server/auth.h"

namespace samplan {

class Room;
class Server;

class WebsocketSession : public std::enable_shared_from_this<WebsocketSession> {
 public:
  // `socket`'s executor must be a strand. `header_claims`: the caller
  // already verified an Authorization: Bearer token on the upgrade request.
  WebsocketSession(boost::asio::ip::tcp::socket&& socket, Server* server,
                   std::string remote, std::optional<Claims> header_claims);
  ~WebsocketSession();

  // Accepts the upgrade and starts reading.
  void Run(boost::beast::http::request<boost::beast::http::string_body> req);

  void Send(std::shared_ptr<const std::string> message);
  void Close(boost::beast::websocket::close_code code);
  // Drops the TCP connection (after a close frame that got no answer).
  void ForceClose();
  // The room refused the join (it already sent the error).
  void OnJoinFailed();

  const std::string& id() const { return id_; }

 private:
  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void HandleMessage(std::string_view text);
  bool TakeToken();
  void SendNow(std::shared_ptr<const std::string> message);
  void SendError(std::string_view code, std::string_view message,
                 std::string_view ref);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void Drop(const char* reason);
  void Finish(const char* reason);

  Server* server_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::string id_;
  std::string remote_;
  boost::asio::steady_timer auth_timer_;

  std::optional<Claims> claims_;
  std::shared_ptr<Room> room_;  // set from join until leave/close
  std::string plan_;

  std::deque<std::shared_ptr<const std::string>> queue_;
  size_t queued_bytes_ = 0;
  bool closing_ = false;
  bool finished_ = false;
  bool registered_ = false;

  double tokens_ = 0;
  std::chrono::steady_clock::time_point refill_;
  std::chrono::steady_clock::time_point last_rate_error_;
  uint64_t refused_in_row_ = 0;
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_WEBSOCKET_SESSION_H_
