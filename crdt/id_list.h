// IdList: a small ordered sequence CRDT of ids without content.
//
// Used for the sibling slots of a plan tree node and for the rows and
// columns of a table. Elements are never removed; deletion is a tombstone
// flag. Ordering follows sequence_order.h (FugueMax). Lists are short (tens
// to a few thousand elements), so a vector with an id -> index map is used.
//
// Thread-safety: none.
#ifndef SAMPLAN_CRDT_ID_LIST_H_
#define SAMPLAN_CRDT_ID_LIST_H_

#include <cstddef>
#include <functional>
#include <unordered_map>
#include <vector>

#include "crdt/ids.h"
#include "crdt/status.h"

namespace samplan {

class IdList {
 public:
  struct Element {
    OpId id;
    OpId origin_left;   // kNullId = start
    OpId origin_right;  // kNullId = end
    bool deleted = false;
  };

  // Integrates a new element. Fails, changing nothing, with NotFound when an
  // origin is not in the list, or InvalidArgument when `id` is already
  // present or null.
  Status Insert(OpId id, OpId origin_left, OpId origin_right);
  // Marks an element deleted (idempotent). NotFound for an unknown id.
  Status Delete(OpId id);

  bool Contains(OpId id) const { return index_.count(id) != 0; }
  // REQUIRES: Contains(id)
  size_t IndexOf(OpId id) const;
  const std::vector<Element>& elements() const { return elements_; }
  size_t size() const { return elements_.size(); }

  // Appends an element at the end without integration, for loading a
  // snapshot whose elements arrive in list order. InvalidArgument when the
  // id is null or present. Call FinishLoad() after the last one.
  Status AppendLoaded(const Element& element);
  // Checks what AppendLoaded could not: origins exist, left origins lie
  // before and right origins after their element. Corruption otherwise.
  Status FinishLoad() const;

  // Origins for a new element placed so that it becomes the visible element
  // number `visible_index` (0 = first) among elements for which `visible`
  // returns true. Left origin: the visible element before it (or none);
  // right origin: the element (any) right after the left origin.
  // OutOfRange when visible_index > number of visible elements.
  Status OriginsAt(size_t visible_index,
                   const std::function<bool(const Element&)>& visible,
                   OpId* origin_left, OpId* origin_right) const;

 private:
  void Reindex(size_t from);
  std::vector<Element> elements_;
  std::unordered_map<OpId, size_t, OpIdHash> index_;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_ID_LIST_H_
