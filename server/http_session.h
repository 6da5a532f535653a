// HttpSession: one TCP connection speaking HTTP/1.1 until it upgrades to
// a WebSocket (the Origin is checked against the allow-list first; a
// Bearer token on the upgrade request authenticates the session at once).
// Requests are read with a handshake timeout and a body limit of 64 KiB.
// It holds its connection's ConnectionSlot and passes it on at upgrade.
//
// Thread-safety: runs on its socket's strand; replies from other threads
// are posted there.
#ifndef SAMPLAN_SERVER_HTTP_SESSION_H_
#define SAMPLAN_SERVER_HTTP_SESSION_H_

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <string>

#include "server/http_api.h"

namespace samplan {

class ConnectionSlot;
class Server;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `slot` counts this connection until the session (or the WebSocket
  // session it upgrades to) ends.
  HttpSession(boost::asio::ip::tcp::socket&& socket, Server* server,
              std::unique_ptr<ConnectionSlot> slot);
  ~HttpSession();
  void Run();

 private:
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void Write(HttpResponse res);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, size_t bytes);
  void DoClose();

  Server* server_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>>
      parser_;
  std::shared_ptr<HttpResponse> response_;
  std::string remote_;
  std::unique_ptr<ConnectionSlot> slot_;
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_HTTP_SESSION_H_
