// RandomPlanEditor: random but valid plan edits for storage tests and
// benchmarks. Two replicas edit one plan (tree, fields, text) and sync now
// and then; NextBatch returns the operations of one local edit, in an order
// that respects causality when appended to a log in the order returned.
//
// Thread-safety: none.
#ifndef SAMPLAN_STORAGE_TESTING_RANDOM_PLAN_EDITOR_H_
#define SAMPLAN_STORAGE_TESTING_RANDOM_PLAN_EDITOR_H_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "crdt/replica.h"

namespace samplan {
namespace testing_util {

class RandomPlanEditor {
 public:
  // Replica ids first_id and first_id + 1. `base`: a replica to start from
  // (e.g. rebuilt from a store), or nullptr for an empty plan; its state
  // is copied into both editing replicas through its log or snapshot.
  RandomPlanEditor(uint64_t seed, ReplicaId first_id,
                   const Replica* base = nullptr)
      : rng_(seed) {
    for (ReplicaId id : {first_id, first_id + 1}) {
      if (base != nullptr) {
        auto r = Replica::DecodeSnapshot(base->EncodeSnapshot(), id);
        replicas_.push_back(std::move(r).value());
      } else {
        replicas_.push_back(std::make_unique<Replica>(id));
      }
    }
  }

  // The operations of one successful random edit (never empty).
  std::vector<Op> NextBatch() {
    while (true) {
      const size_t which = Rand(replicas_.size());
      Replica& r = *replicas_[which];
      if (Rand(8) == 0) Sync(which);
      const VersionVector before = r.version();
      if (!Edit(r)) continue;
      std::vector<Op> ops;
      if (!r.OpsSince(before, &ops).ok() || ops.empty()) continue;
      for (Op& op : ops) all_.push_back(op);
      return ops;
    }
  }

  // A replica holding everything edited so far.
  const std::vector<Op>& all_ops() const { return all_; }

 private:
  size_t Rand(size_t n) { return static_cast<size_t>(rng_() % n); }

  // Brings replica `to` up to date with the other one.
  void Sync(size_t to) {
    const Replica& from = *replicas_[1 - to];
    std::vector<Op> ops;
    if (from.OpsSince(replicas_[to]->version(), &ops).ok()) {
      replicas_[to]->ApplyAll(ops).ok();
    }
  }

  std::vector<OpId> Nodes(const Replica& r) {
    std::vector<OpId> out;
    std::vector<OpId> stack = {kRootNode};
    while (!stack.empty()) {
      OpId n = stack.back();
      stack.pop_back();
      out.push_back(n);
      for (OpId c : r.Children(n)) stack.push_back(c);
    }
    return out;
  }

  std::string RandomText() {
    static const char* const kPieces[] = {"a", "Moss", " ", "æ", "ø", "å",
                                          "🌱", "Tiltak", "Råde", "\n"};
    std::string out;
    const int n = 1 + Rand(4);
    for (int i = 0; i < n; ++i) out += kPieces[Rand(std::size(kPieces))];
    return out;
  }

  bool Edit(Replica& r) {
    const std::vector<OpId> nodes = Nodes(r);
    const OpId node = nodes[Rand(nodes.size())];
    const std::string kind = r.KindOf(node);
    const int what = Rand(100);
    Status s;
    if (what < 15 && (kind == "plan" || kind == "goal")) {
      s = r.CreateNode(node, Rand(r.Children(node).size() + 1),
                       kind == "plan" ? "goal" : "measure")
              .status();
    } else if (what < 20 && kind == "measure") {
      const OpId parent = nodes[Rand(nodes.size())];
      if (r.KindOf(parent) != "goal") return false;
      s = r.MoveNode(node, parent, Rand(r.Children(parent).size() + 1));
    } else if (what < 22 && kind == "measure") {
      s = r.DeleteNode(node);
    } else if (what < 35 && kind == "measure") {
      s = r.SetField(node, "status",
                     FieldValue::String(Rand(2) ? "planned" : "done"));
    } else {
      const TextSequence* t = r.TextOf(node, "title");
      const size_t size = t == nullptr ? 0 : t->size();
      if (size == 0 || Rand(3) != 0) {
        s = r.InsertText(node, "title", Rand(size + 1), RandomText());
      } else {
        const size_t pos = Rand(size);
        s = r.DeleteText(node, "title", pos,
                         1 + Rand(std::min<size_t>(3, size - pos)));
      }
    }
    return s.ok();
  }

  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<Op> all_;
};

}  // namespace testing_util
}  // namespace samplan

#endif  // SAMPLAN_STORAGE_TESTING_RANDOM_PLAN_EDITOR_H_
