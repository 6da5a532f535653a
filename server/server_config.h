// ServerConfig: every tunable of `samplan serve`, with the documented
// defaults (docs/protocol.md, "Limits"). Plain data.
#ifndef SAMPLAN_SERVER_SERVER_CONFIG_H_
#define SAMPLAN_SERVER_SERVER_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace samplan {

struct ServerConfig {
  std::string bind = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (printed at start)
  std::string data_dir = "./samplan-data";
  int threads = 0;  // 0: number of cores
  // Origins allowed to open a WebSocket. A request without Origin (not a
  // browser) is allowed. "*" allows every origin. Default: any port of
  // localhost and 127.0.0.1, over http or https.
  std::vector<std::string> allowed_origins = {
      "http://localhost", "http://127.0.0.1", "https://localhost",
      "https://127.0.0.1"};
  size_t max_message_bytes = 1 << 20;  // larger: close 1009
  size_t max_ops_per_batch = 1000;
  // Token bucket per connection: messages per second and burst.
  double rate_per_second = 200;
  double rate_burst = 400;
  int handshake_timeout_s = 10;  // HTTP request / WebSocket upgrade
  int idle_timeout_s = 60;       // no traffic (pings sent at half of it)
  int auth_timeout_s = 10;       // time to send "auth" after connecting
  size_t send_queue_limit = 1024;              // messages
  size_t send_queue_bytes = 64u << 20;         // bytes
  // Open TCP connections, HTTP and WebSocket alike, counted from accept.
  size_t max_connections = 10000;
  // Per plan: operations accepted but not yet stored (the room refuses
  // more with `unavailable`), and the plan's size (`quota_exceeded`):
  // characters ever inserted (deleted ones stay in the history) and nodes.
  size_t max_pending_batches = 1024;
  size_t max_pending_ops = 65536;
  uint64_t max_plan_chars = 4'000'000;
  uint64_t max_plan_nodes = 20'000;
  // Plans one user (token subject) may create with POST /api/plans, over
  // the data directory's lifetime (counted in DATA/plans-created.json).
  uint64_t max_plans_per_user = 100;
  bool demo = true;   // create the demo plan and users in an empty dir
  // POST /api/demo-login is served: `demo` and the data directory has the
  // demo plan (set by `samplan serve` at start-up, not a flag).
  bool demo_login = false;
  // Demo login on a non-loopback --bind needs --allow-public-demo.
  bool allow_public_demo = false;
  bool sync = true;   // durable appends (fsync before ack)
  // For tests only: every plan append waits this long on the storage pool
  // before it is written (a slow disk), to widen the window in which an
  // operation is known but not yet stored.
  int test_append_delay_ms = 0;
  int shutdown_grace_s = 10;
  // The browser app (server/static_files.h): the folder served at / and
  // the wasm core's build folder served at /core/. Empty: not served.
  std::string web_root;
  std::string core_dir;
  // Background snapshots (storage/snapshot_scheduler.h): after this many
  // new ops, or this long after the first new op. 0 ops: no snapshots.
  uint64_t snapshot_every_ops = 1000;
  int snapshot_every_s = 60;
  // Signed checkpoints of plan heads (storage/checkpoint_scheduler.h);
  // 0 ops: none.
  uint64_t checkpoint_every_ops = 1000;
  int checkpoint_every_s = 60;
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_SERVER_CONFIG_H_
