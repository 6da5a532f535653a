// Identifiers shared by every part of the core.
//
// Every operation is identified by an OpId (replica, counter). A replica
// numbers its operations 1, 2, 3, ... without gaps; an operation that covers
// n units (n inserted code points, n deleted characters) consumes the
// counters [counter, counter + n). Node ids, text character ids and table
// line ids are the OpIds of the operations that created them, so they are
// globally unique without coordination.
//
// Replica id 0 is reserved for the two built-in nodes: the plan root and the
// trash (deleting a node moves it to the trash, see move_tree.h). A null
// OpId {0, 0} means "none" (e.g. "insert at the start").
#ifndef SAMPLAN_CRDT_IDS_H_
#define SAMPLAN_CRDT_IDS_H_

#include <compare>
#include <cstdint>
#include <string>

namespace samplan {

using ReplicaId = uint64_t;

struct OpId {
  ReplicaId replica = 0;
  uint64_t counter = 0;

  bool IsNull() const { return replica == 0 && counter == 0; }
  friend auto operator<=>(const OpId&, const OpId&) = default;
  friend bool operator==(const OpId&, const OpId&) = default;
  // "replica:counter", e.g. "7:42".
  std::string ToString() const {
    return std::to_string(replica) + ":" + std::to_string(counter);
  }
};

inline constexpr OpId kNullId{0, 0};
inline constexpr OpId kRootNode{0, 1};
inline constexpr OpId kTrashNode{0, 2};

// A run of consecutive ids of one replica: [counter, counter + length).
// `backward` records the order in which a DeleteText consumed them (true for
// backspacing: highest counter first); it never changes which ids are named.
struct IdSpan {
  ReplicaId replica = 0;
  uint64_t counter = 0;
  uint64_t length = 0;
  bool backward = false;

  friend bool operator==(const IdSpan&, const IdSpan&) = default;
  // The i-th id in consumption order. REQUIRES: i < length.
  OpId At(uint64_t i) const {
    return OpId{replica, backward ? counter + length - 1 - i : counter + i};
  }
};

struct OpIdHash {
  size_t operator()(const OpId& id) const {
    uint64_t h = id.replica * 0x9E3779B97F4A7C15ull ^ id.counter;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return static_cast<size_t>(h);
  }
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_IDS_H_
