#include "server/static_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace samplan {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/samplan-static-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ / "app" / "js");
    Write("app/index.html", "<!doctype html><title>Samplan</title>");
    Write("app/js/main.js", "export const x = 1;\n");
    Write("app/.secret", "no");
    Write("outside.txt", "no");
    fs::create_directories(root_ / "core" / "obj");
    Write("core/samplan_core.mjs", "export default 1;");
    Write("core/samplan_core_web.wasm", "\0asm");
    Write("core/libsamplan_crdt.a", "no");
    Write("core/obj/x.mjs", "no");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& body) {
    std::ofstream(root_ / rel, std::ios::binary) << body;
  }
  StaticFiles Files() const {
    return StaticFiles((root_ / "app").string(), (root_ / "core").string());
  }

  fs::path root_;
};

TEST_F(StaticFilesTest, ServesIndexFilesAndTheCoreWithTheirTypes) {
  StaticFiles files = Files();
  std::optional<StaticFile> index = files.Read("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->body, "<!doctype html><title>Samplan</title>");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  std::optional<StaticFile> js = files.Read("/js/main.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  std::optional<StaticFile> core = files.Read("/core/samplan_core.mjs");
  ASSERT_TRUE(core);
  EXPECT_EQ(core->body, "export default 1;");
  std::optional<StaticFile> wasm = files.Read("/core/samplan_core_web.wasm");
  ASSERT_TRUE(wasm);
  EXPECT_EQ(wasm->content_type, "application/wasm");
  // Only the core's modules and wasm, directly in its folder.
  EXPECT_FALSE(files.Read("/core/libsamplan_crdt.a"));
  EXPECT_FALSE(files.Read("/core/obj/x.mjs"));
  EXPECT_FALSE(files.Read("/core/../app/index.html"));
  EXPECT_FALSE(files.Read("/core/"));
  EXPECT_EQ(StaticFiles::ContentTypeFor("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(StaticFiles::ContentTypeFor("a.svg"), "image/svg+xml");
  EXPECT_EQ(StaticFiles::ContentTypeFor("a.bin"), "application/octet-stream");
}

TEST_F(StaticFilesTest, EtagChangesWithTheFile) {
  StaticFiles files = Files();
  const std::string before = files.Read("/js/main.js")->etag;
  EXPECT_EQ(files.Read("/js/main.js")->etag, before);
  // Revalidation with the current etag: not modified, no body read.
  std::optional<StaticFile> same = files.Read("/js/main.js", before);
  ASSERT_TRUE(same);
  EXPECT_TRUE(same->not_modified);
  EXPECT_TRUE(same->body.empty());
  EXPECT_FALSE(files.Read("/js/main.js", "\"0-0\"")->not_modified);
  Write("app/js/main.js", "export const x = 22;\n");
  EXPECT_NE(files.Read("/js/main.js")->etag, before);
  std::optional<StaticFile> changed = files.Read("/js/main.js", before);
  EXPECT_FALSE(changed->not_modified);
  EXPECT_EQ(changed->body, "export const x = 22;\n");
}

TEST_F(StaticFilesTest, RefusesPathsThatLeaveTheRootOrAreHidden) {
  StaticFiles files = Files();
  for (const char* path :
       {"/../outside.txt", "/js/../../outside.txt", "/.secret", "/js//main.js",
        "/js/./main.js", "/%2e%2e/outside.txt", "/js/main.js?x", "js/main.js",
        "/js", "/missing.js", "/js/main.js\\..", ""}) {
    EXPECT_FALSE(files.Read(path)) << path;
  }
  EXPECT_TRUE(StaticFiles::SafePath("/js/ui/outline.js"));
  EXPECT_FALSE(StaticFiles::SafePath("/js/ui/.."));
  EXPECT_FALSE(StaticFiles::SafePath(std::string(600, 'a').insert(0, "/")));
}

TEST_F(StaticFilesTest, ServesNothingWithoutARoot) {
  StaticFiles none("", "");
  EXPECT_FALSE(none.enabled());
  EXPECT_FALSE(none.Read("/"));
  EXPECT_FALSE(none.Read("/core/samplan_core.mjs"));
}

TEST(StaticFilesHeadersTest, PolicyForbidsInlineScriptAndEval) {
  std::string csp;
  for (const auto& [name, value] : StaticFiles::SecurityHeaders()) {
    if (name == "Content-Security-Policy") csp = value;
  }
  ASSERT_FALSE(csp.empty());
  EXPECT_NE(csp.find("script-src 'self' 'wasm-unsafe-eval';"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(csp.find("'unsafe-eval'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
}

}  // namespace
}  // namespace samplan
