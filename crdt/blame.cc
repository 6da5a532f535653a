#include "crdt/blame.h"

#include <functional>

namespace samplan {

std::vector<BlameSpan> BlameText(const PlanHistory& h,
                                 const TextSequence& text) {
  std::vector<BlameSpan> spans;
  size_t pos = 0;
  uint64_t last_seq = 0;
  text.ForEachRun([&](const TextSequence::Run& run) {
    if (run.deleted) return;
    h.ForEachUnitPiece(run.id, run.chars.size(), [&](uint64_t n, uint64_t seq) {
      if (!spans.empty() && last_seq == seq &&
          spans.back().start + spans.back().length == pos) {
        spans.back().length += n;
      } else {
        BlameSpan span;
        span.start = pos;
        span.length = n;
        span.seq = seq;
        if (seq != 0) span.author = h.AuthorAt(seq);
        spans.push_back(std::move(span));
        last_seq = seq;
      }
      pos += n;
    });
  });
  return spans;
}

namespace {

bool WinnerBlame(const PlanHistory& h, const MultiValueRegister* reg,
                 ValueBlame* out) {
  if (reg == nullptr || reg->empty()) return false;
  const OpId winner = reg->winner().id;
  if (!h.AuthorOf(winner, &out->author, &out->seq)) {
    out->author = reg->winner().author;
    out->seq = 0;
  }
  return true;
}

}  // namespace

Status Blame(PlanHistory& h, uint64_t at_seq, OpId node,
             std::vector<NodeBlame>* out) {
  auto state_or = h.StateAt(at_seq);
  if (!state_or.ok()) return state_or.status();
  const Replica& state = **state_or;
  const OpId top = node.IsNull() ? kRootNode : node;
  if (!state.HasNode(top)) {
    return Status::NotFound("node " + top.ToString() + " does not exist at seq " +
                            std::to_string(at_seq));
  }
  std::vector<OpId> order;
  std::function<void(OpId)> walk = [&](OpId n) {
    order.push_back(n);
    for (OpId c : state.Children(n)) walk(c);
  };
  walk(top);

  // The last content op per node: one backward scan that stops once every
  // node has been seen.
  std::vector<uint64_t> last(h.node_count(), 0);
  std::vector<bool> wanted(h.node_count(), false);
  size_t remaining = 0;
  for (OpId n : order) {
    uint32_t index;
    if (h.NodeIndexOf(n, &index) && !wanted[index]) {
      wanted[index] = true;
      ++remaining;
    }
  }
  for (uint64_t seq = at_seq; seq >= 1 && remaining > 0; --seq) {
    if (IsReviewKind(h.KindAt(seq))) continue;
    const uint32_t index = h.NodeIndexAt(seq);
    if (wanted[index] && last[index] == 0) {
      last[index] = seq;
      --remaining;
    }
  }

  std::vector<NodeBlame> result;
  result.reserve(order.size());
  for (OpId n : order) {
    NodeBlame b;
    b.node = n;
    b.kind = state.KindOf(n);
    b.number = state.Numbering(n);
    b.title = NodeTitleOf(state, n);
    uint32_t index;
    if (h.NodeIndexOf(n, &index) && last[index] != 0) {
      b.last_seq = last[index];
      b.last_author = h.AuthorAt(b.last_seq);
    }
    const KindSchema* kind = state.schema().Find(b.kind);
    if (kind != nullptr) {
      for (const std::string& name : kind->texts) {
        const TextSequence* t = state.TextOf(n, name);
        if (t == nullptr) continue;
        b.texts.emplace_back(name, BlameText(h, *t));
      }
      for (const auto& [name, type] : kind->fields) {
        auto read = state.Field(n, name);
        if (!read.ok() || read->winner.IsNull()) continue;
        ValueBlame v;
        v.name = name;
        if (!h.AuthorOf(read->winner, &v.author, &v.seq)) {
          v.author = read->author;
        }
        b.fields.push_back(std::move(v));
      }
      for (const std::string& name : kind->tables) {
        const Table* table = state.TableOf(n, name);
        if (table == nullptr) continue;
        std::vector<OpId> rows = table->VisibleLines(TableAxis::kRow);
        std::vector<OpId> columns = table->VisibleLines(TableAxis::kColumn);
        rows.insert(rows.begin(), kNullId);  // the column headers' row
        columns.insert(columns.begin(), kNullId);
        for (OpId row : rows) {
          for (OpId column : columns) {
            if (row.IsNull() && column.IsNull()) continue;
            ValueBlame v;
            v.name = name;
            v.row = row;
            v.column = column;
            if (WinnerBlame(h, table->Cell(row, column), &v)) {
              b.cells.push_back(std::move(v));
            }
          }
        }
      }
    }
    result.push_back(std::move(b));
  }
  *out = std::move(result);
  return Status::OK();
}

}  // namespace samplan
