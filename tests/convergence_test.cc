// Seeded randomized convergence tests for the plan CRDT.
//
// Five replicas make random mixed edits (tree create/move/delete, fields,
// text, tables) and review operations (threads on nodes, fields, text
// ranges and cells, replies, comment edits and deletes, thread attributes,
// read marks, suggestions of every kind, accepts - stale ones too - and
// rejects, approvals and revocations) while a simulated network delivers
// random subsets of what each lacks, shuffled and duplicated, between the
// members of random partitions. After healing, every replica must hold the
// identical plan and review state (and answer every review view alike),
// pass its invariant check, and survive a snapshot round trip; a replica
// that joins late from a snapshot must converge too. Fixed seeds run in CI;
// SAMPLAN_LONG=1 runs many more seeds and steps. (Review operations through
// the real server: tests/review_rights_test.cc.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>

#include "crdt/replica.h"
#include "crdt/utf8.h"
#include "protocol/review_json.h"

namespace samplan {
namespace {

bool LongRun() {
  const char* v = std::getenv("SAMPLAN_LONG");
  return v != nullptr && std::string(v) == "1";
}

class Simulation {
 public:
  Simulation(uint64_t seed, int replicas) : rng_(seed) {
    for (int i = 0; i < replicas; ++i) {
      replicas_.push_back(std::make_unique<Replica>(100 + i * 7));
    }
    groups_.assign(replicas, 0);
  }

  void Step() {
    const int roll = Rand(100);
    if (roll < 3) {
      Partition();
    } else if (roll < 70) {
      Edit(*replicas_[Rand(replicas_.size())]);
    } else if (roll < 80) {
      ReviewEdit(*replicas_[Rand(replicas_.size())]);
    } else {
      Deliver();
    }
  }

  // Heals the partition and syncs everybody until all agree.
  void Heal() {
    std::fill(groups_.begin(), groups_.end(), 0);
    for (int round = 0; round < 3; ++round) {
      for (auto& from : replicas_) {
        for (auto& to : replicas_) {
          if (from == to) continue;
          std::vector<Op> ops;
          ASSERT_TRUE(from->OpsSince(to->version(), &ops).ok());
          ASSERT_TRUE(to->ApplyAll(ops).ok());
        }
      }
    }
  }

  std::vector<std::unique_ptr<Replica>>& replicas() { return replicas_; }
  int edits() const { return edits_; }
  int review_edits() const { return review_edits_; }

 private:
  size_t Rand(size_t n) { return static_cast<size_t>(rng_() % n); }

  void Partition() {
    const int parts = 1 + Rand(3);
    for (int& g : groups_) g = Rand(parts);
  }

  // Delivers a random, shuffled, duplicated subset of what `to` lacks, and
  // sometimes stale ops it already has.
  void Deliver() {
    const size_t a = Rand(replicas_.size());
    const size_t b = Rand(replicas_.size());
    if (a == b || groups_[a] != groups_[b]) return;
    Replica& from = *replicas_[a];
    Replica& to = *replicas_[b];
    std::vector<Op> ops;
    VersionVector since = Rand(10) == 0 ? VersionVector() : to.version();
    ASSERT_TRUE(from.OpsSince(since, &ops).ok());
    std::vector<Op> batch;
    for (const Op& op : ops) {
      if (Rand(4) != 0) batch.push_back(op);
      if (Rand(10) == 0) batch.push_back(op);
    }
    std::shuffle(batch.begin(), batch.end(), rng_);
    for (const Op& op : batch) {
      Status s = to.Apply(op);
      ASSERT_TRUE(s.ok()) << s.ToString() << " applying " << DescribeOp(op);
    }
    if (to.pending_count() > 0) ++held_back_;
  }

 public:
  int held_back() const { return held_back_; }

 private:

  std::vector<OpId> Nodes(const Replica& r, bool include_root) {
    std::vector<OpId> out;
    std::vector<OpId> stack = {kRootNode};
    while (!stack.empty()) {
      OpId n = stack.back();
      stack.pop_back();
      if (n != kRootNode || include_root) out.push_back(n);
      for (OpId c : r.Children(n)) stack.push_back(c);
    }
    return out;
  }

  std::string RandomText() {
    static const char* const kPieces[] = {
        "a", "b", "Moss", " ", "æ", "ø", "å", "Å", "ä", "ö", "🌱", "e\u0301",
        "Tiltak", "\n", "Råde", "Våler", "🚆🚆"};
    std::string out;
    const int n = 1 + Rand(3);
    for (int i = 0; i < n; ++i) out += kPieces[Rand(std::size(kPieces))];
    return out;
  }

  FieldValue RandomValue(ValueType type) {
    switch (type) {
      case ValueType::kBool:
        return FieldValue::Bool(Rand(2));
      case ValueType::kInt:
        return FieldValue::Int(2020 + Rand(10));
      case ValueType::kNumber:
        return FieldValue::Number(Rand(1000) / 4.0);
      case ValueType::kString:
        return FieldValue::String(Rand(2) ? "planned" : "done");
      case ValueType::kDate:
        return FieldValue::Date("2026-0" + std::to_string(1 + Rand(9)) + "-1" +
                                std::to_string(Rand(10)));
      case ValueType::kStringList:
        return FieldValue::StringList({Rand(2) ? "Moss" : "Vestby"});
      default:
        return FieldValue::Null();
    }
  }

  template <typename Set>
  std::string Pick(const Set& set) {
    auto it = set.begin();
    std::advance(it, Rand(set.size()));
    return *it;
  }

  void Edit(Replica& r) {
    const std::vector<OpId> nodes = Nodes(r, true);
    const OpId node = nodes[Rand(nodes.size())];
    const KindSchema* kind = r.schema().Find(r.KindOf(node));
    ASSERT_NE(kind, nullptr);
    // Indicators are few; give their tables a fair share of the edits.
    const int what = !kind->tables.empty() && Rand(2) == 0 ? 99 : Rand(100);
    Status s;
    if (what < 15 && !kind->children.empty()) {
      s = r.CreateNode(node, Rand(r.Children(node).size() + 1),
                       Pick(kind->children))
              .status();
    } else if (what < 25 && node != kRootNode) {
      const OpId parent = nodes[Rand(nodes.size())];
      if (!r.tree().IsAncestor(node, parent)) {
        s = r.MoveNode(node, parent, Rand(r.Children(parent).size() + 1));
      }
    } else if (what < 29 && node != kRootNode) {
      s = r.DeleteNode(node);
    } else if (what < 40 && !kind->fields.empty()) {
      auto field = kind->fields.begin();
      std::advance(field, Rand(kind->fields.size()));
      s = r.SetField(node, field->first, RandomValue(field->second));
    } else if (what < 88 && !kind->texts.empty()) {
      const std::string field = Pick(kind->texts);
      const TextSequence* t = r.TextOf(node, field);
      const size_t size = t == nullptr ? 0 : t->size();
      if (size == 0 || Rand(3) != 0) {
        s = r.InsertText(node, field, Rand(size + 1), RandomText());
      } else {
        const size_t pos = Rand(size);
        s = r.DeleteText(node, field, pos, 1 + Rand(std::min<size_t>(
                                                   4, size - pos)));
      }
    } else if (!kind->tables.empty()) {
      const std::string table = Pick(kind->tables);
      const Table* t = r.TableOf(node, table);
      const TableAxis axis = Rand(2) ? TableAxis::kRow : TableAxis::kColumn;
      std::vector<OpId> rows, cols;
      if (t != nullptr) {
        rows = t->VisibleLines(TableAxis::kRow);
        cols = t->VisibleLines(TableAxis::kColumn);
      }
      const auto& lines = axis == TableAxis::kRow ? rows : cols;
      const int op = Rand(10);
      if (op < 4 || lines.empty()) {
        s = r.InsertTableLine(node, table, axis, Rand(lines.size() + 1))
                .status();
      } else if (op < 5) {
        s = r.DeleteTableLine(node, table, axis, lines[Rand(lines.size())]);
      } else if (!rows.empty()) {
        const OpId col = cols.empty() || Rand(4) == 0
                             ? kNullId
                             : cols[Rand(cols.size())];
        s = r.SetCell(node, table, rows[Rand(rows.size())], col,
                      FieldValue::Int(Rand(100)));
      }
    }
    // Local edits the schema forbids are refused; that is fine here. What
    // matters is that accepted edits converge.
    if (s.ok()) ++edits_;
  }

  // One random review operation (the replicas carry no author, so each may
  // edit every comment: the core's author check compares equal names).
  void ReviewEdit(Replica& r) {
    const std::vector<OpId> nodes = Nodes(r, true);
    const OpId node = nodes[Rand(nodes.size())];
    const KindSchema* kind = r.schema().Find(r.KindOf(node));
    ASSERT_NE(kind, nullptr);
    const ReviewState& review = r.review();
    std::vector<OpId> threads, comments, open;
    for (const auto& [id, t] : review.threads()) threads.push_back(id);
    for (const auto& [id, c] : review.comments()) comments.push_back(id);
    for (const auto& [id, sug] : review.suggestions()) {
      if (sug.status == SuggestionStatus::kOpen) open.push_back(id);
    }
    std::string text;
    size_t size = 0;
    if (!kind->texts.empty()) {
      text = Pick(kind->texts);
      const TextSequence* t = r.TextOf(node, text);
      size = t == nullptr ? 0 : t->size();
    }
    const char* const kParties[] = {"user:anne", "municipality:Moss",
                                    "municipality:Vestby"};
    const int what = Rand(100);
    Status s;
    if (what < 20) {
      Replica::ThreadAnchorSpec spec = Replica::ThreadAnchorSpec::OnNode(node);
      const int a = Rand(4);
      if (a == 1 && size > 0) {
        const size_t from = Rand(size);
        spec = Replica::ThreadAnchorSpec::OnText(
            node, text, from, from + 1 + Rand(std::min<size_t>(6, size - from)));
      } else if (a == 2 && !kind->tables.empty()) {
        const std::string table = Pick(kind->tables);
        const Table* t = r.TableOf(node, table);
        if (t == nullptr) return;
        const std::vector<OpId> rows = t->VisibleLines(TableAxis::kRow);
        const std::vector<OpId> cols = t->VisibleLines(TableAxis::kColumn);
        if (rows.empty()) return;
        spec = Replica::ThreadAnchorSpec::OnCell(
            node, table, rows[Rand(rows.size())],
            cols.empty() || Rand(4) == 0 ? kNullId : cols[Rand(cols.size())]);
      } else if (a == 3 && !kind->fields.empty()) {
        auto field = kind->fields.begin();
        std::advance(field, Rand(kind->fields.size()));
        spec = Replica::ThreadAnchorSpec::OnField(node, field->first);
      }
      std::vector<std::string> mentions;
      if (Rand(2)) mentions.push_back(kParties[Rand(3)]);
      s = r.AddThread(spec, RandomText(), mentions).status();
    } else if (what < 30 && !threads.empty()) {
      s = r.Reply(threads[Rand(threads.size())], RandomText()).status();
    } else if (what < 36 && !comments.empty()) {
      const OpId c = comments[Rand(comments.size())];
      s = Rand(3) ? r.EditComment(c, RandomText(), {kParties[Rand(3)]})
                  : r.DeleteComment(c);
    } else if (what < 46 && !threads.empty()) {
      const OpId t = threads[Rand(threads.size())];
      switch (Rand(3)) {
        case 0:
          s = r.SetThread(t, "resolved", FieldValue::Bool(Rand(2)));
          break;
        case 1:
          s = r.SetThread(t, "assignee",
                          Rand(4) ? FieldValue::String(kParties[Rand(3)])
                                  : FieldValue::Null());
          break;
        default:
          s = r.SetThread(t, "due", RandomValue(ValueType::kDate));
      }
    } else if (what < 50 && !threads.empty()) {
      s = r.MarkRead(threads[Rand(threads.size())]);
    } else if (what < 75) {
      switch (Rand(6)) {
        case 0:
          if (text.empty()) return;
          {
            const size_t pos = Rand(size + 1);
            const size_t len = pos == size ? 0 : Rand(std::min<size_t>(4, size - pos + 1));
            s = r.SuggestText(node, text, pos, len, Rand(3) ? RandomText() : "")
                    .status();
          }
          break;
        case 1:
          if (kind->fields.empty()) return;
          {
            auto field = kind->fields.begin();
            std::advance(field, Rand(kind->fields.size()));
            s = r.SuggestField(node, field->first, RandomValue(field->second))
                    .status();
          }
          break;
        case 2:
          if (kind->tables.empty()) return;
          {
            const std::string table = Pick(kind->tables);
            const Table* t = r.TableOf(node, table);
            if (t == nullptr) return;
            const std::vector<OpId> rows = t->VisibleLines(TableAxis::kRow);
            if (rows.empty()) return;
            s = r.SuggestCell(node, table, rows[Rand(rows.size())], kNullId,
                              FieldValue::Int(Rand(100)))
                    .status();
          }
          break;
        case 3:
          if (kind->children.empty()) return;
          s = r.SuggestNode(node, Rand(r.Children(node).size() + 1),
                            Pick(kind->children), RandomText())
                  .status();
          break;
        case 4: {
          if (node == kRootNode) return;
          const OpId parent = nodes[Rand(nodes.size())];
          if (r.tree().IsAncestor(node, parent)) return;
          s = r.SuggestMove(node, parent, Rand(r.Children(parent).size() + 1))
                  .status();
          break;
        }
        default:
          if (node == kRootNode) return;
          s = r.SuggestDelete(node).status();
      }
    } else if (what < 90 && !open.empty()) {
      const OpId sug = open[Rand(open.size())];
      s = Rand(3) ? r.AcceptSuggestion(sug, Rand(2))
                  : r.RejectSuggestion(sug, RandomText());
    } else if (what >= 90) {
      const char* m = Rand(2) ? "Moss" : "Vestby";
      s = Rand(4) ? r.Approve(node, m) : r.RevokeApproval(node, m);
    }
    if (s.ok()) ++review_edits_;
  }

  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<int> groups_;
  int edits_ = 0;
  int review_edits_ = 0;
  int held_back_ = 0;
};

// What a run exercised, summed over seeds, so that the test fails if the
// generator silently stops producing the hard cases.
struct Coverage {
  int held_back = 0;      // deliveries that left ops waiting for deps
  int conflicts = 0;      // fields or cells holding concurrent values
  int deleted_nodes = 0;  // nodes under the trash at the end
  int moved_nodes = 0;    // moves in the final tree log
  int text_chars = 0;     // visible characters at the end
  int table_cells = 0;    // table cells written
  int review_edits = 0;   // review operations made
  int threads = 0;        // threads at the end
  int orphaned = 0;       // text threads whose text is all gone
  int accepted = 0;       // suggestions accepted
  int stale = 0;          // open suggestions whose target changed
  int outdated = 0;       // approvals outdated by a later edit
};

// Every review view of `r`, as one JSON text (the same for equal replicas).
std::string ReviewViews(const Replica& r) {
  std::string out;
  for (const char* view : {"threads", "inbox", "suggestions", "conflicts", "signoff"}) {
    protocol::ReviewQuery q;
    const nlohmann::json query = {{"query", view},
                                  {"viewer", {{"user", "anne"}, {"municipality", "Moss"}}}};
    if (!protocol::ReviewQueryFromJson(query, &q).ok()) return "bad query";
    Result<nlohmann::json> answer = protocol::RunReviewQuery(r, q);
    out += answer.ok() ? answer->dump() : answer.status().ToString();
    out += "\n";
  }
  return out;
}

void RunSeed(uint64_t seed, int steps, Coverage* coverage) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed, 5);
  for (int i = 0; i < steps; ++i) {
    sim.Step();
    if (::testing::Test::HasFatalFailure()) return;
  }
  sim.Heal();
  if (::testing::Test::HasFatalFailure()) return;
  auto& rs = sim.replicas();
  const std::string expected = rs[0]->CanonicalDump();
  const std::string views = ReviewViews(*rs[0]);
  for (auto& r : rs) {
    EXPECT_EQ(r->pending_count(), 0u);
    Status inv = r->CheckInvariants();
    ASSERT_TRUE(inv.ok()) << inv.ToString();
    ASSERT_EQ(r->CanonicalDump(), expected);
    ASSERT_EQ(ReviewViews(*r), views);
  }
  EXPECT_GT(sim.edits(), steps / 4);
  coverage->review_edits += sim.review_edits();
  {
    const Replica& r = *rs[0];
    coverage->threads += r.review().threads().size();
    for (const auto& [id, t] : r.review().threads()) {
      coverage->orphaned += t.anchor == AnchorKind::kText && r.LocateThread(t).orphaned;
    }
    for (const auto& [id, s] : r.review().suggestions()) {
      coverage->accepted += s.status == SuggestionStatus::kAccepted;
      coverage->stale += s.status == SuggestionStatus::kOpen && r.CheckSuggestion(s).stale;
    }
    for (const auto& [key, a] : r.review().approvals()) coverage->outdated += r.ApprovalOutdated(a);
  }
  coverage->held_back += sim.held_back();
  const Replica& r0 = *rs[0];
  coverage->deleted_nodes += r0.Children(kTrashNode).size();
  for (const TreeMove& m : r0.tree().log()) {
    if (m.kind.empty()) ++coverage->moved_nodes;
  }
  const std::string dump = r0.CanonicalDump();
  for (size_t at = dump.find("field "); at != std::string::npos;
       at = dump.find("field ", at + 1)) {
    const size_t eol = dump.find('\n', at);
    const std::string line = dump.substr(at, eol - at);
    if (std::count(line.begin(), line.end(), '@') > 1) ++coverage->conflicts;
  }
  for (size_t at = dump.find("cell("); at != std::string::npos;
       at = dump.find("cell(", at + 1)) {
    ++coverage->table_cells;
  }
  std::vector<OpId> stack = {kRootNode};
  while (!stack.empty()) {
    OpId n = stack.back();
    stack.pop_back();
    for (const auto& name : r0.schema().Find(r0.KindOf(n))->texts) {
      if (const TextSequence* t = r0.TextOf(n, name)) {
        coverage->text_chars += t->size();
      }
    }
    for (OpId c : r0.Children(n)) stack.push_back(c);
  }
  // Snapshot round trip, and a late joiner that catches up from a snapshot
  // taken mid-way plus the operations after it.
  const std::string snapshot = rs[2]->EncodeSnapshot();
  for (auto& r : rs) ASSERT_EQ(r->EncodeSnapshot(), snapshot);
  auto loaded = Replica::DecodeSnapshot(snapshot, 999);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->CanonicalDump(), expected);
  EXPECT_EQ(ReviewViews(**loaded), views);
  Replica fresh(998);
  std::vector<Op> all;
  ASSERT_TRUE(rs[1]->OpsSince(VersionVector(), &all).ok());
  std::reverse(all.begin(), all.end());  // worst order: all held back first
  ASSERT_TRUE(fresh.ApplyAll(all).ok());
  EXPECT_EQ(fresh.pending_count(), 0u);
  EXPECT_EQ(fresh.CanonicalDump(), expected);
  EXPECT_EQ(ReviewViews(fresh), views);
}

TEST(ConvergenceTest, FixedSeeds) {
  const int seeds = LongRun() ? 400 : 60;
  const int steps = LongRun() ? 3000 : 800;
  Coverage coverage;
  for (int seed = 1; seed <= seeds; ++seed) {
    RunSeed(seed, steps, &coverage);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(coverage.held_back, seeds);
  EXPECT_GT(coverage.conflicts, seeds / 5);
  EXPECT_GT(coverage.deleted_nodes, seeds);
  EXPECT_GT(coverage.moved_nodes, seeds);
  EXPECT_GT(coverage.text_chars, seeds * 50);
  EXPECT_GT(coverage.table_cells, seeds / 5);
  EXPECT_GT(coverage.review_edits, seeds * 20);
  EXPECT_GT(coverage.threads, seeds);
  EXPECT_GT(coverage.orphaned, 0);
  EXPECT_GT(coverage.accepted, seeds);
  EXPECT_GT(coverage.stale, 0);
  EXPECT_GT(coverage.outdated, 0);
  std::printf("coverage over %d seeds: held back %d, conflicts %d, deleted "
              "nodes %d, moves %d, text chars %d, table cells %d, review ops "
              "%d, threads %d (%d orphaned), accepted %d, stale %d, outdated "
              "approvals %d\n",
              seeds, coverage.held_back, coverage.conflicts,
              coverage.deleted_nodes, coverage.moved_nodes,
              coverage.text_chars, coverage.table_cells, coverage.review_edits,
              coverage.threads, coverage.orphaned, coverage.accepted,
              coverage.stale, coverage.outdated);
}

}  // namespace
}  // namespace samplan
