// Review as JSON: the views of a plan's review state (threads, one user's
// inbox, suggestions, conflicts, sign-off) answered to the WebSocket
// `review_query` message, the HTTP review endpoints and the browser's
// wasm core, and the JSON requests the browser makes local review edits
// with (docs/protocol.md, "Review").
//
// Views read the replica as it is now. All positions are Unicode code
// points. Ids are wire ids ([replica, counter]); an author is
// {"user", "municipality", "time"}. Every view is one pass over the review
// state plus, per item, O(log n) anchor lookups; owners are computed with
// one OwnerCache per call, so a query over n threads costs O(n log n), not
// O(n x depth). A sign-off view checks each approval once
// (Replica::ApprovalOutdated).
//
// Thread-safety: reads (RunReviewQuery) or changes (ApplyReviewRequest)
// `replica` only; the caller owns it (its room strand, the page's thread).
#ifndef SAMPLAN_PROTOCOL_REVIEW_JSON_H_
#define SAMPLAN_PROTOCOL_REVIEW_JSON_H_

#include <string>

#include "crdt/ids.h"
#include "crdt/replica.h"
#include "crdt/status.h"
#include "protocol/json_codec.h"

namespace samplan::protocol {

// The views a query names.
enum class ReviewView { kThreads, kInbox, kSuggestions, kConflicts, kSignoff };
const char* ReviewViewName(ReviewView view);  // "threads", "inbox", ...
bool ParseReviewView(std::string_view name, ReviewView* view);

// A review query. Empty strings and a null node mean "no filter".
struct ReviewQuery {
  ReviewView view = ReviewView::kThreads;
  OpId node;  // the subtree of this node only (threads, inbox, suggestions)
  // threads, inbox: "open" | "resolved"; suggestions: "open" | "accepted" |
  // "rejected".
  std::string status;
  std::string author;        // the user who opened the thread / suggested
  std::string municipality;  // that user's municipality
  std::string assignee;      // "user:x" | "municipality:y" (threads)
  std::string mention;       // "user:x" | "municipality:y" (threads)
  // Who asks: the inbox's user, and whose unread counts threads carry.
  std::string viewer_user;
  std::string viewer_municipality;
};

// Most items one answer lists; past it the answer has "truncated": true.
inline constexpr size_t kMaxReviewItems = 10000;

// Reads the query members of `j` (an object: a review_query message, a
// wasm query, or HTTP parameters gathered into one): "query" (required),
// "node", "status", "author", "municipality", "assignee", "mention",
// optional "viewer": {"user", "municipality"}. Unknown members are
// ignored. InvalidArgument naming the member otherwise ("status: expected
// open or resolved").
Status ReviewQueryFromJson(const Json& j, ReviewQuery* out);

// Answers `query`: {"query": name, "items": [...]} plus, for the inbox,
// "unread" and "unread_threads", for sign-off "complete", and
// "truncated": true when items were cut at kMaxReviewItems.
// InvalidArgument naming the member for a query the plan cannot answer
// (an unknown "node", an inbox without a viewer user).
Result<Json> RunReviewQuery(const Replica& replica, const ReviewQuery& query);
// The same answer as JSON text (an object: "{"query": ...}"), written
// directly: what the server sends and the wasm returns, without building
// a tree of thousands of small JSON objects.
Result<std::string> RunReviewQueryText(const Replica& replica,
                                       const ReviewQuery& query);

// One local review edit from a JSON request (the browser's
// reviewEditJson), e.g. {"op": "reply", "thread": [r, c], "body": "..."}:
// add_thread, reply, edit_comment, delete_comment, set_thread, mark_read,
// suggest_text, suggest_field, suggest_cell, suggest_node, suggest_move,
// suggest_delete, accept, reject, approve, revoke (docs/protocol.md,
// "Review requests"). Returns the id of the item made (thread, comment,
// suggestion) or else of the last op logged. Bad requests are
// InvalidArgument naming the member; refusals are the core's Status;
// nothing changes on error.
Result<OpId> ApplyReviewRequest(Replica* replica, const Json& request);

}  // namespace samplan::protocol

#endif  // SAMPLAN_PROTOCOL_REVIEW_JSON_H_
