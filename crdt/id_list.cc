#include "crdt/id_list.h"

#include <cassert>
#include <string>

namespace samplan {

namespace {

// Origin positions as in sequence_order.h: -1 for a null left origin,
// `size` for a null right origin.
constexpr ptrdiff_t kNoIndex = -2;

}  // namespace

Status IdList::Insert(OpId id, OpId origin_left, OpId origin_right) {
  if (id.IsNull()) return Status::InvalidArgument("id list: null element id");
  if (Contains(id)) {
    return Status::InvalidArgument("id list: element " + id.ToString() +
                                   " is already present");
  }
  const ptrdiff_t size = static_cast<ptrdiff_t>(elements_.size());
  ptrdiff_t left = -1;
  ptrdiff_t right = size;
  if (!origin_left.IsNull()) {
    auto it = index_.find(origin_left);
    if (it == index_.end()) {
      return Status::NotFound("id list: left origin " + origin_left.ToString() +
                              " is not in the list");
    }
    left = static_cast<ptrdiff_t>(it->second);
  }
  if (!origin_right.IsNull()) {
    auto it = index_.find(origin_right);
    if (it == index_.end()) {
      return Status::NotFound("id list: right origin " +
                              origin_right.ToString() + " is not in the list");
    }
    right = static_cast<ptrdiff_t>(it->second);
  }
  if (left >= right) {
    return Status::InvalidArgument(
        "id list: left origin " + origin_left.ToString() +
        " is not before right origin " + origin_right.ToString());
  }

  auto index_of_left = [&](OpId o) -> ptrdiff_t {
    if (o.IsNull()) return -1;
    auto it = index_.find(o);
    return it == index_.end() ? kNoIndex : static_cast<ptrdiff_t>(it->second);
  };
  auto index_of_right = [&](OpId o) -> ptrdiff_t {
    if (o.IsNull()) return size;
    auto it = index_.find(o);
    return it == index_.end() ? kNoIndex : static_cast<ptrdiff_t>(it->second);
  };

  // FugueMax integration, exactly as written in sequence_order.h.
  ptrdiff_t dest = left + 1;
  bool scanning = false;
  for (ptrdiff_t i = left + 1;; ++i) {
    if (!scanning) dest = i;
    if (i == size || i == right) break;
    const Element& other = elements_[static_cast<size_t>(i)];
    const ptrdiff_t other_left = index_of_left(other.origin_left);
    if (other_left < left) break;
    if (other_left == left) {
      const ptrdiff_t other_right = index_of_right(other.origin_right);
      if (other_right < right) {
        scanning = true;
        continue;
      }
      if (other_right == right && id.replica < other.id.replica) break;
      scanning = false;
      continue;
    }
    // other_left > left: `other` belongs to a subtree of an element after
    // the left origin; skip it.
  }

  const size_t at = static_cast<size_t>(dest);
  elements_.insert(elements_.begin() + static_cast<ptrdiff_t>(at),
                   Element{id, origin_left, origin_right, false});
  Reindex(at);
  return Status::OK();
}

Status IdList::Delete(OpId id) {
  auto it = index_.find(id);
  if (it == index_.end()) {
    return Status::NotFound("id list: element " + id.ToString() +
                            " is not in the list");
  }
  elements_[it->second].deleted = true;
  return Status::OK();
}

size_t IdList::IndexOf(OpId id) const {
  auto it = index_.find(id);
  assert(it != index_.end());
  return it->second;
}

Status IdList::OriginsAt(size_t visible_index,
                         const std::function<bool(const Element&)>& visible,
                         OpId* origin_left, OpId* origin_right) const {
  // Position (in the full list) right after the left origin.
  size_t after_left = 0;
  OpId left = kNullId;
  size_t seen = 0;
  if (visible_index > 0) {
    bool found = false;
    for (size_t i = 0; i < elements_.size(); ++i) {
      if (!visible(elements_[i])) continue;
      if (++seen == visible_index) {
        left = elements_[i].id;
        after_left = i + 1;
        found = true;
        break;
      }
    }
    if (!found) {
      return Status::OutOfRange(
          "id list: visible index " + std::to_string(visible_index) +
          " is past the end (" + std::to_string(seen) + " visible elements)");
    }
  }
  *origin_left = left;
  *origin_right =
      after_left < elements_.size() ? elements_[after_left].id : kNullId;
  return Status::OK();
}

void IdList::Reindex(size_t from) {
  for (size_t i = from; i < elements_.size(); ++i) {
    index_[elements_[i].id] = i;
  }
}

}  // namespace samplan
