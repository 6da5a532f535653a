#include "server/history_service.h"

#include <boost/asio/post.hpp>
#include <utility>
#include <vector>

#include "crdt/blame.h"
#include "crdt/history_entries.h"
#include "crdt/plan_diff.h"
#include "protocol/diff_json.h"
#include "protocol/history_points.h"
#include "protocol/plan_state.h"
#include "storage/people.h"

namespace samplan {
namespace {

namespace proto = protocol;
using proto::Json;

// Ops read from the store per call while catching up.
constexpr size_t kCatchUpBatch = 8192;

HistoryAnswer Fail(Status s) {
  HistoryAnswer a;
  a.status = std::move(s);
  return a;
}

// Display names from the people table, looked up once per query.
proto::PeopleView PeopleOf(PlanStore* store) {
  auto people = std::make_shared<std::map<std::string, proto::PersonName>>();
  std::vector<Person> list;
  if (store->ListPeople(&list).ok()) {
    for (Person& p : list) {
      proto::PersonName n;
      n.erased = p.erased_ms != 0;
      if (!n.erased) n.name = std::move(p.name);
      (*people)[p.user] = std::move(n);
    }
  }
  return [people](std::string_view user) {
    auto it = people->find(std::string(user));
    return it == people->end() ? proto::PersonName{} : it->second;
  };
}

std::string PointName(const proto::HistoryPoint& p) {
  switch (p.kind) {
    case proto::HistoryPoint::kHead:
      return "head";
    case proto::HistoryPoint::kSeq:
      return "seq " + std::to_string(p.seq);
    case proto::HistoryPoint::kTime:
      return "time " + std::to_string(p.time_ms);
    case proto::HistoryPoint::kVersion:
      return "version '" + p.version + "'";
  }
  return "";
}

// Named versions by name, for point resolution.
proto::VersionLookup LookupIn(const std::vector<NamedVersion>& versions) {
  return [&versions](std::string_view name, uint64_t* seq) {
    for (const NamedVersion& v : versions) {
      if (v.name == name) {
        *seq = v.seq;
        return true;
      }
    }
    return false;
  };
}

Status ResolvePoint(const proto::HistoryPoint& p, const PlanHistory& h,
                    const std::vector<NamedVersion>& versions,
                    std::string_view member, uint64_t* seq) {
  return proto::ResolveHistoryPoint(p, h, LookupIn(versions), member, seq);
}

Json PointJson(const PlanHistory& h, uint64_t seq,
               const std::vector<NamedVersion>& versions) {
  Json j = {{"seq", seq}, {"time", seq == 0 ? 0 : h.TimeAt(seq)}};
  Json names = Json::array();
  for (const NamedVersion& v : versions) {
    if (v.seq == seq) names.push_back(v.name);
  }
  if (!names.empty()) j["versions"] = std::move(names);
  return j;
}

}  // namespace

Json NamedVersionToJson(const NamedVersion& v) {
  return Json{{"name", v.name},
              {"reference", v.reference},
              {"seq", v.seq},
              {"time", v.time_ms},
              {"head", ChainToHex(v.head)},
              {"created_by", v.created_by},
              {"created_ms", v.created_ms},
              {"key_id", v.key_id},
              {"signature", Base64Encode(v.signature)}};
}

HistoryService::HistoryService(PlanStore* store, const KeyRing* keys,
                               size_t threads)
    : store_(store), keys_(keys), pool_(threads) {}

HistoryService::~HistoryService() { pool_.join(); }

void HistoryService::Post(std::function<void()> fn) {
  boost::asio::post(pool_, std::move(fn));
}

std::shared_ptr<HistoryService::PlanEntry> HistoryService::Acquire(
    const std::string& plan) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<PlanEntry>& slot = plans_[plan];
  if (!slot) {
    slot = std::make_shared<PlanEntry>();
    // Over the cap: drop the least recently used history nobody is using.
    while (plans_.size() > kMaxCachedPlans) {
      auto victim = plans_.end();
      for (auto it = plans_.begin(); it != plans_.end(); ++it) {
        if (it->second->users > 0 || it->second == slot) continue;
        if (victim == plans_.end() ||
            it->second->last_used < victim->second->last_used) {
          victim = it;
        }
      }
      if (victim == plans_.end()) break;
      plans_.erase(victim);
    }
  }
  ++slot->users;
  slot->last_used = std::chrono::steady_clock::now();
  return slot;
}

void HistoryService::Release(const std::shared_ptr<PlanEntry>& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  --entry->users;
  entry->last_used = std::chrono::steady_clock::now();
}

Status HistoryService::CatchUp(const std::string& plan, PlanEntry* entry) {
  PlanInfo info;
  if (Status s = store_->GetPlanInfo(plan, &info); !s.ok()) return s;
  if (!entry->history) entry->history = std::make_unique<PlanHistory>();
  PlanHistory* h = entry->history.get();
  if (info.last_seq < h->last_seq()) {
    // The store went back (restored from a backup): start over.
    entry->history = std::make_unique<PlanHistory>();
    h = entry->history.get();
  }
  std::vector<StoredOp> batch;
  while (h->last_seq() < info.last_seq) {
    batch.clear();
    if (Status s = store_->ReadRange(plan, h->last_seq() + 1, kCatchUpBatch,
                                     &batch);
        !s.ok()) {
      return s;
    }
    if (batch.empty()) break;
    for (const StoredOp& op : batch) {
      if (op.seq != h->last_seq() + 1) {
        return Status::Corruption("plan " + plan + ": history expected seq " +
                                  std::to_string(h->last_seq() + 1) +
                                  ", the store gave " +
                                  std::to_string(op.seq));
      }
      if (Status s = h->Append(op.op); !s.ok()) {
        entry->history.reset();  // rebuilt from scratch next time
        return s;
      }
    }
  }
  return Status::OK();
}

void HistoryService::Query(std::string plan, protocol::HistoryQuery query,
                           std::function<void(HistoryAnswer)> done) {
  Post([this, plan = std::move(plan), query = std::move(query),
        done = std::move(done)] {
    std::shared_ptr<PlanEntry> entry = Acquire(plan);
    HistoryAnswer answer;
    {
      std::lock_guard<std::mutex> lock(entry->mu);
      Status s = CatchUp(plan, entry.get());
      answer = s.ok() ? RunQuery(plan, entry->history.get(), query) : Fail(s);
    }
    Release(entry);
    done(std::move(answer));
  });
}

void HistoryService::CreateVersion(std::string plan, std::string name,
                                   std::string reference,
                                   protocol::HistoryPoint at,
                                   std::string created_by,
                                   std::function<void(HistoryAnswer)> done) {
  Post([this, plan = std::move(plan), name = std::move(name),
        reference = std::move(reference), at = std::move(at),
        created_by = std::move(created_by), done = std::move(done)] {
    std::shared_ptr<PlanEntry> entry = Acquire(plan);
    HistoryAnswer answer;
    {
      std::lock_guard<std::mutex> lock(entry->mu);
      Status s = CatchUp(plan, entry.get());
      answer = s.ok() ? RunCreateVersion(plan, entry->history.get(), name,
                                         reference, at, created_by)
                      : Fail(s);
    }
    Release(entry);
    done(std::move(answer));
  });
}

HistoryAnswer HistoryService::RunCreateVersion(
    const std::string& plan, PlanHistory* h, const std::string& name,
    const std::string& reference, const protocol::HistoryPoint& at,
    const std::string& created_by) {
  if (keys_ == nullptr) {
    return Fail(Status::FailedPrecondition(
        "this server has no signing key: named versions are disabled"));
  }
  if (Status s = CheckVersionName(name); !s.ok()) return Fail(s);
  if (Status s = CheckVersionName(reference.empty() ? "-" : reference);
      !s.ok()) {
    return Fail(Status::InvalidArgument("reference: " + s.message()));
  }
  std::vector<NamedVersion> versions;
  if (Status s = store_->ListVersions(plan, &versions); !s.ok()) return Fail(s);
  uint64_t seq = 0;
  if (Status s = ResolvePoint(at, *h, versions, "at", &seq); !s.ok()) {
    return Fail(s);
  }
  if (seq == 0) {
    return Fail(Status::InvalidArgument(
        "at: the plan has no operations at that point to name"));
  }
  std::vector<StoredOp> op;
  if (Status s = store_->ReadRange(plan, seq, 1, &op); !s.ok()) return Fail(s);
  if (op.empty()) {
    return Fail(Status::NotFound("seq " + std::to_string(seq) + " is missing"));
  }
  NamedVersion v;
  v.plan_id = plan;
  v.name = name;
  v.reference = reference;
  v.seq = seq;
  v.head = op[0].chain;
  v.time_ms = op[0].server_time_ms;
  v.created_by = created_by;
  v.created_ms = std::max<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count(),
      0);
  v.key_id = keys_->active().id;
  v.signature = keys_->Sign(VersionSigningMessage(v));
  if (Status s = store_->PutVersion(v); !s.ok()) return Fail(s);
  HistoryAnswer a;
  a.body["version"] = NamedVersionToJson(v);
  return a;
}

HistoryAnswer HistoryService::RunQuery(const std::string& plan,
                                       PlanHistory* h,
                                       const protocol::HistoryQuery& q) {
  std::vector<NamedVersion> versions;
  if (Status s = store_->ListVersions(plan, &versions); !s.ok()) return Fail(s);
  HistoryAnswer a;
  a.body["last_seq"] = h->last_seq();
  if (q.query == "versions") {
    Json list = Json::array();
    for (const NamedVersion& v : versions) list.push_back(NamedVersionToJson(v));
    a.body["versions"] = std::move(list);
    return a;
  }
  if (q.query == "at") {
    uint64_t seq = 0;
    if (Status s = ResolvePoint(q.at, *h, versions, "at", &seq); !s.ok()) {
      return Fail(s);
    }
    Result<const Replica*> state = h->StateAt(seq);
    if (!state.ok()) return Fail(state.status());
    Json j = proto::PlanStateToJson(**state);
    j["plan"] = plan;
    j["seq"] = seq;
    j["at"] = PointJson(*h, seq, versions);
    j["read_only"] = true;
    a.body["seq"] = seq;
    a.body["time"] = seq == 0 ? 0 : h->TimeAt(seq);
    a.body["state"] = std::move(j);
    return a;
  }
  if (q.query == "diff") {
    uint64_t from = 0, to = 0;
    if (Status s = ResolvePoint(q.from, *h, versions, "from", &from); !s.ok()) {
      return Fail(s);
    }
    if (Status s = ResolvePoint(q.to, *h, versions, "to", &to); !s.ok()) {
      return Fail(s);
    }
    if (from > to) std::swap(from, to);
    Result<std::unique_ptr<Replica>> older = h->CopyStateAt(from);
    if (!older.ok()) return Fail(older.status());
    Result<const Replica*> newer = h->StateAt(to);
    if (!newer.ok()) return Fail(newer.status());
    PlanDiff diff;
    if (Status s = DiffPlans(**older, from, **newer, to, *h, &diff); !s.ok()) {
      return Fail(s);
    }
    if (q.format == "markdown") {
      const std::string from_label =
          q.from.kind == proto::HistoryPoint::kVersion ? q.from.version
                                                       : PointName(q.from);
      const std::string to_label =
          q.to.kind == proto::HistoryPoint::kVersion ? q.to.version
                                                     : PointName(q.to);
      const proto::PeopleView people = PeopleOf(store_);
      a.text = proto::DiffToMarkdown(
          diff, **older, **newer, q.lang.empty() ? "nb" : q.lang, from_label,
          to_label, [&people](std::string_view user) {
            proto::PersonName p = people(user);
            return p.name.empty() ? std::string(user) : p.name;
          });
      a.content_type = "text/markdown; charset=utf-8";
      a.filename = plan + "-diff-" + std::to_string(from) + "-" +
                   std::to_string(to) + ".md";
      return a;
    }
    a.body["diff"] = proto::DiffToJson(diff, **older, **newer);
    // The names of the versions at either end, for the reader.
    for (const char* end : {"from", "to"}) {
      Json names = Json::array();
      const uint64_t seq = std::string_view(end) == "from" ? from : to;
      for (const NamedVersion& v : versions) {
        if (v.seq == seq) names.push_back(v.name);
      }
      a.body["diff"][end]["versions"] = std::move(names);
    }
    return a;
  }
  if (q.query == "blame") {
    uint64_t seq = 0;
    if (Status s = ResolvePoint(q.at, *h, versions, "at", &seq); !s.ok()) {
      return Fail(s);
    }
    std::vector<NodeBlame> blame;
    if (Status s = Blame(*h, seq, q.node, &blame); !s.ok()) return Fail(s);
    a.body["seq"] = seq;
    a.body["blame"] = proto::BlameToJson(blame, PeopleOf(store_));
    return a;
  }
  if (q.query == "changes" || q.query == "export") {
    HistoryFilter f;
    if (Status s = proto::HistoryFilterFromQuery(q, *h, LookupIn(versions), &f);
        !s.ok()) {
      return Fail(s);
    }
    const proto::PeopleView people = PeopleOf(store_);
    if (q.query == "export") {
      std::vector<HistoryEntry> all;
      uint64_t before = 0;
      bool truncated = false;
      // Newest first in pages, then reversed: an export reads oldest first.
      while (true) {
        std::vector<HistoryEntry> page;
        uint64_t next = 0;
        if (Status s = HistoryEntries(*h, f, before, 500, &page, &next);
            !s.ok()) {
          return Fail(s);
        }
        for (HistoryEntry& e : page) {
          if (all.size() == kMaxExportEntries) {
            truncated = true;
            break;
          }
          all.push_back(std::move(e));
        }
        if (truncated || next == 0) break;
        before = next;
      }
      std::reverse(all.begin(), all.end());
      if (q.format == "csv") {
        a.text = proto::HistoryEntriesToCsv(all, people);
        a.content_type = "text/csv; charset=utf-8";
        a.filename = plan + "-history.csv";
        return a;
      }
      Json list = Json::array();
      for (const HistoryEntry& e : all) {
        list.push_back(proto::HistoryEntryToJson(e, people));
      }
      a.body["plan"] = plan;
      a.body["entries"] = std::move(list);
      a.body["truncated"] = truncated;
      a.filename = plan + "-history.json";
      return a;
    }
    std::vector<HistoryEntry> page;
    uint64_t next = 0;
    if (Status s = HistoryEntries(*h, f, q.before, q.limit, &page, &next);
        !s.ok()) {
      return Fail(s);
    }
    Json list = Json::array();
    for (const HistoryEntry& e : page) {
      list.push_back(proto::HistoryEntryToJson(e, people));
    }
    a.body["entries"] = std::move(list);
    a.body["next"] = proto::HistoryCursorToJson(next);
    return a;
  }
  return Fail(Status::InvalidArgument(
      "query: expected changes, export, at, diff, blame or versions"));
}

}  // namespace samplan
