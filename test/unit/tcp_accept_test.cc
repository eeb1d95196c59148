// common/tcp_accept and common/fd_limit over real loopback sockets: out of
// descriptors, AcceptNext sheds the pending connection (the peer sees it
// closed, not a hang) and accepts again as soon as descriptors are free.
// The test lowers its own soft RLIMIT_NOFILE (its own binary, so nothing
// else is affected) and restores it.
#include "common/tcp_accept.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "common/fd_limit.h"

namespace acmeva::common {
namespace {

int Listen(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 16) != 0) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// True if the peer closed `fd` (EOF or reset) within 10 s.
bool ClosedByPeer(int fd) {
  pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) return false;
  char c;
  return recv(fd, &c, 1, 0) <= 0;
}

TEST(TcpAccept, OutOfDescriptorsShedsThePendingConnectionAndRecovers) {
  int port = 0;
  const int listen_fd = Listen(&port);
  ASSERT_GE(listen_fd, 0);
  const int stop_fd = eventfd(0, EFD_CLOEXEC);
  ReserveSpareDescriptor();
  const int first = Connect(port);
  const int second = Connect(port);

  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(CountOpenFds() + 8);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> filler;
  while (true) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    filler.push_back(fd);
  }
  AcceptResult full = AcceptNext(listen_fd, stop_fd, absl::Seconds(1));
  for (int fd : filler) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);

  EXPECT_EQ(full.kind, AcceptResult::Kind::kRetry);
  EXPECT_EQ(full.error, EMFILE);
  EXPECT_TRUE(ClosedByPeer(first)) << "the pending connection was not shed";
  // Descriptors are back: the next connection is accepted.
  AcceptResult next =
      AcceptNext(listen_fd, stop_fd, absl::Seconds(1), absl::Seconds(10));
  ASSERT_EQ(next.kind, AcceptResult::Kind::kAccepted);
  EXPECT_EQ(next.error, 0);
  EXPECT_FALSE(next.peer.empty());
  close(next.fd);
  close(first);
  close(second);
  close(stop_fd);
  close(listen_fd);
}

TEST(TcpAccept, WaitEndsWithoutAConnection) {
  int port = 0;
  const int listen_fd = Listen(&port);
  ASSERT_GE(listen_fd, 0);
  const int stop_fd = eventfd(0, EFD_CLOEXEC);
  AcceptResult r =
      AcceptNext(listen_fd, stop_fd, absl::Seconds(1), absl::Milliseconds(10));
  EXPECT_EQ(r.kind, AcceptResult::Kind::kRetry);
  EXPECT_EQ(r.error, 0);
  uint64_t one = 1;
  ASSERT_EQ(write(stop_fd, &one, sizeof(one)), 8);
  EXPECT_EQ(AcceptNext(listen_fd, stop_fd, absl::Seconds(1)).kind,
            AcceptResult::Kind::kStop);
  close(stop_fd);
  close(listen_fd);
}

TEST(FdLimit, RaisesTheSoftLimitToTheHardOne) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_max, 256);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  absl::StatusOr<FdLimit> raised = RaiseFdLimitToHard();
  ASSERT_TRUE(raised.ok()) << raised.status();
  rlimit now{};
  getrlimit(RLIMIT_NOFILE, &now);
  EXPECT_EQ(now.rlim_cur, saved.rlim_max);
  EXPECT_EQ(raised->soft, static_cast<int64_t>(saved.rlim_max));
  setrlimit(RLIMIT_NOFILE, &saved);
  // The reserve: an eighth, within [32, 1024].
  EXPECT_EQ(FdReserve(200), 32);
  EXPECT_EQ(FdReserve(4096), 512);
  EXPECT_EQ(FdReserve(1 << 20), 1024);
  EXPECT_GT(CountOpenFds(), 2);  // stdin, stdout, stderr at least
}

}  // namespace
}  // namespace acmeva::common
