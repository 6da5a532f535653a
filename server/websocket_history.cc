// WebsocketSession's history messages (docs/protocol.md, "history"): kept
// apart from the session's transport code.
#include <boost/asio/post.hpp>

#include "protocol/messages.h"
#include "server/http_history.h"
#include "server/server.h"
#include "server/websocket_session.h"

namespace samplan {

namespace proto = protocol;

void WebsocketSession::SubmitHistory(std::string ref,
                                     protocol::HistoryQuery query) {
  const std::optional<Role> role = claims_->RoleFor(plan_);
  if (!role || (query.query != "versions" && !CanReadHistory(*role))) {
    SendError(proto::kCodeForbidden,
              "a plan's history needs the auditor role or above; you are " +
                  std::string(role ? RoleName(*role) : "nobody") +
                  " in plan '" + plan_ + "'",
              ref);
    return;
  }
  if (server_->history() == nullptr) {
    SendError(proto::kCodeUnavailable,
              "history is not enabled on this server", ref);
    return;
  }
  if (history_waiting_) {
    SendError(proto::kCodeSuperseded,
              "replaced by history request '" + ref + "' before it ran",
              history_waiting_->ref);
  }
  history_waiting_ = WaitingHistory{std::move(ref), std::move(query)};
  if (!history_running_) StartHistory();
}

void WebsocketSession::StartHistory() {
  if (!history_waiting_ || closing_ || finished_) return;
  WaitingHistory next = std::move(*history_waiting_);
  history_waiting_.reset();
  history_running_ = true;
  std::string query_name = next.query.query;
  server_->history()->Query(
      plan_, std::move(next.query),
      [self = shared_from_this(), ref = std::move(next.ref),
       query_name = std::move(query_name)](HistoryAnswer answer) mutable {
        boost::asio::post(self->ws_.get_executor(),
                          [self, ref = std::move(ref),
                           query_name = std::move(query_name),
                           answer = std::move(answer)]() mutable {
                            self->OnHistoryAnswer(std::move(ref),
                                                  std::move(query_name),
                                                  std::move(answer));
                          });
      });
}

void WebsocketSession::OnHistoryAnswer(std::string ref, std::string query,
                                       HistoryAnswer answer) {
  history_running_ = false;
  if (!answer.status.ok()) {
    const Status& s = answer.status;
    const bool bad = s.code() == Status::Code::kInvalidArgument ||
                     s.code() == Status::Code::kNotFound ||
                     s.code() == Status::Code::kFailedPrecondition;
    SendError(bad ? proto::kCodeBadMessage : proto::kCodeStorage,
              bad ? s.message() : s.ToString(), ref);
  } else {
    proto::Json reply = std::move(answer.body);
    if (!answer.content_type.empty()) reply["markdown"] = std::move(answer.text);
    reply["v"] = 1;
    reply["type"] = "history";
    reply["ref"] = ref;
    reply["query"] = query;
    SendNow(std::make_shared<const std::string>(proto::Dump(reply)));
  }
  StartHistory();
}

}  // namespace samplan
