// History JSON: points, queries from WebSocket JSON and HTTP parameters,
// entries as JSON and CSV, blame.
#include "protocol/history_json.h"

#include <gtest/gtest.h>

#include "crdt/history.h"
#include "crdt/replica.h"

namespace samplan::protocol {
namespace {

HistoryPoint Point(std::string_view text) {
  HistoryPoint p;
  Status s = ParseHistoryPoint(text, &p);
  EXPECT_TRUE(s.ok()) << text << ": " << s.ToString();
  return p;
}

TEST(HistoryPointTest, ParsesEveryForm) {
  EXPECT_EQ(Point("head").kind, HistoryPoint::kHead);
  HistoryPoint p = Point("812");
  EXPECT_EQ(p.kind, HistoryPoint::kSeq);
  EXPECT_EQ(p.seq, 812u);
  EXPECT_EQ(Point("seq:812"), p);
  EXPECT_EQ(Point("0").seq, 0u);
  p = Point("time:1764090000000");
  EXPECT_EQ(p.kind, HistoryPoint::kTime);
  EXPECT_EQ(p.time_ms, 1764090000000);
  p = Point("2026-06-21T10:00:00Z");
  EXPECT_EQ(p.kind, HistoryPoint::kTime);
  EXPECT_EQ(p.time_ms, 1782036000000);
  EXPECT_EQ(Point("2026-06-21T10:00:00.123Z").time_ms, 1782036000123);
  EXPECT_EQ(Point("2026-06-21T10:00:00.5Z").time_ms, 1782036000500);
  EXPECT_EQ(Point("2026-06-21").time_ms, 1782000000000);
  EXPECT_EQ(Point("2024-02-29T23:59:59Z").time_ms, 1709251199000);
  p = Point("version:Vedtatt 2026");
  EXPECT_EQ(p.kind, HistoryPoint::kVersion);
  EXPECT_EQ(p.version, "Vedtatt 2026");
  EXPECT_EQ(HistoryPointToString(Point("812")), "seq:812");
  EXPECT_EQ(HistoryPointToString(Point("version:v1")), "version:v1");
  EXPECT_EQ(HistoryPointToString(Point("2026-06-21")), "time:1782000000000");
}

TEST(HistoryPointTest, RefusesMalformedPoints) {
  for (const char* bad :
       {"", "tail", "seq:", "seq:-1", "-5", "time:", "time:abc", "version:",
        "2026-02-29", "2025-13-01", "2026-06-21T24:00:00Z",
        "2026-06-21T10:00:00", "2026-06-21T10:00Z", "2026-06-21T10:00:00.Z",
        "2026-06-21T10:00:00+02:00", "99999999999999999999999",
        "2026-6-21"}) {
    HistoryPoint p;
    Status s = ParseHistoryPoint(bad, &p);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST(HistoryPointTest, FormatsUtc) {
  EXPECT_EQ(FormatUtc(1782036000123), "2026-06-21T10:00:00.123Z");
  EXPECT_EQ(FormatUtc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtc(-1000), "1969-12-31T23:59:59.000Z");
  int64_t t;
  ASSERT_TRUE(ParseUtc(FormatUtc(1764090000042), &t));
  EXPECT_EQ(t, 1764090000042);
}

TEST(HistoryQueryTest, ReadsEveryMember) {
  Json j = Json::parse(R"({
    "query": "changes", "at": "812", "from": "seq:3", "to": "head",
    "node": [7, 42], "subtree": false, "user": "ola", "municipality": "Moss",
    "kinds": ["insert_text", "set_field", "insert_text"],
    "since": "2026-06-21", "until": 900, "limit": 50, "cursor": "812",
    "format": "csv", "lang": "sv", "extra": {"ignored": true}})");
  HistoryQuery q;
  Status s = HistoryQueryFromJson(j, &q);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(q.query, "changes");
  EXPECT_EQ(q.at.seq, 812u);
  EXPECT_EQ(q.from.seq, 3u);
  EXPECT_EQ(q.to.kind, HistoryPoint::kHead);
  EXPECT_EQ(q.node, (OpId{7, 42}));
  EXPECT_FALSE(q.subtree);
  EXPECT_EQ(q.user, "ola");
  EXPECT_EQ(q.municipality, "Moss");
  EXPECT_EQ(q.kinds, (std::vector<OpKind>{OpKind::kInsertText, OpKind::kSetField}));
  EXPECT_EQ(q.since.kind, HistoryPoint::kTime);
  EXPECT_EQ(q.since.time_ms, 1782000000000);
  EXPECT_EQ(q.until.kind, HistoryPoint::kSeq);
  EXPECT_EQ(q.until.seq, 900u);
  EXPECT_EQ(q.limit, 50u);
  EXPECT_EQ(q.before, 812u);
  EXPECT_EQ(q.format, "csv");
  EXPECT_EQ(q.lang, "sv");

  ASSERT_TRUE(HistoryQueryFromJson(Json{{"query", "blame"}}, &q).ok());
  EXPECT_EQ(q.at.kind, HistoryPoint::kHead);
  EXPECT_TRUE(q.node.IsNull());
  EXPECT_TRUE(q.subtree);
  EXPECT_EQ(q.limit, kDefaultHistoryLimit);
  EXPECT_EQ(q.before, 0u);
  EXPECT_TRUE(q.kinds.empty());
  ASSERT_TRUE(HistoryQueryFromJson(
                  Json{{"query", "diff"}, {"format", "markdown"}, {"cursor", nullptr}}, &q)
                  .ok());
  EXPECT_EQ(q.format, "markdown");
}

void ExpectBad(const Json& j, const std::string& member) {
  HistoryQuery q;
  Status s = HistoryQueryFromJson(j, &q);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << j.dump();
  EXPECT_EQ(s.message().rfind(member + ":", 0), 0u) << s.message();
}

TEST(HistoryQueryTest, ErrorsNameTheMember) {
  ExpectBad(Json::array(), "query");
  ExpectBad(Json{{"at", "head"}}, "query");
  ExpectBad(Json{{"query", "everything"}}, "query");
  const Json base = {{"query", "changes"}};
  auto with = [&](const char* key, Json v) {
    Json j = base;
    j[key] = std::move(v);
    return j;
  };
  for (const char* point : {"at", "from", "to", "since", "until"}) {
    ExpectBad(with(point, "yesterday"), point);
    ExpectBad(with(point, true), point);
    ExpectBad(with(point, -3), point);
  }
  ExpectBad(with("node", "7:42"), "node");
  ExpectBad(with("node", Json::array({7})), "node");
  ExpectBad(with("subtree", "false"), "subtree");
  ExpectBad(with("user", 3), "user");
  ExpectBad(with("municipality", Json::array()), "municipality");
  ExpectBad(with("kinds", "insert_text"), "kinds");
  ExpectBad(with("kinds", Json::array({"insert_text", "typing"})), "kinds[1]");
  ExpectBad(with("kinds", Json::array({"insert_text", 5})), "kinds[1]");
  ExpectBad(with("limit", 0), "limit");
  ExpectBad(with("limit", 501), "limit");
  ExpectBad(with("limit", "50"), "limit");
  ExpectBad(with("limit", 2.5), "limit");
  ExpectBad(with("cursor", 812), "cursor");
  ExpectBad(with("cursor", "abc"), "cursor");
  ExpectBad(with("format", "markdown"), "format");
  ExpectBad(Json{{"query", "diff"}, {"format", "csv"}}, "format");
  ExpectBad(Json{{"query", "at"}, {"format", "csv"}}, "format");
  ExpectBad(with("lang", "de"), "lang");
  ExpectBad(with("lang", 1), "lang");
}

TEST(HistoryQueryTest, ReadsHttpParameters) {
  HistoryQuery q;
  Status s = HistoryQueryFromParams(
      {{"node", "7:42"}, {"kinds", "insert_text,,set_field"}, {"subtree", "false"},
       {"limit", "50"}, {"cursor", "812"}, {"since", "2026-06-21"},
       {"until", "time:1782036000000"}, {"user", "ola"}, {"format", "csv"},
       {"query", "diff"}},
      "export", &q);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(q.query, "export");
  EXPECT_EQ(q.node, (OpId{7, 42}));
  EXPECT_EQ(q.kinds, (std::vector<OpKind>{OpKind::kInsertText, OpKind::kSetField}));
  EXPECT_FALSE(q.subtree);
  EXPECT_EQ(q.limit, 50u);
  EXPECT_EQ(q.before, 812u);
  EXPECT_EQ(q.since.time_ms, 1782000000000);
  EXPECT_EQ(q.until.time_ms, 1782036000000);
  EXPECT_EQ(q.user, "ola");
  EXPECT_EQ(q.format, "csv");
  ASSERT_TRUE(HistoryQueryFromParams({{"at", "812"}}, "at", &q).ok());
  EXPECT_EQ(q.at.seq, 812u);

  const std::pair<const char*, const char*> bad[] = {
      {"node", "7-42"}, {"node", "7:"}, {"subtree", "yes"}, {"limit", "abc"},
      {"limit", "0"},   {"kinds", "insert_text,typing"}, {"at", "tomorrow"}};
  for (const auto& [key, value] : bad) {
    s = HistoryQueryFromParams({{key, value}}, "changes", &q);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << key << "=" << value;
    EXPECT_EQ(s.message().rfind(key, 0), 0u) << s.message();
  }
  EXPECT_FALSE(HistoryQueryFromParams({}, "", &q).ok());  // no query
}

PersonName People(std::string_view user) {
  if (user == "ola") return {"Ola Nordmann", false};
  if (user == "per") return {"", true};
  return {};
}

HistoryEntry SampleEntry() {
  HistoryEntry e;
  e.seq = 4;
  e.seq_last = 11;
  e.ops = 8;
  e.time = 1782036000123;
  e.time_last = 1782036007123;
  e.user = "ola";
  e.municipality = "Moss";
  e.kinds = {OpKind::kInsertText, OpKind::kDeleteText};
  e.node = OpId{1, 3};
  e.node_kind = "measure";
  e.number = "2.1";
  e.title = "Sykkelveier";
  e.field = "title";
  e.before = "l";
  e.after = "Sykkellvei";
  e.summary = "title: +10 −1 «Sykkellvei»";
  return e;
}

TEST(HistoryEntryJsonTest, WritesEveryMember) {
  const Json j = HistoryEntryToJson(SampleEntry(), People);
  EXPECT_EQ(j["seq"], 4);
  EXPECT_EQ(j["seq_last"], 11);
  EXPECT_EQ(j["ops"], 8);
  EXPECT_EQ(j["time"], 1782036000123);
  EXPECT_EQ(j["time_last"], 1782036007123);
  EXPECT_EQ(j["user"], "ola");
  EXPECT_EQ(j["name"], "Ola Nordmann");
  EXPECT_EQ(j["erased"], false);
  EXPECT_EQ(j["municipality"], "Moss");
  EXPECT_EQ(j["kinds"], Json::array({"insert_text", "delete_text"}));
  EXPECT_EQ(j["node"], Json::array({1, 3}));
  EXPECT_EQ(j["node_kind"], "measure");
  EXPECT_EQ(j["number"], "2.1");
  EXPECT_EQ(j["title"], "Sykkelveier");
  EXPECT_EQ(j["node_deleted"], false);
  EXPECT_EQ(j["field"], "title");
  EXPECT_EQ(j["before"], "l");
  EXPECT_EQ(j["after"], "Sykkellvei");
  EXPECT_EQ(j["summary"], "title: +10 −1 «Sykkellvei»");
  EXPECT_EQ(j.size(), 19u);

  HistoryEntry erased = SampleEntry();
  erased.user = "per";
  Json e = HistoryEntryToJson(erased, People);
  EXPECT_TRUE(e["name"].is_null());
  EXPECT_EQ(e["erased"], true);
  erased.user = "stranger";
  e = HistoryEntryToJson(erased, People);
  EXPECT_TRUE(e["name"].is_null());
  EXPECT_EQ(e["erased"], false);
  EXPECT_TRUE(HistoryEntryToJson(erased, nullptr)["name"].is_null());
  EXPECT_EQ(HistoryCursorToJson(0), Json(nullptr));
  EXPECT_EQ(HistoryCursorToJson(812), Json("812"));
}

TEST(HistoryCsvTest, Rfc4180WithBomAndFormulaGuard) {
  HistoryEntry a = SampleEntry();
  HistoryEntry b = SampleEntry();
  b.user = "per";
  b.kinds = {OpKind::kSetField};
  b.field = "status";
  b.before = "=HYPERLINK(\"http://x\")";
  b.after = "+47 99 99 99 99";
  b.title = "Tiltak, \"nytt\"\nlinje 2";
  b.number = "-1";
  b.summary = "@SUM(A1)";
  HistoryEntry c = SampleEntry();
  c.before = "\tTAB";
  c.after = "\rCR";
  c.summary = "ok";
  const std::string csv = HistoryEntriesToCsv({a, b, c}, People);
  const std::string expected =
      "\xEF\xBB\xBF"
      "seq,seq_last,time_utc,user,name,municipality,kinds,number,title,field,"
      "before,after,summary\r\n"
      "4,11,2026-06-21T10:00:00.123Z,ola,Ola Nordmann,Moss,insert_text "
      "delete_text,2.1,Sykkelveier,title,l,Sykkellvei,title: +10 −1 "
      "«Sykkellvei»\r\n"
      "4,11,2026-06-21T10:00:00.123Z,per,,Moss,set_field,'-1,"
      "\"Tiltak, \"\"nytt\"\"\nlinje 2\",status,"
      "\"'=HYPERLINK(\"\"http://x\"\")\",'+47 99 99 99 99,'@SUM(A1)\r\n"
      "4,11,2026-06-21T10:00:00.123Z,ola,Ola Nordmann,Moss,insert_text "
      "delete_text,2.1,Sykkelveier,title,'\tTAB,\"'\rCR\",ok\r\n";
  EXPECT_EQ(csv, expected);
  EXPECT_EQ(HistoryEntriesToCsv({}, People),
            "\xEF\xBB\xBF"
            "seq,seq_last,time_utc,user,name,municipality,kinds,number,title,"
            "field,before,after,summary\r\n");
}

TEST(BlameJsonTest, WritesNodesTextsFieldsAndCells) {
  Replica ola(1);
  ola.SetAuthor(Author{"ola", "Moss", 1782036000000});
  const OpId ind = *ola.CreateNode(kRootNode, 0, "indicator");
  ASSERT_TRUE(ola.InsertText(ind, "title", 0, "Sykkel").ok());
  ASSERT_TRUE(ola.SetField(ind, "unit", FieldValue::String("km")).ok());
  const OpId row = *ola.InsertTableLine(ind, "values", TableAxis::kRow, 0);
  const OpId col = *ola.InsertTableLine(ind, "values", TableAxis::kColumn, 0);
  ASSERT_TRUE(ola.SetCell(ind, "values", kNullId, col, FieldValue::String("2024")).ok());
  ASSERT_TRUE(ola.SetCell(ind, "values", row, col, FieldValue::Int(3)).ok());
  PlanHistory h;
  for (const Op& op : ola.log()) ASSERT_TRUE(h.Append(op).ok());
  std::vector<NodeBlame> blame;
  ASSERT_TRUE(Blame(h, h.last_seq(), kNullId, &blame).ok());
  const Json j = BlameToJson(blame, People);
  ASSERT_EQ(j["nodes"].size(), 2u);
  const Json& root = j["nodes"][0];
  EXPECT_EQ(root["node"], Json::array({0, 1}));
  EXPECT_TRUE(root["last"].is_null());
  const Json& n = j["nodes"][1];
  EXPECT_EQ(n["node"], Json::array({1, 1}));
  EXPECT_EQ(n["number"], "1");
  EXPECT_EQ(n["title"], "Sykkel");
  EXPECT_EQ(n["kind"], "indicator");
  EXPECT_EQ(n["last"]["user"], "ola");
  EXPECT_EQ(n["last"]["seq"], 7);
  const Json& span = n["texts"]["title"][0];
  EXPECT_EQ(span["start"], 0);
  EXPECT_EQ(span["length"], 6);
  EXPECT_EQ(span["user"], "ola");
  EXPECT_EQ(span["name"], "Ola Nordmann");
  EXPECT_EQ(span["erased"], false);
  EXPECT_EQ(span["municipality"], "Moss");
  EXPECT_EQ(span["time"], 1782036000000);
  EXPECT_EQ(span["seq"], 2);
  EXPECT_EQ(n["fields"]["unit"]["seq"], 3);
  EXPECT_EQ(n["fields"]["unit"]["user"], "ola");
  ASSERT_EQ(n["cells"].size(), 2u);
  EXPECT_EQ(n["cells"][0]["table"], "values");
  EXPECT_TRUE(n["cells"][0]["row"].is_null());
  EXPECT_EQ(n["cells"][0]["column"], OpIdToJson(col));
  EXPECT_EQ(n["cells"][1]["row"], OpIdToJson(row));
  EXPECT_EQ(n["cells"][1]["seq"], 7);
}

}  // namespace
}  // namespace samplan::protocol
