// common/library_logs: gRPC's and protobuf's own log lines come out of the
// real hooks (gpr_log, GOOGLE_LOG) as JSON lines on stderr, floods are
// capped, and a ProtobufLogCapture keeps its thread's lines for the caller.
#include "common/library_logs.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>
#include <grpc/support/log.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace acmeva::common {
namespace {

// Runs `f` with stderr going to a file; returns what was written.
template <class F>
std::string CaptureStderr(F f) {
  char path[] = "/tmp/library_logs_test.XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  f();
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  unlink(path);
  return ss.str();
}

std::vector<google::protobuf::Struct> JsonLines(const std::string& text) {
  std::vector<google::protobuf::Struct> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    google::protobuf::Struct s;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(std::string(line), &s).ok())
        << "not JSON: " << line;
    out.push_back(s);
  }
  return out;
}

std::string Field(const google::protobuf::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}

class LibraryLogsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RouteLibraryLogsToJson(); }
};

TEST_F(LibraryLogsTest, GrpcAndProtobufLinesAreJson) {
  const std::string err = CaptureStderr([] {
    gpr_log(GPR_ERROR, "Handshake failed with fatal error %s", "SSL_ERROR_SSL");
    GOOGLE_LOG(WARNING) << "a \"quoted\" protobuf warning\nwith a newline";
  });
  const auto lines = JsonLines(err);
  ASSERT_EQ(lines.size(), 2u) << err;
  EXPECT_EQ(Field(lines[0], "source"), "grpc");
  EXPECT_EQ(Field(lines[0], "level"), "error");
  EXPECT_EQ(Field(lines[0], "msg"),
            "Handshake failed with fatal error SSL_ERROR_SSL");
  EXPECT_NE(Field(lines[0], "file").find("library_logs_test.cc"),
            std::string::npos);
  EXPECT_EQ(Field(lines[1], "source"), "protobuf");
  EXPECT_EQ(Field(lines[1], "level"), "warning");
  EXPECT_EQ(Field(lines[1], "msg"),
            "a \"quoted\" protobuf warning\nwith a newline");
}

double Suppressed(const google::protobuf::Struct& s) {
  auto it = s.fields().find("suppressed");
  return it == s.fields().end() ? 0 : it->second.number_value();
}

// A peer can make gRPC log once per connection: at most 20 lines a second
// reach stderr, and the next line that does says how many were dropped, so
// every line is accounted for (whatever the machine's speed).
TEST_F(LibraryLogsTest, FloodsAreCappedAndCounted) {
  const std::string err = CaptureStderr([] {
    for (int i = 0; i < 500; ++i) gpr_log(GPR_ERROR, "flood %d", i);
  });
  const auto lines = JsonLines(err);
  EXPECT_GE(lines.size(), 1u);
  EXPECT_LT(lines.size(), 100u) << "20 a second";
  double dropped = 0;
  for (const auto& line : lines) dropped += Suppressed(line);
  // A new one-second window: its first line reports the rest.
  absl::SleepFor(absl::Milliseconds(1100));
  const std::string next =
      CaptureStderr([] { gpr_log(GPR_ERROR, "after the flood"); });
  const auto after = JsonLines(next);
  ASSERT_EQ(after.size(), 1u) << next;
  dropped += Suppressed(after[0]);
  EXPECT_EQ(static_cast<double>(lines.size()) + dropped, 500.0);
}

TEST_F(LibraryLogsTest, CaptureKeepsOnlyItsOwnThreadsLines) {
  std::string captured;
  const std::string err = CaptureStderr([&] {
    ProtobufLogCapture capture;
    GOOGLE_LOG(ERROR) << "String field 'x.y' contains invalid UTF-8 data";
    std::thread other([] { GOOGLE_LOG(ERROR) << "another thread's line"; });
    other.join();
    captured = capture.text();
  });
  EXPECT_EQ(captured, "String field 'x.y' contains invalid UTF-8 data");
  const auto lines = JsonLines(err);
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_EQ(Field(lines[0], "msg"), "another thread's line");
}

}  // namespace
}  // namespace acmeva::common
