// AppendPipeline without sockets or a store: acks follow durability, one
// append per plan in the replica's order, bounded waiting.
#include "server/append_pipeline.h"

#include <gtest/gtest.h>

namespace samplan {
namespace {

Op TextOp(ReplicaId replica, uint64_t counter, const std::string& text) {
  Op op;
  op.id = OpId{replica, counter};
  op.lamport = counter;
  op.kind = OpKind::kInsertText;
  op.node = OpId{1, 1};
  op.name = "title";
  op.text = text;
  op.author = Author{"u" + std::to_string(replica), "Moss", 1000};
  return op;
}

AppendPipeline::Batch MakeBatch(uint64_t ticket, std::vector<Op> ops) {
  AppendPipeline::Batch b;
  b.ticket = ticket;
  b.replica = ops[0].id.replica;
  for (const Op& op : ops) {
    b.await_counter = std::max(b.await_counter, op.LastId().counter);
  }
  b.ops = std::move(ops);
  return b;
}

// What a store would answer for `launch`, starting at seq `first`.
std::vector<StoredOp> Store(const AppendPipeline::Launch& launch,
                            uint64_t first) {
  std::vector<StoredOp> out;
  for (const Op& op : launch.ops) {
    StoredOp s;
    s.seq = first++;
    s.op = op;
    out.push_back(s);
  }
  return out;
}

TEST(AppendPipelineTest, OneAppendAtATimeInOrderWithEveryQueuedBatch) {
  AppendPipeline p(VersionVector(), AppendPipeline::Limits{});
  p.Add(MakeBatch(1, {TextOp(10, 1, "ab")}));
  std::optional<AppendPipeline::Launch> first = p.TakeLaunch();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->ops.size(), 1u);
  // Batches of other writers queue behind the one in flight ...
  p.Add(MakeBatch(2, {TextOp(11, 1, "c")}));
  p.Add(MakeBatch(3, {TextOp(10, 3, "d")}));
  p.Add(MakeBatch(4, {TextOp(12, 1, "e")}));
  EXPECT_FALSE(p.TakeLaunch());
  EXPECT_TRUE(p.TakeDone().empty());
  EXPECT_FALSE(p.durable().Includes(OpId{10, 1}));
  ASSERT_TRUE(p.Finish(Status::OK(), Store(*first, 1)).ok());
  std::vector<AppendPipeline::Done> done = p.TakeDone();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].batch.ticket, 1u);
  EXPECT_EQ(done[0].first_seq, 1u);
  EXPECT_EQ(done[0].last_seq, 1u);
  EXPECT_TRUE(p.durable().Includes(OpId{10, 2}));
  // ... and all go together next, in the order they were applied.
  std::optional<AppendPipeline::Launch> second = p.TakeLaunch();
  ASSERT_TRUE(second);
  ASSERT_EQ(second->ops.size(), 3u);
  EXPECT_EQ(second->ops[0].id, (OpId{11, 1}));
  EXPECT_EQ(second->ops[1].id, (OpId{10, 3}));
  EXPECT_EQ(second->ops[2].id, (OpId{12, 1}));
  ASSERT_TRUE(p.Finish(Status::OK(), Store(*second, 2)).ok());
  done = p.TakeDone();
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].batch.ticket, 2u);
  EXPECT_EQ(done[1].batch.ticket, 3u);
  EXPECT_EQ(done[2].batch.ticket, 4u);
  EXPECT_EQ(done[2].first_seq, 4u);
  EXPECT_FALSE(p.busy());
}

TEST(AppendPipelineTest, ResentDuplicatesWaitUntilTheFirstCopyIsStored) {
  AppendPipeline p(VersionVector(), AppendPipeline::Limits{});
  p.Add(MakeBatch(1, {TextOp(10, 1, "abc")}));
  std::optional<AppendPipeline::Launch> launch = p.TakeLaunch();
  ASSERT_TRUE(launch);
  // The client reconnects and re-sends: the replica has the ops already,
  // so the batch carries no new op, only what it waits for.
  AppendPipeline::Batch resent;
  resent.ticket = 2;
  resent.replica = 10;
  resent.await_counter = 3;
  p.Add(std::move(resent));
  EXPECT_TRUE(p.TakeDone().empty()) << "acked before it was stored";
  EXPECT_TRUE(p.busy());
  ASSERT_TRUE(p.Finish(Status::OK(), Store(*launch, 1)).ok());
  std::vector<AppendPipeline::Done> done = p.TakeDone();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].batch.ticket, 1u);
  EXPECT_EQ(done[1].batch.ticket, 2u);
  EXPECT_TRUE(done[1].stored.empty());
  // Duplicates of what is durable already are done at once.
  AppendPipeline::Batch old;
  old.ticket = 3;
  old.replica = 10;
  old.await_counter = 2;
  p.Add(std::move(old));
  done = p.TakeDone();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].batch.ticket, 3u);
}

TEST(AppendPipelineTest, FailedAppendFailsEveryWaitingBatchAndAcksNothing) {
  AppendPipeline p(VersionVector(), AppendPipeline::Limits{});
  p.Add(MakeBatch(1, {TextOp(10, 1, "a")}));
  std::optional<AppendPipeline::Launch> launch = p.TakeLaunch();
  ASSERT_TRUE(launch);
  p.Add(MakeBatch(2, {TextOp(11, 1, "b")}));
  AppendPipeline::Batch resent;
  resent.ticket = 3;
  resent.replica = 10;
  resent.await_counter = 1;
  p.Add(std::move(resent));
  EXPECT_FALSE(p.Finish(Status::Corruption("disk"), {}).ok());
  EXPECT_TRUE(p.TakeDone().empty());
  std::vector<AppendPipeline::Batch> failed = p.FailAll();
  ASSERT_EQ(failed.size(), 3u);
  EXPECT_FALSE(p.busy());
  EXPECT_FALSE(p.durable().Includes(OpId{10, 1}));
  // A store that returned fewer ops than asked counts as a failure too.
  AppendPipeline q(VersionVector(), AppendPipeline::Limits{});
  q.Add(MakeBatch(1, {TextOp(10, 1, "a"), TextOp(10, 2, "b")}));
  launch = q.TakeLaunch();
  std::vector<StoredOp> short_answer = Store(*launch, 1);
  short_answer.pop_back();
  EXPECT_FALSE(q.Finish(Status::OK(), std::move(short_answer)).ok());
  EXPECT_TRUE(q.TakeDone().empty());
}

TEST(AppendPipelineTest, WaitingWorkIsBounded) {
  AppendPipeline::Limits limits;
  limits.max_batches = 3;
  limits.max_ops = 4;
  limits.max_ops_per_append = 2;
  AppendPipeline p(VersionVector(), limits);
  EXPECT_TRUE(p.HasRoom(4));
  EXPECT_FALSE(p.HasRoom(5));
  p.Add(MakeBatch(1, {TextOp(10, 1, "a"), TextOp(10, 2, "b")}));
  p.Add(MakeBatch(2, {TextOp(11, 1, "c")}));
  EXPECT_TRUE(p.HasRoom(1));
  EXPECT_FALSE(p.HasRoom(2));
  p.Add(MakeBatch(3, {TextOp(12, 1, "d")}));
  EXPECT_FALSE(p.HasRoom(0));  // three batches wait
  // An append takes at most max_ops_per_append ops (but always one batch).
  std::optional<AppendPipeline::Launch> launch = p.TakeLaunch();
  ASSERT_TRUE(launch);
  EXPECT_EQ(launch->ops.size(), 2u);
  ASSERT_TRUE(p.Finish(Status::OK(), Store(*launch, 1)).ok());
  EXPECT_TRUE(p.HasRoom(2));
  launch = p.TakeLaunch();
  ASSERT_TRUE(launch);
  EXPECT_EQ(launch->ops.size(), 2u);
}

TEST(AppendPipelineTest, JoinersGetOnlyDurableOps) {
  AppendPipeline p(VersionVector(), AppendPipeline::Limits{});
  p.Add(MakeBatch(1, {TextOp(10, 1, "abc")}));
  std::optional<AppendPipeline::Launch> launch = p.TakeLaunch();
  ASSERT_TRUE(p.Finish(Status::OK(), Store(*launch, 1)).ok());
  p.Add(MakeBatch(2, {TextOp(10, 4, "de")}));
  p.Add(MakeBatch(3, {TextOp(11, 1, "f")}));
  std::vector<Op> all = {TextOp(10, 1, "abcde"), TextOp(11, 1, "f")};
  std::vector<Op> durable = p.DurableOnly(all);
  ASSERT_EQ(durable.size(), 1u);
  EXPECT_EQ(durable[0].text, "abc");
}

}  // namespace
}  // namespace samplan
