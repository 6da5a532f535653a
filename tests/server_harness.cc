// The test harness of server_harness.h: the only test file that compiles
// Boost.Beast/Asio (see the header).
#include "tests/server_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "protocol/json_codec.h"

namespace samplan::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace bhttp = beast::http;

namespace {

std::string& ServerBinary() {
  static std::string path = SAMPLAN_BINARY;
  return path;
}

}  // namespace

void SetServerBinary(const std::string& path) { ServerBinary() = path; }

std::pair<int, std::string> RunSamplan(const std::string& args) {
  const std::string cmd = ServerBinary() + " " + args + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/samplan-server-test-XXXXXX";
  const char* p = ::mkdtemp(tmpl);
  path_ = p == nullptr ? std::string() : std::string(p);
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ServerProcess::~ServerProcess() {
  Kill();
}

bool ServerProcess::Start(const std::string& data_dir,
                                 const std::vector<std::string>& extra) {
  log_path_ = data_dir + ".log";
  int out[2];
  if (::pipe(out) != 0) return false;
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::dup2(out[1], 1);
    const int err = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (err >= 0) ::dup2(err, 2);
    ::close(out[0]);
    // SAMPLAN_TEST_BINARY runs the tests against another build (e.g. an
    // older one, to see a new test fail there).
    const char* binary = std::getenv("SAMPLAN_TEST_BINARY");
    std::vector<std::string> args = {binary != nullptr ? binary : ServerBinary(),
                                     "serve", "--port", "0",
                                     "--bind", "127.0.0.1", "--data", data_dir,
                                     "--threads", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  pid_ = pid;
  stdout_fd_ = out[0];
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const std::regex re("listening on http://127\\.0\\.0\\.1:([0-9]+)");
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(stdout_fd_, buf, sizeof(buf));
    if (n <= 0) break;
    text.append(buf, n);
    std::smatch m;
    if (std::regex_search(text, m, re)) {
      port_ = static_cast<uint16_t>(std::stoi(m[1]));
      // Keep reading stdout in the background so the server never blocks.
      const int fd = stdout_fd_;
      std::thread([fd] {
        char sink[4096];
        while (::read(fd, sink, sizeof(sink)) > 0) {
        }
      }).detach();
      stdout_fd_ = -1;  // owned by the drain thread (closed at exit)
      return true;
    }
  }
  Kill();
  return false;
}

int ServerProcess::Signal(int sig, Ms timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    std::this_thread::sleep_for(Ms(10));
  }
  return -1;
}

void ServerProcess::Kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
    stdout_fd_ = -1;
  }
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string MintToken(const std::string& data_dir, const std::string& user,
                             const std::string& municipality,
                             const std::string& plan, Role role, int64_t ttl_s) {
  std::string secret;
  if (!LoadOrCreateSecret(data_dir, &secret).ok()) return "";
  Claims c;
  c.user = user;
  c.municipality = municipality;
  c.plans[plan] = role;
  c.issued_s = NowSeconds();
  c.expires_s = c.issued_s + ttl_s;
  return TokenSigner(secret).Mint(c);
}

// ---- WsClient --------------------------------------------------------------

struct WsClient::Impl {
  asio::io_context ioc;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  bool read_pending = false;
  bool read_done = false;
  beast::error_code read_ec;
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}
WsClient::~WsClient() { CloseNow(); }

std::string WsClient::close_error() const { return impl_->read_ec.message(); }

bool WsClient::Connect(uint16_t port, const std::string& origin,
                       const std::string& bearer, Ms timeout) {
  Impl& d = *impl_;
  d.ws = std::make_unique<websocket::stream<beast::tcp_stream>>(d.ioc);
  beast::get_lowest_layer(*d.ws).expires_after(timeout);
  bool done = false;
  beast::error_code result;
  asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  beast::get_lowest_layer(*d.ws).async_connect(ep, [&](beast::error_code ec) {
    if (ec) {
      result = ec;
      done = true;
      return;
    }
    d.ws->set_option(websocket::stream_base::decorator(
        [origin, bearer](websocket::request_type& req) {
          if (!origin.empty()) req.set(bhttp::field::origin, origin);
          if (!bearer.empty()) {
            req.set(bhttp::field::authorization, "Bearer " + bearer);
          }
        }));
    d.ws->async_handshake("127.0.0.1:" + std::to_string(port), "/ws",
                          [&](beast::error_code ec2) {
                            result = ec2;
                            done = true;
                          });
  });
  d.ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    d.ioc.run_one_for(deadline - std::chrono::steady_clock::now());
  }
  if (!done || result) {
    closed_ = true;
    return false;
  }
  beast::get_lowest_layer(*d.ws).expires_never();
  d.ws->read_message_max(256u << 20);
  return true;
}

bool WsClient::SendText(const std::string& text) {
  Impl& d = *impl_;
  if (!d.ws || closed_) return false;
  beast::error_code ec;
  d.ws->text(true);
  d.ws->write(asio::buffer(text), ec);
  return !ec;
}

bool WsClient::SendBinary(const std::string& bytes) {
  Impl& d = *impl_;
  if (!d.ws || closed_) return false;
  beast::error_code ec;
  d.ws->binary(true);
  d.ws->write(asio::buffer(bytes), ec);
  d.ws->text(true);
  return !ec;
}

std::optional<std::string> WsClient::ReadRaw(Ms timeout) {
  Impl& d = *impl_;
  if (!d.ws || closed_) return std::nullopt;
  if (!d.read_pending) {
    d.read_pending = true;
    d.read_done = false;
    d.ws->async_read(d.buffer, [&d](beast::error_code ec, size_t) {
      d.read_pending = false;
      d.read_done = true;
      d.read_ec = ec;
    });
  }
  d.ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!d.read_done && std::chrono::steady_clock::now() < deadline) {
    d.ioc.run_one_for(deadline - std::chrono::steady_clock::now());
  }
  if (!d.read_done) return std::nullopt;
  d.read_done = false;
  if (d.read_ec) {
    closed_ = true;
    close_code_ = d.ws->reason().code;
    return std::nullopt;
  }
  std::string s = beast::buffers_to_string(d.buffer.data());
  d.buffer.consume(d.buffer.size());
  return s;
}

std::optional<Json> WsClient::Read(Ms timeout) {
  std::optional<std::string> s = ReadRaw(timeout);
  if (!s) return std::nullopt;
  Json j = Json::parse(*s, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<Json> WsClient::ReadType(const std::string& type, Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<Ms>(deadline -
                                               std::chrono::steady_clock::now());
    std::optional<Json> j = Read(left);
    if (!j) return std::nullopt;
    if (j->value("type", "") == type) return j;
    skipped_.push_back(std::move(*j));
  }
  return std::nullopt;
}

bool WsClient::WaitClosed(Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_ && std::chrono::steady_clock::now() < deadline) {
    ReadRaw(std::chrono::duration_cast<Ms>(deadline -
                                           std::chrono::steady_clock::now()));
  }
  return closed_;
}

void WsClient::CloseNow() {
  Impl& d = *impl_;
  if (!d.ws) return;
  beast::error_code ec;
  beast::get_lowest_layer(*d.ws).socket().shutdown(
      asio::ip::tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(*d.ws).socket().close(ec);
  d.ioc.restart();
  d.ioc.poll();
  closed_ = true;
}

// ---- Editor ----------------------------------------------------------------

Editor::Editor(uint16_t port, std::string token)
    : port_(port), token_(std::move(token)), ws_(std::make_unique<WsClient>()) {}

bool Editor::Open(Ms timeout) {
  if (!ws_->Connect(port_, "", "", timeout)) return false;
  if (!ws_->Send(Json{{"v", 1}, {"type", "auth"}, {"token", token_}})) return false;
  std::optional<Json> m = ws_->Read(timeout);
  return m && (*m)["type"] == "authenticated";
}

Json Editor::Join(const std::string& plan, Ms timeout) {
  Json join = {{"v", 1}, {"type", "join"}, {"plan", plan}};
  if (replica_) {
    join["version"] = protocol::VersionToJson(replica_->version());
    join["replica"] = replica_id_;
  }
  ws_->Send(join);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<Json> m = ws_->Read(std::chrono::duration_cast<Ms>(
        deadline - std::chrono::steady_clock::now()));
    if (!m) break;
    const std::string type = m->value("type", "");
    if (type == "error") return *m;
    if (type != "joined") {
      Handle(*m);
      continue;
    }
    replica_id_ = (*m)["replica"].get<uint64_t>();
    if (m->contains("snapshot")) {
      // Load the snapshot; keep this replica's own ops it does not have.
      std::string bytes;
      if (!protocol::Base64Decode((*m)["snapshot"].get<std::string>(), &bytes).ok()) {
        return Json{{"type", "error"}, {"code", "test_bad_snapshot"}};
      }
      Result<std::unique_ptr<Replica>> loaded = Replica::DecodeSnapshot(bytes, replica_id_);
      if (!loaded.ok()) return Json{{"type", "error"}, {"code", "test_bad_snapshot"}};
      std::vector<Op> mine;
      if (replica_) {
        std::vector<Op> all;
        if (replica_->OpsSince((*loaded)->version(), &all).ok()) {
          for (Op& op : all) {
            if (op.id.replica == replica_id_) mine.push_back(std::move(op));
          }
        }
      }
      replica_ = std::move(*loaded);
      if (!replica_->ApplyAll(mine).ok()) {
        return Json{{"type", "error"}, {"code", "test_apply_failed"}};
      }
      ++snapshots_;
    }
    if (!replica_) replica_ = std::make_unique<Replica>(replica_id_);
    std::vector<Op> ops;
    if (m->contains("ops")) {
      if (!protocol::OpsFromJson((*m)["ops"], "ops", 1u << 30, &ops).ok()) {
        return Json{{"type", "error"}, {"code", "test_bad_ops"}};
      }
      if (!replica_->ApplyAll(ops).ok()) {
        return Json{{"type", "error"}, {"code", "test_apply_failed"}};
      }
    }
    protocol::VersionFromJson((*m)["version"], "version", &server_known_);
    return *m;
  }
  return Json{{"type", "error"}, {"code", "test_timeout"}};
}

bool Editor::Edit(const std::function<Status(Replica&)>& edit, bool send) {
  if (!edit(*replica_).ok()) return false;
  return send ? SendPending() : true;
}

bool Editor::SendPending() {
  std::vector<Op> ops;
  if (!replica_->OpsSince(server_known_, &ops).ok()) return false;
  std::vector<Op> mine;
  for (Op& op : ops) {
    if (op.id.replica == replica_id_) mine.push_back(std::move(op));
  }
  if (mine.empty()) return true;
  for (const Op& op : mine) {
    server_known_.Set(op.id.replica,
                      std::max(server_known_.Get(op.id.replica), op.LastId().counter));
  }
  ++sent_batches_;
  return ws_->Send(Json{{"v", 1},
                        {"type", "ops"},
                        {"ref", "b" + std::to_string(sent_batches_)},
                        {"ops", protocol::OpsToJson(mine, false)}});
}

bool Editor::Handle(const Json& m) {
  const std::string type = m.value("type", "");
  if (type == "ops") {
    ++ops_messages_;
    std::vector<Op> ops;
    if (!protocol::OpsFromJson(m["ops"], "ops", 1u << 30, &ops).ok()) return false;
    for (const Op& op : ops) {
      server_known_.Set(op.id.replica, std::max(server_known_.Get(op.id.replica),
                                                op.LastId().counter));
    }
    Status applied = replica_->ApplyAll(ops);
    if (!applied.ok()) {
      errors_.push_back(Json{{"type", "error"},
                             {"code", "client_apply_failed"},
                             {"message", applied.ToString()}});
    }
    return applied.ok();
  }
  if (type == "ack") {
    ++acks_;
  } else if (type == "error") {
    errors_.push_back(m);
  } else if (type == "presence" || type == "presence_left") {
    presence_.push_back(m);
  }
  return true;
}

bool Editor::PumpUntil(const std::function<bool()>& done, Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    std::optional<Json> m = ws_->Read(
        std::min(Ms(50), std::chrono::duration_cast<Ms>(
                             deadline - std::chrono::steady_clock::now())));
    if (!m) {
      if (ws_->closed()) return done();
      continue;
    }
    if (!Handle(*m)) return false;
  }
  return done();
}

// ---- HTTP ------------------------------------------------------------------

std::pair<int, std::string> HttpRequest(uint16_t port,
                                               const std::string& method,
                                               const std::string& target,
                                               const std::string& bearer,
                                               const std::string& body) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {0, ec.message()};
  bhttp::request<bhttp::string_body> req{
      method == "POST" ? bhttp::verb::post : bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!bearer.empty()) req.set(bhttp::field::authorization, "Bearer " + bearer);
  req.body() = body;
  req.prepare_payload();
  bhttp::write(stream, req, ec);
  if (ec) return {0, ec.message()};
  beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buf, res, ec);
  if (ec) return {0, ec.message()};
  return {res.result_int(), res.body()};
}

// ---- RawWs -----------------------------------------------------------------

struct RawWs::Impl {
  void Run(bool& done, Ms timeout) {
    ioc.restart();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      ioc.run_one_for(deadline - std::chrono::steady_clock::now());
    }
  }
  void Drop() {
    if (!ws) return;
    beast::error_code ec;
    beast::get_lowest_layer(*ws).socket().close(ec);
    ioc.restart();
    ioc.poll();  // lets aborted handlers run while their captures live
    ioc.stop();
    ws.reset();
  }

  asio::io_context ioc;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
};

RawWs::RawWs() : impl_(std::make_unique<Impl>()) {}
RawWs::~RawWs() { impl_->Drop(); }

bool RawWs::Connect(uint16_t port, Ms timeout) {
  Impl& d = *impl_;
  d.ws = std::make_unique<websocket::stream<beast::tcp_stream>>(d.ioc);
  auto& tcp = beast::get_lowest_layer(*d.ws);
  tcp.expires_after(timeout);
  beast::error_code ec;
  tcp.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
              ec);
  if (ec) return false;
  d.ws->handshake("127.0.0.1:" + std::to_string(port), "/ws", ec);
  tcp.expires_never();
  d.ws->read_message_max(256u << 20);
  return !ec;
}

bool RawWs::Write(const std::string& bytes, Ms timeout) {
  Impl& d = *impl_;
  bool done = false;
  beast::error_code result;
  d.ws->text(true);
  d.ws->async_write(asio::buffer(bytes), [&](beast::error_code ec, size_t) {
    result = ec;
    done = true;
  });
  d.Run(done, timeout);
  if (!done) {
    d.Drop();
    return false;
  }
  return !result;
}

int RawWs::WaitCloseCode(Ms timeout) {
  Impl& d = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool done = false;
    beast::error_code result;
    d.ws->async_read(d.buffer, [&](beast::error_code ec, size_t) {
      result = ec;
      done = true;
    });
    d.Run(done, std::chrono::duration_cast<Ms>(deadline -
                                                std::chrono::steady_clock::now()));
    if (!done) break;
    d.buffer.consume(d.buffer.size());
    if (result) {
      last_error_ = result.message();
      return result == websocket::error::closed ? d.ws->reason().code : 0;
    }
  }
  d.Drop();
  return -1;
}

// ---- Upgrade burst ---------------------------------------------------------

UpgradeBurstResult UpgradeBurst(uint16_t port, int clients, Ms timeout) {
  UpgradeBurstResult r;
  asio::io_context ioc;
  std::vector<std::unique_ptr<websocket::stream<beast::tcp_stream>>> streams;
  for (int i = 0; i < clients; ++i) {
    auto ws = std::make_unique<websocket::stream<beast::tcp_stream>>(ioc);
    beast::error_code ec;
    beast::get_lowest_layer(*ws).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(*ws).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    streams.push_back(std::move(ws));
  }
  for (auto& ws : streams) {
    ws->async_handshake("127.0.0.1:" + std::to_string(port), "/ws",
                        [&r](beast::error_code ec) {
                          ++r.done;
                          if (!ec) ++r.upgraded;
                        });
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (r.done < clients && std::chrono::steady_clock::now() < deadline) {
    ioc.run_one_for(Ms(100));
  }
  for (auto& ws : streams) {
    beast::error_code ec;
    beast::get_lowest_layer(*ws).socket().close(ec);
  }
  ioc.restart();
  ioc.poll();
  streams.clear();
  return r;
}

}  // namespace samplan::testing
