#include "server/static_files.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace samplan {
namespace {

constexpr std::string_view kCorePrefix = "/core/";
// Larger files are not part of the app; refuse rather than load them.
constexpr off_t kMaxFileBytes = 64 << 20;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<StaticFile> ReadFile(const std::string& file,
                                   std::string_view if_none_match) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size > kMaxFileBytes) {
    return std::nullopt;
  }
  StaticFile out;
  out.content_type = StaticFiles::ContentTypeFor(file);
  // Size and modification time: changes whenever the file is rebuilt.
  out.etag = "\"" + std::to_string(st.st_size) + "-" +
             std::to_string(static_cast<long long>(st.st_mtim.tv_sec) *
                                1000000000LL +
                            st.st_mtim.tv_nsec) +
             "\"";
  // A revalidation that matches needs no body: not read at all.
  out.not_modified = !if_none_match.empty() && if_none_match == out.etag;
  if (out.not_modified) return out;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream body;
  body << in.rdbuf();
  out.body = std::move(body).str();
  return out;
}

}  // namespace

StaticFiles::StaticFiles(std::string web_root, std::string core_dir)
    : web_root_(std::move(web_root)), core_dir_(std::move(core_dir)) {
  while (web_root_.size() > 1 && web_root_.back() == '/') web_root_.pop_back();
  while (core_dir_.size() > 1 && core_dir_.back() == '/') core_dir_.pop_back();
}

bool StaticFiles::SafePath(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.size() > 512) return false;
  for (char c : path) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '-' || c == '/';
    if (!ok) return false;
  }
  // No empty, hidden, "." or ".." segment ("//", "/.git", "/../").
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg.empty() ? end != path.size() : seg.front() == '.') return false;
    start = end + 1;
  }
  return true;
}

std::optional<StaticFile> StaticFiles::Read(
    std::string_view path, std::string_view if_none_match) const {
  if (path.starts_with(kCorePrefix)) {
    // The core's build: its ES modules and wasm, no other file (the build
    // folder also holds objects and archives), no subfolder.
    const std::string_view name = path.substr(kCorePrefix.size());
    if (core_dir_.empty() || name.find('/') != std::string_view::npos ||
        !SafePath(path) || !(EndsWith(name, ".mjs") || EndsWith(name, ".wasm"))) {
      return std::nullopt;
    }
    return ReadFile(core_dir_ + "/" + std::string(name), if_none_match);
  }
  if (web_root_.empty() || !SafePath(path)) return std::nullopt;
  std::string file = web_root_ + std::string(path);
  if (file.back() == '/') file += "index.html";
  return ReadFile(file, if_none_match);
}

std::string StaticFiles::ContentTypeFor(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (EndsWith(name, ext)) return std::string(type);
  }
  return "application/octet-stream";
}

const std::vector<std::pair<std::string, std::string>>&
StaticFiles::SecurityHeaders() {
  // 'wasm-unsafe-eval' lets the page compile the core's WebAssembly; it does
  // not allow eval() or inline script. connect-src 'self' covers the same
  // origin's WebSocket (and the core's .wasm).
  static const std::vector<std::pair<std::string, std::string>> kHeaders = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
       "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  };
  return kHeaders;
}

}  // namespace samplan
