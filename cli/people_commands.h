// `samplan people` and `samplan forget-user`: the personal data the server
// keeps about users (display name, e-mail; storage/people.h), kept apart
// from the op log so that a user can be forgotten without rewriting the
// signed history.
//
// Both open the database for writing: stop the server first.
// Each Run* function takes the arguments after the command name and returns
// the exit status (0 success, 1 the command ran and found a failure, 2
// usage or I/O error, message on stderr).
//
// Thread-safety: run from main only.
#ifndef SAMPLAN_CLI_PEOPLE_COMMANDS_H_
#define SAMPLAN_CLI_PEOPLE_COMMANDS_H_

#include <span>
#include <string_view>

namespace samplan {

inline constexpr std::string_view kPeopleUsage =
    "Manages the names history views show for user ids (the op log keeps\n"
    "only the id). DIR is the server's data directory; stop the server.\n"
    "\n"
    "  set --user ID --name NAME [--email E]   store (or replace) a person\n"
    "  list [--json]                           every person and every\n"
    "                                          recorded erasure\n"
    "\n"
    "An erased user (see `samplan forget-user`) cannot be set again.\n"
    "Exit status: 0 done, 1 refused (erased user), 2 usage or I/O error.\n";

inline constexpr std::string_view kForgetUserUsage =
    "Erases a user's personal data (right to erasure): removes the stored\n"
    "name and e-mail, marks the user erased (history then shows only the\n"
    "user id, flagged as erased, and no name can be stored for it again)\n"
    "and records the erasure (who, when, why) for the audit trail. The op\n"
    "log is not changed: its hash chain, checkpoints and signed versions\n"
    "stay valid. A user with no stored data is marked erased too. Prints\n"
    "what was done. DIR is the server's data directory; stop the server.\n"
    "\n"
    "  --user ID        the user id to forget\n"
    "  --by OPERATOR    who performs the erasure (recorded)\n"
    "  --reason TEXT    why, e.g. the request's case number (recorded)\n"
    "\n"
    "Exit status: 0 erased, 2 usage or I/O error.\n";

int RunPeopleCommand(std::span<const std::string_view> args);
int RunForgetUserCommand(std::span<const std::string_view> args);

}  // namespace samplan

#endif  // SAMPLAN_CLI_PEOPLE_COMMANDS_H_
