// The bundle commands of the samplan program: `samplan export` writes a
// plan's history up to a signed named version into one JSON file;
// `samplan verify --bundle FILE` checks such a file with nothing else at
// hand (cli/bundle.h describes the format and the checks).
//
// Each Run* function takes the arguments after the command name and returns
// the exit status (0 success, 1 the command ran and found a failure, 2
// usage or I/O error, message on stderr). The k*Usage texts are the details
// `samplan help <command>` prints.
//
// Thread-safety: run from main only.
#ifndef SAMPLAN_CLI_BUNDLE_COMMANDS_H_
#define SAMPLAN_CLI_BUNDLE_COMMANDS_H_

#include <span>
#include <string_view>

namespace samplan {

inline constexpr std::string_view kExportUsage =
    "Writes plan ID's history up to its named version NAME as one JSON file\n"
    "(a bundle): the signed version, every named version and checkpoint up\n"
    "to it, the server's public keys, every operation 1..seq with its chain\n"
    "value, and the plan's state at that version. Anyone can check the file\n"
    "with `samplan verify --bundle FILE`, without the server. DIR is the\n"
    "server's data directory (database in DIR/db, keys in DIR/keys,\n"
    "checkpoints in DIR/checkpoints.log); stop the server or use a backup\n"
    "(while a server runs, the database is read as of now).\n"
    "\n"
    "  --out FILE   where to write (default ./ID-NAME.samplan-bundle.json,\n"
    "               NAME made file-name friendly)\n"
    "\n"
    "The written bundle is verified before the command ends.\n"
    "Exit status: 0 written and verified, 1 the stored history does not\n"
    "match the version or the bundle does not verify, 2 usage or I/O error\n"
    "(unknown plan or version, no keys).\n";

inline constexpr std::string_view kVerifyBundleUsage =
    "With --bundle FILE (no --data): checks a bundle written by `samplan\n"
    "export` on its own: sequence numbers, the hash chain of every\n"
    "operation, that the log ends at the signed version with its head, the\n"
    "Ed25519 signatures of the version, of every listed version and\n"
    "checkpoint with the bundle's keys, and that replaying the operations\n"
    "gives the bundle's state. Prints what was verified (plan, version,\n"
    "seq, head, signing key) or the first check that fails. Compare the\n"
    "key id with the server's published keys (GET /api/keys).\n"
    "Exit status: 0 verified, 1 a check failed, 2 usage or I/O error.\n";

int RunExportCommand(std::span<const std::string_view> args);
// `samplan verify --bundle FILE` (args: everything after "verify").
int RunVerifyBundle(std::span<const std::string_view> args);

}  // namespace samplan

#endif  // SAMPLAN_CLI_BUNDLE_COMMANDS_H_
