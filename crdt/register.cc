#include "crdt/register.h"

#include <algorithm>
#include <tuple>

namespace samplan {
namespace {

// True when `a` wins over `b`: higher (lamport, replica, counter).
bool Wins(const RegisterEntry& a, const RegisterEntry& b) {
  return std::tie(a.lamport, a.id.replica, a.id.counter) >
         std::tie(b.lamport, b.id.replica, b.id.counter);
}

}  // namespace

void MultiValueRegister::Apply(OpId id, uint64_t lamport,
                               const FieldValue& value,
                               const std::vector<OpId>& supersedes,
                               const Author& author) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const RegisterEntry& e) {
                                  return e.id == id ||
                                         std::find(supersedes.begin(),
                                                   supersedes.end(),
                                                   e.id) != supersedes.end();
                                }),
                 entries_.end());
  RegisterEntry entry{id, lamport, value, author};
  auto pos = std::lower_bound(entries_.begin(), entries_.end(), entry, Wins);
  entries_.insert(pos, std::move(entry));
}

std::vector<OpId> MultiValueRegister::CurrentIds() const {
  std::vector<OpId> ids;
  ids.reserve(entries_.size());
  for (const RegisterEntry& e : entries_) ids.push_back(e.id);
  return ids;
}

}  // namespace samplan
