#include "server/http_util.h"

#include <nlohmann/json.hpp>

#include "protocol/json_codec.h"
#include "protocol/messages.h"

namespace samplan {

namespace http = boost::beast::http;
using Json = nlohmann::json;

RequestMeta MetaOf(const HttpRequest& req) {
  return RequestMeta{req.version(), req.keep_alive()};
}

HttpResponse Make(const RequestMeta& req, http::status status,
                  std::string body, const char* type) {
  HttpResponse res{status, req.version};
  res.set(http::field::server, "samplan");
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse Error(const RequestMeta& req, http::status status,
                   std::string_view code, std::string_view message) {
  Json j = {{"error", {{"code", code}, {"message", message}}}};
  return Make(req, status, protocol::Dump(j));
}

// See http_util.h.
size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// `s` cut to at most `max` code points.
std::string CutCodePoints(const std::string& s, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && n++ == max) {
      return s.substr(0, i);
    }
  }
  return s;
}

// The value of `key` in the query of `target` ("" when absent).
std::string QueryParam(std::string_view target, std::string_view key) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? ""
                                          : std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

// `s` with %XX escapes decoded ("+" stays "+"); nullopt for a bad escape.
std::optional<std::string> PercentDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace samplan
