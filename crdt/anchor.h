// Anchor: a stable reference to a node or to a character of a text field.
//
// Comments and suggestions hang on anchors. An anchor names ids, never
// positions, so it keeps pointing at the same thing through concurrent
// edits and moves; resolving it reports where that thing is now and
// whether it was deleted.
#ifndef SAMPLAN_CRDT_ANCHOR_H_
#define SAMPLAN_CRDT_ANCHOR_H_

#include <cstddef>
#include <string>

#include "crdt/ids.h"

namespace samplan {

struct Anchor {
  OpId node;
  // Empty: the anchor is on the node itself.
  std::string field;
  // The character the anchor sticks to; kNullId with a field means the
  // start of the text (before its first character).
  OpId character;
  // kBefore: the position just before `character` (use for a range start);
  // kAfter: just after it (use for a range end).
  enum class Side : uint8_t { kBefore = 0, kAfter = 1 };
  Side side = Side::kBefore;
  friend bool operator==(const Anchor&, const Anchor&) = default;
};

struct AnchorPosition {
  OpId node;
  OpId parent;            // the node's current parent
  size_t index = 0;       // the node's index among its siblings
  bool node_deleted = false;
  size_t position = 0;    // text position in code points (text anchors)
  bool character_deleted = false;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_ANCHOR_H_
