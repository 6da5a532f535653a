// People: the personal data a server keeps about users (display name and
// e-mail), kept apart from the op log so that a user can be forgotten
// (GDPR erasure) without rewriting history: the log keeps only the user id,
// which a history view resolves to a name through the people records. An
// erased person keeps the record (erased_ms, erased_by) with name and
// e-mail cleared, and every erasure is recorded (Erasure) for the audit.
//
// Stored by PlanStore (plan_store.h: PutPerson, GetPerson, ListPeople,
// ErasePerson, ListErasures).
//
// Thread-safety: plain data and functions; reentrant.
#ifndef SAMPLAN_STORAGE_PEOPLE_H_
#define SAMPLAN_STORAGE_PEOPLE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "crdt/status.h"

namespace samplan {

// The trailing members have initializers so that Person{user, name,
// email} is fine under -Wmissing-field-initializers.
struct Person {
  std::string user, name, email;
  int64_t erased_ms = 0;  // 0: not erased
  std::string erased_by{};
};

struct Erasure {
  std::string user, by, reason{};
  int64_t time_ms = 0;
};

// OK for a user id of 1..256 bytes of valid UTF-8 without control
// characters; InvalidArgument otherwise.
Status CheckUserId(std::string_view user);

// Record bytes stored by RocksDbPlanStore ("people" and "erasures"
// families); decoding returns Corruption on bad bytes.
std::string EncodePersonRecord(const Person& p);
Status DecodePersonRecord(std::string_view value, Person* p);
std::string EncodeErasureRecord(const Erasure& e);
Status DecodeErasureRecord(std::string_view value, Erasure* e);

}  // namespace samplan

#endif  // SAMPLAN_STORAGE_PEOPLE_H_
