// Test helpers for the history tests: a "server" that stores the ops of
// several editing replicas in one log, stamping each with its author and a
// time (as the store does), and a random editor that makes concurrent
// edits of every kind (tree, fields, texts, tables, review).
//
// Thread-safety: none. Test-only.
#ifndef SAMPLAN_CRDT_TESTING_HISTORY_LOG_H_
#define SAMPLAN_CRDT_TESTING_HISTORY_LOG_H_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "crdt/history.h"
#include "crdt/replica.h"

namespace samplan {
namespace history_testing {

struct Person {
  std::string user;
  std::string municipality;
};

// Editing replicas 1..n that send their ops to a server log.
class LogBuilder {
 public:
  explicit LogBuilder(std::vector<Person> people, int64_t start_ms = 1764090000000)
      : people_(std::move(people)), now_ms_(start_ms) {
    for (size_t i = 0; i < people_.size(); ++i) {
      replicas_.push_back(std::make_unique<Replica>(i + 1));
      replicas_.back()->SetAuthor(
          Author{people_[i].user, people_[i].municipality, 0});
    }
  }

  Replica& r(size_t i) { return *replicas_[i]; }
  size_t size() const { return replicas_.size(); }
  const std::vector<Op>& log() const { return log_; }
  const Replica& server() const { return server_; }
  int64_t now_ms() const { return now_ms_; }
  void Advance(int64_t ms) { now_ms_ += ms; }

  // Sends replica i's new ops to the server log, stamped with i's author
  // and the current time. Returns how many ops were stored.
  size_t Commit(size_t i) {
    std::vector<Op> ops;
    if (!replicas_[i]->OpsSince(server_.version(), &ops).ok()) return 0;
    for (Op& op : ops) {
      op.author = Author{people_[i].user, people_[i].municipality, now_ms_};
      if (!server_.Apply(op).ok()) return 0;
      log_.push_back(op);
    }
    return ops.size();
  }

  // Brings replica i up to date with the server.
  void Pull(size_t i) {
    std::vector<Op> ops;
    if (server_.OpsSince(replicas_[i]->version(), &ops).ok()) {
      (void)replicas_[i]->ApplyAll(ops);
    }
  }

  // Feeds the whole log into a history.
  Status Feed(PlanHistory* h, size_t from = 0) const {
    for (size_t k = from; k < log_.size(); ++k) {
      SAMPLAN_RETURN_IF_ERROR(h->Append(log_[k]));
    }
    return Status::OK();
  }

 private:
  std::vector<Person> people_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  Replica server_{1000};
  std::vector<Op> log_;
  int64_t now_ms_;
};

// Random valid edits of every kind by the replicas of a LogBuilder, each
// committed to the log, with pulls now and then (so edits are concurrent).
class RandomHistoryEditor {
 public:
  RandomHistoryEditor(uint64_t seed, LogBuilder* log) : rng_(seed), log_(log) {}

  // Makes one successful edit (and commits it); returns its replica.
  size_t Step() {
    while (true) {
      const size_t which = Rand(log_->size());
      if (Rand(5) == 0) log_->Pull(which);
      log_->Advance(static_cast<int64_t>(Rand(3) == 0 ? Rand(600000) : Rand(5000)));
      if (Edit(log_->r(which)) && log_->Commit(which) > 0) return which;
    }
  }

 private:
  size_t Rand(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }

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
    const size_t n = 1 + Rand(4);
    for (size_t i = 0; i < n; ++i) out += kPieces[Rand(std::size(kPieces))];
    return out;
  }

  Status EditText(Replica& r, OpId node, const std::string& field) {
    const TextSequence* t = r.TextOf(node, field);
    const size_t size = t == nullptr ? 0 : t->size();
    if (size == 0 || Rand(3) != 0) {
      return r.InsertText(node, field, Rand(size + 1), RandomText());
    }
    const size_t pos = Rand(size);
    return r.DeleteText(node, field, pos,
                        1 + Rand(std::min<size_t>(4, size - pos)));
  }

  bool Edit(Replica& r) {
    const std::vector<OpId> nodes = Nodes(r);
    OpId node = nodes[Rand(nodes.size())];
    if (Rand(4) == 0) {  // tables: indicators are few, pick them more often
      std::vector<OpId> indicators;
      for (OpId n : nodes) {
        if (r.KindOf(n) == "indicator") indicators.push_back(n);
      }
      if (!indicators.empty()) node = indicators[Rand(indicators.size())];
    }
    const std::string kind = r.KindOf(node);
    const int what = static_cast<int>(Rand(100));
    Status s;
    if (what < 12 && (kind == "plan" || kind == "goal")) {
      const char* child = kind == "plan" ? (Rand(3) == 0 ? "indicator" : "goal")
                                         : "measure";
      s = r.CreateNode(node, Rand(r.Children(node).size() + 1), child)
              .status();
    } else if (what >= 12 && what < 17 && kind == "measure") {
      const OpId parent = nodes[Rand(nodes.size())];
      if (r.KindOf(parent) != "goal") return false;
      s = r.MoveNode(node, parent, Rand(r.Children(parent).size() + 1));
    } else if (what >= 17 && what < 19 &&
               (kind == "measure" || kind == "indicator")) {
      s = r.DeleteNode(node);
    } else if (what >= 19 && what < 30 && kind == "measure") {
      static const char* const kStatus[] = {"planlagt", "pågår", "utført"};
      s = r.SetField(node, "status", FieldValue::String(kStatus[Rand(3)]));
    } else if (what >= 19 && what < 40 && kind == "indicator") {
      const Table* t = r.TableOf(node, "values");
      std::vector<OpId> rows, cols;
      if (t != nullptr) {
        rows = t->VisibleLines(TableAxis::kRow);
        cols = t->VisibleLines(TableAxis::kColumn);
      }
      if (rows.empty() || cols.empty() || Rand(4) == 0) {
        const TableAxis axis = Rand(2) ? TableAxis::kRow : TableAxis::kColumn;
        const size_t n = axis == TableAxis::kRow ? rows.size() : cols.size();
        s = r.InsertTableLine(node, "values", axis, Rand(n + 1)).status();
      } else if (Rand(6) == 0) {
        s = r.DeleteTableLine(node, "values", TableAxis::kRow,
                              rows[Rand(rows.size())]);
      } else {
        s = r.SetCell(node, "values", rows[Rand(rows.size())],
                      cols[Rand(cols.size())],
                      FieldValue::Int(static_cast<int64_t>(Rand(100))));
      }
    } else if (what >= 40 && what < 48 && node != kRootNode) {
      // Review: threads, replies, resolving, suggestions, approvals.
      const ReviewState& rs = r.review();
      const int k = static_cast<int>(Rand(6));
      if (k == 0 || rs.threads().empty()) {
        s = r.AddThread(Replica::ThreadAnchorSpec::OnNode(node), "Hvorfor?")
                .status();
      } else if (k == 1) {
        auto it = rs.threads().begin();
        std::advance(it, Rand(rs.threads().size()));
        s = r.Reply(it->first, "Fordi " + RandomText()).status();
      } else if (k == 2) {
        auto it = rs.threads().begin();
        std::advance(it, Rand(rs.threads().size()));
        s = r.SetThread(it->first, "resolved", FieldValue::Bool(Rand(2) == 0));
      } else if (k == 3 && kind == "measure") {
        s = r.SuggestField(node, "status", FieldValue::String("forslag"))
                .status();
      } else if (k == 4 && !rs.suggestions().empty()) {
        auto it = rs.suggestions().begin();
        std::advance(it, Rand(rs.suggestions().size()));
        s = Rand(2) ? r.AcceptSuggestion(it->first, true)
                    : r.RejectSuggestion(it->first, "nei");
      } else {
        s = r.Approve(node, "Moss");
      }
    } else {
      const KindSchema* ks = r.schema().Find(kind);
      if (ks == nullptr || ks->texts.empty()) return false;
      auto it = ks->texts.begin();
      std::advance(it, Rand(ks->texts.size()));
      s = EditText(r, node, *it);
    }
    return s.ok();
  }

  std::mt19937_64 rng_;
  LogBuilder* log_;
};

}  // namespace history_testing
}  // namespace samplan

#endif  // SAMPLAN_CRDT_TESTING_HISTORY_LOG_H_
