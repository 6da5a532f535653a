#include "server/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/websocket.hpp>
#include <thread>
#include <vector>

#include "server/event_log.h"
#include "server/listener.h"
#include "server/room.h"
#include "server/websocket_session.h"

namespace samplan {

namespace asio = boost::asio;

namespace {
int ThreadCount(int configured) {
  if (configured > 0) return configured;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 2 : static_cast<int>(n);
}
}  // namespace

Server::Server(ServerConfig config, PlanStore* store, std::string secret)
    : config_(std::move(config)),
      store_(store),
      signer_(std::move(secret)),
      ioc_(ThreadCount(config_.threads)),
      blocking_(16) {}

Server::~Server() {
  blocking_.join();
}

Status Server::Start() {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(config_.bind, ec);
  if (ec) {
    return Status::InvalidArgument("--bind: '" + config_.bind +
                                   "' is not an IP address");
  }
  listener_ = std::make_shared<Listener>(this);
  return listener_->Open(asio::ip::tcp::endpoint(address, config_.port), &port_);
}

void Server::Run() {
  listener_->Run();
  asio::signal_set signals(ioc_, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    LogEvent({{"event", "signal"}, {"signal", sig}});
    Stop();
  });
  const int n = ThreadCount(config_.threads);
  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  for (int i = 1; i < n; ++i) threads.emplace_back([this] { ioc_.run(); });
  // Runs until WaitForDrain stops the io_context (the signal set keeps it
  // busy until then).
  ioc_.run();
  for (std::thread& t : threads) t.join();
  signals.cancel();
  blocking_.join();
  LogEvent({{"event", "stopped"}});
}

void Server::Stop() {
  bool expected = false;
  if (!stopping_.compare_exchange_strong(expected, true)) return;
  asio::post(ioc_, [this] { StartShutdown(); });
}

void Server::StartShutdown() {
  LogEvent({{"event", "shutdown"},
            {"sessions", metrics_.connections.load()},
            {"appends_in_flight", appends_in_flight_.load()}});
  if (listener_) listener_->Stop();
  std::vector<std::shared_ptr<WebsocketSession>> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  for (auto& s : sessions) {
    s->Close(boost::beast::websocket::close_code::going_away);
  }
  // A client that does not answer the close frame within a second is
  // disconnected.
  auto force = std::make_shared<asio::steady_timer>(ioc_);
  force->expires_after(std::chrono::seconds(1));
  force->async_wait([this, force](boost::system::error_code) {
    std::vector<std::shared_ptr<WebsocketSession>> left;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [ptr, weak] : sessions_) {
        if (auto s = weak.lock()) left.push_back(std::move(s));
      }
    }
    for (auto& s : left) s->ForceClose();
  });
  auto timer = std::make_shared<asio::steady_timer>(ioc_);
  WaitForDrain(timer, std::chrono::steady_clock::now() +
                          std::chrono::seconds(config_.shutdown_grace_s));
}

void Server::WaitForDrain(std::shared_ptr<asio::steady_timer> timer,
                          std::chrono::steady_clock::time_point deadline) {
  bool empty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    empty = sessions_.empty();
  }
  if ((empty && appends_in_flight_.load() == 0) ||
      std::chrono::steady_clock::now() >= deadline) {
    if (!empty) {
      LogEvent({{"event", "shutdown_timeout"},
                {"sessions", metrics_.connections.load()}});
    }
    // Wait for appends regardless: they are durable writes.
    if (appends_in_flight_.load() != 0 &&
        std::chrono::steady_clock::now() < deadline + std::chrono::seconds(30)) {
      timer->expires_after(std::chrono::milliseconds(20));
      timer->async_wait([this, timer, deadline](boost::system::error_code) {
        WaitForDrain(timer, deadline);
      });
      return;
    }
    ioc_.stop();
    return;
  }
  timer->expires_after(std::chrono::milliseconds(20));
  timer->async_wait([this, timer, deadline](boost::system::error_code) {
    WaitForDrain(timer, deadline);
  });
}

std::shared_ptr<Room> Server::AcquireRoom(const std::string& plan) {
  std::lock_guard<std::mutex> lock(mu_);
  RoomEntry& e = rooms_[plan];
  if (!e.room) e.room = std::make_shared<Room>(this, plan);
  ++e.users;
  return e.room;
}

void Server::ReleaseRoom(const std::shared_ptr<Room>& room) {
  bool idle = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rooms_.find(room->plan_id());
    if (it == rooms_.end() || it->second.room != room) return;
    idle = --it->second.users == 0;
  }
  if (idle) room->ScheduleUnloadCheck();
}

void Server::UnloadIfUnused(Room* room) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rooms_.find(room->plan_id());
  if (it == rooms_.end() || it->second.room.get() != room ||
      it->second.users != 0) {
    return;
  }
  LogEvent({{"event", "plan_unloaded"}, {"plan", room->plan_id()}});
  rooms_.erase(it);
}

ConnectionSlot::~ConnectionSlot() {
  server_->open_connections_.fetch_sub(1);
}

std::unique_ptr<ConnectionSlot> Server::TryAcquireConnection() {
  // Increment first, then check: concurrent accepts can never both pass.
  if (open_connections_.fetch_add(1) >= config_.max_connections) {
    open_connections_.fetch_sub(1);
    return nullptr;
  }
  return std::make_unique<ConnectionSlot>(this);
}

void Server::RegisterSession(const std::shared_ptr<WebsocketSession>& s) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[s.get()] = s;
}

void Server::UnregisterSession(WebsocketSession* s) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(s);
}

std::string Server::NextSessionId() {
  return "s" + std::to_string(next_session_.fetch_add(1));
}

}  // namespace samplan
