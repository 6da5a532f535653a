// VersionVector: for each replica, how many of its operations are known.
//
// Replicas number their operations 1, 2, 3, ... and a replica applies them
// in that order, so "replica r: n" means ops r:1 .. r:n are all known. Two
// replicas exchange exactly what the other lacks by comparing vectors (see
// Replica::OpsSince). Entries are kept sorted by replica id; zero entries
// are never stored, so equal knowledge gives equal vectors.
//
// Thread-safety: none.
#ifndef SAMPLAN_CRDT_VERSION_VECTOR_H_
#define SAMPLAN_CRDT_VERSION_VECTOR_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "crdt/codec.h"
#include "crdt/ids.h"
#include "crdt/status.h"

namespace samplan {

class VersionVector {
 public:
  uint64_t Get(ReplicaId replica) const;
  // REQUIRES: replica != 0. Setting 0 removes the entry.
  void Set(ReplicaId replica, uint64_t counter);
  // True when op `id` is known (id.counter <= Get(id.replica)). The null id
  // and the built-in ids of replica 0 count as known.
  bool Includes(OpId id) const {
    return id.replica == 0 || id.counter <= Get(id.replica);
  }
  // True when every op known to `other` is known here.
  bool Dominates(const VersionVector& other) const;
  // Pointwise maximum.
  void Merge(const VersionVector& other);

  const std::vector<std::pair<ReplicaId, uint64_t>>& entries() const {
    return entries_;
  }
  bool empty() const { return entries_.empty(); }
  std::string ToString() const;  // "{1:4, 9:2}"

  void EncodeTo(Writer* w) const;
  // Corruption on truncation, unsorted or duplicate replicas, zero entries.
  static Status DecodeFrom(Reader* r, VersionVector* out);

  friend bool operator==(const VersionVector&, const VersionVector&) = default;

 private:
  std::vector<std::pair<ReplicaId, uint64_t>> entries_;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_VERSION_VECTOR_H_
