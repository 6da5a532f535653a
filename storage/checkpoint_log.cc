#include "storage/checkpoint_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace samplan {

namespace {

std::string Errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string IsoTime(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
                (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
                tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
                tm.tm_sec % 100);
  return buf;
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

bool ParseHex(std::string_view hex, ChainHash* out) {
  if (hex.size() != out->size() * 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < out->size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

Status ParseLine(std::string_view line, Checkpoint* c) {
  std::vector<std::string_view> f;
  while (!line.empty()) {
    const size_t sp = line.find(' ');
    f.push_back(line.substr(0, sp));
    line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  }
  if (f.size() != 7) return Status::Corruption("expected 7 fields");
  if (f[0] != "v1") return Status::Corruption("unknown line format '" + std::string(f[0]) + "'");
  if (!IsValidPlanId(f[1])) return Status::Corruption("bad plan id");
  c->plan_id = std::string(f[1]);
  if (!ParseNumber(f[2], &c->seq)) return Status::Corruption("bad seq");
  if (!ParseHex(f[3], &c->head)) return Status::Corruption("bad head");
  if (!ParseNumber(f[4], &c->time_ms)) return Status::Corruption("bad time");
  if (f[5].empty()) return Status::Corruption("empty key id");
  c->key_id = std::string(f[5]);
  if (!Base64Decode(f[6], &c->signature).ok()) {
    return Status::Corruption("bad signature encoding");
  }
  return Status::OK();
}

}  // namespace

std::string CheckpointSigningMessage(const Checkpoint& c) {
  return "samplan-checkpoint-v1\nplan:" + c.plan_id +
         "\nseq:" + std::to_string(c.seq) + "\nhead:" + ChainToHex(c.head) +
         "\ntime_ms:" + std::to_string(c.time_ms) + "\n";
}

std::string CheckpointLine(const Checkpoint& c) {
  return "v1 " + c.plan_id + " " + std::to_string(c.seq) + " " +
         ChainToHex(c.head) + " " + std::to_string(c.time_ms) + " " +
         c.key_id + " " + Base64Encode(c.signature);
}

Status CheckpointLog::Open(const std::string& path,
                           std::unique_ptr<CheckpointLog>* out) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FailedPrecondition(Errno("opening " + path));
  // Cut a torn last line (a crash mid-append) back to the last newline, so
  // that the next line starts cleanly and the file stays parseable.
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const Status s = Status::FailedPrecondition(Errno("stat " + path));
    ::close(fd);
    return s;
  }
  off_t end = st.st_size;
  char buf[4096];
  while (end > 0) {
    const off_t start = end > static_cast<off_t>(sizeof(buf))
                            ? end - static_cast<off_t>(sizeof(buf))
                            : 0;
    const ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - start), start);
    if (n != end - start) {
      const Status s = Status::FailedPrecondition(Errno("reading " + path));
      ::close(fd);
      return s;
    }
    const void* nl = memrchr(buf, '\n', static_cast<size_t>(n));
    if (nl != nullptr) {
      end = start + (static_cast<const char*>(nl) - buf) + 1;
      break;
    }
    end = start;
  }
  if (end != st.st_size) {
    if (::ftruncate(fd, end) != 0 || ::fdatasync(fd) != 0) {
      const Status s = Status::FailedPrecondition(Errno("truncating " + path));
      ::close(fd);
      return s;
    }
  }
  if (::lseek(fd, 0, SEEK_END) < 0) {
    const Status s = Status::FailedPrecondition(Errno("seeking " + path));
    ::close(fd);
    return s;
  }
  out->reset(new CheckpointLog(path, fd));
  return Status::OK();
}

CheckpointLog::~CheckpointLog() { ::close(fd_); }

Status CheckpointLog::Append(const Checkpoint& c) {
  const std::string line = CheckpointLine(c) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FailedPrecondition(Errno("appending to " + path_));
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    return Status::FailedPrecondition(Errno("syncing " + path_));
  }
  return Status::OK();
}

Status ReadCheckpoints(const std::string& path, std::vector<Checkpoint>* out,
                       bool* torn_last_line) {
  out->clear();
  if (torn_last_line != nullptr) *torn_last_line = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::FailedPrecondition(Errno("opening " + path));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const Status s = Status::FailedPrecondition(Errno("reading " + path));
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  std::string_view rest = text;
  size_t line_no = 0;
  while (!rest.empty()) {
    ++line_no;
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      // Written without its newline: the server died mid-append.
      if (torn_last_line != nullptr) *torn_last_line = true;
      break;
    }
    const std::string_view line = rest.substr(0, nl);
    rest = rest.substr(nl + 1);
    if (line.empty()) continue;
    Checkpoint c;
    if (Status s = ParseLine(line, &c); !s.ok()) {
      return Status::Corruption(path + " line " + std::to_string(line_no) +
                                ": " + s.message());
    }
    c.line = line_no;
    out->push_back(std::move(c));
  }
  return Status::OK();
}

Status VerifyAgainstCheckpoints(PlanStore* store,
                                const std::vector<Checkpoint>& checkpoints,
                                const std::vector<PublicKeyInfo>& keys,
                                std::vector<std::string>* problems) {
  problems->clear();
  std::vector<StoredOp> page;
  for (const Checkpoint& c : checkpoints) {
    const std::string where = "checkpoint line " + std::to_string(c.line) +
                              " (" + IsoTime(c.time_ms) + ")";
    const PublicKeyInfo* key = FindKey(keys, c.key_id);
    if (key == nullptr) {
      problems->push_back(where + ": signed with unknown key " + c.key_id +
                          " (forged or from another server)");
      continue;
    }
    if (!VerifyEd25519(key->public_key, CheckpointSigningMessage(c),
                       c.signature)) {
      problems->push_back(where + ": signature does not verify with key " +
                          c.key_id + " (forged or altered)");
      continue;
    }
    PlanInfo info;
    Status s = store->GetPlanInfo(c.plan_id, &info);
    if (s.code() == Status::Code::kNotFound) {
      problems->push_back(where + ": plan '" + c.plan_id +
                          "' does not exist (deleted or renamed)");
      continue;
    }
    if (!s.ok()) return s;
    const std::string plan = "plan " + c.plan_id;
    if (info.last_seq < c.seq) {
      problems->push_back(plan + ": the log ends at seq " +
                          std::to_string(info.last_seq) + " but " + where +
                          " signed seq " + std::to_string(c.seq) +
                          ": operations were cut off or the plan record "
                          "rewound");
      continue;
    }
    ChainHash chain{};
    if (c.seq > 0) {
      s = store->ReadRange(c.plan_id, c.seq, 1, &page);
      if (!s.ok() || page.size() != 1 || page[0].seq != c.seq) {
        problems->push_back(plan + ": op " + std::to_string(c.seq) +
                            " signed by " + where + " cannot be read: " +
                            (s.ok() ? std::string("missing") : s.ToString()));
        continue;
      }
      chain = page[0].chain;
    }
    if (chain != c.head) {
      problems->push_back(plan + ": chain at seq " + std::to_string(c.seq) +
                          " is " + ChainToHex(chain) + " but " + where +
                          " signed " + ChainToHex(c.head) +
                          ": history rewritten");
    }
  }
  return Status::OK();
}

}  // namespace samplan
