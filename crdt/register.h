// MultiValueRegister: a field or table cell that keeps concurrent writes.
//
// Each write names the entries it saw (`supersedes`); applying it removes
// those and adds itself. Entries that no write has superseded are mutually
// concurrent: they are all kept. The winner is the entry with the highest
// (lamport, replica id); the others are reported as conflicts until a later
// write supersedes them. Because operations are delivered causally, a
// superseded entry is always present before the write that supersedes it, so
// the outcome is independent of delivery order.
//
// Thread-safety: none (the owning Replica is single-threaded).
#ifndef SAMPLAN_CRDT_REGISTER_H_
#define SAMPLAN_CRDT_REGISTER_H_

#include <cstdint>
#include <vector>

#include "crdt/author.h"
#include "crdt/ids.h"
#include "crdt/value.h"

namespace samplan {

struct RegisterEntry {
  OpId id;
  uint64_t lamport = 0;
  FieldValue value;
  Author author;  // who wrote it (listed with conflicts)
  friend bool operator==(const RegisterEntry&, const RegisterEntry&) = default;
};

class MultiValueRegister {
 public:
  // REQUIRES: `id` has not been applied before (the Replica deduplicates
  // operations by version vector before they reach a register).
  void Apply(OpId id, uint64_t lamport, const FieldValue& value,
             const std::vector<OpId>& supersedes, const Author& author = {});
  // Entries ordered winner first: descending (lamport, replica, counter).
  const std::vector<RegisterEntry>& entries() const { return entries_; }
  // REQUIRES: !entries().empty()
  const RegisterEntry& winner() const { return entries_.front(); }
  bool empty() const { return entries_.empty(); }
  bool HasConflict() const { return entries_.size() > 1; }
  // Ids a new local write must supersede (all current entries).
  std::vector<OpId> CurrentIds() const;

 private:
  std::vector<RegisterEntry> entries_;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_REGISTER_H_
