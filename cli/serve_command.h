// The `samplan serve` and `samplan token` commands (called from main.cc).
//
//   samplan serve [--port 8080] [--bind 127.0.0.1] [--data ./samplan-data]
//                 [options...]
//   samplan token --user U --municipality M --plan P --role R [--ttl S]
//                 [--data DIR]
//
// Both return a process exit status (0 ok, 1 failure, 2 usage/I/O error).
#ifndef SAMPLAN_CLI_SERVE_COMMAND_H_
#define SAMPLAN_CLI_SERVE_COMMAND_H_

#include <span>
#include <string_view>

namespace samplan {

// Details shown by `samplan help serve` / `samplan help token`.
inline constexpr char kServeUsage[] =
    "Runs the collaboration server: HTTP and WebSocket on one port.\n"
    "On an empty data directory it creates the demo plan 'demo' and prints\n"
    "tokens for the demo accounts (one per role). While the data has the\n"
    "demo plan, POST /api/demo-login mints demo tokens (demo plan only, not\n"
    "the admin) for anyone: it is for trying Samplan out; --no-demo gives a\n"
    "server with no open door.\n"
    "\n"
    "  --port N               port (default 8080; 0 = any free port)\n"
    "  --bind ADDR            address (default 127.0.0.1)\n"
    "  --data DIR             data directory (default ./samplan-data)\n"
    "  --threads N            network threads (default: number of cores)\n"
    "  --allow-origin ORIGIN  WebSocket Origin allowed (repeatable; replaces\n"
    "                         the default http(s)://localhost|127.0.0.1:*;\n"
    "                         '*' allows all)\n"
    "  --max-message-bytes N  largest client message (default 1048576)\n"
    "  --max-batch-ops N      operations per batch (default 1000)\n"
    "  --rate N               messages per second per connection (200)\n"
    "  --burst N              rate-limit burst (400)\n"
    "  --idle-timeout S       close silent connections after S s (60)\n"
    "  --handshake-timeout S  HTTP request / upgrade timeout (10)\n"
    "  --auth-timeout S       time to authenticate after connecting (10)\n"
    "  --send-queue-limit N   queued messages before a slow client is\n"
    "                         disconnected (1024)\n"
    "  --send-queue-bytes N   queued bytes before that (67108864)\n"
    "  --max-plan-chars N     characters ever inserted into one plan,\n"
    "                         deleted ones included (4000000)\n"
    "  --max-plan-nodes N     nodes of one plan (20000)\n"
    "  --max-pending-ops N    ops of one plan waiting for storage (65536)\n"
    "  --max-pending-batches N  batches of one plan waiting so (1024)\n"
    "  --max-connections N    open connections, HTTP and WebSocket, counted\n"
    "                         from accept (10000)\n"
    "  --max-plans-per-user N plans one user may create over the data's\n"
    "                         lifetime (100)\n"
    "  --web-root DIR         the browser app served at / (default: the\n"
    "                         web-client/app folder beside build/; 'none'\n"
    "                         serves no app)\n"
    "  --core-dir DIR         the wasm core's build folder, its .mjs and .wasm\n"
    "                         served at /core/ (default: build-wasm/ beside it)\n"
    "  --snapshot-every N     snapshot a plan after N new ops (1000; 0 = never)\n"
    "  --snapshot-interval S  or S seconds after its first new op (60)\n"
    "  --checkpoint-every N   write a signed checkpoint of a plan's head to\n"
    "                         DATA/checkpoints.log after N new ops (1000;\n"
    "                         0 = never)\n"
    "  --checkpoint-interval S  or S seconds after its first new op (60)\n"
    "  --no-demo              no demo plan, users or demo login\n"
    "  --allow-public-demo    allow demo login on a non-loopback --bind\n"
    "                         (without it serve refuses to start there)\n"
    "  --no-sync              do not fsync appends (survives a crash of the\n"
    "                         process, not of the machine)\n"
    "  --quiet                no structured log lines on stderr\n"
    "  --test-append-delay-ms N  for tests: hold every append N ms before\n"
    "                         it is written (a slow disk)\n"
    "\n"
    "Stops on SIGINT/SIGTERM: no new connections, durable writes finish,\n"
    "sessions close with 1001, exit status 0.\n";

inline constexpr char kTokenUsage[] =
    "Mints an access token signed with the data directory's secret.\n"
    "\n"
    "  --user U           user name (required)\n"
    "  --municipality M   the user's municipality (required)\n"
    "  --plan P           plan id, or '*' for every plan (required)\n"
    "  --role R           admin, editor, reviewer, auditor or viewer\n"
    "  --ttl S            lifetime in seconds (default 86400)\n"
    "  --data DIR         data directory (default ./samplan-data)\n";

int RunServeCommand(std::span<const std::string_view> args);
int RunTokenCommand(std::span<const std::string_view> args);

}  // namespace samplan

#endif  // SAMPLAN_CLI_SERVE_COMMAND_H_
