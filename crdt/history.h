// PlanHistory: the history of one plan, computed from its stored op log.
//
// The store's log (storage/plan_store.h: seq 1..N, op.author = who stored
// it and the server time) is the source of truth; the server feeds a
// PlanHistory with the stored ops in seq order and asks it for the state
// after any prefix (time travel), who made an op unit (blame, diff) and
// the ops between two points (who changed what: history_entries.h).
//
// Memory: a keystroke is one stored op, so a long-edited plan holds
// hundreds of thousands of them. Ops are kept encoded (EncodeOpTo, author
// slots left empty) in chunks of kChunkOps, with 32 bytes of metadata per
// op (time, interned author, kind, node, name, units); the author slots
// come back from the metadata on decoding. The head replica and the
// cursor replica get text ops with their author slots cleared (text
// sequences keep no authors; the history does), so a burst of typing
// merges into one entry of their logs instead of one Op per keystroke.
//
// Time travel: a snapshot of the head is kept every kCheckpointEvery ops (by default);
// StateAt(seq) loads the last checkpoint at or before seq into a cursor
// replica and replays the ops after it, or moves the cursor forward when
// it is already at or before seq and at or after that checkpoint (a
// history slider moving forward costs only the ops in between).
//
// Thread-safety: none. The server serializes access per plan. Const
// methods do not change anything and may be called concurrently with each
// other (but not with Append, StateAt or CopyStateAt).
#ifndef SAMPLAN_CRDT_HISTORY_H_
#define SAMPLAN_CRDT_HISTORY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "crdt/author.h"
#include "crdt/diff_source.h"
#include "crdt/ids.h"
#include "crdt/op.h"
#include "crdt/replica.h"
#include "crdt/schema.h"
#include "crdt/status.h"

namespace samplan {

class PlanHistory : public DiffSource {
 public:
  static constexpr uint64_t kCheckpointEvery = 4096;
  static constexpr uint64_t kChunkOps = 1024;
  // The replica id the history's states are built as (no client uses it:
  // it is the largest id the wire format carries).
  static constexpr ReplicaId kStateReplicaId = (uint64_t{1} << 53) - 1;

  // `checkpoint_every` (REQUIRES: > 0): ops between kept snapshots; tests
  // use small values to exercise many checkpoints.
  explicit PlanHistory(PlanSchema schema = PlanSchema::Default(),
                       uint64_t checkpoint_every = kCheckpointEvery);
  ~PlanHistory() override;
  PlanHistory(const PlanHistory&) = delete;
  PlanHistory& operator=(const PlanHistory&) = delete;

  // Appends the op stored at seq last_seq() + 1 (with its stored author)
  // and applies it to the head state. On error nothing changes: the
  // replica's error (or InvalidArgument / NotFound) prefixed with the seq,
  // e.g. "seq 17: ...". An op the head would hold back (its dependencies
  // are not in the log before it) is an error too.
  Status Append(const Op& op);

  uint64_t last_seq() const { return metas_.size(); }
  // The state after last_seq().
  const Replica& head() const { return *head_; }

  // Who stored op `seq` (user, municipality, server time). Returned by
  // value: authors are interned and rebuilt on demand.
  // REQUIRES: 1 <= seq <= last_seq().
  Author AuthorAt(uint64_t seq) const;
  int64_t TimeAt(uint64_t seq) const;  // == AuthorAt(seq).wall_time_ms
  // The op as stored (a copy, decoded). REQUIRES: 1 <= seq <= last_seq().
  Op OpAt(uint64_t seq) const;
  // The same into *out, reusing its storage (a loop over many ops).
  void OpAt(uint64_t seq, Op* out) const { DecodeAt(seq, out); }
  // The seq of the op holding unit `id` (the first op that brought it);
  // 0 when unknown.
  uint64_t SeqOf(OpId id) const;
  // The same, and *end = one past the last counter (of id.replica) that
  // op brought: ids [id.counter, *end) all belong to the returned seq.
  uint64_t SeqOfUnits(OpId id, uint64_t* end) const;
  // Splits the ids [first, first + length) of one replica by the op that
  // brought them, in counter order: fn(count, seq) per piece (seq 0 for
  // unknown ids). One search, then a walk: what blame does per text run.
  void ForEachUnitPiece(OpId first, uint64_t length,
                        const std::function<void(uint64_t count, uint64_t seq)>&
                            fn) const;
  // The last seq whose time is <= time_ms; 0 when none. Times never
  // decrease along seq (the store guarantees it).
  uint64_t SeqAtTime(int64_t time_ms) const;

  // The state after ops 1..seq (seq 0: an empty plan); its CanonicalDump()
  // equals that of a fresh Replica that applied those ops. Borrowed: valid
  // until the next non-const call. OutOfRange when seq > last_seq().
  Result<const Replica*> StateAt(uint64_t seq);
  // The same state, owned (a diff needs two states at once).
  Result<std::unique_ptr<Replica>> CopyStateAt(uint64_t seq);

  // ---- Per-op metadata, for listing changes without decoding ops.
  // REQUIRES for each: 1 <= seq <= last_seq().
  OpKind KindAt(uint64_t seq) const { return Meta(seq).kind; }
  // The character an insert_text of exactly one character inserted; 0 for
  // any other op.
  char32_t SingleCharAt(uint64_t seq) const { return Meta(seq).single; }
  // Units the op covers (op.Length()): characters inserted or deleted.
  uint64_t UnitsAt(uint64_t seq) const { return Meta(seq).units; }
  // The node an op is about: the created node, the edited node; for review
  // ops the thread's or suggestion's node (a suggested node: its parent).
  OpId NodeAt(uint64_t seq) const { return nodes_[Meta(seq).node]; }
  // Dense index of NodeAt(seq) in [0, node_count()): for per-node tables.
  uint32_t NodeIndexAt(uint64_t seq) const { return Meta(seq).node; }
  size_t node_count() const { return nodes_.size(); }
  OpId NodeByIndex(uint32_t index) const { return nodes_[index]; }
  // False when no op is about `node`.
  bool NodeIndexOf(OpId node, uint32_t* index) const {
    auto it = node_index_.find(node);
    if (it == node_index_.end()) return false;
    *index = it->second;
    return true;
  }
  // op.name (field, text or table name, node kind, ...).
  const std::string& NameAt(uint64_t seq) const {
    return names_[Meta(seq).name];
  }
  uint32_t NameIndexAt(uint64_t seq) const { return Meta(seq).name; }
  // Dense index of the (user, municipality) that stored the op.
  uint32_t AuthorIndexAt(uint64_t seq) const { return Meta(seq).author; }
  size_t author_count() const { return authors_.size(); }
  const std::string& UserOfIndex(uint32_t index) const {
    return authors_[index].user;
  }
  const std::string& MunicipalityOfIndex(uint32_t index) const {
    return authors_[index].municipality;
  }
  // For a move_node or delete_node op: the node's outline number just
  // before and just after it (deleted: "" after). False for other seqs.
  bool MoveNumbersAt(uint64_t seq, std::string* before,
                     std::string* after) const;

  // ---- DiffSource
  bool AuthorOf(OpId id, Author* author, uint64_t* seq) const override;
  void ForEachOpBetween(
      uint64_t after_seq, uint64_t to_seq,
      const std::function<void(uint64_t seq, const Op& op)>& fn)
      const override;
  // Heads (kind, node, name) come from the per-op metadata.
  void ForEachOpBetween(
      uint64_t after_seq, uint64_t to_seq,
      const std::function<bool(OpKind kind)>& needs_body,
      const std::function<void(uint64_t seq, const Op& op)>& fn)
      const override;

  // Approximate heap bytes held (ops, metadata, indexes, checkpoints, the
  // head and cursor replicas).
  size_t MemoryUsage() const;
  size_t checkpoint_bytes() const;

 private:
  struct OpMeta {
    int64_t time = 0;
    uint32_t offset = 0;  // into its chunk
    uint32_t author = 0;  // into authors_
    uint32_t node = 0;    // into nodes_
    uint32_t name = 0;    // into names_
    uint32_t units = 0;
    OpKind kind = OpKind::kSetField;
    // The character an insert_text of one character inserted (typing is
    // mostly these): excerpts read it without decoding the op.
    char32_t single = 0;
  };
  struct AuthorKey {
    std::string user;
    std::string municipality;
  };
  // A run of a replica's counters brought by one op.
  struct UnitRun {
    uint64_t counter = 0;
    uint64_t seq = 0;
  };
  struct MoveNumbers {
    std::string before;
    std::string after;
  };

  const OpMeta& Meta(uint64_t seq) const { return metas_[seq - 1]; }
  // Decodes op `seq` into *op (author slots filled from metadata).
  void DecodeAt(uint64_t seq, Op* op) const;
  // The node an op is about, read from `state` before it applies the op.
  static OpId EntryNode(const Replica& state, const Op& op);
  uint32_t InternAuthor(const Author& a);
  uint32_t InternNode(OpId node);
  uint32_t InternName(const std::string& name);
  // Applies a stored op to a history replica (text ops without author).
  static Status ApplyTo(Replica* replica, const Op& op);
  // Rebuilds the head from the last checkpoint (after a failed append that
  // left an op pending).
  Status RebuildHead();
  // Replays ops (from, to] into `r`.
  Status Replay(Replica* r, uint64_t from, uint64_t to) const;
  Result<std::unique_ptr<Replica>> LoadCheckpoint(uint64_t seq) const;

  PlanSchema schema_;
  std::unique_ptr<Replica> head_;
  std::vector<std::string> chunks_;
  std::vector<OpMeta> metas_;
  std::vector<AuthorKey> authors_;
  std::unordered_map<std::string, uint32_t> author_index_;  // user \0 muni
  std::vector<OpId> nodes_;
  std::unordered_map<OpId, uint32_t, OpIdHash> node_index_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> name_index_;
  std::unordered_map<ReplicaId, std::vector<UnitRun>> units_;
  // units_ runs end where the next begins; the end of the last run:
  std::unordered_map<ReplicaId, uint64_t> unit_end_;
  std::unordered_map<uint64_t, MoveNumbers> moves_;
  uint64_t checkpoint_every_;
  // checkpoints_[k]: snapshot after seq (k + 1) * checkpoint_every_.
  std::vector<std::string> checkpoints_;
  std::unique_ptr<Replica> cursor_;
  uint64_t cursor_seq_ = 0;
};

// The node's title as shown in lists: its "title" text, else its "name"
// text (stakeholders), else "". "" for an unknown node.
std::string NodeTitleOf(const Replica& replica, OpId node);

}  // namespace samplan

#endif  // SAMPLAN_CRDT_HISTORY_H_
