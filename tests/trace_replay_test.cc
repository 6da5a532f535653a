// Real editing traces replayed through the core end in exactly their
// endContent: locally, after a remote merge and after a snapshot round
// trip; the `samplan replay` command reports the same; malformed traces
// give clear errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/replay.h"
#include "cli/trace.h"

namespace samplan {
namespace {

namespace fs = std::filesystem;

const std::string kTraceDir = std::string(SAMPLAN_SHARED_DIR) + "/traces";

std::vector<std::string> TracePaths(const std::string& kind) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kTraceDir + "/" + kind, ec)) {
    const std::string p = entry.path().string();
    if (p.ends_with(".json.gz")) paths.push_back(p);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string TestName(const testing::TestParamInfo<std::string>& info) {
  std::string name = TraceName(info.param);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

void WriteGzFile(const std::string& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, data.data(), static_cast<unsigned>(data.size())),
            static_cast<int>(data.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

std::string TempPath(const std::string& name) {
  return (fs::temp_directory_path() /
          ("samplan_trace_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

// Runs `command` with a shell, capturing stdout (stderr to `err_path`).
CommandResult RunCommand(const std::string& command,
                         const std::string& err_path) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>" + err_path).c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) {
    result.out.append(buf, n);
  }
  const int status = ::pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// ---- Every shared trace replays to its endContent. ----

class TraceReplayTest : public testing::TestWithParam<std::string> {};

TEST_P(TraceReplayTest, EndsInEndContent) {
  Trace trace;
  ASSERT_TRUE(LoadTrace(GetParam(), &trace).ok());
  ASSERT_FALSE(trace.txns.empty());

  Result<ReplayReport> report = ReplayTrace(trace);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->local_ok) << report->mismatch;
  EXPECT_TRUE(report->remote_ok) << report->mismatch;
  EXPECT_TRUE(report->decoded_ok) << report->mismatch;
  EXPECT_TRUE(report->final_text == trace.end_content)
      << DescribeMismatch(report->final_text, trace.end_content);
  EXPECT_EQ(report->patches, trace.patches.size());
  EXPECT_GT(report->snapshot_bytes, 0u);
  RecordProperty("forks", static_cast<int>(report->forks));
}

INSTANTIATE_TEST_SUITE_P(Sequential, TraceReplayTest,
                         testing::ValuesIn(TracePaths("sequential")), TestName);
INSTANTIATE_TEST_SUITE_P(Concurrent, TraceReplayTest,
                         testing::ValuesIn(TracePaths("concurrent")), TestName);

TEST(TraceReplayFilesTest, SharedTracesArePresent) {
  EXPECT_EQ(TracePaths("sequential").size(), 4u);
  EXPECT_EQ(TracePaths("concurrent").size(), 2u);
}

TEST(TraceReplayFilesTest, ConcurrentTraceStepsAreReproducible) {
  // The remote merge of the hub's ops and the local hub agree, and the
  // merged replica keeps its invariants.
  Trace trace;
  ASSERT_TRUE(
      LoadTrace(kTraceDir + "/concurrent/friendsforever.json.gz", &trace).ok());
  Result<LocalReplay> local = ReplayLocally(trace);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  std::vector<Op> ops;
  ASSERT_TRUE(local->replica->OpsSince(VersionVector{}, &ops).ok());
  Result<std::unique_ptr<Replica>> merged =
      MergeIntoFresh(ops, local->next_free_id);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_TRUE((*merged)->CheckInvariants().ok());
  EXPECT_EQ((*merged)->CanonicalDump(), local->replica->CanonicalDump());
}

// ---- Small handmade traces. ----

TEST(TraceReplayHandmadeTest, SequentialWithStartContent) {
  Trace trace;
  ASSERT_TRUE(ParseTrace(R"({"startContent":"héllo","endContent":"hé wörld",
      "txns":[{"time":"x","patches":[[2,3,""],[2,0," wörld"]]}]})",
                         "inline", &trace)
                  .ok());
  Result<ReplayReport> report = ReplayTrace(trace);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->final_ok()) << report->mismatch;
  EXPECT_EQ(report->final_text, "hé wörld");
}

TEST(TraceReplayHandmadeTest, ConcurrentAgentNotDescendingFromItselfForks) {
  // txn 4 (agent 0) builds on txn 1 only, not on agent 0's own txn 2, so
  // agent 0's replica must be replaced by a fresh one.
  const char* json = R"({"kind":"concurrent","endContent":"YbcX!",
    "numAgents":2,"txns":[
      {"parents":[],"numChildren":2,"agent":0,"patches":[[0,0,"abc"]]},
      {"parents":[0],"agent":1,"patches":[[3,0,"X"]]},
      {"parents":[0],"agent":0,"patches":[[0,0,"Y"]]},
      {"parents":[1,2],"agent":1,"patches":[[5,0,"!"]]},
      {"parents":[1],"agent":0,"patches":[[0,1,""]]}]})";
  Trace trace;
  ASSERT_TRUE(ParseTrace(json, "inline", &trace).ok());
  ASSERT_TRUE(trace.concurrent());
  Result<ReplayReport> report = ReplayTrace(trace);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->final_ok()) << report->mismatch;
  EXPECT_EQ(report->final_text, "YbcX!");
  EXPECT_EQ(report->forks, 1u);
}

TEST(TraceReplayHandmadeTest, WrongTextIsReportedNotAnError) {
  Trace trace;
  ASSERT_TRUE(ParseTrace(R"({"endContent":"abd","txns":[
      {"patches":[[0,0,"abc"]]}]})",
                         "inline", &trace)
                  .ok());
  Result<ReplayReport> report = ReplayTrace(trace);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->final_ok());
  EXPECT_NE(report->mismatch.find("differs at byte 2"), std::string::npos)
      << report->mismatch;
}

TEST(TraceReplayHandmadeTest, PatchPastTheEndIsAnError) {
  Trace trace;
  ASSERT_TRUE(ParseTrace(R"({"endContent":"","txns":[
      {"patches":[[0,0,"ab"]]},{"patches":[[1,5,""]]}]})",
                         "inline", &trace)
                  .ok());
  Result<ReplayReport> report = ReplayTrace(trace);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("txns[1].patches[0]"),
            std::string::npos)
      << report.status().ToString();
}

// ---- Malformed input. ----

struct BadJson {
  const char* json;
  const char* message;  // expected in the error
};

TEST(TraceParseTest, WrongShapesGiveClearErrors) {
  const BadJson cases[] = {
      {"", "invalid JSON"},
      {"{\"endContent\":\"\",\"txns\":[]", "invalid JSON"},
      {"{} trailing", "invalid JSON"},
      {"[]", "top level: expected an object, got an array"},
      {"{\"txns\":[]}", "missing \"endContent\""},
      {"{\"endContent\":\"\"}", "missing \"txns\""},
      {"{\"endContent\":1,\"txns\":[]}",
       "endContent: expected a string, got a number"},
      {"{\"endContent\":\"\",\"txns\":{}}",
       "txns: expected an array, got an object"},
      {"{\"endContent\":\"\",\"txns\":[[]]}",
       "txns[0]: expected an object, got an array"},
      {"{\"endContent\":\"\",\"txns\":[{}]}", "txns[0]: missing \"patches\""},
      {"{\"endContent\":\"\",\"txns\":[{\"patches\":[[0,0]]}]}",
       "txns[0].patches[0]: a patch has exactly 3 elements"},
      {"{\"endContent\":\"\",\"txns\":[{\"patches\":[[0,0,\"\",1]]}]}",
       "txns[0].patches[0][3]: a patch has exactly 3 elements"},
      {"{\"endContent\":\"\",\"txns\":[{\"patches\":[[\"0\",0,\"\"]]}]}",
       "txns[0].patches[0][0]: expected a non-negative integer, got a string"},
      {"{\"endContent\":\"\",\"txns\":[{\"patches\":[[-1,0,\"\"]]}]}",
       "txns[0].patches[0][0]: expected a non-negative integer, got a "
       "negative number"},
      {"{\"endContent\":\"\",\"txns\":[{\"patches\":[[0,1.5,\"\"]]}]}",
       "txns[0].patches[0][1]: expected a non-negative integer, got a "
       "non-integer number"},
      {"{\"endContent\":\"\",\"txns\":[{\"patches\":[[0,0,7]]}]}",
       "txns[0].patches[0][2]: expected a string, got a number"},
      {"{\"endContent\":\"\",\"txns\":[{\"patches\":[[0,0,\"\\ud800\"]]}]}",
       "invalid JSON"},
      {"{\"endContent\":\"\xff\",\"txns\":[]}", "invalid JSON"},
      {"{\"endContent\":\"\",\"txns\":[{\"patches\":[[5000000000,0,\"\"]]}]}",
       "is too large"},
      {"{\"kind\":\"weird\",\"endContent\":\"\",\"txns\":[]}",
       "unknown trace kind 'weird'"},
      {"{\"kind\":\"concurrent\",\"endContent\":\"\",\"txns\":[]}",
       "missing \"numAgents\""},
      {"{\"kind\":\"concurrent\",\"numAgents\":1,\"endContent\":\"\","
       "\"txns\":[{\"agent\":0,\"parents\":[0],\"patches\":[]}]}",
       "txns[0].parents[0]: parent 0 is not an earlier transaction"},
      {"{\"kind\":\"concurrent\",\"numAgents\":1,\"endContent\":\"\","
       "\"txns\":[{\"agent\":1,\"parents\":[],\"patches\":[]}]}",
       "txns[0].agent: 1 is not below numAgents 1"},
      {"{\"kind\":\"concurrent\",\"numAgents\":1,\"endContent\":\"\","
       "\"txns\":[{\"parents\":[],\"patches\":[]}]}",
       "txns[0]: missing \"agent\""},
      {"{\"endContent\":\"\",\"txns\":[{\"parents\":[],\"patches\":[]},"
       "{\"parents\":[0],\"patches\":[]}]}",
       "sequential trace has no parents"},
      {"{\"endContent\":\"\",\"endContent\":\"\",\"txns\":[]}",
       "endContent: duplicate key"},
  };
  for (const BadJson& c : cases) {
    Trace trace;
    Status s = ParseTrace(c.json, "bad.json", &trace);
    EXPECT_FALSE(s.ok()) << c.json;
    EXPECT_NE(s.message().find(c.message), std::string::npos)
        << "for " << c.json << "\n got: " << s.ToString();
    EXPECT_NE(s.message().find("bad.json: "), std::string::npos);
    EXPECT_TRUE(trace.txns.empty());
  }
}

TEST(TraceParseTest, UnknownKeysAreSkipped) {
  Trace trace;
  Status s = ParseTrace(R"({"meta":{"a":[1,{"b":[]}],"txns":5},
      "endContent":"x","txns":[{"time":"t","extra":[[1,2,3]],
      "patches":[[0,0,"x"]],"numChildren":{"patches":[]}}],"more":null})",
                        "inline", &trace);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(trace.txns.size(), 1u);
  ASSERT_EQ(trace.patches.size(), 1u);
  EXPECT_EQ(trace.InsertedText(trace.patches[0]), "x");
  EXPECT_FALSE(trace.concurrent());
}

TEST(TraceLoadTest, BadFilesGiveClearErrors) {
  Trace trace;
  Status missing = LoadTrace(TempPath("does_not_exist.json.gz"), &trace);
  EXPECT_EQ(missing.code(), Status::Code::kNotFound) << missing.ToString();

  const std::string good =
      ReadFile(kTraceDir + "/sequential/sveltecomponent.json.gz");
  ASSERT_GT(good.size(), 1000u);
  const std::string truncated = TempPath("truncated.json.gz");
  WriteFile(truncated, good.substr(0, good.size() / 2));
  Status s = LoadTrace(truncated, &trace);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.ToString();

  std::string damaged = good;
  for (size_t i = 100; i < 200; ++i) damaged[i] = static_cast<char>(i * 7);
  const std::string damaged_path = TempPath("damaged.json.gz");
  WriteFile(damaged_path, damaged);
  s = LoadTrace(damaged_path, &trace);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(damaged_path), std::string::npos) << s.ToString();

  const std::string garbage = TempPath("garbage.json.gz");
  WriteFile(garbage, std::string("\x01\x02garbage\x7f not json", 19));
  s = LoadTrace(garbage, &trace);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("invalid JSON"), std::string::npos)
      << s.ToString();

  const std::string shape = TempPath("shape.json.gz");
  WriteGzFile(shape, R"({"endContent":"","txns":[{"patches":[[0,0]]}]})");
  s = LoadTrace(shape, &trace);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("exactly 3 elements"), std::string::npos)
      << s.ToString();

  for (const std::string& p : {truncated, damaged_path, garbage, shape}) {
    fs::remove(p);
  }
}

// ---- The samplan binary. ----

TEST(ReplayCommandTest, ReplaysSvelteComponent) {
  const std::string path = kTraceDir + "/sequential/sveltecomponent.json.gz";
  Trace trace;
  ASSERT_TRUE(LoadTrace(path, &trace).ok());
  const std::string text_out = TempPath("svelte.txt");
  const std::string err = TempPath("svelte.err");
  CommandResult r = RunCommand(std::string(SAMPLAN_BINARY) + " replay '" +
                                   path + "' --text-out '" + text_out + "'",
                               err);
  EXPECT_EQ(r.exit_code, 0) << ReadFile(err);
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr,
                                           /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j.value("trace", ""), "sveltecomponent");
  EXPECT_EQ(j.value("final_ok", false), true) << r.out;
  EXPECT_EQ(j.value("patches", 0u), trace.patches.size());
  for (const char* key : {"local_ms", "remote_ms", "encode_ms", "decode_ms",
                          "snapshot_bytes", "peak_rss_bytes"}) {
    EXPECT_TRUE(j.contains(key) && j[key].is_number()) << key;
  }
  EXPECT_GT(j.value("peak_rss_bytes", int64_t{0}), 0);
  EXPECT_TRUE(ReadFile(text_out) == trace.end_content);
  fs::remove(text_out);
  fs::remove(err);
}

TEST(ReplayCommandTest, UsageAndInputErrorsExitTwo) {
  const std::string err = TempPath("usage.err");
  const std::string bin = SAMPLAN_BINARY;

  const std::string truncated = TempPath("cli_truncated.json.gz");
  const std::string good =
      ReadFile(kTraceDir + "/sequential/sveltecomponent.json.gz");
  WriteFile(truncated, good.substr(0, good.size() / 3));
  const std::string shape = TempPath("cli_shape.json.gz");
  WriteGzFile(shape, R"({"endContent":"","txns":[{"patches":[["x",0,""]]}]})");

  struct Case {
    std::string args;
    std::string message;
  };
  const Case cases[] = {
      {"", "usage: samplan"},
      {"frobnicate", "unknown command 'frobnicate'"},
      {"replay", "no trace file given"},
      {"replay a b", "more than one trace file"},
      {"replay --runs 0 x.json.gz", "--runs takes a number"},
      {"replay --bogus x.json.gz", "unknown option"},
      {"replay --text-out", "--text-out needs a value"},
      {"replay " + TempPath("nope.json.gz"), "cannot open"},
      {"replay " + truncated, "truncated"},
      {"replay " + shape, "expected a non-negative integer"},
  };
  for (const Case& c : cases) {
    CommandResult r = RunCommand(bin + " " + c.args, err);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_TRUE(r.out.empty()) << c.args << ": " << r.out;
    const std::string stderr_text = ReadFile(err);
    EXPECT_NE(stderr_text.find(c.message), std::string::npos)
        << c.args << ": " << stderr_text;
  }

  CommandResult help = RunCommand(bin + " help", err);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("replay"), std::string::npos);

  for (const std::string& p : {err, truncated, shape}) fs::remove(p);
}

TEST(ReplayCommandTest, WrongEndContentExitsOne) {
  const std::string wrong = TempPath("wrong.json.gz");
  WriteGzFile(wrong,
              R"({"endContent":"abd","txns":[{"patches":[[0,0,"abc"]]}]})");
  const std::string err = TempPath("wrong.err");
  CommandResult r =
      RunCommand(std::string(SAMPLAN_BINARY) + " replay " + wrong, err);
  EXPECT_EQ(r.exit_code, 1);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j.value("final_ok", true), false);
  fs::remove(wrong);
  fs::remove(err);
}

}  // namespace
}  // namespace samplan
