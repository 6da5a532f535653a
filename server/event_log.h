// Structured logging: one JSON object per line on stderr, for connection
// events and rejections. Never logs the content of edits (no text, no
// values, no tokens).
//
// Thread-safety: LogEvent may be called from any thread; lines never
// interleave.
#ifndef SAMPLAN_SERVER_EVENT_LOG_H_
#define SAMPLAN_SERVER_EVENT_LOG_H_

#include <nlohmann/json.hpp>

namespace samplan {

// Adds "ts" (ISO 8601 UTC, milliseconds) and writes `fields` as one line.
void LogEvent(nlohmann::json fields);
// Silences LogEvent (benchmarks).
void SetEventLogEnabled(bool enabled);

}  // namespace samplan

#endif  // SAMPLAN_SERVER_EVENT_LOG_H_
