// Replica snapshots and the canonical dump.
//
// Snapshot layout ("SPS", format version 2), all integers varints:
//   schema | replica table (distinct replica ids; later ids are indexes
//   into it) | version vector | frontier | max lamport | lamport runs |
//   tree log | fields | texts | tables | pending ops | review ops |
//   node edits
// Version 2 added the author of each register entry, the review ops (in
// (lamport, id) order; integrating them in that order rebuilds the review
// state) and the per-node edit versions (Replica::ApprovalOutdated).
// Version 1 snapshots still load: no authors, no review.
// Maps are written in sorted key order and text runs are merged maximally
// first, so equal replicas give equal bytes whatever their edit history.
// Text runs store ids and origins relative to the previous run; visible
// characters go into one UTF-8 blob after the runs. The content of deleted
// characters is not stored: the operation log keeps history, and merging
// needs only their ids and origins.
#include <algorithm>
#include <functional>
#include <map>
#include <unordered_map>

#include "crdt/codec.h"
#include "crdt/replica.h"
#include "crdt/utf8.h"

namespace samplan {
namespace {

constexpr char kSnapshotMagic[] = "SPS";
constexpr uint8_t kSnapshotVersion = 2;
constexpr char32_t kDeletedPlaceholder = 0xFFFD;

// Text runs merged maximally: the canonical form of a text's structure.
struct CanonRun {
  OpId id;
  uint64_t length = 0;
  OpId left;
  OpId right;
  bool deleted = false;
};

std::vector<CanonRun> CanonicalRuns(const TextSequence& text) {
  std::vector<CanonRun> runs;
  text.ForEachRun([&](const TextSequence::Run& r) {
    if (!runs.empty()) {
      CanonRun& last = runs.back();
      const OpId end{last.id.replica, last.id.counter + last.length};
      if (r.id == end && r.origin_left == OpId{end.replica, end.counter - 1} &&
          r.origin_right == last.right && r.deleted == last.deleted) {
        last.length += r.chars.size();
        return;
      }
    }
    runs.push_back(CanonRun{r.id, r.chars.size(), r.origin_left,
                            r.origin_right, r.deleted});
  });
  return runs;
}

class ReplicaTable {
 public:
  uint64_t Index(ReplicaId r) const { return index_.at(r); }
  void Add(ReplicaId r) {
    if (index_.emplace(r, 0).second) ids_.push_back(r);
  }
  void Finish() {
    std::sort(ids_.begin(), ids_.end());
    for (size_t i = 0; i < ids_.size(); ++i) index_[ids_[i]] = i;
  }
  const std::vector<ReplicaId>& ids() const { return ids_; }

 private:
  std::vector<ReplicaId> ids_;
  std::unordered_map<ReplicaId, uint64_t> index_;
};

void PutId(Writer* w, const ReplicaTable& t, OpId id) {
  w->Varint(t.Index(id.replica));
  w->Varint(id.counter);
}

class IdReader {
 public:
  IdReader(Reader* r, const std::vector<ReplicaId>* ids) : r_(r), ids_(ids) {}
  Status Replica(ReplicaId* out, const char* what) {
    uint64_t index;
    SAMPLAN_RETURN_IF_ERROR(r_->Varint(&index, what));
    if (index >= ids_->size()) {
      return Status::Corruption(std::string("replica index out of range in ") +
                                what);
    }
    *out = (*ids_)[index];
    return Status::OK();
  }
  Status Id(OpId* out, const char* what) {
    SAMPLAN_RETURN_IF_ERROR(Replica(&out->replica, what));
    return r_->Varint(&out->counter, what);
  }

 private:
  Reader* r_;
  const std::vector<ReplicaId>* ids_;
};

template <typename Map>
std::vector<typename Map::const_pointer> SortedEntries(const Map& map) {
  std::vector<typename Map::const_pointer> out;
  out.reserve(map.size());
  for (const auto& entry : map) out.push_back(&entry);
  std::sort(out.begin(), out.end(), [](auto a, auto b) {
    return a->first.node != b->first.node ? a->first.node < b->first.node
                                          : a->first.name < b->first.name;
  });
  return out;
}

enum RunFlags : uint8_t {
  kDeleted = 1,
  kLeftImplicit = 2,  // left origin = last character of the previous run
  kLeftNull = 4,
  kRightSame = 8,  // right origin = previous run's right origin
  kRightNull = 16,
  kSameReplica = 32,
};

}  // namespace

std::string Replica::EncodeSnapshot() const {
  ReplicaTable replicas;
  replicas.Add(0);
  for (const auto& [r, c] : version_.entries()) replicas.Add(r);
  replicas.Finish();

  std::string out;
  Writer w(&out);
  w.Raw(std::string_view(kSnapshotMagic, 3));
  w.U8(kSnapshotVersion);
  schema_.EncodeTo(&w);
  w.Varint(replicas.ids().size());
  for (ReplicaId r : replicas.ids()) w.Varint(r);
  version_.EncodeTo(&w);
  w.Varint(frontier_.size());
  for (const OpId& f : frontier_) PutId(&w, replicas, f);
  w.Varint(max_lamport_);
  w.Varint(lamports_.size());
  for (const auto& [r, runs] : lamports_) {
    w.Varint(replicas.Index(r));
    w.Varint(runs.size());
    for (const LamportRun& run : runs) {
      w.Varint(run.counter);
      w.Varint(run.lamport);
      w.Varint(run.length);
    }
  }
  // Tree: every applied move in timestamp order.
  w.Varint(tree_.log().size());
  for (const TreeMove& m : tree_.log()) {
    w.Varint(m.lamport);
    PutId(&w, replicas, m.id);
    const bool creates = !m.kind.empty();
    w.U8(creates ? 1 : 0);
    if (creates) {
      w.Bytes(m.kind);
    } else {
      PutId(&w, replicas, m.node);
    }
    PutId(&w, replicas, m.parent);
    PutId(&w, replicas, m.slot_left);
    PutId(&w, replicas, m.slot_right);
  }
  // Fields.
  auto put_register = [&](const MultiValueRegister& reg) {
    w.Varint(reg.entries().size());
    for (const RegisterEntry& e : reg.entries()) {
      PutId(&w, replicas, e.id);
      w.Varint(e.lamport);
      e.value.EncodeTo(&w);
      w.Bytes(e.author.user);
      w.Bytes(e.author.municipality);
      w.SignedVarint(e.author.wall_time_ms);
    }
  };
  const auto fields = SortedEntries(fields_);
  w.Varint(fields.size());
  for (const auto* entry : fields) {
    PutId(&w, replicas, entry->first.node);
    w.Bytes(entry->first.name);
    put_register(entry->second);
  }
  // Texts.
  const auto texts = SortedEntries(texts_);
  w.Varint(texts.size());
  for (const auto* entry : texts) {
    PutId(&w, replicas, entry->first.node);
    w.Bytes(entry->first.name);
    const std::vector<CanonRun> runs = CanonicalRuns(entry->second);
    w.Varint(runs.size());
    const CanonRun* prev = nullptr;
    for (const CanonRun& run : runs) {
      uint8_t flags = run.deleted ? kDeleted : 0;
      const OpId prev_last =
          prev ? OpId{prev->id.replica, prev->id.counter + prev->length - 1}
               : kNullId;
      if (run.left.IsNull()) {
        flags |= kLeftNull;
      } else if (prev && run.left == prev_last) {
        flags |= kLeftImplicit;
      }
      if (run.right.IsNull()) {
        flags |= kRightNull;
      } else if (prev && run.right == prev->right) {
        flags |= kRightSame;
      }
      const bool same = prev && prev->id.replica == run.id.replica;
      if (same) flags |= kSameReplica;
      w.U8(flags);
      if (same) {
        w.SignedVarint(static_cast<int64_t>(run.id.counter) -
                       static_cast<int64_t>(prev_last.counter + 1));
      } else {
        PutId(&w, replicas, run.id);
      }
      w.Varint(run.length);
      if (!(flags & (kLeftNull | kLeftImplicit))) PutId(&w, replicas, run.left);
      if (!(flags & (kRightNull | kRightSame))) PutId(&w, replicas, run.right);
      prev = &run;
    }
    std::string content;
    entry->second.ForEachRun([&](const TextSequence::Run& r) {
      if (!r.deleted) {
        for (char32_t c : r.chars) utf8::Append(c, &content);
      }
    });
    w.Bytes(content);
  }
  // Tables.
  const auto tables = SortedEntries(tables_);
  w.Varint(tables.size());
  for (const auto* entry : tables) {
    PutId(&w, replicas, entry->first.node);
    w.Bytes(entry->first.name);
    for (TableAxis axis : {TableAxis::kRow, TableAxis::kColumn}) {
      const auto& elements = entry->second.lines(axis).elements();
      w.Varint(elements.size());
      for (const IdList::Element& e : elements) {
        PutId(&w, replicas, e.id);
        PutId(&w, replicas, e.origin_left);
        PutId(&w, replicas, e.origin_right);
        w.U8(e.deleted ? 1 : 0);
      }
    }
    w.Varint(entry->second.cells().size());
    for (const auto& [key, reg] : entry->second.cells()) {
      PutId(&w, replicas, key.first);
      PutId(&w, replicas, key.second);
      put_register(reg);
    }
  }
  w.Varint(pending_.size());
  for (const Op& op : pending_) EncodeOpTo(op, &w);
  const std::vector<const Op*> review_ops = review_.OpsInOrder();
  w.Varint(review_ops.size());
  for (const Op* op : review_ops) EncodeOpTo(*op, &w);
  std::vector<OpId> edited;
  edited.reserve(node_edits_.size());
  for (const auto& [node, edits] : node_edits_) edited.push_back(node);
  std::sort(edited.begin(), edited.end());
  w.Varint(edited.size());
  for (const OpId& node : edited) {
    PutId(&w, replicas, node);
    const auto& edits = node_edits_.at(node);
    w.Varint(edits.size());
    for (const auto& [r, counter] : edits) {
      w.Varint(replicas.Index(r));
      w.Varint(counter);
    }
  }
  return out;
}

Result<std::unique_ptr<Replica>> Replica::DecodeSnapshot(std::string_view bytes,
                                                         ReplicaId id) {
  if (id == 0) return Status::InvalidArgument("replica id 0 is reserved");
  Reader r(bytes);
  std::string_view magic;
  SAMPLAN_RETURN_IF_ERROR(r.Raw(3, &magic, "snapshot header"));
  if (magic != std::string_view(kSnapshotMagic, 3)) {
    return Status::Corruption("not a plan snapshot (bad magic)");
  }
  uint8_t version;
  SAMPLAN_RETURN_IF_ERROR(r.U8(&version, "snapshot format version"));
  if (version != kSnapshotVersion && version != 1) {
    return Status::Corruption("unsupported snapshot format version " +
                              std::to_string(version));
  }
  PlanSchema schema;
  SAMPLAN_RETURN_IF_ERROR(PlanSchema::DecodeFrom(&r, &schema));
  auto replica = std::make_unique<Replica>(id, std::move(schema));
  Replica& rep = *replica;

  uint64_t n;
  SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 1, "replica table"));
  std::vector<ReplicaId> ids(n);
  for (auto& rid : ids) SAMPLAN_RETURN_IF_ERROR(r.Varint(&rid, "replica id"));
  IdReader ir(&r, &ids);
  SAMPLAN_RETURN_IF_ERROR(VersionVector::DecodeFrom(&r, &rep.version_));
  auto known = [&](OpId oid, const char* what) -> Status {
    if (!rep.version_.Includes(oid)) {
      return Status::Corruption(std::string(what) + " " + oid.ToString() +
                                " lies beyond the snapshot's version");
    }
    return Status::OK();
  };
  SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 2, "frontier"));
  for (uint64_t i = 0; i < n; ++i) {
    OpId f;
    SAMPLAN_RETURN_IF_ERROR(ir.Id(&f, "frontier"));
    SAMPLAN_RETURN_IF_ERROR(known(f, "frontier op"));
    rep.frontier_.push_back(f);
  }
  SAMPLAN_RETURN_IF_ERROR(r.Varint(&rep.max_lamport_, "max lamport"));
  SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 2, "lamport table"));
  for (uint64_t i = 0; i < n; ++i) {
    ReplicaId rid;
    SAMPLAN_RETURN_IF_ERROR(ir.Replica(&rid, "lamport table"));
    uint64_t count;
    SAMPLAN_RETURN_IF_ERROR(r.Count(&count, 3, "lamport runs"));
    auto& runs = rep.lamports_[rid];
    for (uint64_t k = 0; k < count; ++k) {
      LamportRun run;
      SAMPLAN_RETURN_IF_ERROR(r.Varint(&run.counter, "lamport run"));
      SAMPLAN_RETURN_IF_ERROR(r.Varint(&run.lamport, "lamport run"));
      SAMPLAN_RETURN_IF_ERROR(r.Varint(&run.length, "lamport run"));
      if (run.length == 0 || (!runs.empty() && run.counter < runs.back().counter +
                                                   runs.back().length)) {
        return Status::Corruption("lamport runs overlap or are empty");
      }
      runs.push_back(run);
    }
  }
  // Tree log, replayed in timestamp order.
  SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 8, "tree log"));
  for (uint64_t i = 0; i < n; ++i) {
    TreeMove m;
    uint8_t creates;
    SAMPLAN_RETURN_IF_ERROR(r.Varint(&m.lamport, "tree move"));
    SAMPLAN_RETURN_IF_ERROR(ir.Id(&m.id, "tree move id"));
    SAMPLAN_RETURN_IF_ERROR(r.U8(&creates, "tree move kind"));
    if (creates == 1) {
      std::string_view kind;
      SAMPLAN_RETURN_IF_ERROR(r.Bytes(&kind, "node kind"));
      m.kind.assign(kind);
      m.node = m.id;
      if (m.kind.empty() || rep.schema_.Find(m.kind) == nullptr) {
        return Status::Corruption("tree log creates a node of unknown kind");
      }
    } else if (creates == 0) {
      SAMPLAN_RETURN_IF_ERROR(ir.Id(&m.node, "moved node"));
    } else {
      return Status::Corruption("bad tree move flag");
    }
    SAMPLAN_RETURN_IF_ERROR(ir.Id(&m.parent, "tree parent"));
    SAMPLAN_RETURN_IF_ERROR(ir.Id(&m.slot_left, "slot origin"));
    SAMPLAN_RETURN_IF_ERROR(ir.Id(&m.slot_right, "slot origin"));
    SAMPLAN_RETURN_IF_ERROR(known(m.id, "tree move"));
    if (!rep.tree_.log().empty()) {
      const TreeMove& last = rep.tree_.log().back();
      if (std::make_pair(last.lamport, last.id) >=
          std::make_pair(m.lamport, m.id)) {
        return Status::Corruption("tree log is not in timestamp order");
      }
    }
    Status s = rep.tree_.Apply(m);
    if (!s.ok()) return Status::Corruption("tree log: " + s.message());
  }
  auto get_register = [&](MultiValueRegister* reg,
                          const std::function<Status(const FieldValue&)>&
                              check) -> Status {
    uint64_t count;
    SAMPLAN_RETURN_IF_ERROR(r.Count(&count, 3, "register entries"));
    if (count == 0) return Status::Corruption("empty register in snapshot");
    for (uint64_t k = 0; k < count; ++k) {
      RegisterEntry e;
      SAMPLAN_RETURN_IF_ERROR(ir.Id(&e.id, "register entry"));
      SAMPLAN_RETURN_IF_ERROR(r.Varint(&e.lamport, "register lamport"));
      SAMPLAN_RETURN_IF_ERROR(FieldValue::DecodeFrom(&r, &e.value));
      if (version >= 2) {
        std::string_view user, municipality;
        SAMPLAN_RETURN_IF_ERROR(r.Bytes(&user, "register author"));
        SAMPLAN_RETURN_IF_ERROR(r.Bytes(&municipality, "register author"));
        SAMPLAN_RETURN_IF_ERROR(
            r.SignedVarint(&e.author.wall_time_ms, "register author time"));
        e.author.user.assign(user);
        e.author.municipality.assign(municipality);
      }
      SAMPLAN_RETURN_IF_ERROR(known(e.id, "register write"));
      Status s = check(e.value);
      if (!s.ok()) return Status::Corruption(s.message());
      for (const RegisterEntry& other : reg->entries()) {
        if (other.id == e.id) return Status::Corruption("repeated write id");
      }
      reg->Apply(e.id, e.lamport, e.value, {}, e.author);
    }
    return Status::OK();
  };
  auto get_key = [&](FieldKey* key) -> Status {
    SAMPLAN_RETURN_IF_ERROR(ir.Id(&key->node, "node id"));
    std::string_view name;
    SAMPLAN_RETURN_IF_ERROR(r.Bytes(&name, "field name"));
    key->name.assign(name);
    if (!rep.tree_.Exists(key->node)) {
      return Status::Corruption("snapshot refers to unknown node " +
                                key->node.ToString());
    }
    return Status::OK();
  };
  SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 4, "fields"));
  for (uint64_t i = 0; i < n; ++i) {
    FieldKey key;
    SAMPLAN_RETURN_IF_ERROR(get_key(&key));
    if (rep.fields_.count(key)) return Status::Corruption("repeated field");
    const std::string& kind = rep.tree_.KindOf(key.node);
    SAMPLAN_RETURN_IF_ERROR(get_register(
        &rep.fields_[key], [&](const FieldValue& v) {
          return rep.schema_.CheckField(kind, key.name, v);
        }));
  }
  SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 4, "texts"));
  for (uint64_t i = 0; i < n; ++i) {
    FieldKey key;
    SAMPLAN_RETURN_IF_ERROR(get_key(&key));
    Status text_ok = rep.schema_.CheckText(rep.tree_.KindOf(key.node),
                                           key.name);
    if (!text_ok.ok()) return Status::Corruption(text_ok.message());
    if (rep.texts_.count(key)) return Status::Corruption("repeated text");
    uint64_t count;
    SAMPLAN_RETURN_IF_ERROR(r.Count(&count, 2, "text runs"));
    std::vector<CanonRun> runs(count);
    CanonRun* prev = nullptr;
    for (CanonRun& run : runs) {
      uint8_t flags;
      SAMPLAN_RETURN_IF_ERROR(r.U8(&flags, "text run flags"));
      if (flags >= 64 || (!prev && (flags & (kLeftImplicit | kRightSame |
                                             kSameReplica)))) {
        return Status::Corruption("bad text run flags");
      }
      run.deleted = flags & kDeleted;
      const OpId prev_last =
          prev ? OpId{prev->id.replica, prev->id.counter + prev->length - 1}
               : kNullId;
      if (flags & kSameReplica) {
        int64_t delta;
        SAMPLAN_RETURN_IF_ERROR(r.SignedVarint(&delta, "text run id"));
        run.id = OpId{prev->id.replica,
                      prev_last.counter + 1 + static_cast<uint64_t>(delta)};
      } else {
        SAMPLAN_RETURN_IF_ERROR(ir.Id(&run.id, "text run id"));
      }
      SAMPLAN_RETURN_IF_ERROR(r.Varint(&run.length, "text run length"));
      if (run.length == 0 || run.length > (uint64_t{1} << 32) ||
          run.id.replica == 0 || run.id.counter == 0 ||
          !rep.version_.Includes(
              OpId{run.id.replica, run.id.counter + run.length - 1})) {
        return Status::Corruption("text run " + run.id.ToString() +
                                  " is empty or beyond the snapshot version");
      }
      if (flags & kLeftNull) {
        run.left = kNullId;
      } else if (flags & kLeftImplicit) {
        run.left = prev_last;
      } else {
        SAMPLAN_RETURN_IF_ERROR(ir.Id(&run.left, "text left origin"));
      }
      if (flags & kRightNull) {
        run.right = kNullId;
      } else if (flags & kRightSame) {
        run.right = prev->right;
      } else {
        SAMPLAN_RETURN_IF_ERROR(ir.Id(&run.right, "text right origin"));
      }
      prev = &run;
    }
    std::string_view content;
    SAMPLAN_RETURN_IF_ERROR(r.Bytes(&content, "text content"));
    Result<std::u32string> chars = utf8::Decode(content);
    if (!chars.ok()) return Status::Corruption(chars.status().message());
    TextSequence& text = rep.texts_[key];
    size_t used = 0;
    std::u32string placeholder;
    for (const CanonRun& run : runs) {
      TextSequence::Run tr;
      tr.id = run.id;
      tr.origin_left = run.left;
      tr.origin_right = run.right;
      tr.deleted = run.deleted;
      if (run.deleted) {
        placeholder.assign(run.length, kDeletedPlaceholder);
        tr.chars = placeholder;
      } else {
        if (chars->size() - used < run.length) {
          return Status::Corruption("text content shorter than its runs");
        }
        tr.chars = std::u32string_view(*chars).substr(used, run.length);
        used += run.length;
      }
      Status s = text.AppendRun(tr);
      if (!s.ok()) return Status::Corruption("text run: " + s.message());
    }
    if (used != chars->size()) {
      return Status::Corruption("text content longer than its runs");
    }
    Status s = text.FinishLoad();
    if (!s.ok()) return Status::Corruption(s.message());
  }
  SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 4, "tables"));
  for (uint64_t i = 0; i < n; ++i) {
    FieldKey key;
    SAMPLAN_RETURN_IF_ERROR(get_key(&key));
    Status table_ok = rep.schema_.CheckTable(rep.tree_.KindOf(key.node),
                                             key.name);
    if (!table_ok.ok()) return Status::Corruption(table_ok.message());
    if (rep.tables_.count(key)) return Status::Corruption("repeated table");
    Table& table = rep.tables_[key];
    for (TableAxis axis : {TableAxis::kRow, TableAxis::kColumn}) {
      uint64_t count;
      SAMPLAN_RETURN_IF_ERROR(r.Count(&count, 7, "table lines"));
      for (uint64_t k = 0; k < count; ++k) {
        IdList::Element e;
        uint8_t deleted;
        SAMPLAN_RETURN_IF_ERROR(ir.Id(&e.id, "table line"));
        SAMPLAN_RETURN_IF_ERROR(ir.Id(&e.origin_left, "table line origin"));
        SAMPLAN_RETURN_IF_ERROR(ir.Id(&e.origin_right, "table line origin"));
        SAMPLAN_RETURN_IF_ERROR(r.U8(&deleted, "table line flag"));
        if (deleted > 1) return Status::Corruption("bad table line flag");
        SAMPLAN_RETURN_IF_ERROR(known(e.id, "table line"));
        e.deleted = deleted == 1;
        Status s = table.AppendLoadedLine(axis, e);
        if (!s.ok()) return Status::Corruption(s.message());
      }
    }
    Status loaded = table.FinishLoad();
    if (!loaded.ok()) return Status::Corruption(loaded.message());
    uint64_t cells;
    SAMPLAN_RETURN_IF_ERROR(r.Count(&cells, 5, "table cells"));
    for (uint64_t k = 0; k < cells; ++k) {
      OpId row, column;
      SAMPLAN_RETURN_IF_ERROR(ir.Id(&row, "cell row"));
      SAMPLAN_RETURN_IF_ERROR(ir.Id(&column, "cell column"));
      Status valid = table.ValidateCell(row, column);
      if (!valid.ok()) return Status::Corruption(valid.message());
      if (table.Cell(row, column) != nullptr) {
        return Status::Corruption("repeated table cell");
      }
      MultiValueRegister reg;
      SAMPLAN_RETURN_IF_ERROR(get_register(
          &reg, [](const FieldValue&) { return Status::OK(); }));
      for (auto it = reg.entries().rbegin(); it != reg.entries().rend(); ++it) {
        table.SetCell(row, column, it->id, it->lamport, it->value, {},
                      it->author);
      }
    }
  }
  SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 8, "pending operations"));
  for (uint64_t i = 0; i < n; ++i) {
    Op op;
    SAMPLAN_RETURN_IF_ERROR(DecodeOpFrom(&r, &op));
    rep.pending_.push_back(std::move(op));
  }
  if (version >= 2) {
    SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 8, "review operations"));
    std::pair<uint64_t, OpId> last{0, kNullId};
    for (uint64_t i = 0; i < n; ++i) {
      Op op;
      SAMPLAN_RETURN_IF_ERROR(DecodeOpFrom(&r, &op));
      if (!IsReviewKind(op.kind)) {
        return Status::Corruption("review section holds a " +
                                  std::string(OpKindName(op.kind)));
      }
      SAMPLAN_RETURN_IF_ERROR(known(op.id, "review operation"));
      if (last >= std::make_pair(op.lamport, op.id)) {
        return Status::Corruption("review operations out of order");
      }
      last = {op.lamport, op.id};
      // Targets must exist when ops are integrated in this order (each op
      // is causally after what it names, so after it in Lamport order).
      Status s = rep.ValidateReview(op);
      if (!s.ok()) {
        return Status::Corruption("review operation " + op.id.ToString() +
                                  ": " + s.message());
      }
      rep.review_.Integrate(op);
    }
    SAMPLAN_RETURN_IF_ERROR(r.Count(&n, 3, "node edits"));
    for (uint64_t i = 0; i < n; ++i) {
      OpId node;
      SAMPLAN_RETURN_IF_ERROR(ir.Id(&node, "edited node"));
      uint64_t count;
      SAMPLAN_RETURN_IF_ERROR(r.Count(&count, 2, "node edit versions"));
      auto& edits = rep.node_edits_[node];
      for (uint64_t k = 0; k < count; ++k) {
        ReplicaId rid;
        uint64_t counter;
        SAMPLAN_RETURN_IF_ERROR(ir.Replica(&rid, "node edit replica"));
        SAMPLAN_RETURN_IF_ERROR(r.Varint(&counter, "node edit counter"));
        SAMPLAN_RETURN_IF_ERROR(known(OpId{rid, counter}, "node edit"));
        if (!edits.empty() && edits.back().first >= rid) {
          return Status::Corruption("node edit versions out of order");
        }
        edits.emplace_back(rid, counter);
      }
    }
  }
  if (!r.AtEnd()) return Status::Corruption("trailing bytes after snapshot");
  // Everything above was validated as it was read (ids within the version,
  // origins by FinishLoad, tree moves by MoveTree::Apply, values by the
  // schema); the full CheckInvariants would double the decoding time.
  rep.log_start_ = rep.version_;
  return replica;
}

std::string Replica::CanonicalDump() const {
  std::string out = "version " + version_.ToString() + "\nfrontier";
  for (const OpId& f : frontier_) out += " " + f.ToString();
  out += "\nmoves";
  for (const TreeMove& m : tree_.log()) {
    out += " " + std::to_string(m.lamport) + "/" + m.id.ToString() + ":" +
           m.node.ToString() + ">" + m.parent.ToString() + "[" +
           m.slot_left.ToString() + "," + m.slot_right.ToString() + "]";
  }
  out += "\n";
  // Per node: fields, texts and tables in name order.
  std::map<OpId, std::map<std::string, std::string>> details;
  for (const auto& [key, reg] : fields_) {
    std::string s;
    for (const RegisterEntry& e : reg.entries()) {
      s += " " + e.id.ToString() + "@" + std::to_string(e.lamport) + "=" +
           ValueTypeName(e.value.type) + ":" + e.value.DebugString();
    }
    details[key.node]["field " + key.name] = s;
  }
  for (const auto& [key, text] : texts_) {
    std::string s = " \"" + text.ToUtf8() + "\" runs";
    for (const CanonRun& run : CanonicalRuns(text)) {
      s += " " + run.id.ToString() + "+" + std::to_string(run.length) + "(" +
           run.left.ToString() + "," + run.right.ToString() + ")" +
           (run.deleted ? "D" : "");
    }
    details[key.node]["text " + key.name] = s;
  }
  for (const auto& [key, table] : tables_) {
    std::string s;
    for (TableAxis axis : {TableAxis::kRow, TableAxis::kColumn}) {
      s += axis == TableAxis::kRow ? " rows" : " columns";
      for (const IdList::Element& e : table.lines(axis).elements()) {
        s += " " + e.id.ToString() + (e.deleted ? "D" : "");
      }
    }
    for (const auto& [cell, reg] : table.cells()) {
      s += " cell(" + cell.first.ToString() + "," + cell.second.ToString() +
           ")";
      for (const RegisterEntry& e : reg.entries()) {
        s += " " + e.id.ToString() + "=" + e.value.DebugString();
      }
    }
    details[key.node]["table " + key.name] = s;
  }
  std::function<void(OpId, int)> dump = [&](OpId node, int depth) {
    out += std::string(2 * depth, ' ') + node.ToString() + " " +
           tree_.KindOf(node) + "\n";
    auto it = details.find(node);
    if (it != details.end()) {
      for (const auto& [name, value] : it->second) {
        out += std::string(2 * depth + 2, ' ') + name + ":" + value + "\n";
      }
    }
    for (OpId child : tree_.Children(node)) dump(child, depth + 1);
  };
  dump(kRootNode, 0);
  dump(kTrashNode, 0);
  out += "review";
  for (const Op* op : review_.OpsInOrder()) out += " " + DescribeOp(*op);
  out += "\nnode edits";
  std::map<OpId, std::vector<std::pair<ReplicaId, uint64_t>>> edits(
      node_edits_.begin(), node_edits_.end());
  for (const auto& [node, list] : edits) {
    out += " " + node.ToString() + ":";
    for (const auto& [r, c] : list) {
      out += std::to_string(r) + "@" + std::to_string(c) + ",";
    }
  }
  out += "\n";
  return out;
}

}  // namespace samplan
