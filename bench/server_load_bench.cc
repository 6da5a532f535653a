// Load generator for `samplan serve` (docs/protocol.md): starts the real
// server binary (build/samplan, next to this program) on a free loopback
// port with a temporary data directory and drives it with many WebSocket
// clients on one client thread.
//
//   build/server_load_bench [fanout|fanout-nosync|review-fanout|throughput|
//                            connections|all]
//
//   fanout       one plan, 10 writers typing 20 ops/s each, 50 readers:
//                fan-out latency (edit sent -> every reader has it), 10 s
//   review-fanout  the same load, but each writer comments instead of
//                typing (add_comment: a new thread, or mostly replies,
//                some with mentions): a comment's fan-out latency
//   throughput   one plan, 1 writer replaying automerge-paper (batches,
//                4 in flight, as fast as acks allow), 10 readers applying
//                everything; every reader must end with the trace's text
//   connections  500 plans x 4 clients = 2000 connections held; server
//                memory per open plan and per connection (VmRSS)
//
// Prints one JSON object per scenario. Not a Google Benchmark program (it
// measures a separate process over sockets); it has its own main().
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crdt/replica.h"
#include "protocol/json_codec.h"
#include "cli/demo_plan.h"
#include "cli/trace.h"
#include "storage/rocksdb_plan_store.h"
#include "tests/server_harness.h"

namespace samplan::bench {
namespace {

using testing::Json;
using testing::MintToken;
using testing::ServerProcess;
using testing::TempDir;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// CPU time (user + system) the process has used, ms.
double CpuMsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces): state is 3rd,
  // utime the 14th, stime the 15th.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks * 1000.0 / sysconf(_SC_CLK_TCK);
}

long RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A client on the shared io_context: synchronous setup (connect, auth,
// join), then an async read loop and a write queue.
class Client : public std::enable_shared_from_this<Client> {
 public:
  using Handler = std::function<void(Client&, const std::string&)>;
  explicit Client(asio::io_context& ioc) : ws_(ioc) {}

  bool Setup(uint16_t port, const std::string& token, const std::string& plan,
             bool keep_ops) {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return false;
    beast::get_lowest_layer(ws_).socket().set_option(asio::ip::tcp::no_delay(true));
    ws_.handshake("127.0.0.1", "/ws", ec);
    if (ec) return false;
    ws_.read_message_max(512u << 20);
    if (!WriteSync(Json{{"v", 1}, {"type", "auth"}, {"token", token}}.dump())) return false;
    std::optional<Json> m = ReadSync();
    if (!m || (*m)["type"] != "authenticated") return false;
    if (!WriteSync(Json{{"v", 1}, {"type", "join"}, {"plan", plan}}.dump())) return false;
    for (int i = 0; i < 10000; ++i) {
      m = ReadSync();
      if (!m) return false;
      if ((*m)["type"] == "joined") break;
    }
    if ((*m)["type"] != "joined") return false;
    replica_id = (*m)["replica"].get<uint64_t>();
    if (keep_ops) {
      replica = std::make_unique<Replica>(replica_id);
      std::vector<Op> ops;
      if (!protocol::OpsFromJson((*m)["ops"], "ops", 1u << 30, &ops).ok()) return false;
      if (!replica->ApplyAll(ops).ok()) return false;
    }
    return true;
  }

  void Start(Handler on_message) {
    on_message_ = std::move(on_message);
    DoRead();
  }

  void Send(std::string text) {
    out_.push_back(std::make_shared<std::string>(std::move(text)));
    if (out_.size() == 1) DoWrite();
  }

  void Close() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

  bool open = true;
  uint64_t replica_id = 0;
  std::unique_ptr<Replica> replica;

 private:
  bool WriteSync(const std::string& s) {
    beast::error_code ec;
    ws_.write(asio::buffer(s), ec);
    return !ec;
  }
  std::optional<Json> ReadSync() {
    beast::error_code ec;
    buf_.clear();
    ws_.read(buf_, ec);
    if (ec) return std::nullopt;
    Json j = Json::parse(beast::buffers_to_string(buf_.data()), nullptr, false);
    buf_.clear();
    if (j.is_discarded()) return std::nullopt;
    return j;
  }
  void DoRead() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->open = false;
        return;
      }
      const std::string text = beast::buffers_to_string(self->buf_.data());
      self->buf_.consume(self->buf_.size());
      self->on_message_(*self, text);
      self->DoRead();
    });
  }
  void DoWrite() {
    ws_.async_write(asio::buffer(*out_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) {
                        self->open = false;
                        return;
                      }
                      self->out_.pop_front();
                      if (!self->out_.empty()) self->DoWrite();
                    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
  std::deque<std::shared_ptr<std::string>> out_;
  Handler on_message_;
};

std::string OpsMessage(const std::vector<Op>& ops, const std::string& ref) {
  return Json{{"v", 1}, {"type", "ops"}, {"ref", ref},
              {"ops", protocol::OpsToJson(ops, false)}}
      .dump();
}

// Ops of `r` not in `sent`, then marks them sent.
std::vector<Op> TakeNewOps(Replica& r, VersionVector* sent) {
  std::vector<Op> ops;
  r.OpsSince(*sent, &ops);
  *sent = r.version();
  return ops;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1));
  return v[i];
}

// ---- fanout ------------------------------------------------------------------

// What each writer sends: keystrokes into a text block of its own, or
// review comments on the demo plan's nodes.
enum class FanoutLoad { kTyping, kComments };

// One comment by writer `i`: every fifth a new thread (on a node, or on a
// range of its title), else a reply to the writer's latest thread; every
// third mentions a user or a municipality.
void Comment(Replica& r, int i, int tick, const std::vector<OpId>& targets,
             OpId* thread) {
  static const char* const kBodies[] = {
      "Bør vi tallfeste dette?", "Kilden må oppgis her.",
      "Enig, jeg tar det videre i arbeidsgruppen.",
      "Vestby ønsker en tidsfrist her."};
  static const char* const kMentions[] = {"user:ola", "municipality:Moss",
                                          "user:kari", "municipality:Vestby"};
  std::vector<std::string> mentions;
  if (tick % 3 == 0) mentions.push_back(kMentions[(i + tick) % 4]);
  const char* body = kBodies[(i + tick) % 4];
  if (thread->IsNull() || tick % 5 == 0) {
    const OpId node = targets[(i + tick) % targets.size()];
    Replica::ThreadAnchorSpec spec = Replica::ThreadAnchorSpec::OnNode(node);
    const TextSequence* title = r.TextOf(node, "title");
    if (tick % 2 == 0 && title != nullptr && title->size() > 10) {
      spec = Replica::ThreadAnchorSpec::OnText(node, "title", 2, 10);
    }
    Result<OpId> t = r.AddThread(spec, body, mentions);
    if (t.ok()) *thread = *t;
  } else {
    r.Reply(*thread, body, mentions);
  }
}

int Fanout(bool sync, FanoutLoad load = FanoutLoad::kTyping) {
  const bool comments = load == FanoutLoad::kComments;
  TempDir dir;
  ServerProcess server;
  const std::string data = dir.path() + "/data";
  std::vector<std::string> flags = {"--quiet"};
  if (!sync) flags.push_back("--no-sync");
  if (!server.Start(data, flags)) {
    std::fprintf(stderr, "server did not start\n");
    return 1;
  }
  const std::string token = MintToken(data, "kari", "Moss", "demo", Role::kAdmin);
  asio::io_context ioc;
  constexpr int kWriters = 10, kReaders = 50;
  constexpr double kSeconds = 10;
  std::vector<std::shared_ptr<Client>> writers, readers;
  for (int i = 0; i < kWriters + kReaders; ++i) {
    auto c = std::make_shared<Client>(ioc);
    if (!c->Setup(server.port(), token, "demo", i < kWriters)) {
      std::fprintf(stderr, "client %d setup failed\n", i);
      return 1;
    }
    (i < kWriters ? writers : readers).push_back(c);
  }
  std::map<std::pair<uint64_t, uint64_t>, Clock::time_point> sent_at;
  std::vector<double> latencies;
  size_t acks = 0, errors = 0;
  // Every message the writers get: acks and the other writers' ops.
  for (auto& w : writers) {
    w->Start([&](Client& c, const std::string& text) {
      Json j = Json::parse(text, nullptr, false);
      if (j["type"] == "ack") ++acks;
      if (j["type"] == "error") ++errors;
      if (j["type"] == "ops") {
        std::vector<Op> ops;
        protocol::OpsFromJson(j["ops"], "ops", 1u << 30, &ops);
        c.replica->ApplyAll(ops);
      }
    });
  }
  for (auto& r : readers) {
    r->Start([&](Client&, const std::string& text) {
      const auto now = Clock::now();
      Json j = Json::parse(text, nullptr, false);
      if (j["type"] != "ops") return;
      for (const Json& op : j["ops"]) {
        auto it = sent_at.find({op["id"][0].get<uint64_t>(), op["id"][1].get<uint64_t>()});
        if (it != sent_at.end()) latencies.push_back(Seconds(now - it->second) * 1000);
      }
    });
  }
  // Each writer creates its text block, then types one character per 50 ms
  // (or comments once per 50 ms on the demo plan's nodes).
  std::vector<OpId> nodes(kWriters), threads(kWriters);
  std::vector<VersionVector> sent(kWriters);
  std::vector<OpId> targets;
  if (comments) {
    const Replica& r = *writers[0]->replica;
    std::function<void(OpId)> walk = [&](OpId n) {
      targets.push_back(n);
      for (OpId c : r.Children(n)) walk(c);
    };
    walk(kRootNode);
  }
  for (int i = 0; i < kWriters; ++i) {
    Replica& r = *writers[i]->replica;
    sent[i] = r.version();
    if (comments) {
      Comment(r, i, 0, targets, &threads[i]);
    } else {
      nodes[i] = *r.CreateNode(kRootNode, 0, "text_block");
    }
    writers[i]->Send(OpsMessage(TakeNewOps(r, &sent[i]), "n"));
  }
  ioc.run_for(std::chrono::milliseconds(500));
  const double cpu0 = CpuMsOf(server.pid());
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(kSeconds));
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  size_t ops_sent = 0;
  std::vector<int> ticks(kWriters);
  std::function<void(int)> tick = [&](int i) {
    if (Clock::now() >= end) return;
    Replica& r = *writers[i]->replica;
    if (comments) {
      Comment(r, i, ++ticks[i], targets, &threads[i]);
    } else {
      const size_t len = r.Text(nodes[i], "body")->size();
      r.InsertText(nodes[i], "body", len, "a");
    }
    std::vector<Op> ops = TakeNewOps(r, &sent[i]);
    // Ops of other writers applied meanwhile are not ours to send.
    std::vector<Op> mine;
    for (Op& op : ops) {
      if (op.id.replica == writers[i]->replica_id) mine.push_back(std::move(op));
    }
    for (const Op& op : mine) sent_at[{op.id.replica, op.id.counter}] = Clock::now();
    ops_sent += mine.size();
    writers[i]->Send(OpsMessage(mine, "t"));
    timers[i]->expires_at(timers[i]->expiry() + std::chrono::milliseconds(50));
    timers[i]->async_wait([&, i](beast::error_code) { tick(i); });
  };
  for (int i = 0; i < kWriters; ++i) {
    timers.push_back(std::make_unique<asio::steady_timer>(ioc));
    timers[i]->expires_at(start + std::chrono::milliseconds(5 * i));
    timers[i]->async_wait([&, i](beast::error_code) { tick(i); });
  }
  ioc.run_until(end + std::chrono::seconds(2));
  const double server_cpu_ms = CpuMsOf(server.pid()) - cpu0;
  const size_t expected = ops_sent * kReaders;
  const size_t got = latencies.size();
  const double p50 = Percentile(latencies, 0.5), p99 = Percentile(latencies, 0.99),
               p999 = Percentile(latencies, 0.999),
               max = latencies.empty() ? 0 : latencies.back();
  std::printf(
      "{\"scenario\": \"%s\", \"fsync\": %s, \"writers\": %d, \"readers\": %d, \"seconds\": %.0f, "
      "\"ops_sent\": %zu, \"deliveries\": %zu, \"deliveries_expected\": %zu, "
      "\"acks\": %zu, \"errors\": %zu, \"latency_ms\": {\"p50\": %.3f, \"p99\": %.3f, "
      "\"p999\": %.3f, \"max\": %.3f}, \"server_rss_kb\": %ld, "
      "\"server_cpu_ms_per_op\": %.3f}\n",
      comments ? "review-fanout" : "fanout", sync ? "true" : "false", kWriters, kReaders, kSeconds, ops_sent, got, expected, acks, errors, p50, p99,
      p999, max, RssKb(server.pid()), ops_sent ? server_cpu_ms / ops_sent : 0.0);
  std::fflush(stdout);
  for (auto& c : writers) c->Close();
  for (auto& c : readers) c->Close();
  server.Signal(SIGTERM, std::chrono::milliseconds(10000));
  return got == expected && errors == 0 ? 0 : 1;
}

// ---- throughput ----------------------------------------------------------------

int Throughput() {
  Trace trace;
  const std::string path =
      std::string(SAMPLAN_SHARED_DIR) + "/traces/sequential/automerge-paper.json.gz";
  if (Status s = LoadTrace(path, &trace); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 2;
  }
  TempDir dir;
  ServerProcess server;
  const std::string data = dir.path() + "/data";
  if (!server.Start(data, {"--quiet", "--rate", "100000", "--burst", "100000"})) {
    std::fprintf(stderr, "server did not start\n");
    return 1;
  }
  const std::string token = MintToken(data, "kari", "Moss", "demo", Role::kAdmin);
  asio::io_context ioc;
  constexpr int kReaders = 10;
  constexpr size_t kPatchesPerBatch = 1000;
  constexpr int kWindow = 4;
  auto writer = std::make_shared<Client>(ioc);
  if (!writer->Setup(server.port(), token, "demo", true)) return 1;
  std::vector<std::shared_ptr<Client>> readers;
  for (int i = 0; i < kReaders; ++i) {
    auto c = std::make_shared<Client>(ioc);
    if (!c->Setup(server.port(), token, "demo", true)) return 1;
    readers.push_back(c);
  }
  Replica& w = *writer->replica;
  VersionVector sent = w.version();
  const OpId node = *w.CreateNode(kRootNode, 0, "text_block");
  // Flatten the trace's patches.
  std::vector<const TracePatch*> patches;
  for (const TraceTxn& t : trace.txns) {
    for (const TracePatch& p : trace.PatchesOf(t)) patches.push_back(&p);
  }
  size_t next_patch = 0, in_flight = 0, batches = 0, wire_ops = 0, errors = 0;
  size_t readers_done = 0;
  uint64_t final_counter = 0;
  bool all_sent = false;
  Clock::time_point start, writer_done, end;
  std::function<void()> send_more = [&] {
    while (in_flight < kWindow && !all_sent) {
      const size_t stop = std::min(patches.size(), next_patch + kPatchesPerBatch);
      for (; next_patch < stop; ++next_patch) {
        const TracePatch& p = *patches[next_patch];
        if (p.delete_count > 0) w.DeleteText(node, "body", p.pos, p.delete_count);
        if (p.text_size > 0) w.InsertText(node, "body", p.pos, trace.InsertedText(p));
      }
      std::vector<Op> ops = TakeNewOps(w, &sent);
      if (next_patch == patches.size()) {
        all_sent = true;
        final_counter = w.version().Get(writer->replica_id);
      }
      if (ops.empty()) continue;
      // A batch may hold at most 1000 wire ops (the server's default).
      for (size_t i = 0; i < ops.size(); i += 1000) {
        std::vector<Op> part(ops.begin() + i, ops.begin() + std::min(ops.size(), i + 1000));
        wire_ops += part.size();
        ++batches;
        ++in_flight;
        writer->Send(OpsMessage(part, "b"));
      }
    }
  };
  writer->Start([&](Client&, const std::string& text) {
    Json j = Json::parse(text, nullptr, false);
    if (j["type"] == "ack") {
      --in_flight;
      if (all_sent && in_flight == 0) writer_done = Clock::now();
      send_more();
    } else if (j["type"] == "error") {
      ++errors;
      std::fprintf(stderr, "error: %s\n", text.c_str());
    }
  });
  for (auto& r : readers) {
    r->Start([&](Client& c, const std::string& text) {
      Json j = Json::parse(text, nullptr, false);
      if (j["type"] != "ops") return;
      std::vector<Op> ops;
      protocol::OpsFromJson(j["ops"], "ops", 1u << 30, &ops);
      c.replica->ApplyAll(ops);
      if (all_sent && c.replica->version().Get(writer->replica_id) == final_counter) {
        if (++readers_done == readers.size()) {
          end = Clock::now();
          ioc.stop();
        }
      }
    });
  }
  start = Clock::now();
  // The node creation goes first as its own batch.
  writer->Send(OpsMessage(TakeNewOps(w, &sent), "node"));
  ++in_flight;
  send_more();
  ioc.run_for(std::chrono::seconds(120));
  size_t correct = 0;
  for (auto& r : readers) {
    Result<std::string> t = r->replica->Text(node, "body");
    if (t.ok() && *t == trace.end_content) ++correct;
  }
  const double secs = Seconds(end - start);
  std::printf(
      "{\"scenario\": \"throughput\", \"trace\": \"automerge-paper\", \"patches\": %zu, "
      "\"batches\": %zu, \"wire_ops\": %zu, \"readers\": %d, \"seconds\": %.3f, "
      "\"patches_per_s\": %.0f, \"writer_acked_s\": %.3f, \"readers_with_final_text\": %zu, "
      "\"errors\": %zu, \"server_rss_kb\": %ld}\n",
      patches.size(), batches, wire_ops, kReaders, secs,
      readers_done == readers.size() ? patches.size() / secs : 0.0,
      Seconds(writer_done - start), correct, errors, RssKb(server.pid()));
  std::fflush(stdout);
  writer->Close();
  for (auto& c : readers) c->Close();
  server.Signal(SIGTERM, std::chrono::milliseconds(10000));
  return correct == readers.size() && errors == 0 ? 0 : 1;
}

// ---- connections -----------------------------------------------------------------

int Connections() {
  constexpr int kPlans = 500, kPerPlan = 4;
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::filesystem::create_directories(data);
  {
    std::unique_ptr<RocksDbPlanStore> store;
    RocksDbPlanStoreOptions options;
    options.sync = false;
    if (!RocksDbPlanStore::Open(data + "/db", options, &store).ok()) return 2;
    Replica demo(2);
    BuildDemoPlan(&demo);
    std::vector<Op> ops(demo.log().begin(), demo.log().end());
    for (int p = 0; p < kPlans; ++p) {
      const std::string id = "plan" + std::to_string(p);
      if (!store->CreatePlan(id, "load test plan").ok()) return 2;
      if (!store->Append(id, ops, AppendContext{"bench", "", 0}, nullptr).ok()) return 2;
    }
  }
  ServerProcess server;
  if (!server.Start(data, {"--no-demo"})) {
    std::fprintf(stderr, "server did not start\n");
    return 1;
  }
  const std::string token = MintToken(data, "arne", "Moss", "*", Role::kViewer);
  asio::io_context ioc;
  std::vector<std::shared_ptr<Client>> clients;
  auto connect = [&](int plan) {
    auto c = std::make_shared<Client>(ioc);
    if (!c->Setup(server.port(), token, "plan" + std::to_string(plan), false)) return false;
    asio::post(ioc, [c] { c->Start([](Client&, const std::string&) {}); });
    clients.push_back(c);
    return true;
  };
  // Clients answer pings while the others connect: the io_context runs on
  // its own thread; Setup uses only synchronous calls on the new socket.
  auto guard = asio::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long rss0 = RssKb(server.pid());
  const auto t0 = Clock::now();
  bool ok = true;
  for (int p = 0; p < kPlans && ok; ++p) ok = connect(p);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long rss1 = RssKb(server.pid());
  for (int k = 1; k < kPerPlan && ok; ++k) {
    for (int p = 0; p < kPlans && ok; ++p) ok = connect(p);
  }
  const double connect_s = Seconds(Clock::now() - t0);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const long rss2 = RssKb(server.pid());
  guard.reset();
  asio::post(ioc, [&] { ioc.stop(); });
  io.join();
  if (!ok) {
    std::fprintf(stderr, "a connection failed after %zu\n", clients.size());
    return 1;
  }
  size_t open = 0;
  for (auto& c : clients) open += c->open;
  auto [status, metrics] = testing::HttpRequest(server.port(), "GET", "/metrics");
  auto metric = [&, &metrics = metrics](const std::string& name) {
    size_t at = metrics.find("\n" + name + " ");
    return at == std::string::npos ? -1.0
                                   : std::stod(metrics.substr(at + name.size() + 2));
  };
  std::printf(
      "{\"scenario\": \"connections\", \"plans\": %d, \"connections\": %zu, "
      "\"held_open\": %zu, \"server_connections_metric\": %.0f, \"open_plans_metric\": %.0f, "
      "\"rss_idle_kb\": %ld, \"rss_500_plans_1_client_kb\": %ld, \"rss_all_kb\": %ld, "
      "\"kb_per_open_plan_incl_1_conn\": %.1f, \"kb_per_extra_connection\": %.1f, "
      "\"connect_all_s\": %.2f}\n",
      kPlans, clients.size(), open, metric("samplan_connections"),
      metric("samplan_open_plans"), rss0, rss1, rss2,
      double(rss1 - rss0) / kPlans, double(rss2 - rss1) / (kPlans * (kPerPlan - 1)),
      connect_s);
  std::fflush(stdout);
  if (open != clients.size()) {
    // Why the server closed them (its structured log).
    std::map<std::string, int> reasons;
    std::istringstream log(server.log());
    std::string line;
    while (std::getline(log, line)) {
      Json j = Json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("event", "") == "disconnect") {
        ++reasons[j.value("reason", "")];
      }
    }
    for (auto& [reason, n] : reasons) std::fprintf(stderr, "disconnect %s: %d\n", reason.c_str(), n);
  }
  for (auto& c : clients) c->Close();
  server.Signal(SIGTERM, std::chrono::milliseconds(15000));
  return open == clients.size() ? 0 : 1;
}

}  // namespace
}  // namespace samplan::bench

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  samplan::testing::SetServerBinary(
      (fs::absolute(fs::path(argv[0])).parent_path() / "samplan").string());
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  const std::string what = argc > 1 ? argv[1] : "all";
  int rc = 0;
  if (what == "fanout" || what == "all") rc |= samplan::bench::Fanout(true);
  if (what == "fanout-nosync" || what == "all") rc |= samplan::bench::Fanout(false);
  if (what == "review-fanout" || what == "all") {
    rc |= samplan::bench::Fanout(true, samplan::bench::FanoutLoad::kComments);
  }
  if (what == "throughput" || what == "all") rc |= samplan::bench::Throughput();
  if (what == "connections" || what == "all") rc |= samplan::bench::Connections();
  return rc;
}
