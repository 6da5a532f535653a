// Test harness for the server integration tests: starts the real
// `samplan serve` binary on a free loopback port with a temporary data
// directory, and drives it with Beast WebSocket clients whose every wait
// is bounded in time.
//
// Light on purpose: no Boost include here. The Beast/Asio code lives in
// tests/server_harness.cc (compiled once, the `samplan_test_harness`
// library) behind pimpls, so that the test files including this header do
// not each compile Beast's websocket and HTTP templates.
// Thread-safety: none; one test thread.
#ifndef SAMPLAN_TESTS_SERVER_HARNESS_H_
#define SAMPLAN_TESTS_SERVER_HARNESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crdt/replica.h"
#include "server/auth.h"

namespace samplan::testing {

using Json = nlohmann::json;
using Ms = std::chrono::milliseconds;

// A fresh directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The samplan binary ServerProcess starts: $SAMPLAN_TEST_BINARY when set
// (e.g. an older build, to see a new test fail there), else `path`, by
// default the build's samplan.
void SetServerBinary(const std::string& path);

// One `samplan serve` process. Kills only the PID it started.
class ServerProcess {
 public:
  ~ServerProcess();  // SIGKILL if still running
  // Starts `samplan serve --port 0 --bind 127.0.0.1 --data DIR extra...`
  // and waits (bounded) for its "listening on" line.
  bool Start(const std::string& data_dir,
             const std::vector<std::string>& extra = {});
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends `sig` and waits up to `timeout` for exit; returns the exit
  // status (or 128 + signal), or -1 on timeout.
  int Signal(int sig, Ms timeout);
  void Kill();  // SIGKILL and reap
  bool running() const { return pid_ > 0; }
  std::string log() const;  // the server's stderr so far

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

// Mints a token with the data directory's secret (created by the server).
std::string MintToken(const std::string& data_dir, const std::string& user,
                      const std::string& municipality, const std::string& plan,
                      Role role, int64_t ttl_s = 3600);

// A `samplan serve` with a data directory of its own, for one test; tokens
// name `plan` (the demo plan by default).
struct ServerFixture {
  TempDir dir;
  ServerProcess server;
  std::string data() const { return dir.path() + "/data"; }
  bool Start(const std::vector<std::string>& extra = {}) {
    return server.Start(data(), extra);
  }
  std::string Token(const std::string& user, const std::string& municipality,
                    Role role, int64_t ttl_s = 3600,
                    const std::string& plan = "demo") const {
    return MintToken(data(), user, municipality, plan, role, ttl_s);
  }
};

// Every live node of `r`: the root first, then depth first (bounded).
inline std::vector<OpId> LiveNodes(const Replica& r) {
  std::vector<OpId> out, stack = {kRootNode};
  while (!stack.empty() && out.size() < 100000) {
    const OpId n = stack.back();
    stack.pop_back();
    out.push_back(n);
    for (OpId c : r.Children(n)) stack.push_back(c);
  }
  return out;
}

// A WebSocket client; every call waits at most its timeout.
class WsClient {
 public:
  WsClient();
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;
  // Connects to ws://127.0.0.1:port/ws. `origin` empty: no Origin header.
  bool Connect(uint16_t port, const std::string& origin = "",
               const std::string& bearer = "", Ms timeout = Ms(5000));
  bool SendText(const std::string& text);
  bool SendBinary(const std::string& bytes);
  bool Send(const Json& j) { return SendText(j.dump()); }
  // The next message, or nullopt on timeout or when the connection closed.
  std::optional<std::string> ReadRaw(Ms timeout);
  std::optional<Json> Read(Ms timeout);
  // Reads until a message of `type` (others are kept in skipped()).
  std::optional<Json> ReadType(const std::string& type, Ms timeout);
  bool closed() const { return closed_; }
  // Close code sent by the server (when closed_).
  int close_code() const { return close_code_; }
  // Why the last read failed (empty while open), for test messages.
  std::string close_error() const;
  // Waits until the connection is closed (reading and discarding).
  bool WaitClosed(Ms timeout);
  std::vector<Json>& skipped() { return skipped_; }
  void CloseNow();  // drops the TCP connection

 private:
  struct Impl;  // the io_context, the Beast stream and the read state
  std::unique_ptr<Impl> impl_;
  bool closed_ = false;
  int close_code_ = 0;
  std::vector<Json> skipped_;
};

// A client with a CRDT replica: joins a plan, edits locally, sends its new
// ops as batches, applies what the server broadcasts.
class Editor {
 public:
  Editor(uint16_t port, std::string token);
  // Connect + auth. False on failure.
  bool Open(Ms timeout = Ms(5000));
  // Joins `plan` sending this editor's version (and replica id once it has
  // one); applies the ops of "joined". Returns the joined message or the
  // error message.
  Json Join(const std::string& plan, Ms timeout = Ms(5000));
  // Applies `edit` to the local replica and, if `send`, sends the new ops
  // as one batch (ref = a counter); otherwise they stay pending.
  bool Edit(const std::function<Status(Replica&)>& edit, bool send = true);
  // Sends every local op the server has not acknowledged or broadcast
  // (after an offline period).
  bool SendPending();
  // Processes incoming messages for up to `timeout` or until `done()`.
  bool PumpUntil(const std::function<bool()>& done, Ms timeout);
  void Pump(Ms timeout) { PumpUntil([] { return false; }, timeout); }

  Replica& replica() { return *replica_; }
  WsClient& ws() { return *ws_; }
  size_t acks() const { return acks_; }
  size_t sent_batches() const { return sent_batches_; }
  const std::vector<Json>& errors() const { return errors_; }
  size_t ops_messages() const { return ops_messages_; }
  size_t snapshots() const { return snapshots_; }  // joins answered so
  std::vector<Json>& presence() { return presence_; }
  uint64_t replica_id() const { return replica_id_; }
  void Disconnect() { ws_->CloseNow(); }
  // Drops the connection and opens a new one (same replica), e.g. to a
  // restarted server. Call Open() and Join() after it.
  void Reset(uint16_t port) {
    port_ = port;
    ws_ = std::make_unique<WsClient>();
  }

 private:
  bool Handle(const Json& m);

  uint16_t port_;
  std::string token_;
  std::unique_ptr<WsClient> ws_;
  std::unique_ptr<Replica> replica_;
  uint64_t replica_id_ = 0;
  VersionVector server_known_;  // what the server has of ours
  size_t acks_ = 0;
  size_t sent_batches_ = 0;
  size_t ops_messages_ = 0;
  size_t snapshots_ = 0;
  std::vector<Json> errors_;
  std::vector<Json> presence_;
};

// Runs the samplan binary the servers run with `args` (shell words);
// exit status and stdout+stderr.
std::pair<int, std::string> RunSamplan(const std::string& args);

// HTTP GET/POST on 127.0.0.1:port; returns status and body (status 0 on
// failure).
std::pair<int, std::string> HttpRequest(uint16_t port, const std::string& method,
                                        const std::string& target,
                                        const std::string& bearer = "",
                                        const std::string& body = "");

// A raw WebSocket client whose writes are bounded in time too (WsClient
// writes block), for messages the server is expected to refuse midway.
class RawWs {
 public:
  RawWs();
  ~RawWs();
  RawWs(const RawWs&) = delete;
  RawWs& operator=(const RawWs&) = delete;
  bool Connect(uint16_t port, Ms timeout = Ms(5000));
  // Writes `bytes` as one text message; false when the write failed or
  // did not finish within `timeout` (then the connection is dropped).
  bool Write(const std::string& bytes, Ms timeout);
  // Reads until the connection closes; the close code, or -1 when it did
  // not close within `timeout`, 0 when it closed without a close frame.
  int WaitCloseCode(Ms timeout);
  const std::string& last_error() const { return last_error_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string last_error_;
};

// Opens `clients` TCP connections to 127.0.0.1:port (each bounded by 10 s)
// first, then starts all their WebSocket upgrades at once, so the server
// sees every connection before any has upgraded; runs until every
// handshake finished or `timeout` passed, then closes them all.
struct UpgradeBurstResult {
  int done = 0;      // handshakes that finished (either way)
  int upgraded = 0;  // handshakes that succeeded
};
UpgradeBurstResult UpgradeBurst(uint16_t port, int clients, Ms timeout);

}  // namespace samplan::testing

#endif  // SAMPLAN_TESTS_SERVER_HARNESS_H_
