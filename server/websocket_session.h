// WebsocketSession: one client connection speaking the JSON protocol
// (docs/protocol.md) after the HTTP upgrade.
//
// The session reads one message at a time, frame by frame, and counts its
// size itself: before authentication at most kPreAuthMessageBytes (a token
// is < 4 KiB; nothing big is parsed for a stranger), after it
// max_message_bytes. A larger message closes the connection with 1009; the
// close handshake then drains what the client is still sending (bounded by
// the handshake timeout), so the client receives the close frame instead
// of a TCP reset. It enforces a token-bucket rate limit (a client refused
// more than 10 x burst messages without a one-second pause is closed with
// 1008), parses and dispatches messages to its Room, and writes from a
// bounded queue of shared immutable buffers: when the queue passes
// send_queue_limit messages or send_queue_bytes bytes (a client that stops
// reading) the connection is dropped instead of growing memory. A token's
// expiry closes the session (auth_failed, then 1008) by a timer.
//
// Close never starts Beast's async_close while a write is outstanding
// (Beast forbids it): messages queued before the close are written first,
// later ones are dropped, and the close starts from the last OnWrite. The
// whole close is bounded by the handshake timeout, then the TCP connection
// is dropped. Handshake and idle timeouts with keep-alive pings come from
// websocket::stream_base::timeout.
//
// review_query messages are also limited to kReviewQueriesPerSecond
// (burst kReviewQueryBurst) per session; past it they are refused with
// rate_limited (the room's strand answers them, see Room::QueryReview).
//
// Thread-safety: Send, Close, ForceClose and OnJoinFailed may be called from any
// thread (they post to the session's strand); the rest runs on the strand.
#ifndef SAMPLAN_SERVER_WEBSOCKET_SESSION_H_
#define SAMPLAN_SERVER_WEBSOCKET_SESSION_H_

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "protocol/history_json.h"
#include "server/auth.h"
#include "server/history_service.h"

namespace samplan {

class ConnectionSlot;
class Room;
class Server;

// The largest message an unauthenticated session may send.
inline constexpr size_t kPreAuthMessageBytes = 8 * 1024;
// review_query messages per second per session, and their burst.
inline constexpr double kReviewQueriesPerSecond = 10;
inline constexpr double kReviewQueryBurst = 20;
// history messages per second per session (a timeline slider sends many),
// and their burst.
inline constexpr double kHistoryQueriesPerSecond = 20;
inline constexpr double kHistoryQueryBurst = 40;

class WebsocketSession : public std::enable_shared_from_this<WebsocketSession> {
 public:
  // `socket`'s executor must be a strand. `header_claims`: the caller
  // already verified an Authorization: Bearer token on the upgrade request.
  // `slot` counts the connection until this session is destroyed.
  WebsocketSession(boost::asio::ip::tcp::socket&& socket, Server* server,
                   std::string remote, std::optional<Claims> header_claims,
                   std::unique_ptr<ConnectionSlot> slot);
  ~WebsocketSession();

  // Accepts the upgrade and starts reading.
  void Run(boost::beast::http::request<boost::beast::http::string_body> req);

  void Send(std::shared_ptr<const std::string> message);
  void Close(boost::beast::websocket::close_code code);
  // Drops the TCP connection (after a close frame that got no answer).
  void ForceClose();
  // The room refused the join (it already sent the error).
  void OnJoinFailed();

  const std::string& id() const { return id_; }

 private:
  void OnAccept(boost::beast::error_code ec);
  // The largest message allowed now (smaller before authentication).
  size_t ReadLimit() const;
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void HandleMessage(std::string_view text);
  bool TakeToken();
  // Closes with 1008 (after auth_failed) when the token expires.
  void ArmExpiry();
  void SendNow(std::shared_ptr<const std::string> message);
  // history messages (websocket_history.cc): at most one runs on the
  // HistoryService and one waits; a newer one replaces the waiting one,
  // which is answered `superseded` (a slider only needs its last
  // position).
  void SubmitHistory(std::string ref, protocol::HistoryQuery query);
  void StartHistory();
  void OnHistoryAnswer(std::string ref, std::string query,
                       HistoryAnswer answer);
  void SendError(std::string_view code, std::string_view message,
                 std::string_view ref);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  // On the strand: Close's work.
  void CloseNow(boost::beast::websocket::close_code code,
                const char* reason);
  void StartClose();
  void Drop(const char* reason);
  void Finish(const char* reason);

  Server* server_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::string id_;
  std::string remote_;
  boost::asio::steady_timer auth_timer_;
  boost::asio::steady_timer expiry_timer_;
  boost::asio::steady_timer close_timer_;
  std::unique_ptr<ConnectionSlot> slot_;

  std::optional<Claims> claims_;
  std::shared_ptr<Room> room_;  // set from join until leave/close
  std::string plan_;

  std::deque<std::shared_ptr<const std::string>> queue_;
  size_t queued_bytes_ = 0;
  bool closing_ = false;   // close requested: no new messages are queued
  bool finished_ = false;
  bool registered_ = false;
  bool reading_ = false;   // an async_read_some is outstanding
  bool writing_ = false;   // an async_write is outstanding
  bool close_started_ = false;  // async_close called
  boost::beast::websocket::close_code close_code_ =
      boost::beast::websocket::close_code::normal;
  const char* close_reason_ = "closed";
  uint64_t claims_generation_ = 0;  // expiry timers of older claims are void

  double tokens_ = 0;
  std::chrono::steady_clock::time_point refill_;
  std::chrono::steady_clock::time_point last_rate_error_;
  std::chrono::steady_clock::time_point last_refused_;
  // Messages refused with no pause of a second between two refusals
  // (accepted messages in between do not reset it: a client flooding at
  // many times the rate still gets a token now and then).
  uint64_t refused_streak_ = 0;
  // review_query messages have a bucket of their own on top of the
  // message rate: each costs the room's strand a pass over the plan's
  // review state, which other members' edits wait for.
  double review_tokens_ = kReviewQueryBurst;
  std::chrono::steady_clock::time_point review_refill_;
  double history_tokens_ = kHistoryQueryBurst;
  std::chrono::steady_clock::time_point history_refill_;
  struct WaitingHistory {
    std::string ref;
    protocol::HistoryQuery query;
  };
  bool history_running_ = false;
  std::optional<WaitingHistory> history_waiting_;
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_WEBSOCKET_SESSION_H_
