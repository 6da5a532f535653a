#include "protocol/history_points.h"

namespace samplan::protocol {

Status ResolveHistoryPoint(const HistoryPoint& p, const PlanHistory& h,
                           const VersionLookup& versions,
                           std::string_view member, uint64_t* seq) {
  switch (p.kind) {
    case HistoryPoint::kHead:
      *seq = h.last_seq();
      return Status::OK();
    case HistoryPoint::kSeq:
      if (p.seq > h.last_seq()) {
        return Status::InvalidArgument(
            std::string(member) + ": seq " + std::to_string(p.seq) +
            " is beyond the plan's last seq " + std::to_string(h.last_seq()));
      }
      *seq = p.seq;
      return Status::OK();
    case HistoryPoint::kTime:
      *seq = h.SeqAtTime(p.time_ms);
      return Status::OK();
    case HistoryPoint::kVersion:
      if (versions && versions(p.version, seq)) return Status::OK();
      return Status::NotFound(std::string(member) + ": version '" +
                              p.version + "' does not exist");
  }
  return Status::InvalidArgument(std::string(member) + ": bad point");
}

Status HistoryFilterFromQuery(const HistoryQuery& q, const PlanHistory& h,
                              const VersionLookup& versions,
                              HistoryFilter* out) {
  HistoryFilter f;
  f.node = q.node;
  f.subtree = q.subtree;
  f.user = q.user;
  f.municipality = q.municipality;
  f.kinds = q.kinds;
  if (q.since.kind != HistoryPoint::kHead) {
    uint64_t seq = 0;
    SAMPLAN_RETURN_IF_ERROR(
        ResolveHistoryPoint(q.since, h, versions, "since", &seq));
    // A moment starts after the last op before it; a seq or a version is
    // itself included.
    f.from_seq = q.since.kind == HistoryPoint::kTime
                     ? h.SeqAtTime(q.since.time_ms - 1) + 1
                     : seq;
  }
  if (q.until.kind != HistoryPoint::kHead) {
    SAMPLAN_RETURN_IF_ERROR(
        ResolveHistoryPoint(q.until, h, versions, "until", &f.to_seq));
  }
  *out = std::move(f);
  return Status::OK();
}

}  // namespace samplan::protocol
