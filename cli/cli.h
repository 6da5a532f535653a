// Conventions shared by the `samplan` subcommands (cli/main.cc and the
// command files beside it).
#ifndef SAMPLAN_CLI_CLI_H_
#define SAMPLAN_CLI_CLI_H_

#include <span>
#include <string_view>

namespace samplan {

// Exit status of every command: success; the command ran and found a
// failure; usage or I/O error (message on stderr).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// A command's arguments, after the command name.
using CommandArgs = std::span<const std::string_view>;

}  // namespace samplan

#endif  // SAMPLAN_CLI_CLI_H_
