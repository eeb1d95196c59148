// CaresChannel over a real loopback UDP socket against FakeDnsServer: the
// kernel buffers it asks for, and a burst of answers that arrives while
// nobody reads the socket (the event loop lost the CPU) is not dropped.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "test/unit/fake_dns_server.h"
#include "va/dns/cares_channel.h"
#include "va/dns/dns_message.h"
#include "va/dns/server_address.h"

namespace acmeva::va::dns {
namespace {

using ::acmeva::va::dns::testing::FakeDnsScript;
using ::acmeva::va::dns::testing::FakeDnsServer;

constexpr int kFourMiB = 4 << 20;

int ReadProcInt(const std::string& path) {
  std::ifstream in(path);
  int value = 0;
  in >> value;
  return value;
}

struct Fixture {
  std::unique_ptr<FakeDnsServer> server;
  std::unique_ptr<CaresChannel> channel;
};

Fixture Make(int socket_buffer_bytes) {
  Fixture f;
  absl::StatusOr<std::unique_ptr<FakeDnsServer>> server =
      FakeDnsServer::Start();
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return f;
  f.server = *std::move(server);
  FakeDnsScript answer;
  answer.txt = {{"a-token-of-some-forty-three-characters-long"}};
  f.server->SetDefault(answer);
  absl::StatusOr<ServerAddress> address =
      ParseServerAddress(f.server->address());
  EXPECT_TRUE(address.ok()) << address.status();
  if (!address.ok()) return f;
  absl::StatusOr<std::unique_ptr<CaresChannel>> channel = CaresChannel::Create(
      *address, absl::Seconds(30), 1232, socket_buffer_bytes);
  EXPECT_TRUE(channel.ok()) << channel.status();
  if (channel.ok()) f.channel = *std::move(channel);
  return f;
}

// Polls the channel until `done()` or `timeout`.
template <typename Done>
void Drive(CaresChannel& channel, Done done, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  std::vector<pollfd> fds;
  while (!done() && absl::Now() < end) {
    fds.clear();
    channel.AppendPollFds(fds);
    if (fds.empty()) break;
    if (poll(fds.data(), fds.size(), 10) > 0) {
      for (const pollfd& p : fds) {
        if (p.revents != 0) channel.ProcessFd(p.fd, p.revents);
      }
    }
    channel.ProcessTimeouts();
  }
}

// Sends `n` distinct TXT queries without reading a single answer: waits
// after each batch until the server has them all (and so has answered
// them), so the answers pile up in the channel's socket. Then reads.
// Returns how many queries got an answer.
int BurstWithoutReading(Fixture& f, int n,
                        absl::Duration read_for = absl::Seconds(2)) {
  int answered = 0, failed = 0;
  constexpr int kBatch = 100;  // well within the server's own buffer
  for (int sent = 0; sent < n;) {
    for (int i = 0; i < kBatch && sent < n; ++i, ++sent) {
      std::vector<uint8_t> query =
          *BuildQuery(absl::StrCat("_acme-challenge.n", sent, ".burst.test"),
                      RRType::kTXT, 1232);
      f.channel->Send(query, [&](int status, absl::Span<const uint8_t>) {
        ++(status == ARES_SUCCESS ? answered : failed);
      });
    }
    const absl::Time until = absl::Now() + absl::Seconds(5);
    while (f.server->query_count() < sent && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  absl::SleepFor(absl::Milliseconds(100));  // the last answers' flight
  Drive(
      *f.channel, [&] { return answered + failed == n; }, read_for);
  return answered;
}

TEST(CaresChannelTest, AsksForLargeSocketBuffers) {
  Fixture f = Make(kFourMiB);
  ASSERT_NE(f.channel, nullptr);
  EXPECT_EQ(f.channel->receive_buffer_bytes(), 0) << "no socket before Send";
  bool done = false;
  f.channel->Send(*BuildQuery("one.test", RRType::kTXT, 1232),
                  [&](int status, absl::Span<const uint8_t> answer) {
                    EXPECT_EQ(status, ARES_SUCCESS);
                    EXPECT_FALSE(answer.empty());
                    done = true;
                  });
  Drive(
      *f.channel, [&] { return done; }, absl::Seconds(2));
  ASSERT_TRUE(done);
  // Linux reports twice what was set. Without CAP_NET_ADMIN the size is
  // capped at net.core.rmem_max; with it (root) SO_RCVBUFFORCE gets it all.
  const int rmem_max = ReadProcInt("/proc/sys/net/core/rmem_max");
  const int at_least =
      2 * (geteuid() == 0 ? kFourMiB : std::min(kFourMiB, rmem_max));
  EXPECT_GE(f.channel->receive_buffer_bytes(), at_least)
      << "rmem_max " << rmem_max;
}

TEST(CaresChannelTest, ABurstOfAnswersWaitingToBeReadIsNotDropped) {
  if (geteuid() != 0 && ReadProcInt("/proc/sys/net/core/rmem_max") < kFourMiB) {
    GTEST_SKIP() << "needs root or net.core.rmem_max >= 4 MiB";
  }
  Fixture f = Make(kFourMiB);
  ASSERT_NE(f.channel, nullptr);
  EXPECT_EQ(BurstWithoutReading(f, 2000), 2000);
}

// The same burst into a small buffer loses answers: what the large buffer
// is for (and proof that the test above can fail).
TEST(CaresChannelTest, ASmallBufferDropsPartOfTheSameBurst) {
  Fixture f = Make(64 << 10);
  ASSERT_NE(f.channel, nullptr);
  // Whatever the buffer held is read at the first poll; the rest is lost.
  EXPECT_LT(BurstWithoutReading(f, 2000, absl::Milliseconds(300)), 1000);
}

}  // namespace
}  // namespace acmeva::va::dns
