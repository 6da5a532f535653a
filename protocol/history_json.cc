#include "protocol/history_json.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace samplan::protocol {
namespace {

Status Bad(std::string_view member, std::string_view what) {
  std::string msg(member);
  msg += ": ";
  msg += what;
  return Status::InvalidArgument(msg);
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

bool ParseUnsigned(std::string_view s, uint64_t* out) {
  if (!AllDigits(s) || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool ParseSigned(std::string_view s, int64_t* out) {
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  uint64_t v;
  if (!ParseUnsigned(s, &v)) return false;
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return false;
  }
  *out = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Fixed-width digits at s[pos, pos + n).
bool Digits(std::string_view s, size_t pos, size_t n, unsigned* out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t k = pos; k < pos + n; ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[k] - '0');
  }
  *out = v;
  return true;
}

constexpr const char* kPointForms =
    "expected head, a seq (812 or seq:812), time:MS, an ISO 8601 UTC time "
    "(2026-06-21T10:00:00Z or 2026-06-21) or version:NAME";

Status PointMember(const Json& j, const char* key, HistoryPoint* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::OK();
  if (it->is_number_unsigned() ||
      (it->is_number_integer() && it->get<int64_t>() >= 0)) {
    out->kind = HistoryPoint::kSeq;
    out->seq = it->get<uint64_t>();
    out->time_ms = 0;
    out->version.clear();
    return Status::OK();
  }
  if (!it->is_string()) return Bad(key, kPointForms);
  Status s = ParseHistoryPoint(it->get<std::string>(), out);
  if (!s.ok()) return Bad(key, s.message());
  return Status::OK();
}

Status StringMember(const Json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::OK();
  if (!it->is_string()) return Bad(key, "expected a string");
  *out = it->get<std::string>();
  if (out->size() > 256) return Bad(key, "longer than 256 bytes");
  return Status::OK();
}

bool OneOf(const std::string& v, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (v == o) return true;
  }
  return false;
}

Json NameJson(const PersonName& p) {
  if (p.erased || p.name.empty()) return nullptr;
  return p.name;
}

// {"user", "name", "erased", "municipality", "time"} merged into `j`.
void PutAuthor(const Author& a, const PeopleView& people, Json* j) {
  const PersonName p = people ? people(a.user) : PersonName{};
  (*j)["user"] = a.user;
  (*j)["name"] = NameJson(p);
  (*j)["erased"] = p.erased;
  (*j)["municipality"] = a.municipality;
  (*j)["time"] = a.wall_time_ms;
}

Json IdOrNull(OpId id) { return id.IsNull() ? Json(nullptr) : OpIdToJson(id); }

void CsvCell(std::string_view v, std::string* out) {
  std::string cell;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' ||
                     v[0] == '@' || v[0] == '\t' || v[0] == '\r')) {
    cell.push_back('\'');
  }
  cell.append(v);
  if (cell.find_first_of(",\"\r\n") == std::string::npos) {
    out->append(cell);
    return;
  }
  out->push_back('"');
  for (char c : cell) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

std::string FormatUtc(int64_t time_ms) {
  int64_t days = time_ms / 86400000;
  int64_t rest = time_ms % 86400000;
  if (rest < 0) {
    rest += 86400000;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  const int64_t ms = rest % 1000;
  const int64_t secs = rest / 1000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d,
                static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), static_cast<long long>(ms));
  return buf;
}

bool ParseUtc(std::string_view s, int64_t* time_ms) {
  unsigned year, month, day;
  if (!Digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' ||
      !Digits(s, 5, 2, &month) || s[7] != '-' || !Digits(s, 8, 2, &day)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return false;
  }
  int64_t ms = DaysFromCivil(year, month, day) * 86400000;
  if (s.size() == 10) {
    *time_ms = ms;
    return true;
  }
  unsigned hour, minute, second;
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) ||
      s[16] != ':' || !Digits(s, 17, 2, &second)) {
    return false;
  }
  if (hour > 23 || minute > 59 || second > 59) return false;
  ms += (hour * 3600 + minute * 60 + second) * int64_t{1000};
  size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    int64_t frac = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac = frac * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return false;
    for (size_t k = digits; k < 3; ++k) frac *= 10;
    ms += frac;
  }
  if (pos + 1 != s.size() || (s[pos] != 'Z' && s[pos] != 'z')) return false;
  *time_ms = ms;
  return true;
}

Status ParseHistoryPoint(std::string_view text, HistoryPoint* out) {
  HistoryPoint p;
  if (text == "head") {
    *out = p;
    return Status::OK();
  }
  std::string_view digits = text;
  if (digits.substr(0, 4) == "seq:") digits.remove_prefix(4);
  if (AllDigits(digits)) {
    if (!ParseUnsigned(digits, &p.seq) || p.seq > kMaxWireInteger) {
      return Status::InvalidArgument("seq out of range");
    }
    p.kind = HistoryPoint::kSeq;
    *out = p;
    return Status::OK();
  }
  if (text.substr(0, 5) == "time:") {
    if (!ParseSigned(text.substr(5), &p.time_ms)) {
      return Status::InvalidArgument(
          "expected time:MS, milliseconds since 1970 UTC");
    }
    p.kind = HistoryPoint::kTime;
    *out = p;
    return Status::OK();
  }
  if (text.substr(0, 8) == "version:") {
    p.version = std::string(text.substr(8));
    if (p.version.empty()) return Status::InvalidArgument("empty version name");
    p.kind = HistoryPoint::kVersion;
    *out = p;
    return Status::OK();
  }
  if (text.size() >= 10 && ParseUtc(text, &p.time_ms)) {
    p.kind = HistoryPoint::kTime;
    *out = p;
    return Status::OK();
  }
  return Status::InvalidArgument(kPointForms);
}

std::string HistoryPointToString(const HistoryPoint& p) {
  switch (p.kind) {
    case HistoryPoint::kHead:
      return "head";
    case HistoryPoint::kSeq:
      return "seq:" + std::to_string(p.seq);
    case HistoryPoint::kTime:
      return "time:" + std::to_string(p.time_ms);
    case HistoryPoint::kVersion:
      return "version:" + p.version;
  }
  return "head";
}

Status HistoryQueryFromJson(const Json& j, HistoryQuery* out) {
  if (!j.is_object()) return Bad("query", "expected an object");
  HistoryQuery q;
  auto name = j.find("query");
  if (name == j.end() || !name->is_string() ||
      !OneOf(name->get<std::string>(),
             {"changes", "at", "diff", "blame", "versions", "export"})) {
    return Bad("query",
               "expected changes, at, diff, blame, versions or export");
  }
  q.query = name->get<std::string>();
  const std::pair<const char*, HistoryPoint*> points[] = {
      {"at", &q.at},
      {"from", &q.from},
      {"to", &q.to},
      {"since", &q.since},
      {"until", &q.until}};
  for (const auto& [key, point] : points) {
    SAMPLAN_RETURN_IF_ERROR(PointMember(j, key, point));
  }
  if (auto n = j.find("node"); n != j.end() && !n->is_null()) {
    SAMPLAN_RETURN_IF_ERROR(OpIdFromJson(*n, "node", &q.node));
  }
  if (auto s = j.find("subtree"); s != j.end() && !s->is_null()) {
    if (!s->is_boolean()) return Bad("subtree", "expected true or false");
    q.subtree = s->get<bool>();
  }
  SAMPLAN_RETURN_IF_ERROR(StringMember(j, "user", &q.user));
  SAMPLAN_RETURN_IF_ERROR(StringMember(j, "municipality", &q.municipality));
  if (auto k = j.find("kinds"); k != j.end() && !k->is_null()) {
    if (!k->is_array()) return Bad("kinds", "expected an array of op kinds");
    if (k->size() > 2 * kMaxOpKind) return Bad("kinds", "too many kinds");
    for (size_t i = 0; i < k->size(); ++i) {
      const Json& e = (*k)[i];
      const std::string path = "kinds[" + std::to_string(i) + "]";
      OpKind kind;
      if (!e.is_string()) return Bad(path, "expected an op kind name");
      if (!ParseOpKind(e.get<std::string>(), &kind)) {
        return Bad(path, "unknown op kind '" + e.get<std::string>() + "'");
      }
      if (std::find(q.kinds.begin(), q.kinds.end(), kind) == q.kinds.end()) {
        q.kinds.push_back(kind);
      }
    }
  }
  if (auto l = j.find("limit"); l != j.end() && !l->is_null()) {
    const bool integer = l->is_number_unsigned() || l->is_number_integer();
    const int64_t v = integer ? l->get<int64_t>() : 0;
    if (!integer || v < 1 || v > static_cast<int64_t>(kMaxHistoryLimit)) {
      return Bad("limit", "expected an integer from 1 to " +
                              std::to_string(kMaxHistoryLimit));
    }
    q.limit = static_cast<size_t>(v);
  }
  if (auto c = j.find("cursor"); c != j.end() && !c->is_null()) {
    if (!c->is_string() || !ParseUnsigned(c->get<std::string>(), &q.before)) {
      return Bad("cursor", "expected the \"next\" string of a previous page");
    }
  }
  SAMPLAN_RETURN_IF_ERROR(StringMember(j, "format", &q.format));
  if (!q.format.empty()) {
    bool ok;
    const char* expected;
    if (q.query == "diff") {
      ok = OneOf(q.format, {"json", "markdown"});
      expected = "expected json or markdown";
    } else if (q.query == "export" || q.query == "changes") {
      ok = OneOf(q.format, {"json", "csv"});
      expected = "expected csv or json";
    } else {
      ok = q.format == "json";
      expected = "expected json";
    }
    if (!ok) return Bad("format", expected);
  }
  SAMPLAN_RETURN_IF_ERROR(StringMember(j, "lang", &q.lang));
  if (!q.lang.empty() && !OneOf(q.lang, {"nb", "sv", "en"})) {
    return Bad("lang", "expected nb, sv or en");
  }
  *out = std::move(q);
  return Status::OK();
}

Status HistoryQueryFromParams(const std::map<std::string, std::string>& params,
                              std::string_view query, HistoryQuery* out) {
  Json j = Json::object();
  for (const auto& [key, value] : params) {
    if (key == "node") {
      const size_t colon = value.find(':');
      uint64_t r, c;
      if (colon == std::string::npos ||
          !ParseUnsigned(std::string_view(value).substr(0, colon), &r) ||
          !ParseUnsigned(std::string_view(value).substr(colon + 1), &c)) {
        return Bad("node", "expected R:C, e.g. 7:42");
      }
      j["node"] = Json::array({r, c});
    } else if (key == "kinds") {
      Json kinds = Json::array();
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        if (end > start) kinds.push_back(value.substr(start, end - start));
        start = end + 1;
      }
      j["kinds"] = std::move(kinds);
    } else if (key == "subtree") {
      if (value != "true" && value != "false") {
        return Bad("subtree", "expected true or false");
      }
      j["subtree"] = value == "true";
    } else if (key == "limit") {
      uint64_t v;
      if (!ParseUnsigned(value, &v) || v > kMaxWireInteger) {
        return Bad("limit", "expected an integer from 1 to " +
                                std::to_string(kMaxHistoryLimit));
      }
      j["limit"] = v;
    } else {
      j[key] = value;
    }
  }
  if (!query.empty()) j["query"] = std::string(query);
  return HistoryQueryFromJson(j, out);
}

Json HistoryCursorToJson(uint64_t before) {
  if (before == 0) return nullptr;
  return std::to_string(before);
}

Json HistoryEntryToJson(const HistoryEntry& e, const PeopleView& people) {
  const PersonName p = people ? people(e.user) : PersonName{};
  Json kinds = Json::array();
  for (OpKind k : e.kinds) kinds.push_back(OpKindName(k));
  Json j = Json::object();
  j["seq"] = e.seq;
  j["seq_last"] = e.seq_last;
  j["ops"] = e.ops;
  j["time"] = e.time;
  j["time_last"] = e.time_last;
  j["user"] = e.user;
  j["name"] = NameJson(p);
  j["erased"] = p.erased;
  j["municipality"] = e.municipality;
  j["kinds"] = std::move(kinds);
  j["node"] = IdOrNull(e.node);
  j["node_kind"] = e.node_kind;
  j["number"] = e.number;
  j["title"] = e.title;
  j["node_deleted"] = e.node_deleted;
  j["field"] = e.field;
  j["before"] = e.before;
  j["after"] = e.after;
  j["summary"] = e.summary;
  return j;
}

std::string HistoryEntriesToCsv(const std::vector<HistoryEntry>& entries,
                                const PeopleView& people) {
  std::string out = "\xEF\xBB\xBF";
  out +=
      "seq,seq_last,time_utc,user,name,municipality,kinds,number,title,field,"
      "before,after,summary\r\n";
  for (const HistoryEntry& e : entries) {
    const PersonName p = people ? people(e.user) : PersonName{};
    std::string kinds;
    for (OpKind k : e.kinds) {
      if (!kinds.empty()) kinds.push_back(' ');
      kinds += OpKindName(k);
    }
    const std::string cells[] = {std::to_string(e.seq),
                                 std::to_string(e.seq_last),
                                 FormatUtc(e.time),
                                 e.user,
                                 p.erased ? std::string() : p.name,
                                 e.municipality,
                                 kinds,
                                 e.number,
                                 e.title,
                                 e.field,
                                 e.before,
                                 e.after,
                                 e.summary};
    bool first = true;
    for (const std::string& c : cells) {
      if (!first) out.push_back(',');
      first = false;
      CsvCell(c, &out);
    }
    out += "\r\n";
  }
  return out;
}

Json BlameToJson(const std::vector<NodeBlame>& nodes, const PeopleView& people) {
  Json list = Json::array();
  for (const NodeBlame& b : nodes) {
    Json n = Json::object();
    n["node"] = OpIdToJson(b.node);
    n["number"] = b.number;
    n["title"] = b.title;
    n["kind"] = b.kind;
    if (b.last_seq == 0) {
      n["last"] = nullptr;
    } else {
      Json last = Json::object();
      PutAuthor(b.last_author, people, &last);
      last["seq"] = b.last_seq;
      n["last"] = std::move(last);
    }
    Json texts = Json::object();
    for (const auto& [name, spans] : b.texts) {
      Json list_spans = Json::array();
      for (const BlameSpan& s : spans) {
        Json span = Json::object();
        span["start"] = s.start;
        span["length"] = s.length;
        PutAuthor(s.author, people, &span);
        span["seq"] = s.seq;
        list_spans.push_back(std::move(span));
      }
      texts[name] = std::move(list_spans);
    }
    n["texts"] = std::move(texts);
    Json fields = Json::object();
    for (const ValueBlame& v : b.fields) {
      Json f = Json::object();
      PutAuthor(v.author, people, &f);
      f["seq"] = v.seq;
      fields[v.name] = std::move(f);
    }
    n["fields"] = std::move(fields);
    Json cells = Json::array();
    for (const ValueBlame& v : b.cells) {
      Json c = Json::object();
      c["table"] = v.name;
      c["row"] = IdOrNull(v.row);
      c["column"] = IdOrNull(v.column);
      PutAuthor(v.author, people, &c);
      c["seq"] = v.seq;
      cells.push_back(std::move(c));
    }
    n["cells"] = std::move(cells);
    list.push_back(std::move(n));
  }
  return Json{{"nodes", std::move(list)}};
}

}  // namespace samplan::protocol
