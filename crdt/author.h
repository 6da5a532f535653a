// Author: who made an operation, as the server stamps it (user, the user's
// municipality, wall time in ms). Plain data.
#ifndef SAMPLAN_CRDT_AUTHOR_H_
#define SAMPLAN_CRDT_AUTHOR_H_

#include <cstdint>
#include <string>

namespace samplan {

struct Author {
  std::string user;
  std::string municipality;
  int64_t wall_time_ms = 0;
  friend bool operator==(const Author&, const Author&) = default;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_AUTHOR_H_
