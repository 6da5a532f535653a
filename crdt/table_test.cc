#include "crdt/table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

namespace samplan {
namespace {

// Inserts line `id` so that it becomes visible line number `index`.
Status InsertAt(Table* t, TableAxis axis, size_t index, OpId id) {
  OpId left, right;
  SAMPLAN_RETURN_IF_ERROR(t->LineOriginsAt(axis, index, &left, &right));
  return t->InsertLine(axis, id, left, right);
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(TableTest, StartsEmpty) {
  Table t;
  EXPECT_TRUE(t.VisibleLines(TableAxis::kRow).empty());
  EXPECT_TRUE(t.VisibleLines(TableAxis::kColumn).empty());
  EXPECT_TRUE(t.cells().empty());
  OpId left{9, 9}, right{9, 9};
  ASSERT_TRUE(t.LineOriginsAt(TableAxis::kRow, 0, &left, &right).ok());
  EXPECT_EQ(left, kNullId);
  EXPECT_EQ(right, kNullId);
  EXPECT_EQ(t.LineOriginsAt(TableAxis::kRow, 1, &left, &right).code(),
            Status::Code::kOutOfRange);
}

TEST(TableTest, InsertRowsAndColumnsAtVariousIndices) {
  Table t;
  const OpId a{1, 1}, b{1, 2}, c{1, 3}, d{1, 4};
  ASSERT_TRUE(InsertAt(&t, TableAxis::kRow, 0, a).ok());  // a
  ASSERT_TRUE(InsertAt(&t, TableAxis::kRow, 1, b).ok());  // a b
  ASSERT_TRUE(InsertAt(&t, TableAxis::kRow, 0, c).ok());  // c a b
  ASSERT_TRUE(InsertAt(&t, TableAxis::kRow, 2, d).ok());  // c a d b
  EXPECT_EQ(t.VisibleLines(TableAxis::kRow), (std::vector<OpId>{c, a, d, b}));
  EXPECT_EQ(t.InsertLine(TableAxis::kRow, {1, 5}, {1, 4}, {9, 9}).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(InsertAt(&t, TableAxis::kRow, 5, {1, 6}).code(),
            Status::Code::kOutOfRange);

  const OpId x{1, 10}, y{1, 11}, z{1, 12};
  ASSERT_TRUE(InsertAt(&t, TableAxis::kColumn, 0, x).ok());
  ASSERT_TRUE(InsertAt(&t, TableAxis::kColumn, 0, y).ok());
  ASSERT_TRUE(InsertAt(&t, TableAxis::kColumn, 1, z).ok());
  EXPECT_EQ(t.VisibleLines(TableAxis::kColumn), (std::vector<OpId>{y, z, x}));
  EXPECT_EQ(t.lines(TableAxis::kColumn).size(), 3u);
  EXPECT_EQ(t.lines(TableAxis::kRow).size(), 4u);
}

TEST(TableTest, InsertRejectsDuplicateIds) {
  Table t;
  ASSERT_TRUE(t.InsertLine(TableAxis::kRow, {1, 1}, kNullId, kNullId).ok());
  const Status dup = t.InsertLine(TableAxis::kRow, {1, 1}, kNullId, kNullId);
  EXPECT_EQ(dup.code(), Status::Code::kInvalidArgument);
  // The same id cannot also be a column.
  const Status cross =
      t.InsertLine(TableAxis::kColumn, {1, 1}, kNullId, kNullId);
  EXPECT_EQ(cross.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(Contains(cross.message(), "1:1")) << cross.message();
  EXPECT_EQ(t.lines(TableAxis::kColumn).size(), 0u);
  EXPECT_EQ(t.InsertLine(TableAxis::kRow, kNullId, kNullId, kNullId).code(),
            Status::Code::kInvalidArgument);
}

TEST(TableTest, DeleteTombstonesAndOriginsSkipDeleted) {
  Table t;
  const OpId a{1, 1}, b{1, 2}, c{1, 3};
  ASSERT_TRUE(InsertAt(&t, TableAxis::kRow, 0, a).ok());
  ASSERT_TRUE(InsertAt(&t, TableAxis::kRow, 1, b).ok());
  ASSERT_TRUE(InsertAt(&t, TableAxis::kRow, 2, c).ok());
  ASSERT_TRUE(t.DeleteLine(TableAxis::kRow, b).ok());
  ASSERT_TRUE(t.DeleteLine(TableAxis::kRow, b).ok());  // idempotent
  EXPECT_EQ(t.VisibleLines(TableAxis::kRow), (std::vector<OpId>{a, c}));
  EXPECT_EQ(t.lines(TableAxis::kRow).size(), 3u);  // tombstone kept
  EXPECT_TRUE(t.lines(TableAxis::kRow).elements()[1].deleted);

  // Visible index 1 is after a: left origin a, right origin the tombstone b.
  OpId left, right;
  ASSERT_TRUE(t.LineOriginsAt(TableAxis::kRow, 1, &left, &right).ok());
  EXPECT_EQ(left, a);
  EXPECT_EQ(right, b);
  ASSERT_TRUE(t.LineOriginsAt(TableAxis::kRow, 2, &left, &right).ok());
  EXPECT_EQ(left, c);
  EXPECT_EQ(right, kNullId);
  EXPECT_EQ(t.LineOriginsAt(TableAxis::kRow, 3, &left, &right).code(),
            Status::Code::kOutOfRange);

  const OpId d{1, 4};
  ASSERT_TRUE(InsertAt(&t, TableAxis::kRow, 1, d).ok());
  EXPECT_EQ(t.VisibleLines(TableAxis::kRow), (std::vector<OpId>{a, d, c}));

  const Status unknown = t.DeleteLine(TableAxis::kRow, {7, 7});
  EXPECT_EQ(unknown.code(), Status::Code::kNotFound);
  EXPECT_TRUE(Contains(unknown.message(), "7:7")) << unknown.message();
  // A row id is not a column.
  EXPECT_EQ(t.DeleteLine(TableAxis::kColumn, a).code(),
            Status::Code::kNotFound);
}

TEST(TableTest, ValidateCell) {
  Table t;
  const OpId row{1, 1}, col{1, 2};
  ASSERT_TRUE(t.InsertLine(TableAxis::kRow, row, kNullId, kNullId).ok());
  ASSERT_TRUE(t.InsertLine(TableAxis::kColumn, col, kNullId, kNullId).ok());
  EXPECT_TRUE(t.ValidateCell(row, col).ok());
  EXPECT_TRUE(t.ValidateCell(row, kNullId).ok());  // row header
  EXPECT_TRUE(t.ValidateCell(kNullId, col).ok());  // column header

  const Status both_null = t.ValidateCell(kNullId, kNullId);
  EXPECT_EQ(both_null.code(), Status::Code::kInvalidArgument);

  const Status swapped = t.ValidateCell(col, row);
  EXPECT_EQ(swapped.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(Contains(swapped.message(), "1:2")) << swapped.message();
  EXPECT_TRUE(Contains(swapped.message(), "column")) << swapped.message();
  const Status row_as_col = t.ValidateCell(kNullId, row);
  EXPECT_EQ(row_as_col.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(Contains(row_as_col.message(), "1:1")) << row_as_col.message();

  const Status no_row = t.ValidateCell({5, 6}, col);
  EXPECT_EQ(no_row.code(), Status::Code::kNotFound);
  EXPECT_TRUE(Contains(no_row.message(), "row 5:6")) << no_row.message();
  const Status no_col = t.ValidateCell(row, {5, 7});
  EXPECT_EQ(no_col.code(), Status::Code::kNotFound);
  EXPECT_TRUE(Contains(no_col.message(), "column 5:7")) << no_col.message();

  // A deleted line still accepts (hidden) cell writes.
  ASSERT_TRUE(t.DeleteLine(TableAxis::kRow, row).ok());
  EXPECT_TRUE(t.ValidateCell(row, col).ok());
}

TEST(TableTest, SetCellAndHeaders) {
  Table t;
  const OpId row{1, 1}, col{1, 2};
  ASSERT_TRUE(t.InsertLine(TableAxis::kRow, row, kNullId, kNullId).ok());
  ASSERT_TRUE(t.InsertLine(TableAxis::kColumn, col, kNullId, kNullId).ok());
  EXPECT_EQ(t.Cell(row, col), nullptr);

  t.SetCell(row, kNullId, {1, 3}, 3, FieldValue::String("Moss"), {});
  t.SetCell(kNullId, col, {1, 4}, 4, FieldValue::String("Population"), {});
  t.SetCell(row, col, {1, 5}, 5, FieldValue::Int(50000), {});
  ASSERT_NE(t.Cell(row, kNullId), nullptr);
  EXPECT_EQ(t.Cell(row, kNullId)->winner().value, FieldValue::String("Moss"));
  EXPECT_EQ(t.Cell(kNullId, col)->winner().value,
            FieldValue::String("Population"));
  EXPECT_EQ(t.Cell(row, col)->winner().value, FieldValue::Int(50000));
  EXPECT_EQ(t.cells().size(), 3u);

  // Overwrite, then a deleted row keeps its cells.
  t.SetCell(row, col, {1, 6}, 6, FieldValue::Int(50001),
            t.Cell(row, col)->CurrentIds());
  EXPECT_EQ(t.Cell(row, col)->winner().value, FieldValue::Int(50001));
  EXPECT_FALSE(t.Cell(row, col)->HasConflict());
  ASSERT_TRUE(t.DeleteLine(TableAxis::kRow, row).ok());
  ASSERT_NE(t.Cell(row, col), nullptr);
  EXPECT_EQ(t.Cell(row, col)->winner().value, FieldValue::Int(50001));
}

TEST(TableTest, ConcurrentCellWritesConflictThenResolve) {
  const OpId row{1, 1}, col{1, 2};
  Table a, b;
  for (Table* t : {&a, &b}) {
    ASSERT_TRUE(t->InsertLine(TableAxis::kRow, row, kNullId, kNullId).ok());
    ASSERT_TRUE(t->InsertLine(TableAxis::kColumn, col, kNullId, kNullId).ok());
    t->SetCell(row, col, {1, 3}, 3, FieldValue::Int(1), {});
  }
  // Replicas 1 and 2 write concurrently, each having seen 1:3.
  a.SetCell(row, col, {1, 4}, 4, FieldValue::Int(10), {{1, 3}});
  b.SetCell(row, col, {2, 1}, 4, FieldValue::Int(20), {{1, 3}});
  a.SetCell(row, col, {2, 1}, 4, FieldValue::Int(20), {{1, 3}});
  b.SetCell(row, col, {1, 4}, 4, FieldValue::Int(10), {{1, 3}});
  ASSERT_EQ(a.cells().size(), b.cells().size());
  for (const auto& [key, reg] : a.cells()) {
    ASSERT_NE(b.Cell(key.first, key.second), nullptr);
    EXPECT_EQ(reg.entries(), b.Cell(key.first, key.second)->entries());
  }
  const MultiValueRegister* cell = a.Cell(row, col);
  ASSERT_NE(cell, nullptr);
  EXPECT_TRUE(cell->HasConflict());
  EXPECT_EQ(cell->winner().value, FieldValue::Int(20));  // replica 2 wins tie
  EXPECT_EQ(cell->entries()[1].value, FieldValue::Int(10));

  a.SetCell(row, col, {1, 5}, 5, FieldValue::Int(15), cell->CurrentIds());
  EXPECT_FALSE(a.Cell(row, col)->HasConflict());
  EXPECT_EQ(a.Cell(row, col)->winner().value, FieldValue::Int(15));
}

struct LineOp {
  OpId id, left, right;
};

TEST(TableTest, ConcurrentRowInsertsConvergeInBothOrders) {
  // Shared prefix: rows r1, r2.
  const OpId r1{1, 1}, r2{1, 2};
  Table base;
  ASSERT_TRUE(InsertAt(&base, TableAxis::kRow, 0, r1).ok());
  ASSERT_TRUE(InsertAt(&base, TableAxis::kRow, 1, r2).ok());

  // Replica 1 inserts two rows between r1 and r2; replica 2 concurrently
  // inserts two rows at the same place and one at the start.
  Table one = base, two = base;
  std::vector<LineOp> ops1, ops2;
  for (auto [t, ops, ids] :
       {std::make_tuple(&one, &ops1, std::vector<OpId>{{1, 3}, {1, 4}}),
        std::make_tuple(&two, &ops2, std::vector<OpId>{{2, 1}, {2, 2}})}) {
    size_t index = 1;
    for (OpId id : ids) {
      LineOp op{id, {}, {}};
      ASSERT_TRUE(
          t->LineOriginsAt(TableAxis::kRow, index++, &op.left, &op.right).ok());
      ASSERT_TRUE(t->InsertLine(TableAxis::kRow, id, op.left, op.right).ok());
      ops->push_back(op);
    }
  }
  {
    LineOp op{{2, 3}, {}, {}};
    ASSERT_TRUE(two.LineOriginsAt(TableAxis::kRow, 0, &op.left, &op.right).ok());
    ASSERT_TRUE(two.InsertLine(TableAxis::kRow, op.id, op.left, op.right).ok());
    ops2.push_back(op);
  }
  // Replica 1 also deletes r2 concurrently.
  ASSERT_TRUE(one.DeleteLine(TableAxis::kRow, r2).ok());

  for (const LineOp& op : ops2) {
    ASSERT_TRUE(one.InsertLine(TableAxis::kRow, op.id, op.left, op.right).ok());
  }
  for (const LineOp& op : ops1) {
    ASSERT_TRUE(two.InsertLine(TableAxis::kRow, op.id, op.left, op.right).ok());
  }
  ASSERT_TRUE(two.DeleteLine(TableAxis::kRow, r2).ok());

  const std::vector<OpId> rows = one.VisibleLines(TableAxis::kRow);
  EXPECT_EQ(rows, two.VisibleLines(TableAxis::kRow));
  ASSERT_EQ(rows.size(), 6u);
  // No interleaving: each replica's run stays together after r1.
  const auto pos = [&](OpId id) {
    return std::find(rows.begin(), rows.end(), id) - rows.begin();
  };
  EXPECT_EQ(rows.front(), (OpId{2, 3}));
  EXPECT_EQ(pos({1, 4}), pos({1, 3}) + 1);
  EXPECT_EQ(pos({2, 2}), pos({2, 1}) + 1);
  EXPECT_GT(pos({1, 3}), pos(r1));
  EXPECT_GT(pos({2, 1}), pos(r1));
  for (size_t k = 0; k < one.lines(TableAxis::kRow).size(); ++k) {
    EXPECT_EQ(one.lines(TableAxis::kRow).elements()[k].id,
              two.lines(TableAxis::kRow).elements()[k].id);
  }
}

TEST(TableTest, ConcurrentInsertsAtSameSpotAllOrders) {
  // Three replicas each insert a column at the end of an empty table.
  const std::vector<LineOp> ops = {{{3, 1}, kNullId, kNullId},
                                   {{1, 1}, kNullId, kNullId},
                                   {{2, 1}, kNullId, kNullId}};
  std::vector<int> order = {0, 1, 2};
  std::vector<OpId> expected;
  do {
    Table t;
    for (int k : order) {
      ASSERT_TRUE(
          t.InsertLine(TableAxis::kColumn, ops[k].id, ops[k].left, ops[k].right)
              .ok());
    }
    if (expected.empty()) expected = t.VisibleLines(TableAxis::kColumn);
    EXPECT_EQ(t.VisibleLines(TableAxis::kColumn), expected);
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(expected.size(), 3u);
}

}  // namespace
}  // namespace samplan
