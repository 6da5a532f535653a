#include "crdt/table.h"

#include <string>

namespace samplan {
namespace {

const char* AxisName(TableAxis axis) {
  return axis == TableAxis::kRow ? "row" : "column";
}

// `st` with its message prefixed by `prefix`, keeping the code.
Status Prefixed(const std::string& prefix, const Status& st) {
  const std::string msg = prefix + st.message();
  switch (st.code()) {
    case Status::Code::kOk:
      return st;
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(msg);
    case Status::Code::kNotFound:
      return Status::NotFound(msg);
    case Status::Code::kOutOfRange:
      return Status::OutOfRange(msg);
    case Status::Code::kCorruption:
      return Status::Corruption(msg);
    case Status::Code::kFailedPrecondition:
      return Status::FailedPrecondition(msg);
  }
  return Status::InvalidArgument(msg);
}

bool IsVisible(const IdList::Element& e) { return !e.deleted; }

}  // namespace

Status Table::InsertLine(TableAxis axis, OpId id, OpId origin_left,
                         OpId origin_right) {
  const TableAxis other =
      axis == TableAxis::kRow ? TableAxis::kColumn : TableAxis::kRow;
  // A line id names exactly one line; a cell key must never be ambiguous.
  if (lines(other).Contains(id)) {
    return Status::InvalidArgument(std::string("table: cannot insert ") +
                                   AxisName(axis) + " " + id.ToString() +
                                   ", it is already a " + AxisName(other));
  }
  IdList& list = axis == TableAxis::kRow ? rows_ : columns_;
  Status st = list.Insert(id, origin_left, origin_right);
  if (!st.ok()) {
    return Prefixed(std::string("table ") + AxisName(axis) + "s: ", st);
  }
  return Status::OK();
}

Status Table::DeleteLine(TableAxis axis, OpId line) {
  IdList& list = axis == TableAxis::kRow ? rows_ : columns_;
  if (!list.Contains(line)) {
    return Status::NotFound(std::string("table: unknown ") + AxisName(axis) +
                            " " + line.ToString());
  }
  return list.Delete(line);
}

Status Table::ValidateCell(OpId row, OpId column) const {
  if (row.IsNull() && column.IsNull()) {
    return Status::InvalidArgument(
        "table: a cell needs a row or a column (both are null)");
  }
  if (!row.IsNull() && !rows_.Contains(row)) {
    if (columns_.Contains(row)) {
      return Status::InvalidArgument("table: " + row.ToString() +
                                     " is a column, not a row");
    }
    return Status::NotFound("table: unknown row " + row.ToString());
  }
  if (!column.IsNull() && !columns_.Contains(column)) {
    if (rows_.Contains(column)) {
      return Status::InvalidArgument("table: " + column.ToString() +
                                     " is a row, not a column");
    }
    return Status::NotFound("table: unknown column " + column.ToString());
  }
  return Status::OK();
}

void Table::SetCell(OpId row, OpId column, OpId id, uint64_t lamport,
                    const FieldValue& value,
                    const std::vector<OpId>& supersedes,
                    const Author& author) {
  cells_[{row, column}].Apply(id, lamport, value, supersedes, author);
}

std::vector<OpId> Table::VisibleLines(TableAxis axis) const {
  std::vector<OpId> out;
  for (const IdList::Element& e : lines(axis).elements()) {
    if (IsVisible(e)) out.push_back(e.id);
  }
  return out;
}

Status Table::LineOriginsAt(TableAxis axis, size_t index, OpId* left,
                            OpId* right) const {
  Status st = lines(axis).OriginsAt(index, IsVisible, left, right);
  if (!st.ok()) {
    return Prefixed(std::string("table ") + AxisName(axis) + "s: ", st);
  }
  return Status::OK();
}

const MultiValueRegister* Table::Cell(OpId row, OpId column) const {
  auto it = cells_.find({row, column});
  return it == cells_.end() ? nullptr : &it->second;
}

Status Table::AppendLoadedLine(TableAxis axis, const IdList::Element& line) {
  IdList& other = axis == TableAxis::kRow ? columns_ : rows_;
  if (other.Contains(line.id)) {
    return Status::InvalidArgument("table line " + line.id.ToString() +
                                   " is on both axes");
  }
  return (axis == TableAxis::kRow ? rows_ : columns_).AppendLoaded(line);
}

Status Table::FinishLoad() const {
  SAMPLAN_RETURN_IF_ERROR(rows_.FinishLoad());
  return columns_.FinishLoad();
}

}  // namespace samplan
