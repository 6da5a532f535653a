#include "server/listener.h"

#include <boost/asio/post.hpp>

#include "server/event_log.h"
#include "server/http_session.h"
#include "server/server.h"

namespace samplan {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

Listener::Listener(Server* server)
    : server_(server),
      strand_(asio::make_strand(server->io_context())),
      acceptor_(strand_) {}

Status Listener::Open(const tcp::endpoint& endpoint, uint16_t* port) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::FailedPrecondition("cannot listen on " +
                                      endpoint.address().to_string() + ":" +
                                      std::to_string(endpoint.port()) + ": " +
                                      ec.message());
  }
  *port = acceptor_.local_endpoint().port();
  return Status::OK();
}

void Listener::Run() {
  asio::post(strand_, [self = shared_from_this()] { self->DoAccept(); });
}

void Listener::Stop() {
  asio::post(strand_, [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void Listener::DoAccept() {
  if (!acceptor_.is_open()) return;
  // Each connection gets its own strand.
  acceptor_.async_accept(
      asio::make_strand(server_->io_context()),
      beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
}

void Listener::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    LogEvent({{"event", "accept_failed"}, {"error", ec.message()}});
    // Out of file descriptors and similar: retry after a pause.
    auto timer = std::make_shared<asio::steady_timer>(strand_);
    timer->expires_after(std::chrono::milliseconds(50));
    timer->async_wait([self = shared_from_this(), timer](beast::error_code) {
      self->DoAccept();
    });
    return;
  }
  std::unique_ptr<ConnectionSlot> slot = server_->TryAcquireConnection();
  if (!slot) {
    beast::error_code ignored;
    socket.close(ignored);
    LogEvent({{"event", "connection_refused"}, {"reason", "max_connections"}});
  } else {
    std::make_shared<HttpSession>(std::move(socket), server_, std::move(slot))
        ->Run();
  }
  DoAccept();
}

}  // namespace samplan
