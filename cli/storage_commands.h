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

#include <span>
#include <string_view>

namespace samplan {

inline constexpr std::string_view kVerifyUsage =
    "Recomputes the hash chain of every plan (or of --plan ID), checks that\n"
    "sequence numbers have no gaps, that each plan's head matches, that every\n"
    "operation applies, and that every snapshot equals a replay of the log\n"
    "up to it; also checks RocksDB's block checksums. Prints the first\n"
    "inconsistency (plan, sequence number, what), or a summary.\n"
    "Exit status: 0 all consistent, 1 an inconsistency, 2 usage or I/O "
    "error.\n";
inline constexpr std::string_view kBackupUsage =
    "Copies a consistent view of the database of data directory DIR (a\n"
    "server may be running on it and writing) into a new data directory\n"
    "DIR2 (database and the server's other files, e.g. the token secret),\n"
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
    "Exit status: 0 printed, 1 the stored history is damaged, 2 usage or\n"
    "I/O error.\n";

int RunVerifyCommand(std::span<const std::string_view> args);
int RunBackupCommand(std::span<const std::string_view> args);
int RunLogCommand(std::span<const std::string_view> args);

}  // namespace samplan

#endif  // SAMPLAN_CLI_STORAGE_COMMANDS_H_
