// Snapshot loading for IdList: elements arrive already ordered.
#include "crdt/id_list.h"

namespace samplan {

Status IdList::AppendLoaded(const Element& element) {
  if (element.id.IsNull() || Contains(element.id)) {
    return Status::InvalidArgument("list element " + element.id.ToString() +
                                   " is null or repeated");
  }
  index_.emplace(element.id, elements_.size());
  elements_.push_back(element);
  return Status::OK();
}

Status IdList::FinishLoad() const {
  for (size_t i = 0; i < elements_.size(); ++i) {
    const Element& e = elements_[i];
    if (!e.origin_left.IsNull()) {
      auto it = index_.find(e.origin_left);
      if (it == index_.end() || it->second >= i) {
        return Status::Corruption("list element " + e.id.ToString() +
                                  " has a left origin that is not before it");
      }
    }
    if (!e.origin_right.IsNull()) {
      auto it = index_.find(e.origin_right);
      if (it == index_.end() || it->second <= i) {
        return Status::Corruption("list element " + e.id.ToString() +
                                  " has a right origin that is not after it");
      }
    }
  }
  return Status::OK();
}

}  // namespace samplan
