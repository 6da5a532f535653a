// `samplan keys`: the server's Ed25519 signing keys (storage/signing.h),
// which sign named versions and checkpoints.
//
// RunKeysCommand takes the arguments after the command name and returns
// the exit status (0 success, 2 usage or I/O error, message on stderr).
//
// Thread-safety: run from main only.
#ifndef SAMPLAN_CLI_KEY_COMMANDS_H_
#define SAMPLAN_CLI_KEY_COMMANDS_H_

#include <span>
#include <string_view>

namespace samplan {

inline constexpr std::string_view kKeysUsage =
    "Prints the server's signing keys (DIR/keys): per key its id, when it\n"
    "was created, whether it is active or since when retired, the raw\n"
    "Ed25519 public key in base64 and as PEM. Publish these (the server\n"
    "serves them at GET /api/keys) so that anyone can check a signed\n"
    "version or an exported bundle. Creates the key ring if there is none.\n"
    "\n"
    "  --rotate   make a new active key first; the old key stays listed\n"
    "             (retired) so that what it signed still verifies. Restart\n"
    "             a running server afterwards: it signs with the key it\n"
    "             loaded.\n"
    "  --json     one JSON object {\"keys\": [{\"id\", \"public_key\",\n"
    "             \"created_ms\", \"retired_ms\", \"active\", \"pem\"}]}\n"
    "\n"
    "Exit status: 0 printed, 2 usage or I/O error (damaged key files).\n";

int RunKeysCommand(std::span<const std::string_view> args);

}  // namespace samplan

#endif  // SAMPLAN_CLI_KEY_COMMANDS_H_
