// The storage commands of the samplan program: verify, backup, log.
//
// Each Run*Command takes the arguments after the command name and returns
// the exit status (0 success, 1 the command ran and found a failure, 2
// usage or I/O error, message on stderr). The k*Usage texts are the
// details `samplan help <command>` prints.
//
// DIR is a server's data directory (`samplan serve --data DIR`, database in
// DIR/db) or a bare database directory. verify and log also work while a
// server holds the database: they then read it as a RocksDB secondary
// instance, as of the moment they start.
//
// Thread-safety: run from main only.
#ifndef SAMPLAN_CLI_STORAGE_COMMANDS_H_
#define SAMPLAN_CLI_STORAGE_COMMANDS_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "crdt/status.h"
#include "storage/rocksdb_plan_store.h"

namespace samplan {

inline constexpr std::string_view kVerifyUsage =
    "Recomputes the hash chain of every plan (or of --plan ID), checks that\n"
    "sequence numbers have no gaps, that each plan's head matches, that every\n"
    "operation applies, and that every snapshot equals a replay of the log\n"
    "up to it; also checks RocksDB's block checksums. Prints the first\n"
    "inconsistency (plan, sequence number, what), or a summary.\n"
    "\n"
    "Then checks what the server signed (public keys from DIR/keys):\n"
    "every named version's signature, and that the log still has its head\n"
    "at its seq; and every checkpoint in the checkpoint file (default\n"
    "DIR/checkpoints.log when it exists): its signature, that its plan\n"
    "exists, that the log still reaches its seq (else operations were cut\n"
    "off or the plan record rewound) and has its head there (else history\n"
    "was rewritten).\n"
    "\n"
    "  --checkpoints FILE  the checkpoint file to check against (e.g. a\n"
    "                      copy kept elsewhere)\n"
    "\n"
    "`samplan verify --bundle FILE` checks an exported bundle instead (see\n"
    "`samplan help export`).\n"
    "Exit status: 0 all consistent, 1 an inconsistency, 2 usage or I/O "
    "error.\n";
inline constexpr std::string_view kBackupUsage =
    "Copies a consistent view of the database of data directory DIR (a\n"
    "server may be running on it and writing) into a new data directory\n"
    "DIR2 (database and the server's other files: the token secret, the\n"
    "signing keys in DIR/keys, the checkpoint log),\n"
    "then verifies every plan in the copy. DIR2 must not exist or be empty;\n"
    "`samplan serve --data DIR2` runs on it. See docs/storage.md.\n"
    "Exit status: 0 backed up and verified, 1 the copy does not verify,\n"
    "2 usage or I/O error.\n";
inline constexpr std::string_view kLogUsage =
    "Prints a plan's history for auditors, one operation per line: sequence\n"
    "number, server time (UTC), user, municipality, operation (kind and\n"
    "target) and the chain value in hex.\n"
    "\n"
    "  --from N          start at sequence number N (default 1)\n"
    "  --limit N         print at most N operations\n"
    "  --since MS        only operations at or after server time MS (ms since\n"
    "  --until MS        1970) / before MS\n"
    "  --json            one JSON object per line instead\n"
    "\n"
    "Filters (the same as the server's history queries, docs/protocol.md\n"
    "\"History\"; they combine with \"and\"):\n"
    "  --user U          operations of user U\n"
    "  --municipality M  operations of users of municipality M\n"
    "  --kinds K,K       of these operation kinds (insert_text, set_field, ...)\n"
    "  --node R:C        on node R:C and everything under it now\n"
    "  --no-subtree      with --node: that node only\n"
    "  --changes         print who-changed-what entries instead of operations:\n"
    "                    consecutive operations of one user on one node and\n"
    "                    field grouped, with the node's number and title now\n"
    "                    and before -> after (newest first; --limit entries)\n"
    "\n"
    "Exit status: 0 printed, 1 the stored history is damaged, 2 usage or\n"
    "I/O error.\n";

int RunVerifyCommand(std::span<const std::string_view> args);
int RunBackupCommand(std::span<const std::string_view> args);
int RunLogCommand(std::span<const std::string_view> args);

// Shared by the commands that open a data directory.
namespace cli_util {
// The database of a data directory: DIR/db for a server's data directory
// (`samplan serve --data DIR`), or DIR itself when it is a bare database.
// NotFound when neither holds one.
Status FindDatabase(const std::string& data_dir, std::string* db,
                    bool* server_layout);
// Opens the store of `data_dir` for writing. FailedPrecondition ("... is in
// use: stop the server first") when a server holds it.
Status OpenForWriting(const std::string& data_dir,
                      std::unique_ptr<RocksDbPlanStore>* store);
// "2026-06-21T10:00:00.000Z".
std::string IsoTime(int64_t ms);

// A temporary directory removed on scope exit (a secondary instance's).
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Opens the store of `data_dir` for reading: normally, or, when a server
// holds it, as a secondary instance in `scratch` (saying so on stderr,
// naming `command`).
Status OpenForReading(const char* command, const std::string& data_dir,
                      ScratchDir* scratch,
                      std::unique_ptr<RocksDbPlanStore>* store);

// Prints "samplan COMMAND: MESSAGE (see `samplan help COMMAND`)" on
// stderr; returns kExitUsage.
int Usage(const char* command, const std::string& message);
}  // namespace cli_util

}  // namespace samplan

#endif  // SAMPLAN_CLI_STORAGE_COMMANDS_H_
