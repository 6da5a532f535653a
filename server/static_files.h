// StaticFiles: the browser app's files (web-client/app/ and the wasm core),
// served read-only over GET and HEAD.
//
// Only paths made of [A-Za-z0-9._/-] with no "." or ".." segment and no
// hidden files are served, from under the web root, or as /core/NAME the
// .mjs and .wasm files directly in the core's build folder; everything else
// is 404. Every response carries the content type
// for its extension, `Cache-Control: no-cache` with an ETag (the browser
// revalidates, a 304 costs no body), and the security headers of
// SecurityHeaders(): a Content-Security-Policy that allows scripts from
// this origin only (no inline script, no eval; WebAssembly compilation is
// allowed), no framing, no MIME sniffing, no referrer.
//
// Thread-safety: immutable after construction; Read does blocking file I/O
// (run it on the blocking pool).
#ifndef SAMPLAN_SERVER_STATIC_FILES_H_
#define SAMPLAN_SERVER_STATIC_FILES_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace samplan {

struct StaticFile {
  std::string content_type;
  std::string etag;  // quoted, e.g. "\"5123-1764090000123\""
  // The request's If-None-Match was this etag: `body` is empty (not read).
  bool not_modified = false;
  std::string body;
};

class StaticFiles {
 public:
  // `web_root`: folder served at /; `core_dir`: the folder whose .mjs and
  // .wasm files are served at /core/ (build-wasm/). Either may be empty
  // (nothing served there).
  StaticFiles(std::string web_root, std::string core_dir);

  bool enabled() const { return !web_root_.empty(); }

  // The file for a request path ("/" is index.html), or nullopt (404).
  // With the etag the client has (If-None-Match) and the file unchanged,
  // only its type and etag, marked not_modified.
  std::optional<StaticFile> Read(std::string_view path,
                                 std::string_view if_none_match = {}) const;

  // Content type for a file name by its extension.
  static std::string ContentTypeFor(std::string_view name);
  // Header name/value pairs every page and asset is sent with.
  static const std::vector<std::pair<std::string, std::string>>&
  SecurityHeaders();
  // False for paths that could leave the root or name hidden files.
  static bool SafePath(std::string_view path);

 private:
  std::string web_root_;
  std::string core_dir_;
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_STATIC_FILES_H_
