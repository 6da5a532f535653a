// Replica::CheckRemoteOp: the admission rule the server applies to ops
// from untrusted clients before Apply.
#include <gtest/gtest.h>

#include "crdt/replica.h"

namespace samplan {
namespace {

class RemoteOpCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    goal_ = *author_.CreateNode(kRootNode, 0, "goal");
    block_ = *author_.CreateNode(goal_, 0, "text_block");
    ASSERT_TRUE(author_.InsertText(block_, "body", 0, "Grønn mobilitet").ok());
    std::vector<Op> ops;
    ASSERT_TRUE(author_.OpsSince(VersionVector(), &ops).ok());
    ASSERT_TRUE(server_.ApplyAll(ops).ok());
    text_op_ = ops.back();
  }

  // A well-formed op of client replica 9 typing at the end of the text.
  Op Typing() const {
    Op op;
    op.id = OpId{9, 1};
    op.lamport = server_.max_lamport() + 1;
    op.deps = server_.frontier();
    op.kind = OpKind::kInsertText;
    op.node = block_;
    op.name = "body";
    op.left = text_op_.LastId();
    op.text = "!";
    return op;
  }
  Status Check(const Op& op) const {
    return server_.CheckRemoteOp(op, server_.max_lamport() + op.Length());
  }

  Replica author_{1};
  Replica server_{2};
  OpId goal_, block_;
  Op text_op_;
};

TEST_F(RemoteOpCheckTest, AcceptsAnHonestOp) {
  EXPECT_TRUE(Check(Typing()).ok());
}

TEST_F(RemoteOpCheckTest, RefusesUnknownIdsAsNotFoundWithoutHoldingBack) {
  const std::string before = server_.CanonicalDump();
  for (int field = 0; field < 4; ++field) {
    Op op = Typing();
    const OpId unknown{77, 5};
    if (field == 0) op.deps.push_back(unknown);
    if (field == 1) op.node = unknown;
    if (field == 2) op.left = unknown;
    if (field == 3) op.right = unknown;
    Status s = Check(op);
    EXPECT_EQ(s.code(), Status::Code::kNotFound) << field << s.ToString();
    EXPECT_NE(s.message().find("77:5"), std::string::npos) << s.ToString();
  }
  Op del;
  del.id = OpId{9, 1};
  del.lamport = server_.max_lamport() + 1;
  del.kind = OpKind::kDeleteText;
  del.node = block_;
  del.name = "body";
  del.spans = {IdSpan{text_op_.id.replica, text_op_.id.counter, 1000, false}};
  EXPECT_EQ(Check(del).code(), Status::Code::kNotFound);
  Op gap = Typing();
  gap.id.counter = 3;  // 9:1..2 never arrived
  EXPECT_EQ(Check(gap).code(), Status::Code::kNotFound);
  EXPECT_EQ(server_.CanonicalDump(), before);
  EXPECT_EQ(server_.pending_count(), 0u);
}

TEST_F(RemoteOpCheckTest, RefusesLamportsAheadOfTheClockOrBehindWhatTheyName) {
  Op op = Typing();
  op.lamport = (uint64_t{1} << 53) - 1;
  EXPECT_EQ(Check(op).code(), Status::Code::kInvalidArgument);
  op.lamport = server_.max_lamport() + 2;  // one more than the batch allows
  EXPECT_EQ(Check(op).code(), Status::Code::kInvalidArgument);
  // Backdated: below the Lamport of the character it types after, with
  // dependencies that do not cover it.
  op = Typing();
  op.deps = {OpId{1, 1}};
  op.lamport = 2;
  Status s = Check(op);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("not after"), std::string::npos) << s.ToString();
  // A move backdated below the node it moves.
  Op move;
  move.id = OpId{9, 1};
  move.lamport = 1;
  move.kind = OpKind::kMoveNode;
  move.node = block_;
  move.parent = kRootNode;
  EXPECT_EQ(Check(move).code(), Status::Code::kInvalidArgument);
}

TEST_F(RemoteOpCheckTest, RefusesRepeatedOrOverlappingSpansAndDuplicateDeps) {
  Op del;
  del.id = OpId{9, 1};
  del.lamport = server_.max_lamport() + 1;
  del.deps = server_.frontier();
  del.kind = OpKind::kDeleteText;
  del.node = block_;
  del.name = "body";
  const IdSpan all{text_op_.id.replica, text_op_.id.counter, 15, false};
  del.spans = {all};
  EXPECT_TRUE(Check(del).ok());
  del.spans = std::vector<IdSpan>(300, all);
  EXPECT_EQ(Check(del).code(), Status::Code::kInvalidArgument);
  del.spans = {IdSpan{all.replica, all.counter, 5, false},
               IdSpan{all.replica, all.counter + 4, 3, true}};
  EXPECT_EQ(Check(del).code(), Status::Code::kInvalidArgument);
  del.spans = {IdSpan{all.replica, all.counter, 5, false},
               IdSpan{all.replica, all.counter + 5, 3, true}};
  EXPECT_TRUE(Check(del).ok());
  del.spans.clear();
  for (uint64_t i = 0; i <= Replica::kMaxSpans; ++i) {
    del.spans.push_back(IdSpan{all.replica, all.counter + i, 1, false});
  }
  EXPECT_EQ(Check(del).code(), Status::Code::kInvalidArgument);

  Op op = Typing();
  op.deps = {OpId{1, 1}, OpId{1, 2}};
  EXPECT_EQ(Check(op).code(), Status::Code::kInvalidArgument);
  op.deps.assign(Replica::kMaxDeps + 1, OpId{1, 1});
  EXPECT_EQ(Check(op).code(), Status::Code::kInvalidArgument);
}

TEST_F(RemoteOpCheckTest, ContainsSpanChecksRangesOfAFragmentedText) {
  const TextSequence* text = server_.TextOf(block_, "body");
  ASSERT_NE(text, nullptr);
  const OpId first = text_op_.id;
  EXPECT_TRUE(text->ContainsSpan(IdSpan{first.replica, first.counter, 15}));
  EXPECT_FALSE(text->ContainsSpan(IdSpan{first.replica, first.counter, 16}));
  EXPECT_FALSE(text->ContainsSpan(IdSpan{first.replica, first.counter - 1, 2}));
  EXPECT_FALSE(text->ContainsSpan(
      IdSpan{first.replica, ~uint64_t{0} - 1, 5}));
}

}  // namespace
}  // namespace samplan
