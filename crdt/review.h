// ReviewState: the comment threads, suggestions, approvals and read marks
// of a plan, as built from its review operations (op.h, kAddComment ..
// kRevokeApproval).
//
// Review items are operations like edits: they travel, are stored and are
// hash-chained with the rest of the log, so every replica (the server's and
// each browser's) holds the same review state. ReviewState only does the
// bookkeeping; the Replica validates each op against the plan before
// handing it here, and answers the questions that need the plan (where an
// anchor is now, whether a suggestion is stale, whether an approval is
// outdated: replica.h, "Review").
//
// Every outcome is a function of the set of ops applied, not of their
// order: lists are kept sorted by (lamport, id), attributes are
// multi-value registers, an accepted suggestion stays accepted whatever
// else arrives, and the latest (lamport, id) of approve/revoke for one
// (node, municipality) wins.
//
// Thread-safety: none; owned by a Replica.
#ifndef SAMPLAN_CRDT_REVIEW_H_
#define SAMPLAN_CRDT_REVIEW_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "crdt/ids.h"
#include "crdt/op.h"
#include "crdt/register.h"

namespace samplan {

struct Comment {
  OpId id;
  OpId thread;
  Author author;
  uint64_t lamport = 0;
  std::string body;                   // the latest revision
  std::vector<std::string> mentions;  // of the latest revision
  uint64_t revision_lamport = 0;      // of the latest revision (0: none)
  OpId revision;                      // its op id (null: never edited)
  int64_t edited_ms = 0;
  size_t revisions = 0;  // edits applied (the earlier texts stay in the log)
  bool deleted = false;
  OpId deleted_by;
};

enum class AnchorKind : uint8_t { kNode, kField, kText, kCell };

struct Thread {
  OpId id;  // the op that opened it (its first comment)
  AnchorKind anchor = AnchorKind::kNode;
  OpId node;
  std::string field;  // field, text or table name
  OpId first;         // text range: first and last character
  OpId last;
  OpId row;  // cell
  OpId column;
  std::string quote;
  std::vector<OpId> comments;  // the first one included, by (lamport, id)
  // The same comments, for views that scan them (no map lookup each).
  std::vector<const Comment*> comment_refs;
  MultiValueRegister resolved;
  MultiValueRegister assignee;
  MultiValueRegister due;
  // user -> Lamport of the latest mark_read by that user.
  std::map<std::string, uint64_t, std::less<>> read;

  bool IsResolved() const {
    return !resolved.empty() && resolved.winner().value.b;
  }
};

enum class SuggestionStatus : uint8_t { kOpen, kAccepted, kRejected };

struct Suggestion {
  Op op;  // the suggest_* op as applied
  SuggestionStatus status = SuggestionStatus::kOpen;
  // The deciding op: the earliest accept if any (an accept cannot be undone
  // by a reject, its edits are in the plan), else the latest reject.
  OpId decision;
  uint64_t decision_lamport = 0;
  Author decided_by;
  std::string reason;
  std::vector<IdSpan> applied;  // the accept's edit ops
  bool stale_accepted = false;
};

struct Approval {
  OpId node;
  std::string municipality;
  OpId id;  // the latest approve or revoke for (node, municipality)
  uint64_t lamport = 0;
  Author author;
  bool revoked = false;
  std::vector<IdSpan> seen;  // the approver's version ({r, 1, n})
};

class ReviewState {
 public:
  // Applies a review op. REQUIRES: the Replica validated `op` (targets
  // exist and have the right type) and has not applied it before.
  void Integrate(const Op& op);

  const std::map<OpId, Thread>& threads() const { return threads_; }
  const std::map<OpId, Comment>& comments() const { return comments_; }
  const std::map<OpId, Suggestion>& suggestions() const {
    return suggestions_;
  }
  // Keyed by (node, municipality).
  const std::map<std::pair<OpId, std::string>, Approval>& approvals() const {
    return approvals_;
  }
  const Thread* FindThread(OpId id) const;
  const Comment* FindComment(OpId id) const;
  const Suggestion* FindSuggestion(OpId id) const;

  // Every review op applied, in (lamport, id) order: what a snapshot keeps
  // (integrating them in this order rebuilds the state). O(n log n).
  std::vector<const Op*> OpsInOrder() const;
  size_t op_count() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  size_t MemoryUsage() const;

 private:
  // In arrival order: a deque appends without moving or a node per op
  // (a map of ops was a tenth of a join's apply time).
  std::deque<Op> ops_;
  std::map<OpId, Thread> threads_;
  std::map<OpId, Comment> comments_;
  std::map<OpId, Suggestion> suggestions_;
  std::map<std::pair<OpId, std::string>, Approval> approvals_;
};

}  // namespace samplan

#endif  // SAMPLAN_CRDT_REVIEW_H_
