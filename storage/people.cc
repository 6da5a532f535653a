#include "storage/people.h"

#include <string>
#include <vector>

#include "crdt/codec.h"
#include "crdt/utf8.h"
#include "storage/plan_store.h"

namespace samplan {

namespace {
constexpr uint8_t kPersonRecordVersion = 1;
constexpr uint8_t kErasureRecordVersion = 1;
constexpr size_t kMaxUserIdBytes = 256;
}  // namespace

Status CheckUserId(std::string_view user) {
  if (user.empty()) return Status::InvalidArgument("user id is empty");
  if (user.size() > kMaxUserIdBytes) {
    return Status::InvalidArgument("user id is longer than 256 bytes");
  }
  if (Status s = utf8::Validate(user); !s.ok()) {
    return Status::InvalidArgument("user id: " + s.message());
  }
  for (char c : user) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      return Status::InvalidArgument("user id contains a control character");
    }
  }
  return Status::OK();
}

std::string EncodePersonRecord(const Person& p) {
  std::string out;
  Writer w(&out);
  w.U8(kPersonRecordVersion);
  w.Bytes(p.user);
  w.Bytes(p.name);
  w.Bytes(p.email);
  w.SignedVarint(p.erased_ms);
  w.Bytes(p.erased_by);
  return out;
}

Status DecodePersonRecord(std::string_view value, Person* p) {
  Reader r(value);
  uint8_t version = 0;
  SAMPLAN_RETURN_IF_ERROR(r.U8(&version, "person record format"));
  if (version != kPersonRecordVersion) {
    return Status::Corruption("person record: unknown format " +
                              std::to_string(version));
  }
  std::string_view user, name, email, erased_by;
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&user, "person user"));
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&name, "person name"));
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&email, "person email"));
  SAMPLAN_RETURN_IF_ERROR(r.SignedVarint(&p->erased_ms, "person erased time"));
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&erased_by, "person erased by"));
  if (!r.AtEnd()) return Status::Corruption("person record: trailing bytes");
  p->user = std::string(user);
  p->name = std::string(name);
  p->email = std::string(email);
  p->erased_by = std::string(erased_by);
  return Status::OK();
}

std::string EncodeErasureRecord(const Erasure& e) {
  std::string out;
  Writer w(&out);
  w.U8(kErasureRecordVersion);
  w.Bytes(e.user);
  w.Bytes(e.by);
  w.Bytes(e.reason);
  w.SignedVarint(e.time_ms);
  return out;
}

Status DecodeErasureRecord(std::string_view value, Erasure* e) {
  Reader r(value);
  uint8_t version = 0;
  SAMPLAN_RETURN_IF_ERROR(r.U8(&version, "erasure record format"));
  if (version != kErasureRecordVersion) {
    return Status::Corruption("erasure record: unknown format " +
                              std::to_string(version));
  }
  std::string_view user, by, reason;
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&user, "erasure user"));
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&by, "erasure operator"));
  SAMPLAN_RETURN_IF_ERROR(r.Bytes(&reason, "erasure reason"));
  SAMPLAN_RETURN_IF_ERROR(r.SignedVarint(&e->time_ms, "erasure time"));
  if (!r.AtEnd()) return Status::Corruption("erasure record: trailing bytes");
  e->user = std::string(user);
  e->by = std::string(by);
  e->reason = std::string(reason);
  return Status::OK();
}

// The defaults of plan_store.h for stores without people records.
Status PlanStore::PutPerson(const Person&) {
  return Status::FailedPrecondition("this store keeps no people");
}
Status PlanStore::GetPerson(std::string_view, Person*) {
  return Status::FailedPrecondition("this store keeps no people");
}
Status PlanStore::ListPeople(std::vector<Person>*) {
  return Status::FailedPrecondition("this store keeps no people");
}
Status PlanStore::ErasePerson(std::string_view, std::string_view,
                              std::string_view, int64_t) {
  return Status::FailedPrecondition("this store keeps no people");
}
Status PlanStore::ListErasures(std::vector<Erasure>*) {
  return Status::FailedPrecondition("this store keeps no people");
}

}  // namespace samplan
