// TLS files on the real VA and RA processes (mutual TLS, a PKI the test
// makes): a file broken at reload (empty, garbage, half-written) keeps the
// last good set in use, with one log line naming the file and a metric; a
// bad file at start-up is a clear error naming it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "test/integration/hardened_server.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::HasSubstr;

// TLS files broken at reload (a non-atomic rewrite, an interrupted copy):
// the process keeps serving new handshakes with the last good set, and says
// once which file is bad and why.
struct ReloadCase {
  std::string name;
  std::string program;
  std::string file;     // in the server's TLS directory
  std::string content;  // "HALF": the first half of the original
  std::string flag;
};

class TlsReloadTest : public ::testing::TestWithParam<ReloadCase> {};

TEST_P(TlsReloadTest, BadFileAtReloadKeepsTheLastGoodSet) {
  const ReloadCase& c = GetParam();
  const std::string dir = absl::StrCat(TestPkiDir(), "/reload-", c.name);
  ASSERT_TRUE(Sh(absl::StrCat("mkdir -p ", dir, " && cp ",
                              PkiPath("server.pem"), " ", PkiPath("server.key"),
                              " ", PkiPath("ca.pem"), " ", dir)));
  HardenedServer server;
  ASSERT_TRUE(server
                  .Start(Target{c.name, c.program, true},
                         {"--tls-reload-interval=1s"}, dir)
                  .ok());
  ASSERT_TRUE(HardenedServer::Answered(server.Call(server.NewChannel())));

  const std::string path = dir + "/" + c.file;
  std::string content = c.content;
  if (content == "HALF") {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    content = ss.str().substr(0, ss.str().size() / 2);
  }
  std::ofstream(path, std::ios::trunc) << content;
  // Three reload intervals.
  absl::SleepFor(absl::Seconds(3));
  ASSERT_TRUE(server.process().Running()) << server.process().Log();
  const grpc::Status after = server.Call(server.NewChannel());
  EXPECT_TRUE(HardenedServer::Answered(after))
      << after.error_code() << " " << after.error_message();
  const std::string log = server.process().Log();
  EXPECT_EQ(CountInFile(server.process().log_path(), "TLS files rejected"), 1)
      << log;
  EXPECT_THAT(log, HasSubstr(absl::StrCat("\"file\":\"", path, "\"")));
  if (c.program == "va") {
    EXPECT_THAT(server.Metrics(),
                HasSubstr(absl::StrCat("tls_files_rejected_total{file=\"",
                                       c.flag, "\"} 1")));
  }
  EXPECT_EQ(server.process().Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    VaAndRa, TlsReloadTest,
    ::testing::Values(
        ReloadCase{"va_empty_cert", "va", "server.pem", "", "tls-cert"},
        ReloadCase{"va_empty_key", "va", "server.key", "", "tls-key"},
        ReloadCase{"va_garbage_ca", "va", "ca.pem", "garbage\n", "tls-ca"},
        ReloadCase{"va_half_cert", "va", "server.pem", "HALF", "tls-cert"},
        ReloadCase{"ra_empty_cert", "ra", "server.pem", "", "tls-cert"},
        ReloadCase{"ra_half_key", "ra", "server.key", "HALF", "tls-key"}),
    [](const auto& info) { return info.param.name; });

// A bad file at start-up is a clear error naming the flag and the file.
TEST(TlsStartupTest, BadFileRefusesToStartNamingIt) {
  const std::string garbage = TestPkiDir() + "/garbage.pem";
  std::ofstream(garbage) << "garbage\n";
  for (const std::string program : {"va", "ra"}) {
    std::vector<std::string> argv = {
        ProgramPath(program), "--listen=127.0.0.1:0",
        "--tls-cert=" + PkiPath("server.pem"),
        "--tls-key=" + PkiPath("server.key"), "--tls-ca=" + garbage};
    if (program == "va") {
      argv.push_back("--dns-resolvers=127.0.0.1:1");
      argv.push_back("--dnssec-canary=off");
      argv.push_back("--issuer-domain=letsencrypt.org");
    } else {
      argv.push_back("--va=127.0.0.1:1");
      argv.push_back("--db=" + TestPkiDir() + "/never.sqlite");
    }
    const CommandResult r = RunCommand(argv, absl::Seconds(20));
    EXPECT_NE(r.exit_code, 0) << program;
    EXPECT_THAT(r.err, HasSubstr(absl::StrCat("--tls-ca: ", garbage, ": ")))
        << program << ": " << r.err;
  }
}

}  // namespace
}  // namespace acmeva::testing_harness
