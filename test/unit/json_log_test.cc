#include "common/json_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <regex>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace acmeva::common {
namespace {

TEST(JsonQuoteTest, Table) {
  struct Case {
    std::string in, want;
  };
  const Case cases[] = {
      {"", R"("")"},
      {"plain", R"("plain")"},
      {"a\"b", R"("a\"b")"},
      {"back\\slash", R"("back\\slash")"},
      {"line\nbreak\r\ttab", R"("line\nbreak\r\ttab")"},
      {std::string("nul\0byte", 8), R"("nul\u0000byte")"},
      {"\x7f", R"("\u007f")"},
      {"caf\xc3\xa9", R"("caf\u00c3\u00a9")"},
      {"\"\"", R"("\"\"")"},
      {"end\\", R"("end\\")"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(JsonQuote(c.in), c.want) << c.in;
    std::string appended = "x";
    AppendJsonQuoted(&appended, c.in);
    EXPECT_EQ(appended, "x" + c.want);
  }
}

TEST(JsonFieldsTest, BuildsOneObjectBody) {
  JsonFields f;
  f.Str("s", "v\"")
      .Int("i", -42)
      .Num("n", 1.5)
      .Num("m", 1234.5678)
      .Bool("b", false)
      .Strs("l", {"a", "b\n"})
      .Raw("r", "{\"x\":1}");
  EXPECT_EQ(f.body(), R"("s":"v\"","i":-42,"n":1.5,"m":1234.57,"b":false,)"
                      R"("l":["a","b\n"],"r":{"x":1})");
}

// Log() writes one line to fd 2: point fd 2 at a file while it runs.
std::string CaptureLog(void (*emit)()) {
  char path[] = "/tmp/json_log_test.XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  emit();
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string out;
  char buf[4096];
  lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) out.append(buf, n);
  close(fd);
  unlink(path);
  return out;
}

TEST(LogTest, OneJsonLinePerCallWithMillisecondTimestamps) {
  const auto minute = [] {
    return absl::FormatTime("%Y-%m-%dT%H:%M", absl::Now(), absl::UTCTimeZone());
  };
  const std::string minute_before = minute();
  const std::string out = CaptureLog([] {
    for (int i = 0; i < 3; ++i) {
      Log("audit", "Validation result",
          JsonFields().Str("identifier", "example.com").Int("i", i));
      usleep(400 * 1000);  // crosses at least one second boundary
    }
  });
  const std::regex line(
      R"(\{"ts":"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\d\dZ","level":"audit",)"
      R"("msg":"Validation result","identifier":"example.com","i":\d\}\n)");
  std::string rest = out;
  int lines = 0;
  std::smatch m;
  while (std::regex_search(rest, m, line) && m.position(0) == 0) {
    ++lines;
    rest = m.suffix();
  }
  EXPECT_EQ(lines, 3) << out;
  EXPECT_TRUE(rest.empty()) << out;
  // The clock is today's UTC, not a cached or made-up one.
  const std::string first_ts = out.substr(7, 16);
  EXPECT_TRUE(first_ts == minute_before || first_ts == minute()) << out;
}

}  // namespace
}  // namespace acmeva::common
