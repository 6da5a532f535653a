// Status and Result: errors as values for the CRDT core.
//
// A Status is either OK or carries a Code and a human-readable message that
// names what was wrong ("text position 17 is past the end (length 12)").
// Result<T> holds either a value or a non-OK Status. Neither type throws.
//
// Thread-safety: immutable after construction; safe to share read-only.
#ifndef SAMPLAN_CRDT_STATUS_H_
#define SAMPLAN_CRDT_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace samplan {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,     // malformed input or a forbidden/inconsistent edit
    kNotFound,            // unknown node, field, operation id
    kOutOfRange,          // position or length past the end
    kCorruption,          // undecodable bytes
    kFailedPrecondition,  // e.g. history older than a snapshot horizon
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  static Status NotFound(std::string_view msg) {
    return Status(Code::kNotFound, msg);
  }
  static Status OutOfRange(std::string_view msg) {
    return Status(Code::kOutOfRange, msg);
  }
  static Status Corruption(std::string_view msg) {
    return Status(Code::kCorruption, msg);
  }
  static Status FailedPrecondition(std::string_view msg) {
    return Status(Code::kFailedPrecondition, msg);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // Stable lowercase name of the code, e.g. "invalid_argument".
  static const char* CodeName(Code code);
  // "invalid_argument: <message>", or "ok".
  std::string ToString() const;

 private:
  Status(Code code, std::string_view msg) : code_(code), message_(msg) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T>: a value or an error. REQUIRES: the Status passed in is not OK.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok());
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok()
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace samplan

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define SAMPLAN_RETURN_IF_ERROR(expr)        \
  do {                                       \
    ::samplan::Status _st = (expr);          \
    if (!_st.ok()) return _st;               \
  } while (0)

#endif  // SAMPLAN_CRDT_STATUS_H_
