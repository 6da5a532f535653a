#include "crdt/text_sequence.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace samplan {
namespace {

// A run as reported by ForEachRun, with its characters copied.
struct RunCopy {
  OpId id;
  OpId origin_left;
  OpId origin_right;
  bool deleted;
  std::u32string chars;
  friend bool operator==(const RunCopy&, const RunCopy&) = default;
};

std::vector<RunCopy> Runs(const TextSequence& seq) {
  std::vector<RunCopy> out;
  seq.ForEachRun([&out](const TextSequence::Run& r) {
    out.push_back(RunCopy{r.id, r.origin_left, r.origin_right, r.deleted,
                          std::u32string(r.chars)});
  });
  return out;
}

std::string Utf8(const TextSequence& seq) { return seq.ToUtf8(); }

// One operation as a replica would ship it.
struct Op {
  bool is_insert = true;
  OpId first;
  OpId origin_left;
  OpId origin_right;
  std::u32string chars;
  std::vector<IdSpan> spans;
};

Status Apply(TextSequence* seq, const Op& op) {
  if (op.is_insert) {
    return seq->Integrate(op.first, op.origin_left, op.origin_right, op.chars);
  }
  for (const IdSpan& s : op.spans) SAMPLAN_RETURN_IF_ERROR(seq->Delete(s));
  return Status::OK();
}

// A replica with its own counter that records the operations it makes.
struct Peer {
  explicit Peer(ReplicaId r) : replica(r) {}
  ReplicaId replica;
  uint64_t counter = 1;
  TextSequence seq;
  // Compare every local edit with the same edit on a plain string (slow).
  bool check_model = false;

  Op Insert(size_t pos, std::u32string_view chars) {
    std::u32string expected;
    if (check_model) expected = seq.Content().insert(pos, chars);
    Op op;
    op.first = OpId{replica, counter};
    op.chars = std::u32string(chars);
    Status st = seq.LocalInsert(pos, chars, op.first, &op.origin_left,
                                &op.origin_right);
    EXPECT_TRUE(st.ok()) << st.ToString();
    counter += chars.size();
    if (check_model) {
      EXPECT_EQ(seq.Content(), expected);
    }
    return op;
  }
  Op Remove(size_t pos, size_t len) {
    std::u32string expected;
    if (check_model) expected = seq.Content().erase(pos, len);
    Op op;
    op.is_insert = false;
    Status st = seq.LocalDelete(pos, len, &op.spans);
    EXPECT_TRUE(st.ok()) << st.ToString();
    counter += len;
    if (check_model) {
      EXPECT_EQ(seq.Content(), expected);
    }
    return op;
  }
};

void ExpectValid(const TextSequence& seq) {
  Status st = seq.CheckInvariants();
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST(TextSequenceTest, EmptySequence) {
  TextSequence seq;
  EXPECT_EQ(seq.size(), 0u);
  EXPECT_EQ(seq.total_size(), 0u);
  EXPECT_EQ(seq.Content(), U"");
  EXPECT_EQ(seq.IdAt(0).status().code(), Status::Code::kOutOfRange);
  EXPECT_EQ(seq.Locate(OpId{1, 1}).status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(seq.Contains(OpId{1, 1}));
  OpId l, r;
  EXPECT_EQ(seq.LocalInsert(1, U"a", OpId{1, 1}, &l, &r).code(),
            Status::Code::kOutOfRange);
  EXPECT_EQ(seq.LocalDelete(0, 1, nullptr).code(), Status::Code::kOutOfRange);
  EXPECT_TRUE(seq.LocalDelete(0, 0, nullptr).ok());
  EXPECT_TRUE(Runs(seq).empty());
  ExpectValid(seq);
  EXPECT_GT(seq.MemoryUsage(), 0u);
}

TEST(TextSequenceTest, LocalInsertStartMiddleEnd) {
  TextSequence seq;
  OpId l, r;
  ASSERT_TRUE(seq.LocalInsert(0, U"ace", OpId{1, 1}, &l, &r).ok());
  EXPECT_EQ(l, kNullId);
  EXPECT_EQ(r, kNullId);
  // Middle: between 'a' (1:1) and 'c' (1:2).
  ASSERT_TRUE(seq.LocalInsert(1, U"b", OpId{1, 4}, &l, &r).ok());
  EXPECT_EQ(l, (OpId{1, 1}));
  EXPECT_EQ(r, (OpId{1, 2}));
  // End.
  ASSERT_TRUE(seq.LocalInsert(4, U"f", OpId{1, 5}, &l, &r).ok());
  EXPECT_EQ(l, (OpId{1, 3}));
  EXPECT_EQ(r, kNullId);
  // Start.
  ASSERT_TRUE(seq.LocalInsert(0, U"_", OpId{1, 6}, &l, &r).ok());
  EXPECT_EQ(l, kNullId);
  EXPECT_EQ(r, (OpId{1, 1}));
  EXPECT_EQ(seq.Content(), U"_abcef");
  EXPECT_EQ(Utf8(seq), "_abcef");
  EXPECT_EQ(seq.size(), 6u);
  EXPECT_EQ(seq.total_size(), 6u);
  // 'd' between c and e.
  ASSERT_TRUE(seq.LocalInsert(4, U"d", OpId{1, 7}, &l, &r).ok());
  EXPECT_EQ(seq.Content(), U"_abcdef");
  EXPECT_EQ(*seq.IdAt(0), (OpId{1, 6}));
  EXPECT_EQ(*seq.IdAt(3), (OpId{1, 2}));
  EXPECT_EQ(*seq.IdAt(4), (OpId{1, 7}));
  EXPECT_EQ(*seq.IdAt(6), (OpId{1, 5}));
  ExpectValid(seq);
}

TEST(TextSequenceTest, TypingExtendsOneRun) {
  Peer p(7);
  const std::u32string text = U"hello, world";
  for (size_t i = 0; i < text.size(); ++i) p.Insert(i, text.substr(i, 1));
  EXPECT_EQ(p.seq.Content(), text);
  std::vector<RunCopy> runs = Runs(p.seq);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, (OpId{7, 1}));
  EXPECT_EQ(runs[0].chars, text);
  // Typing in the middle of a run splits it into three.
  p.Insert(5, U"!!");
  EXPECT_EQ(p.seq.Content(), U"hello!!, world");
  runs = Runs(p.seq);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].chars, U"hello");
  EXPECT_EQ(runs[1].chars, U"!!");
  EXPECT_EQ(runs[1].origin_left, (OpId{7, 5}));
  EXPECT_EQ(runs[1].origin_right, (OpId{7, 6}));
  EXPECT_EQ(runs[2].chars, U", world");
  EXPECT_EQ(runs[2].origin_left, (OpId{7, 5}));
  // Continuing to type after "!!" extends that run.
  p.Insert(7, U"?");
  runs = Runs(p.seq);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[1].chars, U"!!?");
  ExpectValid(p.seq);
}

TEST(TextSequenceTest, NonConsecutiveCounterStartsNewRun) {
  TextSequence seq;
  OpId l, r;
  ASSERT_TRUE(seq.LocalInsert(0, U"ab", OpId{1, 1}, &l, &r).ok());
  // Counter 3 was used elsewhere: a new run, even though typed at the end.
  ASSERT_TRUE(seq.LocalInsert(2, U"c", OpId{1, 4}, &l, &r).ok());
  EXPECT_EQ(Runs(seq).size(), 2u);
  // Another replica continuing the text: new run.
  ASSERT_TRUE(seq.LocalInsert(3, U"d", OpId{2, 5}, &l, &r).ok());
  EXPECT_EQ(Runs(seq).size(), 3u);
  EXPECT_EQ(seq.Content(), U"abcd");
  ExpectValid(seq);
}

TEST(TextSequenceTest, DeleteStartMiddleEndAndTombstones) {
  Peer p(1);
  p.Insert(0, U"abcdefgh");
  Op d = p.Remove(0, 1);  // a
  ASSERT_EQ(d.spans.size(), 1u);
  EXPECT_EQ(d.spans[0], (IdSpan{1, 1, 1, false}));
  d = p.Remove(6, 1);  // h
  EXPECT_EQ(d.spans[0], (IdSpan{1, 8, 1, false}));
  d = p.Remove(2, 2);  // d e
  EXPECT_EQ(d.spans[0], (IdSpan{1, 4, 2, false}));
  EXPECT_EQ(p.seq.Content(), U"bcfg");
  EXPECT_EQ(p.seq.size(), 4u);
  EXPECT_EQ(p.seq.total_size(), 8u);
  EXPECT_TRUE(p.seq.Contains(OpId{1, 4}));

  // Locate: live and deleted characters.
  auto loc = p.seq.Locate(OpId{1, 2});  // b
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->position, 0u);
  EXPECT_FALSE(loc->deleted);
  loc = p.seq.Locate(OpId{1, 1});  // deleted a
  EXPECT_EQ(loc->position, 0u);
  EXPECT_TRUE(loc->deleted);
  loc = p.seq.Locate(OpId{1, 5});  // deleted e: between c and f
  EXPECT_EQ(loc->position, 2u);
  EXPECT_TRUE(loc->deleted);
  loc = p.seq.Locate(OpId{1, 6});  // f
  EXPECT_EQ(loc->position, 2u);
  EXPECT_FALSE(loc->deleted);
  loc = p.seq.Locate(OpId{1, 8});  // deleted h at the end
  EXPECT_EQ(loc->position, 4u);
  EXPECT_TRUE(loc->deleted);
  EXPECT_EQ(*p.seq.IdAt(2), (OpId{1, 6}));

  // Deleting across tombstones reports live ids only, merged per stretch.
  d = p.Remove(1, 2);  // c f
  ASSERT_EQ(d.spans.size(), 2u);
  EXPECT_EQ(d.spans[0], (IdSpan{1, 3, 1, false}));
  EXPECT_EQ(d.spans[1], (IdSpan{1, 6, 1, false}));
  EXPECT_EQ(p.seq.Content(), U"bg");
  ExpectValid(p.seq);

  // Remote Delete is idempotent.
  ASSERT_TRUE(p.seq.Delete(IdSpan{1, 1, 8, false}).ok());
  EXPECT_EQ(p.seq.Content(), U"");
  ASSERT_TRUE(p.seq.Delete(IdSpan{1, 1, 8, true}).ok());
  EXPECT_EQ(p.seq.total_size(), 8u);
  // Everything deleted, consecutive: one tombstone run.
  std::vector<RunCopy> runs = Runs(p.seq);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].deleted);
  ExpectValid(p.seq);
}

TEST(TextSequenceTest, BackspaceKeepsOneTombstoneRun) {
  Peer p(1);
  for (char32_t c : std::u32string(U"abcdef")) p.Insert(p.seq.size(), {&c, 1});
  for (int i = 0; i < 3; ++i) p.Remove(p.seq.size() - 1, 1);
  EXPECT_EQ(p.seq.Content(), U"abc");
  std::vector<RunCopy> runs = Runs(p.seq);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].chars, U"def");
  EXPECT_TRUE(runs[1].deleted);
  // Forward deletes too.
  p.Remove(0, 1);
  p.Remove(0, 1);
  runs = Runs(p.seq);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].chars, U"ab");
  EXPECT_TRUE(runs[0].deleted);
  ExpectValid(p.seq);
}

TEST(TextSequenceTest, InsertGoesBeforeFollowingTombstones) {
  Peer p(1);
  p.Insert(0, U"abc");
  p.Remove(2, 1);  // c
  Op op = p.Insert(2, U"X");
  EXPECT_EQ(op.origin_left, (OpId{1, 2}));
  EXPECT_EQ(op.origin_right, (OpId{1, 3}));  // the tombstone
  EXPECT_EQ(p.seq.Content(), U"abX");
  std::vector<RunCopy> runs = Runs(p.seq);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[1].chars, U"X");
  EXPECT_EQ(runs[2].chars, U"c");
  EXPECT_TRUE(runs[2].deleted);
  // At position 0 with a leading tombstone, the insert goes before it.
  p.Remove(0, 1);  // a
  op = p.Insert(0, U"Y");
  EXPECT_EQ(op.origin_left, kNullId);
  EXPECT_EQ(op.origin_right, (OpId{1, 1}));
  EXPECT_EQ(p.seq.Content(), U"YbX");
  EXPECT_EQ(p.seq.Locate(OpId{1, 1})->position, 1u);
  ExpectValid(p.seq);
}

TEST(TextSequenceTest, RemoteReplayMatchesLocal) {
  Peer a(1);
  std::vector<Op> ops;
  ops.push_back(a.Insert(0, U"hello world"));
  ops.push_back(a.Insert(5, U","));
  ops.push_back(a.Remove(0, 1));
  ops.push_back(a.Insert(0, U"H"));
  ops.push_back(a.Remove(3, 5));
  ops.push_back(a.Insert(a.seq.size(), U"!"));
  TextSequence b;
  for (const Op& op : ops) ASSERT_TRUE(Apply(&b, op).ok());
  EXPECT_EQ(b.Content(), a.seq.Content());
  EXPECT_EQ(Runs(b), Runs(a.seq));
  ExpectValid(b);
}

// Delivers every interleaving of the per-replica op lists (each list in its
// own order) to a fresh sequence and returns the set of outcomes.
std::vector<std::u32string> AllOutcomes(
    const std::vector<std::vector<Op>>& lists, const std::vector<Op>& base) {
  std::vector<int> order;
  for (size_t i = 0; i < lists.size(); ++i) {
    order.insert(order.end(), lists[i].size(), static_cast<int>(i));
  }
  std::sort(order.begin(), order.end());
  std::vector<std::u32string> outcomes;
  std::vector<RunCopy> first_runs;
  do {
    TextSequence seq;
    for (const Op& op : base) EXPECT_TRUE(Apply(&seq, op).ok());
    std::vector<size_t> next(lists.size(), 0);
    for (int who : order) {
      Status st = Apply(&seq, lists[who][next[who]++]);
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    EXPECT_TRUE(seq.CheckInvariants().ok());
    outcomes.push_back(seq.Content());
    if (first_runs.empty()) {
      first_runs = Runs(seq);
    } else {
      EXPECT_EQ(Runs(seq), first_runs);
    }
  } while (std::next_permutation(order.begin(), order.end()));
  return outcomes;
}

std::vector<Op> TypeForwards(Peer* p, size_t pos, std::u32string_view s) {
  std::vector<Op> ops;
  for (size_t i = 0; i < s.size(); ++i)
    ops.push_back(p->Insert(pos + i, s.substr(i, 1)));
  return ops;
}
std::vector<Op> TypeBackwards(Peer* p, size_t pos, std::u32string_view s) {
  std::vector<Op> ops;
  for (size_t i = s.size(); i-- > 0;)
    ops.push_back(p->Insert(pos, s.substr(i, 1)));
  return ops;
}

TEST(TextSequenceTest, ConcurrentTypingNeverInterleavesTwoReplicas) {
  Peer a(1), b(2);
  std::vector<Op> lists[2] = {TypeForwards(&a, 0, U"abc"),
                              TypeForwards(&b, 0, U"xyz")};
  for (const std::u32string& out : AllOutcomes({lists[0], lists[1]}, {})) {
    EXPECT_TRUE(out == U"abcxyz" || out == U"xyzabc") << out.size();
    EXPECT_EQ(out, U"abcxyz");  // lower replica first
  }
}

TEST(TextSequenceTest, ConcurrentTypingInTheMiddle) {
  Peer a(5), b(3);
  Op base = a.Insert(0, U"[]");
  ASSERT_TRUE(Apply(&b.seq, base).ok());
  b.counter = 10;
  std::vector<Op> la = TypeForwards(&a, 1, U"abc");
  std::vector<Op> lb = TypeForwards(&b, 1, U"xyz");
  for (const std::u32string& out : AllOutcomes({la, lb}, {base})) {
    EXPECT_EQ(out, U"[xyzabc]");
  }
}

TEST(TextSequenceTest, ConcurrentBackwardsTypingNeverInterleaves) {
  Peer a(1), b(2);
  std::vector<Op> la = TypeBackwards(&a, 0, U"abc");
  std::vector<Op> lb = TypeBackwards(&b, 0, U"xyz");
  EXPECT_EQ(a.seq.Content(), U"abc");
  for (const std::u32string& out : AllOutcomes({la, lb}, {})) {
    EXPECT_TRUE(out == U"abcxyz" || out == U"xyzabc")
        << std::string(out.begin(), out.end());
  }
}

TEST(TextSequenceTest, ThreeReplicasAllDeliveryOrders) {
  Peer a(1), b(2), c(3);
  Op base = a.Insert(0, U"()");
  ASSERT_TRUE(Apply(&b.seq, base).ok());
  ASSERT_TRUE(Apply(&c.seq, base).ok());
  b.counter = c.counter = 100;
  c.counter = 200;
  std::vector<Op> la = TypeForwards(&a, 1, U"ab");
  std::vector<Op> lb = TypeBackwards(&b, 1, U"xy");
  std::vector<Op> lc = TypeForwards(&c, 1, U"pq");
  lc.push_back(c.Remove(0, 1));  // c also deletes "("
  std::vector<std::u32string> outs = AllOutcomes({la, lb, lc}, {base});
  for (const std::u32string& out : outs) EXPECT_EQ(out, outs[0]);
  const std::u32string& out = outs[0];
  // Each replica's text stays contiguous.
  EXPECT_NE(out.find(U"ab"), std::u32string::npos);
  EXPECT_NE(out.find(U"xy"), std::u32string::npos);
  EXPECT_NE(out.find(U"pq"), std::u32string::npos);
  EXPECT_EQ(out.size(), 7u);
}

TEST(TextSequenceTest, ErrorsLeaveSequenceUnchanged) {
  Peer p(1);
  p.Insert(0, U"hello");
  p.Remove(1, 1);
  const std::u32string content = p.seq.Content();
  const std::vector<RunCopy> runs = Runs(p.seq);
  const size_t total = p.seq.total_size();
  auto unchanged = [&]() {
    EXPECT_EQ(p.seq.Content(), content);
    EXPECT_EQ(Runs(p.seq), runs);
    EXPECT_EQ(p.seq.total_size(), total);
    ExpectValid(p.seq);
  };
  OpId l, r;
  // Local insert: bad position, empty, duplicate ids, null id, bad char.
  EXPECT_EQ(p.seq.LocalInsert(5, U"x", OpId{1, 50}, &l, &r).code(),
            Status::Code::kOutOfRange);
  EXPECT_EQ(p.seq.LocalInsert(0, U"", OpId{1, 50}, &l, &r).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(p.seq.LocalInsert(0, U"xy", OpId{1, 5}, &l, &r).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(p.seq.LocalInsert(0, U"x", kNullId, &l, &r).code(),
            Status::Code::kInvalidArgument);
  const char32_t surrogate[] = {0xD800, 0};
  EXPECT_EQ(p.seq.LocalInsert(0, surrogate, OpId{1, 50}, &l, &r).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(p.seq.LocalInsert(0, U"x", OpId{1, UINT64_MAX}, &l, &r).code(),
            Status::Code::kInvalidArgument);
  unchanged();
  // Local delete past the end.
  std::vector<IdSpan> spans;
  EXPECT_EQ(p.seq.LocalDelete(2, 3, &spans).code(), Status::Code::kOutOfRange);
  EXPECT_EQ(p.seq.LocalDelete(SIZE_MAX, 2, &spans).code(),
            Status::Code::kOutOfRange);
  EXPECT_TRUE(spans.empty());
  unchanged();
  // Integrate: unknown origins, duplicate ids, crossed origins.
  EXPECT_EQ(p.seq.Integrate(OpId{2, 1}, OpId{9, 9}, kNullId, U"x").code(),
            Status::Code::kNotFound);
  EXPECT_EQ(p.seq.Integrate(OpId{2, 1}, kNullId, OpId{9, 9}, U"x").code(),
            Status::Code::kNotFound);
  EXPECT_EQ(p.seq.Integrate(OpId{1, 3}, kNullId, kNullId, U"x").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(p.seq.Integrate(OpId{2, 1}, kNullId, kNullId, U"").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(p.seq.Integrate(OpId{2, 1}, OpId{1, 4}, OpId{1, 2}, U"x").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(p.seq.Integrate(OpId{2, 1}, OpId{1, 3}, OpId{1, 3}, U"x").code(),
            Status::Code::kInvalidArgument);
  unchanged();
  // Delete: any unknown id rejects the whole span.
  EXPECT_EQ(p.seq.Delete(IdSpan{1, 3, 10, false}).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(p.seq.Delete(IdSpan{2, 1, 1, false}).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(p.seq.Delete(IdSpan{1, 0, 2, false}).code(),
            Status::Code::kNotFound);
  unchanged();
  // AppendRun: empty and repeated ids.
  TextSequence::Run run;
  run.id = OpId{1, 2};
  run.chars = U"zz";
  EXPECT_EQ(p.seq.AppendRun(run).code(), Status::Code::kInvalidArgument);
  run.chars = U"";
  run.id = OpId{3, 1};
  EXPECT_EQ(p.seq.AppendRun(run).code(), Status::Code::kInvalidArgument);
  unchanged();
}

TEST(TextSequenceTest, IntegrateIntoMiddleOfRunAndDeleteAcrossRuns) {
  Peer a(1);
  Op base = a.Insert(0, U"abcdef");
  TextSequence seq;
  ASSERT_TRUE(Apply(&seq, base).ok());
  // Replica 2 inserted "XY" between c and d.
  ASSERT_TRUE(seq.Integrate(OpId{2, 1}, OpId{1, 3}, OpId{1, 4}, U"XY").ok());
  EXPECT_EQ(seq.Content(), U"abcXYdef");
  // Concurrently replica 3 inserted "Q" at the same place.
  ASSERT_TRUE(seq.Integrate(OpId{3, 1}, OpId{1, 3}, OpId{1, 4}, U"Q").ok());
  EXPECT_EQ(seq.Content(), U"abcXYQdef");
  // Delete from b to e across three runs of two replicas, in two spans.
  ASSERT_TRUE(seq.Delete(IdSpan{1, 2, 4, false}).ok());
  EXPECT_EQ(seq.Content(), U"aXYQf");
  ASSERT_TRUE(seq.Delete(IdSpan{2, 2, 1, true}).ok());
  EXPECT_EQ(seq.Content(), U"aXQf");
  EXPECT_EQ(seq.Locate(OpId{2, 2})->position, 2u);
  EXPECT_TRUE(seq.Locate(OpId{2, 2})->deleted);
  ExpectValid(seq);
}

TEST(TextSequenceTest, AppendRunRoundTrip) {
  std::mt19937_64 rng(42);
  Peer p(3);
  for (int i = 0; i < 3000; ++i) {
    if (p.seq.size() > 0 && rng() % 3 == 0) {
      const size_t pos = rng() % p.seq.size();
      p.Remove(pos, std::min<size_t>(1 + rng() % 4, p.seq.size() - pos));
    } else {
      const size_t pos = rng() % (p.seq.size() + 1);
      p.Insert(pos, std::u32string(1 + rng() % 5, U'a' + rng() % 26));
    }
  }
  // A remote replica's text too, so runs come from two replicas.
  TextSequence other;
  ASSERT_TRUE(
      p.seq.Integrate(OpId{9, 1}, kNullId, *p.seq.IdAt(0), U"\U0001F600héllo")
          .ok());
  const std::vector<RunCopy> runs = Runs(p.seq);
  TextSequence loaded;
  for (const RunCopy& r : runs) {
    TextSequence::Run run{r.id, r.origin_left, r.origin_right, r.deleted,
                          r.chars};
    ASSERT_TRUE(loaded.AppendRun(run).ok());
  }
  Status st = loaded.FinishLoad();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(loaded.Content(), p.seq.Content());
  EXPECT_EQ(loaded.ToUtf8(), p.seq.ToUtf8());
  EXPECT_EQ(Runs(loaded), runs);
  EXPECT_EQ(loaded.size(), p.seq.size());
  EXPECT_EQ(loaded.total_size(), p.seq.total_size());
  ExpectValid(loaded);
  // The loaded sequence keeps working.
  Op op = p.Insert(5, U"new");
  ASSERT_TRUE(Apply(&loaded, op).ok());
  op = p.Remove(0, 10);
  ASSERT_TRUE(Apply(&loaded, op).ok());
  EXPECT_EQ(loaded.Content(), p.seq.Content());
  EXPECT_EQ(Runs(loaded), Runs(p.seq));
  ExpectValid(loaded);
}

TEST(TextSequenceTest, FinishLoadRejectsBadOrigins) {
  {
    TextSequence seq;
    ASSERT_TRUE(
        seq.AppendRun({OpId{1, 1}, OpId{5, 5}, kNullId, false, U"ab"}).ok());
    EXPECT_EQ(seq.FinishLoad().code(), Status::Code::kCorruption);
  }
  {
    // Right origin before the run that names it.
    TextSequence seq;
    ASSERT_TRUE(
        seq.AppendRun({OpId{1, 1}, kNullId, kNullId, false, U"ab"}).ok());
    ASSERT_TRUE(
        seq.AppendRun({OpId{2, 1}, OpId{1, 2}, OpId{1, 1}, false, U"c"}).ok());
    EXPECT_EQ(seq.FinishLoad().code(), Status::Code::kCorruption);
  }
  {
    // Left origin after the run.
    TextSequence seq;
    ASSERT_TRUE(
        seq.AppendRun({OpId{2, 1}, OpId{1, 1}, kNullId, false, U"c"}).ok());
    ASSERT_TRUE(
        seq.AppendRun({OpId{1, 1}, kNullId, kNullId, false, U"ab"}).ok());
    EXPECT_EQ(seq.FinishLoad().code(), Status::Code::kCorruption);
  }
  {
    TextSequence seq;
    ASSERT_TRUE(
        seq.AppendRun({OpId{1, 1}, kNullId, OpId{1, 3}, false, U"ab"}).ok());
    ASSERT_TRUE(seq.AppendRun({OpId{1, 3}, kNullId, kNullId, true, U"c"}).ok());
    EXPECT_TRUE(seq.FinishLoad().ok());
    EXPECT_EQ(seq.Content(), U"ab");
    EXPECT_EQ(seq.total_size(), 3u);
  }
}

TEST(TextSequenceTest, LocateAndIdAtAgree) {
  std::mt19937_64 rng(7);
  Peer p(2);
  p.check_model = true;
  std::u32string model;
  for (int i = 0; i < 2000; ++i) {
    if (!model.empty() && rng() % 3 == 0) {
      const size_t pos = rng() % model.size();
      const size_t len = std::min<size_t>(1 + rng() % 3, model.size() - pos);
      p.Remove(pos, len);
      model.erase(pos, len);
    } else {
      const size_t pos = rng() % (model.size() + 1);
      const std::u32string s(1 + rng() % 3, U'a' + rng() % 26);
      p.Insert(pos, s);
      model.insert(pos, s);
    }
  }
  ASSERT_EQ(p.seq.Content(), model);
  for (size_t pos = 0; pos < model.size(); ++pos) {
    auto id = p.seq.IdAt(pos);
    ASSERT_TRUE(id.ok());
    auto loc = p.seq.Locate(*id);
    ASSERT_TRUE(loc.ok());
    EXPECT_EQ(loc->position, pos);
    EXPECT_FALSE(loc->deleted);
  }
  // Every tombstone sits where the next visible character is.
  size_t visible_before = 0;
  size_t tombstones = 0;
  for (const RunCopy& r : Runs(p.seq)) {
    for (size_t k = 0; k < r.chars.size(); ++k) {
      auto loc = p.seq.Locate(OpId{r.id.replica, r.id.counter + k});
      ASSERT_TRUE(loc.ok());
      EXPECT_EQ(loc->position, visible_before);
      EXPECT_EQ(loc->deleted, r.deleted);
      if (!r.deleted)
        ++visible_before;
      else
        ++tombstones;
    }
  }
  EXPECT_GT(tombstones, 0u);
  ExpectValid(p.seq);
}

// The ordering rule of sequence_order.h, written out literally one
// character at a time over a plain vector: the reference the run-based scan
// must agree with.
class NaiveSequence {
 public:
  void Apply(const Op& op) {
    if (!op.is_insert) {
      for (const IdSpan& s : op.spans) {
        for (uint64_t i = 0; i < s.length; ++i) {
          items_[IndexOf(s.At(i))].deleted = true;
        }
      }
      return;
    }
    OpId left = op.origin_left;
    for (size_t k = 0; k < op.chars.size(); ++k) {
      const OpId id{op.first.replica, op.first.counter + k};
      Insert(Item{id, left, op.origin_right, false, op.chars[k]});
      left = id;
    }
  }
  std::u32string Content() const {
    std::u32string out;
    for (const Item& it : items_) {
      if (!it.deleted) out.push_back(it.ch);
    }
    return out;
  }

 private:
  struct Item {
    OpId id, left, right;
    bool deleted;
    char32_t ch;
  };
  int64_t IndexOf(OpId id) const {
    for (size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].id == id) return static_cast<int64_t>(i);
    }
    ADD_FAILURE() << "unknown id " << id.ToString();
    return 0;
  }
  void Insert(const Item& x) {
    const auto size = static_cast<int64_t>(items_.size());
    const int64_t il = x.left.IsNull() ? -1 : IndexOf(x.left);
    const int64_t ir = x.right.IsNull() ? size : IndexOf(x.right);
    int64_t dest = il + 1;
    bool scanning = false;
    for (int64_t i = il + 1;; ++i) {
      if (!scanning) dest = i;
      if (i == size || i == ir) break;
      const Item& o = items_[i];
      const int64_t ol = o.left.IsNull() ? -1 : IndexOf(o.left);
      const int64_t orr = o.right.IsNull() ? size : IndexOf(o.right);
      if (ol < il) break;
      if (ol == il) {
        if (orr < ir) {
          scanning = true;
          continue;
        }
        if (orr == ir && x.id.replica < o.id.replica) break;
        scanning = false;
        continue;
      }
    }
    items_.insert(items_.begin() + dest, x);
  }
  std::vector<Item> items_;
};

// Random editing on several replicas with causal delivery in random order.
void RunConvergence(uint64_t seed, int replicas, int steps) {
  std::mt19937_64 rng(seed);
  std::vector<Peer> peers;
  std::vector<std::u32string> models(replicas);
  for (int i = 0; i < replicas; ++i) {
    peers.emplace_back(static_cast<ReplicaId>(20 - 3 * i));
    peers.back().check_model = true;
  }
  // ops[a] = ops generated by peer a, each with the causal context at
  // generation (how many ops of each peer its generator had applied).
  std::vector<std::vector<Op>> ops(replicas);
  std::vector<std::vector<std::vector<size_t>>> deps(replicas);
  std::vector<std::vector<size_t>> applied(replicas,
                                           std::vector<size_t>(replicas, 0));
  auto deliverable = [&](int to, int from) {
    if (from == to || applied[to][from] >= ops[from].size()) return false;
    const std::vector<size_t>& need = deps[from][applied[to][from]];
    for (int x = 0; x < replicas; ++x) {
      if (x != from && applied[to][x] < need[x]) return false;
    }
    return true;
  };
  NaiveSequence naive;  // mirrors peers[0]
  auto deliver = [&](int to, int from) {
    const Op& op = ops[from][applied[to][from]++];
    Status st = Apply(&peers[to].seq, op);
    ASSERT_TRUE(st.ok()) << st.ToString();
    if (to == 0) naive.Apply(op);
  };
  auto record = [&](int who, const Op& op, const std::vector<size_t>& ctx) {
    ops[who].push_back(op);
    deps[who].push_back(ctx);
    applied[who][who] = ops[who].size();
    if (who == 0) naive.Apply(op);
  };
  for (int step = 0; step < steps; ++step) {
    const int who = static_cast<int>(rng() % replicas);
    const int action = static_cast<int>(rng() % 10);
    if (action < 6) {
      Peer& p = peers[who];
      std::vector<size_t> ctx = applied[who];
      ctx[who] = ops[who].size();
      Op op;
      if (p.seq.size() > 0 && action < 2) {
        const size_t pos = rng() % p.seq.size();
        const size_t len = std::min<size_t>(1 + rng() % 4, p.seq.size() - pos);
        op = p.Remove(pos, len);
      } else {
        // Bursts of typing at one place, sometimes backwards.
        size_t pos = rng() % (p.seq.size() + 1);
        const int burst = 1 + static_cast<int>(rng() % 4);
        const bool backwards = rng() % 4 == 0;
        for (int b = 0; b < burst; ++b) {
          const std::u32string s(1, U'a' + static_cast<char32_t>(rng() % 26));
          Op one = p.Insert(pos, s);
          if (!backwards) pos += 1;
          if (b + 1 < burst) {
            record(who, one, ctx);
            ctx[who] = ops[who].size();
          } else {
            op = one;
          }
        }
      }
      record(who, op, ctx);
    } else {
      // Deliver a random deliverable op to `who`.
      std::vector<int> from;
      for (int x = 0; x < replicas; ++x) {
        if (deliverable(who, x)) from.push_back(x);
      }
      if (!from.empty()) deliver(who, from[rng() % from.size()]);
    }
    if (step % 97 == 0) {
      Status st = peers[who].seq.CheckInvariants();
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }
  // Drain in random causal order.
  for (;;) {
    std::vector<std::pair<int, int>> cands;
    for (int to = 0; to < replicas; ++to) {
      for (int from = 0; from < replicas; ++from) {
        if (deliverable(to, from)) cands.emplace_back(to, from);
      }
    }
    if (cands.empty()) break;
    const auto [to, from] = cands[rng() % cands.size()];
    deliver(to, from);
  }
  const std::u32string content = peers[0].seq.Content();
  const std::vector<RunCopy> runs = Runs(peers[0].seq);
  EXPECT_EQ(naive.Content(), content) << "seed " << seed;
  for (int i = 0; i < replicas; ++i) {
    for (int x = 0; x < replicas; ++x) {
      ASSERT_EQ(applied[i][x], ops[x].size());
    }
    EXPECT_EQ(peers[i].seq.Content(), content) << "seed " << seed;
    EXPECT_EQ(Runs(peers[i].seq), runs) << "seed " << seed;
    EXPECT_EQ(peers[i].seq.size(), content.size());
    Status st = peers[i].seq.CheckInvariants();
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
}

TEST(TextSequenceTest, RandomizedConvergence) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    RunConvergence(seed, 3 + static_cast<int>(seed % 3), 400);
  }
}

TEST(TextSequenceTest, RandomizedConvergenceLong) {
  RunConvergence(1234, 4, 6000);
}

TEST(TextSequenceTest, LargeDocumentManySplits) {
  std::mt19937_64 rng(99);
  Peer p(1);
  std::u32string model;
  // Sequential typing with occasional jumps and deletes, ~60k characters.
  size_t cursor = 0;
  for (int i = 0; i < 60000; ++i) {
    const int r = static_cast<int>(rng() % 100);
    if (r < 3) cursor = rng() % (model.size() + 1);
    if (r < 10 && cursor > 0) {
      p.Remove(cursor - 1, 1);
      model.erase(cursor - 1, 1);
      --cursor;
      continue;
    }
    const std::u32string s(1, U'a' + static_cast<char32_t>(rng() % 26));
    p.Insert(cursor, s);
    model.insert(cursor, s);
    ++cursor;
    if (i % 10000 == 0) ExpectValid(p.seq);
  }
  // Random inserts everywhere: many runs, many leaf splits.
  for (int i = 0; i < 20000; ++i) {
    const size_t pos = rng() % (model.size() + 1);
    const std::u32string s(1 + rng() % 2,
                           U'A' + static_cast<char32_t>(rng() % 26));
    p.Insert(pos, s);
    model.insert(pos, s);
  }
  EXPECT_EQ(p.seq.Content(), model);
  ExpectValid(p.seq);
  EXPECT_GT(Runs(p.seq).size(), 20000u);
  // Replay it remotely, and delete most of it by id spans.
  TextSequence copy;
  for (const RunCopy& r : Runs(p.seq)) {
    ASSERT_TRUE(copy.AppendRun({r.id, r.origin_left, r.origin_right, r.deleted,
                                r.chars})
                    .ok());
  }
  ASSERT_TRUE(copy.FinishLoad().ok());
  ExpectValid(copy);
  std::vector<IdSpan> spans;
  ASSERT_TRUE(p.seq.LocalDelete(100, model.size() - 200, &spans).ok());
  model.erase(100, model.size() - 200);
  for (const IdSpan& s : spans) ASSERT_TRUE(copy.Delete(s).ok());
  EXPECT_EQ(p.seq.Content(), model);
  EXPECT_EQ(copy.Content(), model);
  EXPECT_EQ(Runs(copy), Runs(p.seq));
  ExpectValid(p.seq);
  ExpectValid(copy);
}

TEST(TextSequenceTest, DuplicateIdsDetectedAcrossReplicas) {
  // Bursts of 7 ids with gaps of 3 from 8 replicas at random places.
  std::mt19937_64 rng(5);
  TextSequence seq;
  std::vector<uint64_t> next(9, 1);
  OpId l, r;
  for (int i = 0; i < 3000; ++i) {
    const ReplicaId rep = 1 + rng() % 8;
    ASSERT_TRUE(seq.LocalInsert(rng() % (seq.size() + 1), U"abcdefg",
                                OpId{rep, next[rep]}, &l, &r)
                    .ok());
    next[rep] += 10;
  }
  ExpectValid(seq);
  const size_t total = seq.total_size();
  for (ReplicaId rep = 1; rep <= 8; ++rep) {
    // Reaching one id into the burst after a gap, or starting inside one.
    EXPECT_EQ(seq.LocalInsert(0, U"wxyz", OpId{rep, 8}, &l, &r).code(),
              Status::Code::kInvalidArgument);
    EXPECT_EQ(seq.Integrate(OpId{rep, 5}, kNullId, kNullId, U"q").code(),
              Status::Code::kInvalidArgument);
    EXPECT_EQ(
        seq.AppendRun({OpId{rep, 17}, kNullId, kNullId, false, U"q"}).code(),
        Status::Code::kInvalidArgument);
  }
  EXPECT_EQ(seq.total_size(), total);
  // Exactly filling gaps is fine, as is continuing past the highest id.
  for (ReplicaId rep = 1; rep <= 8; ++rep) {
    ASSERT_TRUE(seq.LocalInsert(0, U"xyz", OpId{rep, 8}, &l, &r).ok());
    ASSERT_TRUE(seq.Integrate(OpId{rep, 18}, kNullId, kNullId, U"xyz").ok());
    ASSERT_TRUE(
        seq.Integrate(OpId{rep, next[rep]}, kNullId, kNullId, U"!").ok());
    EXPECT_TRUE(seq.Contains(OpId{rep, 20}));
    EXPECT_FALSE(seq.Contains(OpId{rep, 28}));
  }
  ExpectValid(seq);
  // Snapshot of the fragmented multi-replica document.
  TextSequence copy;
  for (const RunCopy& run : Runs(seq)) {
    ASSERT_TRUE(copy.AppendRun({run.id, run.origin_left, run.origin_right,
                                run.deleted, run.chars})
                    .ok());
  }
  ASSERT_TRUE(copy.FinishLoad().ok());
  EXPECT_EQ(Runs(copy), Runs(seq));
  ExpectValid(copy);
}

TEST(TextSequenceTest, MoveKeepsContent) {
  Peer p(1);
  p.Insert(0, U"abc");
  TextSequence moved = std::move(p.seq);
  EXPECT_EQ(moved.Content(), U"abc");
  TextSequence other;
  other = std::move(moved);
  EXPECT_EQ(other.Content(), U"abc");
  ExpectValid(other);
}

}  // namespace
}  // namespace samplan
