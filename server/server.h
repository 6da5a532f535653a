// Server: the collaboration server behind `samplan serve`.
//
// One io_context runs on N threads. A Listener accepts connections on one
// port and hands each to an HttpSession (HTTP API, /healthz, /metrics),
// which upgrades WebSocket requests to a WebsocketSession. Each open plan
// is a Room whose state only its own strand touches; plans nobody has open
// are unloaded. Blocking storage calls (Append, Load) run on a separate
// thread pool so the network threads never wait for a disk sync.
//
// Lifecycle: construct, Start() (binds), Run() (blocks until Stop() or
// SIGINT/SIGTERM: stop accepting, close sessions with 1001, let durable
// writes in flight finish, return).
//
// Thread-safety: the accessors and the room/session registries may be used
// from any thread.
#ifndef SAMPLAN_SERVER_SERVER_H_
#define SAMPLAN_SERVER_SERVER_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "server/auth.h"
#include "server/metrics.h"
#include "server/server_config.h"
#include "storage/plan_store.h"

namespace samplan {

class CheckpointScheduler;
class HistoryService;
class Listener;
class Room;
class SnapshotScheduler;
class WebsocketSession;

class Server;

// One counted connection (--max-connections): taken by the Listener at
// accept, handed from the HttpSession to the WebsocketSession on upgrade,
// released when the last of them is destroyed. Counting from accept (not
// from the upgrade) keeps the limit true under a burst of upgrades.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(Server* server) : server_(server) {}
  ~ConnectionSlot();
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  Server* server_;
};

class Server {
 public:
  // `store` must outlive the server.
  Server(ServerConfig config, PlanStore* store, std::string secret);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. On success `port()` is the bound port.
  Status Start();
  uint16_t port() const { return port_; }
  // Runs the io_context on config().threads threads until shut down.
  // Handles SIGINT and SIGTERM. REQUIRES: Start() succeeded.
  void Run();
  // Starts a graceful shutdown (thread-safe, idempotent).
  void Stop();
  bool stopping() const { return stopping_.load(); }

  const ServerConfig& config() const { return config_; }
  PlanStore* store() const { return store_; }
  const TokenSigner& signer() const { return signer_; }
  Metrics& metrics() { return metrics_; }
  boost::asio::io_context& io_context() { return ioc_; }
  boost::asio::thread_pool& blocking_pool() { return blocking_; }
  // Optional (nullptr: no snapshots): told after every durable append.
  // Must outlive the server. REQUIRES: set before Start().
  void set_snapshots(SnapshotScheduler* s) { snapshots_ = s; }
  SnapshotScheduler* snapshots() const { return snapshots_; }
  // Optional (nullptr: history queries answer `unavailable`): answers
  // history queries and names versions. Must outlive the server.
  // REQUIRES: set before Start().
  void set_history(HistoryService* h) { history_ = h; }
  HistoryService* history() const { return history_; }
  // Optional: told after every durable append, like the snapshots.
  void set_checkpoints(CheckpointScheduler* c) { checkpoints_ = c; }
  CheckpointScheduler* checkpoints() const { return checkpoints_; }

  // The room of `plan`, created (not yet loaded) when not open. Every
  // Acquire must be paired with one ReleaseRoom.
  std::shared_ptr<Room> AcquireRoom(const std::string& plan);
  void ReleaseRoom(const std::shared_ptr<Room>& room);
  // Called by a room on its strand when it has no members and no work:
  // drops it from the registry unless someone acquired it meanwhile.
  void UnloadIfUnused(Room* room);

  // A slot for a new connection, or nullptr when --max-connections are
  // open (HTTP and WebSocket alike).
  std::unique_ptr<ConnectionSlot> TryAcquireConnection();

  void RegisterSession(const std::shared_ptr<WebsocketSession>& s);
  void UnregisterSession(WebsocketSession* s);
  std::string NextSessionId();
  // Durable appends in flight (shutdown waits for them).
  void AppendStarted() { appends_in_flight_.fetch_add(1); }
  void AppendFinished() { appends_in_flight_.fetch_sub(1); }

 private:
  friend class ConnectionSlot;
  void StartShutdown();
  void WaitForDrain(std::shared_ptr<boost::asio::steady_timer> timer,
                    std::chrono::steady_clock::time_point deadline);

  ServerConfig config_;
  PlanStore* store_;
  TokenSigner signer_;
  Metrics metrics_;
  // Declared before ioc_: sessions destroyed with the io_context release
  // their slots here.
  std::atomic<size_t> open_connections_{0};
  boost::asio::io_context ioc_;
  boost::asio::thread_pool blocking_;  // 16 threads: they mostly wait on fsync
  std::shared_ptr<Listener> listener_;
  SnapshotScheduler* snapshots_ = nullptr;
  HistoryService* history_ = nullptr;
  CheckpointScheduler* checkpoints_ = nullptr;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> next_session_{1};
  std::atomic<int> appends_in_flight_{0};

  std::mutex mu_;
  struct RoomEntry {
    std::shared_ptr<Room> room;
    int users = 0;
  };
  std::map<std::string, RoomEntry> rooms_;  // guarded by mu_
  std::map<WebsocketSession*, std::weak_ptr<WebsocketSession>> sessions_;
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_SERVER_H_
