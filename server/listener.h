// Listener: accepts TCP connections and starts an HttpSession on its own
// strand for each, holding a ConnectionSlot (none free: the socket is
// closed at once). Thread-safety: Run and Stop may be called from any
// thread (Stop posts to the acceptor's strand).
#ifndef SAMPLAN_SERVER_LISTENER_H_
#define SAMPLAN_SERVER_LISTENER_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <memory>

#include "crdt/status.h"

namespace samplan {

class Server;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  explicit Listener(Server* server);
  // Binds and listens; `port` receives the bound port.
  Status Open(const boost::asio::ip::tcp::endpoint& endpoint, uint16_t* port);
  void Run();
  void Stop();

 private:
  void DoAccept();
  void OnAccept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  Server* server_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_LISTENER_H_
