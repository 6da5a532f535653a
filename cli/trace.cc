#include "cli/trace.h"

#include <zlib.h>

#include <cstdint>
#include <istream>
#include <limits>
#include <nlohmann/json.hpp>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

#include "crdt/utf8.h"

namespace samplan {
namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
// One replica per agent is created when replaying; far more than any real
// trace has, far fewer than would exhaust memory.
constexpr uint64_t kMaxAgents = 1 << 16;

// SAX handler that builds a Trace while the JSON streams past. Every event
// returns false on the first error (the parser then stops); error() says
// what was wrong and where. Unknown keys are skipped whatever their value.
class TraceSax {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit TraceSax(Trace* out) : out_(out) {}

  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }

  // After a successful parse: the checks that need the whole document
  // (keys may come in any order).
  bool Finish();

  // ---- nlohmann SAX interface.
  bool null() { return Scalar(Type::kNull); }
  bool boolean(bool) { return Scalar(Type::kBool); }
  bool number_integer(number_integer_t v) {
    if (v < 0) return Number(0, Type::kNegative);
    return Number(static_cast<uint64_t>(v), Type::kUnsigned);
  }
  bool number_unsigned(number_unsigned_t v) {
    return Number(v, Type::kUnsigned);
  }
  bool number_float(number_float_t, const string_t&) {
    return Number(0, Type::kFloat);
  }
  bool string(string_t& v);
  bool binary(binary_t&) { return Scalar(Type::kBinary); }
  bool start_object(std::size_t);
  bool key(string_t& k);
  bool end_object();
  bool start_array(std::size_t);
  bool end_array();
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) {
    if (!failed()) {
      error_ =
          "invalid JSON at byte " + std::to_string(position) + ": " + ex.what();
    }
    return false;
  }

 private:
  enum class Type {
    kNull,
    kBool,
    kNegative,
    kUnsigned,
    kFloat,
    kString,
    kBinary,
    kObject,
    kArray
  };
  enum class Frame : uint8_t {
    kTop,
    kTxns,
    kTxn,
    kPatches,
    kPatch,
    kParents,
    kSkip
  };
  // What the next value is, given the enclosing frame and key.
  enum class Slot {
    kRoot,
    kIgnore,
    kStartContent,
    kEndContent,
    kKind,
    kNumAgents,
    kTxns,
    kTxn,
    kTxnPatches,
    kTxnParents,
    kTxnAgent,
    kPatch,
    kPatchPos,
    kPatchDelete,
    kPatchText,
    kPatchExtra,
    kParent
  };
  enum TopKey : unsigned {
    kKeyStart = 1,
    kKeyEnd = 2,
    kKeyKind = 4,
    kKeyAgents = 8,
    kKeyTxns = 16
  };
  enum TxnKey : unsigned { kKeyPatches = 1, kKeyParents = 2, kKeyAgent = 4 };

  static const char* TypeName(Type t);
  Slot NextSlot() const;
  std::string Where(Slot slot) const;
  bool Fail(std::string message) {
    if (!failed()) error_ = std::move(message);
    return false;
  }
  bool Mismatch(Slot slot, const char* expected, Type got) {
    return Fail(Where(slot) + ": expected " + expected + ", got " +
                TypeName(got));
  }
  // A value was consumed in the current frame.
  void Advance() {
    if (!stack_.empty() && stack_.back() == Frame::kPatch) ++patch_element_;
  }
  bool Scalar(Type t);
  bool Number(uint64_t v, Type t);
  bool Container(Type t);  // start_object / start_array

  Trace* out_;
  std::string error_;
  std::vector<Frame> stack_;
  std::string key_;  // last key of the innermost kTop/kTxn object
  unsigned top_keys_ = 0;
  unsigned txn_keys_ = 0;
  std::string kind_;
  uint64_t num_agents_ = 0;
  int patch_element_ = 0;
  TracePatch patch_;
  // First transaction lacking a key that concurrent traces require (-1:
  // none), found while streaming and reported by Finish() if needed.
  int64_t first_txn_without_agent_ = -1;
  int64_t first_txn_without_parents_ = -1;
  int64_t first_txn_with_parents_ = -1;
};

const char* TraceSax::TypeName(Type t) {
  switch (t) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "a boolean";
    case Type::kNegative:
      return "a negative number";
    case Type::kUnsigned:
      return "a number";
    case Type::kFloat:
      return "a non-integer number";
    case Type::kString:
      return "a string";
    case Type::kBinary:
      return "binary data";
    case Type::kObject:
      return "an object";
    case Type::kArray:
      return "an array";
  }
  return "?";
}

TraceSax::Slot TraceSax::NextSlot() const {
  if (stack_.empty()) return Slot::kRoot;
  switch (stack_.back()) {
    case Frame::kTop:
      if (key_ == "startContent") return Slot::kStartContent;
      if (key_ == "endContent") return Slot::kEndContent;
      if (key_ == "kind") return Slot::kKind;
      if (key_ == "numAgents") return Slot::kNumAgents;
      if (key_ == "txns") return Slot::kTxns;
      return Slot::kIgnore;
    case Frame::kTxns:
      return Slot::kTxn;
    case Frame::kTxn:
      if (key_ == "patches") return Slot::kTxnPatches;
      if (key_ == "parents") return Slot::kTxnParents;
      if (key_ == "agent") return Slot::kTxnAgent;
      return Slot::kIgnore;
    case Frame::kPatches:
      return Slot::kPatch;
    case Frame::kPatch:
      switch (patch_element_) {
        case 0:
          return Slot::kPatchPos;
        case 1:
          return Slot::kPatchDelete;
        case 2:
          return Slot::kPatchText;
        default:
          return Slot::kPatchExtra;
      }
    case Frame::kParents:
      return Slot::kParent;
    case Frame::kSkip:
      return Slot::kIgnore;
  }
  return Slot::kIgnore;
}

std::string TraceSax::Where(Slot slot) const {
  if (slot == Slot::kRoot) return "top level";
  std::string where;
  const bool in_txn = slot == Slot::kTxn || slot == Slot::kTxnPatches ||
                      slot == Slot::kTxnParents || slot == Slot::kTxnAgent ||
                      slot == Slot::kPatch || slot == Slot::kPatchPos ||
                      slot == Slot::kPatchDelete || slot == Slot::kPatchText ||
                      slot == Slot::kPatchExtra || slot == Slot::kParent;
  if (!in_txn) return key_;
  const size_t txn =
      slot == Slot::kTxn ? out_->txns.size() : out_->txns.size() - 1;
  where = "txns[" + std::to_string(txn) + "]";
  if (slot == Slot::kTxn) return where;
  const TraceTxn& t = out_->txns.back();
  switch (slot) {
    case Slot::kTxnPatches:
      return where + ".patches";
    case Slot::kTxnParents:
      return where + ".parents";
    case Slot::kTxnAgent:
      return where + ".agent";
    case Slot::kParent:
      return where + ".parents[" + std::to_string(t.parent_count) + "]";
    default:
      break;
  }
  where += ".patches[" + std::to_string(t.patch_count) + "]";
  if (slot == Slot::kPatch) return where;
  return where + "[" + std::to_string(patch_element_) + "]";
}

bool TraceSax::Scalar(Type t) {
  const Slot slot = NextSlot();
  if (slot == Slot::kIgnore) {
    Advance();
    return true;
  }
  switch (slot) {
    case Slot::kRoot:
      return Mismatch(slot, "an object", t);
    case Slot::kStartContent:
    case Slot::kEndContent:
    case Slot::kKind:
    case Slot::kPatchText:
      return Mismatch(slot, "a string", t);
    case Slot::kTxns:
    case Slot::kTxnPatches:
    case Slot::kTxnParents:
      return Mismatch(slot, "an array", t);
    case Slot::kTxn:
      return Mismatch(slot, "an object", t);
    case Slot::kPatch:
      return Mismatch(slot, "an array [pos, delCount, insText]", t);
    case Slot::kPatchExtra:
      return Fail(Where(slot) +
                  ": a patch has exactly 3 elements [pos, delCount, insText]");
    default:
      return Mismatch(slot, "a non-negative integer", t);
  }
}

bool TraceSax::Number(uint64_t v, Type t) {
  const Slot slot = NextSlot();
  const bool wants_number = slot == Slot::kNumAgents ||
                            slot == Slot::kTxnAgent || slot == Slot::kParent ||
                            slot == Slot::kPatchPos ||
                            slot == Slot::kPatchDelete;
  if (!wants_number || t != Type::kUnsigned) return Scalar(t);
  switch (slot) {
    case Slot::kNumAgents:
      if (top_keys_ & kKeyAgents) return Fail("numAgents: duplicate key");
      top_keys_ |= kKeyAgents;
      if (v == 0 || v > kMaxAgents) {
        return Fail("numAgents: " + std::to_string(v) + " is not in [1, " +
                    std::to_string(kMaxAgents) + "]");
      }
      num_agents_ = v;
      return true;
    case Slot::kTxnAgent:
      if (txn_keys_ & kKeyAgent) return Fail(Where(slot) + ": duplicate key");
      txn_keys_ |= kKeyAgent;
      if (v >= kMaxAgents) {
        return Fail(Where(slot) + ": agent " + std::to_string(v) +
                    " is too large");
      }
      out_->txns.back().agent = static_cast<uint32_t>(v);
      return true;
    case Slot::kParent: {
      const size_t self = out_->txns.size() - 1;
      if (v >= self) {
        return Fail(Where(slot) + ": parent " + std::to_string(v) +
                    " is not an earlier transaction");
      }
      out_->parent_indices.push_back(static_cast<uint32_t>(v));
      ++out_->txns.back().parent_count;
      return true;
    }
    default:  // kPatchPos, kPatchDelete
      if (v > kMaxU32) {
        return Fail(Where(slot) + ": " + std::to_string(v) + " is too large");
      }
      if (slot == Slot::kPatchPos) {
        patch_.pos = static_cast<uint32_t>(v);
      } else {
        patch_.delete_count = static_cast<uint32_t>(v);
      }
      Advance();
      return true;
  }
}

bool TraceSax::string(string_t& v) {
  const Slot slot = NextSlot();
  if (slot != Slot::kStartContent && slot != Slot::kEndContent &&
      slot != Slot::kKind && slot != Slot::kPatchText) {
    return Scalar(Type::kString);
  }
  if (Status st = utf8::Validate(v); !st.ok()) {
    return Fail(Where(slot) + ": " + st.message());
  }
  switch (slot) {
    case Slot::kStartContent:
      if (top_keys_ & kKeyStart) return Fail("startContent: duplicate key");
      top_keys_ |= kKeyStart;
      out_->start_content = std::move(v);
      return true;
    case Slot::kEndContent:
      if (top_keys_ & kKeyEnd) return Fail("endContent: duplicate key");
      top_keys_ |= kKeyEnd;
      out_->end_content = std::move(v);
      return true;
    case Slot::kKind:
      if (top_keys_ & kKeyKind) return Fail("kind: duplicate key");
      top_keys_ |= kKeyKind;
      kind_ = std::move(v);
      return true;
    default:  // kPatchText
      if (out_->text_buffer.size() + v.size() > kMaxU32) {
        return Fail(Where(slot) + ": inserted text exceeds 4 GiB in total");
      }
      patch_.text_offset = static_cast<uint32_t>(out_->text_buffer.size());
      patch_.text_size = static_cast<uint32_t>(v.size());
      out_->text_buffer.append(v);
      Advance();
      return true;
  }
}

bool TraceSax::Container(Type t) {
  const Slot slot = NextSlot();
  if (slot == Slot::kIgnore) {
    Advance();
    stack_.push_back(Frame::kSkip);
    return true;
  }
  const bool is_array = t == Type::kArray;
  switch (slot) {
    case Slot::kRoot:
      if (is_array) break;
      stack_.push_back(Frame::kTop);
      key_.clear();
      return true;
    case Slot::kTxns:
      if (!is_array) break;
      if (top_keys_ & kKeyTxns) return Fail("txns: duplicate key");
      top_keys_ |= kKeyTxns;
      stack_.push_back(Frame::kTxns);
      return true;
    case Slot::kTxn: {
      if (is_array) break;
      if (out_->txns.size() >= kMaxU32) return Fail("too many txns");
      TraceTxn txn;
      txn.first_patch = static_cast<uint32_t>(out_->patches.size());
      txn.first_parent = static_cast<uint32_t>(out_->parent_indices.size());
      out_->txns.push_back(txn);
      txn_keys_ = 0;
      key_.clear();
      stack_.push_back(Frame::kTxn);
      return true;
    }
    case Slot::kTxnPatches:
      if (!is_array) break;
      if (txn_keys_ & kKeyPatches) return Fail(Where(slot) + ": duplicate key");
      txn_keys_ |= kKeyPatches;
      stack_.push_back(Frame::kPatches);
      return true;
    case Slot::kTxnParents:
      if (!is_array) break;
      if (txn_keys_ & kKeyParents) return Fail(Where(slot) + ": duplicate key");
      txn_keys_ |= kKeyParents;
      stack_.push_back(Frame::kParents);
      return true;
    case Slot::kPatch:
      if (!is_array) break;
      if (out_->patches.size() >= kMaxU32) return Fail("too many patches");
      patch_ = TracePatch{};
      patch_element_ = 0;
      stack_.push_back(Frame::kPatch);
      return true;
    default:
      break;
  }
  return Scalar(t);
}

bool TraceSax::start_object(std::size_t) {
  if (!stack_.empty() && stack_.back() == Frame::kSkip) {
    stack_.push_back(Frame::kSkip);
    return true;
  }
  return Container(Type::kObject);
}

bool TraceSax::start_array(std::size_t) {
  if (!stack_.empty() && stack_.back() == Frame::kSkip) {
    stack_.push_back(Frame::kSkip);
    return true;
  }
  return Container(Type::kArray);
}

bool TraceSax::key(string_t& k) {
  if (stack_.back() == Frame::kSkip) return true;
  key_ = std::move(k);
  return true;
}

bool TraceSax::end_object() {
  const Frame frame = stack_.back();
  stack_.pop_back();
  if (frame == Frame::kTxn) {
    const size_t index = out_->txns.size() - 1;
    if (!(txn_keys_ & kKeyPatches)) {
      return Fail("txns[" + std::to_string(index) + "]: missing \"patches\"");
    }
    if (!(txn_keys_ & kKeyAgent) && first_txn_without_agent_ < 0) {
      first_txn_without_agent_ = static_cast<int64_t>(index);
    }
    if (!(txn_keys_ & kKeyParents) && first_txn_without_parents_ < 0) {
      first_txn_without_parents_ = static_cast<int64_t>(index);
    }
    if (out_->txns.back().parent_count > 0 && first_txn_with_parents_ < 0) {
      first_txn_with_parents_ = static_cast<int64_t>(index);
    }
    key_.clear();  // back in the txns array
  }
  Advance();
  return true;
}

bool TraceSax::end_array() {
  const Frame frame = stack_.back();
  if (frame == Frame::kPatch) {
    if (patch_element_ != 3) {
      return Fail(Where(Slot::kPatch) +
                  ": a patch has exactly 3 elements [pos, delCount, insText], "
                  "got " +
                  std::to_string(patch_element_));
    }
    out_->patches.push_back(patch_);
    ++out_->txns.back().patch_count;
  }
  stack_.pop_back();
  if (frame == Frame::kTxns) key_.clear();
  Advance();
  return true;
}

bool TraceSax::Finish() {
  if (!(top_keys_ & kKeyEnd)) return Fail("missing \"endContent\"");
  if (!(top_keys_ & kKeyTxns)) return Fail("missing \"txns\"");
  if (kind_ == "concurrent") {
    out_->kind = Trace::Kind::kConcurrent;
    if (!(top_keys_ & kKeyAgents)) {
      return Fail("concurrent trace: missing \"numAgents\"");
    }
    if (!out_->start_content.empty()) {
      return Fail("concurrent trace: startContent must be empty");
    }
    if (first_txn_without_agent_ >= 0) {
      return Fail("txns[" + std::to_string(first_txn_without_agent_) +
                  "]: missing \"agent\"");
    }
    if (first_txn_without_parents_ >= 0) {
      return Fail("txns[" + std::to_string(first_txn_without_parents_) +
                  "]: missing \"parents\"");
    }
    out_->num_agents = static_cast<uint32_t>(num_agents_);
    for (size_t i = 0; i < out_->txns.size(); ++i) {
      if (out_->txns[i].agent >= num_agents_) {
        return Fail("txns[" + std::to_string(i) +
                    "].agent: " + std::to_string(out_->txns[i].agent) +
                    " is not below numAgents " + std::to_string(num_agents_));
      }
    }
    return true;
  }
  if (!kind_.empty() && kind_ != "sequential") {
    return Fail("kind: unknown trace kind '" + kind_ +
                "' (expected \"concurrent\" or none)");
  }
  out_->kind = Trace::Kind::kSequential;
  out_->num_agents = 1;
  if (first_txn_with_parents_ >= 0) {
    return Fail("txns[" + std::to_string(first_txn_with_parents_) +
                "]: a sequential trace has no parents (kind \"concurrent\" "
                "missing?)");
  }
  for (TraceTxn& txn : out_->txns) txn.agent = 0;
  return true;
}

// A streambuf reading decompressed bytes from a gzFile. A zlib error ends
// the stream early; error() then names it.
class GzStreamBuf : public std::streambuf {
 public:
  explicit GzStreamBuf(gzFile file) : file_(file) {}
  const std::string& error() const { return error_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (done_) return traits_type::eof();
    const int n = gzread(file_, buffer_, sizeof(buffer_));
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    if (n < 0 || (code != Z_OK && code != Z_STREAM_END)) {
      error_ = code == Z_BUF_ERROR ? "gzip stream is truncated"
                                   : std::string("gzip stream: ") +
                                         (message ? message : "read error");
      done_ = true;
    }
    if (n <= 0) {
      done_ = true;
      return traits_type::eof();
    }
    setg(buffer_, buffer_, buffer_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  gzFile file_;
  bool done_ = false;
  std::string error_;
  char buffer_[1 << 16];
};

Status ParseError(std::string_view source, const std::string& message) {
  return Status::InvalidArgument(std::string(source) + ": " + message);
}

}  // namespace

size_t Trace::MemoryUsage() const {
  return sizeof(*this) + start_content.capacity() + end_content.capacity() +
         txns.capacity() * sizeof(TraceTxn) +
         patches.capacity() * sizeof(TracePatch) +
         parent_indices.capacity() * sizeof(uint32_t) + text_buffer.capacity();
}

Status ParseTrace(std::string_view text, std::string_view source, Trace* out) {
  *out = Trace{};
  TraceSax sax(out);
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax);
  if (!ok || !sax.Finish()) {
    Status st = ParseError(source, sax.error());
    *out = Trace{};
    return st;
  }
  return Status::OK();
}

Status LoadTrace(const std::string& path, Trace* out) {
  *out = Trace{};
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Status::NotFound(path + ": cannot open");
  }
  gzbuffer(file, 1 << 17);
  auto buf = std::make_unique<GzStreamBuf>(file);
  bool ok;
  TraceSax sax(out);
  {
    std::istream in(buf.get());
    ok = json::sax_parse(in, &sax) && sax.Finish();
  }
  gzclose(file);
  if (!buf->error().empty()) {
    *out = Trace{};
    return Status::Corruption(path + ": " + buf->error());
  }
  if (!ok) {
    Status st = ParseError(path, sax.error());
    *out = Trace{};
    return st;
  }
  out->patches.shrink_to_fit();
  out->txns.shrink_to_fit();
  out->parent_indices.shrink_to_fit();
  out->text_buffer.shrink_to_fit();
  return Status::OK();
}

std::string TraceName(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  for (std::string_view suffix : {".gz", ".json"}) {
    if (path.size() > suffix.size() && path.ends_with(suffix)) {
      path.remove_suffix(suffix.size());
    }
  }
  return std::string(path);
}

}  // namespace samplan
