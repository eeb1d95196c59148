// The harness's own start-up rule: a server whose port another process took
// between FreePort() and its bind is started again on fresh ports.
#include "test/integration/harness.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace acmeva::testing_harness {
namespace {

TEST(StartListeningTest, StartsAgainOnFreshPortsWhenAPortWasTaken) {
  // Another process's socket on the port the first try will be given.
  const int taken = BindLoopback(SOCK_STREAM, 0);
  ASSERT_GE(taken, 0);
  ASSERT_EQ(listen(taken, 1), 0);
  const int taken_port = LocalPort(taken);
  const std::string dir = TempDir("harness");
  int tries = 0;
  auto dns = StartListening(
      [&] {
        const int mgmt = ++tries == 1 ? taken_port : FreePort();
        return Launch{
            {ProgramPath("dnstestsrv"),
             absl::StrCat("--dns01=127.0.0.1:", FreePort(/*udp_too=*/true)),
             absl::StrCat("--management=127.0.0.1:", mgmt)},
            absl::StrCat("management on 127.0.0.1:", mgmt, ",")};
      },
      dir + "/dnstestsrv.log");
  ::close(taken);
  ASSERT_TRUE(dns.ok()) << dns.status();
  EXPECT_EQ(tries, 2);
  EXPECT_TRUE(dns->Running());
  // Both tries are in the one log: the refused bind, then the server.
  const std::string log = dns->Log();
  EXPECT_NE(log.find("Address already in use"), std::string::npos) << log;
  EXPECT_NE(log.find("management on"), std::string::npos) << log;
}

TEST(StartListeningTest, GivesUpAfterThreeTriesWithTheLog) {
  const int taken = BindLoopback(SOCK_STREAM, 0);
  ASSERT_GE(taken, 0);
  ASSERT_EQ(listen(taken, 1), 0);
  const int taken_port = LocalPort(taken);
  int tries = 0;
  // The port is taken every time (and a connect to it would succeed: the
  // server's own line is what counts).
  auto dns = StartListening(
      [&] {
        ++tries;
        return Launch{
            {ProgramPath("dnstestsrv"),
             absl::StrCat("--dns01=127.0.0.1:", FreePort(/*udp_too=*/true)),
             absl::StrCat("--management=127.0.0.1:", taken_port)},
            absl::StrCat("management on 127.0.0.1:", taken_port, ",")};
      },
      TempDir("harness") + "/dnstestsrv.log");
  ::close(taken);
  ASSERT_FALSE(dns.ok());
  EXPECT_EQ(tries, 3);
  EXPECT_NE(std::string(dns.status().message()).find("Address already in use"),
            std::string::npos)
      << dns.status();
}

}  // namespace
}  // namespace acmeva::testing_harness
