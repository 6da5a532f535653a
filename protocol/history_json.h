// History as JSON (docs/protocol.md, "History"): the points a history
// query names, the query itself (a WebSocket `history` message or HTTP
// parameters), the "who changed what" entries (JSON and CSV export) and
// blame.
//
// Points ("at", "from", "to", "since", "until"):
//   "head"                                   the latest op
//   "812", "seq:812"                         the state after op 812
//   "time:1764090000000"                     the last op at or before a time
//   "2026-06-21T10:00:00Z", "...:00.123Z",   the same, ISO 8601 UTC
//   "2026-06-21"                             (a date: midnight UTC)
//   "version:NAME"                           a named version
// Parsing only; resolving versions and times to seqs is the server's
// (PlanHistory::SeqAtTime, the store's named versions).
//
// An author is {"user", "municipality", "time"}; names come from a
// PeopleView (the server's people register): "name" is null when the user
// is unknown or erased ("erased": true then), so an erased person's name
// never reappears in history answers or exports.
//
// Thread-safety: stateless functions, reentrant. The PeopleView is called
// on the caller's thread.
#ifndef SAMPLAN_PROTOCOL_HISTORY_JSON_H_
#define SAMPLAN_PROTOCOL_HISTORY_JSON_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/blame.h"
#include "crdt/history_entries.h"
#include "crdt/ids.h"
#include "crdt/op.h"
#include "crdt/status.h"
#include "protocol/json_codec.h"

namespace samplan::protocol {

struct HistoryPoint {
  enum Kind { kHead, kSeq, kTime, kVersion };
  Kind kind = kHead;
  uint64_t seq = 0;     // kSeq
  int64_t time_ms = 0;  // kTime
  std::string version;  // kVersion
  friend bool operator==(const HistoryPoint&, const HistoryPoint&) = default;
};

// InvalidArgument (naming what is wrong, not the member: callers prefix
// it) for anything else, an out-of-range date or seq, or an empty
// version name.
Status ParseHistoryPoint(std::string_view text, HistoryPoint* out);
// "head", "seq:812", "time:1764090000000", "version:NAME".
std::string HistoryPointToString(const HistoryPoint& p);

// ms since 1970 UTC -> "2026-06-21T10:00:00.123Z" (".000" included).
std::string FormatUtc(int64_t time_ms);
// "2026-06-21T10:00:00Z", with optional .fff (1..9 digits), or
// "2026-06-21" -> ms since 1970 UTC. False when malformed or not a real
// date/time.
bool ParseUtc(std::string_view text, int64_t* time_ms);

inline constexpr size_t kDefaultHistoryLimit = 100;
inline constexpr size_t kMaxHistoryLimit = 500;

struct HistoryQuery {
  // "changes" | "at" | "diff" | "blame" | "versions" | "export"
  std::string query;
  HistoryPoint at, from, to;  // at: at/blame; from, to: diff
  OpId node;                  // changes, blame; null: whole plan
  bool subtree = true;
  std::string user, municipality;
  std::vector<OpKind> kinds;  // empty: all
  HistoryPoint since, until;  // changes: inclusive range; kHead = open
  size_t limit = kDefaultHistoryLimit;  // 1..kMaxHistoryLimit
  uint64_t before = 0;                  // the cursor: entries with seq < it
  std::string format;  // diff: "json" | "markdown"; export: "csv" | "json"
  std::string lang;    // "" | "nb" | "sv" | "en"
};

// Reads a history request: members "query" (required), "at", "from",
// "to", "since", "until" (point strings; a non-negative integer is a seq),
// "node" ([r, c]), "subtree" (bool), "user", "municipality", "kinds"
// (array of op kind names), "limit" (1..500), "cursor" (the opaque string
// a previous page returned as "next"; null: the first page), "format",
// "lang". Unknown members are ignored. InvalidArgument naming the member
// ("kinds[1]: unknown operation kind 'typing'").
Status HistoryQueryFromJson(const Json& j, HistoryQuery* out);

// The same from URL parameters (already percent-decoded): "node" as "R:C",
// "kinds" comma separated, "subtree" "true"/"false", "limit" digits, the
// rest as strings. `query` names the endpoint's query ("changes",
// "export", "diff", ...) and wins over a "query" parameter.
Status HistoryQueryFromParams(const std::map<std::string, std::string>& params,
                              std::string_view query, HistoryQuery* out);

// The cursor string for a `before` seq (0: none -> null in JSON).
Json HistoryCursorToJson(uint64_t before);

struct PersonName {
  std::string name;
  bool erased = false;
};
// The name of a user id ({"", false} when unknown).
using PeopleView = std::function<PersonName(std::string_view user)>;

// {"seq", "seq_last", "ops", "time", "time_last", "user", "name",
//  "erased", "municipality", "kinds", "node", "node_kind", "number",
//  "title", "node_deleted", "field", "before", "after", "summary"}.
Json HistoryEntryToJson(const HistoryEntry& e, const PeopleView& people);

// RFC 4180 CSV, UTF-8 with a byte order mark, CRLF line ends, header
//   seq,seq_last,time_utc,user,name,municipality,kinds,number,title,field,
//   before,after,summary
// kinds separated by spaces; a cell that starts with = + - @ TAB or CR is
// prefixed with ' so spreadsheets do not run it as a formula.
std::string HistoryEntriesToCsv(const std::vector<HistoryEntry>& entries,
                                const PeopleView& people);

// {"nodes": [{"node", "number", "title", "kind", "last": {author, "seq"}
//   (null when none), "texts": {"body": [{"start", "length", "user",
//   "name", "erased", "municipality", "time", "seq"}]}, "fields":
//   {"status": {author..., "seq"}}, "cells": [{"table", "row", "column",
//   author..., "seq"}]}]}. A header cell has a null row or column.
Json BlameToJson(const std::vector<NodeBlame>& nodes, const PeopleView& people);

}  // namespace samplan::protocol

#endif  // SAMPLAN_PROTOCOL_HISTORY_JSON_H_
