#include "crdt/version_vector.h"

#include <algorithm>

namespace samplan {
namespace {

bool ReplicaLess(const std::pair<ReplicaId, uint64_t>& e, ReplicaId r) {
  return e.first < r;
}

}  // namespace

uint64_t VersionVector::Get(ReplicaId replica) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), replica,
                             ReplicaLess);
  return it != entries_.end() && it->first == replica ? it->second : 0;
}

void VersionVector::Set(ReplicaId replica, uint64_t counter) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), replica,
                             ReplicaLess);
  if (it != entries_.end() && it->first == replica) {
    if (counter == 0) {
      entries_.erase(it);
    } else {
      it->second = counter;
    }
  } else if (counter != 0) {
    entries_.insert(it, {replica, counter});
  }
}

bool VersionVector::Dominates(const VersionVector& other) const {
  for (const auto& [replica, counter] : other.entries_) {
    if (Get(replica) < counter) return false;
  }
  return true;
}

void VersionVector::Merge(const VersionVector& other) {
  for (const auto& [replica, counter] : other.entries_) {
    if (Get(replica) < counter) Set(replica, counter);
  }
}

std::string VersionVector::ToString() const {
  std::string out = "{";
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(entries_[i].first) + ":" +
           std::to_string(entries_[i].second);
  }
  return out + "}";
}

void VersionVector::EncodeTo(Writer* w) const {
  w->Varint(entries_.size());
  for (const auto& [replica, counter] : entries_) {
    w->Varint(replica);
    w->Varint(counter);
  }
}

Status VersionVector::DecodeFrom(Reader* r, VersionVector* out) {
  uint64_t n;
  SAMPLAN_RETURN_IF_ERROR(r->Count(&n, 2, "version vector size"));
  VersionVector vv;
  vv.entries_.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t replica, counter;
    SAMPLAN_RETURN_IF_ERROR(r->Varint(&replica, "version vector replica"));
    SAMPLAN_RETURN_IF_ERROR(r->Varint(&counter, "version vector counter"));
    if (replica == 0 || counter == 0 ||
        (!vv.entries_.empty() && vv.entries_.back().first >= replica)) {
      return Status::Corruption("version vector entry " + std::to_string(i) +
                                " is zero, unsorted or repeated");
    }
    vv.entries_.emplace_back(replica, counter);
  }
  *out = std::move(vv);
  return Status::OK();
}

}  // namespace samplan
