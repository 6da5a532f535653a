// Table: an indicator table with ordered rows and columns and register cells.
//
// Rows and columns are two IdLists (sequence_order.h); a line's id is the
// id of the operation that inserted it, and deleting a line tombstones it
// (its cells stay, hidden, so a concurrent cell write is never lost).
// Cells are MultiValueRegisters keyed by (row, column). The header of a row
// is the cell (row, kNullId); the header of a column is (kNullId, column).
//
// Thread-safety: none; a Table belongs to one Replica.
#ifndef SAMPLAN_CRDT_TABLE_H_
#define SAMPLAN_CRDT_TABLE_H_

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "crdt/id_list.h"
#include "crdt/ids.h"
#include "crdt/register.h"
#include "crdt/status.h"
#include "crdt/value.h"

namespace samplan {

enum class TableAxis : uint8_t { kRow = 0, kColumn = 1 };

class Table {
 public:
  // NotFound for unknown origins; InvalidArgument when id is present.
  Status InsertLine(TableAxis axis, OpId id, OpId origin_left,
                    OpId origin_right);
  // Idempotent; NotFound for an unknown line.
  Status DeleteLine(TableAxis axis, OpId line);
  // Checks that row and column exist (either may be kNullId for a header,
  // not both) without changing anything.
  Status ValidateCell(OpId row, OpId column) const;
  // REQUIRES: ValidateCell(row, column).ok(); id not applied before.
  void SetCell(OpId row, OpId column, OpId id, uint64_t lamport,
               const FieldValue& value, const std::vector<OpId>& supersedes,
               const Author& author = {});

  // Snapshot loading: appends a line in list order (IdList::AppendLoaded).
  Status AppendLoadedLine(TableAxis axis, const IdList::Element& line);
  Status FinishLoad() const;

  const IdList& lines(TableAxis axis) const {
    return axis == TableAxis::kRow ? rows_ : columns_;
  }
  // Visible (not deleted) lines in order.
  std::vector<OpId> VisibleLines(TableAxis axis) const;
  // Origins to insert a line at visible index `index`.
  Status LineOriginsAt(TableAxis axis, size_t index, OpId* left,
                       OpId* right) const;
  // nullptr when the cell was never written.
  const MultiValueRegister* Cell(OpId row, OpId column) const;
  const std::map<std::pair<OpId, OpId>, MultiValueRegister>& cells() const {
    return cells_;
  }

 private:
  IdList rows_;
  IdList columns_;
  std::map<std::pair<OpId, OpId>, MultiValueRegister> cells_;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_TABLE_H_
