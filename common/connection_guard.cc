#include "common/connection_guard.h"

#include <fcntl.h>
#include <linux/tcp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "absl/time/clock.h"

namespace acmeva::common {
namespace {

constexpr absl::Duration kShedGap = absl::Milliseconds(250);
// A connection that has sent less cannot be what holds the memory (about
// 35 header-only streams); sparing it keeps new, quiet clients served
// while a flood is shed.
constexpr uint64_t kMinBytesToShed = 4096;

uint64_t BytesReceived(int fd) {
  tcp_info info{};
  socklen_t length = sizeof(info);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return 0;
  return info.tcpi_bytes_received;
}

}  // namespace

ConnectionGuard::~ConnectionGuard() {
  for (const Conn& c : conns_) close(c.dup_fd);
}

int64_t ConnectionGuard::HeapInUse() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

bool ConnectionGuard::Track(int fd, std::string peer) {
  int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return false;
  conns_.push_back(Conn{dup_fd, std::move(peer)});
  return true;
}

std::vector<ConnectionGuard::Shed> ConnectionGuard::Check() {
  if (!conns_.empty()) {
    std::vector<pollfd> fds(conns_.size());
    for (size_t i = 0; i < conns_.size(); ++i) {
      fds[i] = {conns_[i].dup_fd, 0, 0};  // POLLHUP/POLLERR are always set
    }
    if (poll(fds.data(), fds.size(), 0) > 0) {
      std::vector<Conn> open;
      open.reserve(conns_.size());
      for (size_t i = 0; i < conns_.size(); ++i) {
        if (fds[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
          close(conns_[i].dup_fd);
        } else {
          open.push_back(std::move(conns_[i]));
        }
      }
      conns_ = std::move(open);
    }
  }
  std::vector<Shed> shed;
  if (limit_ <= 0) return shed;
  const int64_t now_ns = absl::GetCurrentTimeNanos();
  if (now_ns - last_shed_ns_ < absl::ToInt64Nanoseconds(kShedGap)) {
    return shed;
  }
  const int64_t heap = HeapInUse();
  over_limit_ = heap > limit_;
  if (!over_limit_) return shed;
  Conn* heaviest = nullptr;
  uint64_t most = 0;
  for (Conn& c : conns_) {
    if (c.shut_down) continue;
    const uint64_t bytes = BytesReceived(c.dup_fd);
    if (bytes < kMinBytesToShed) continue;
    if (heaviest == nullptr || bytes > most) {
      heaviest = &c;
      most = bytes;
    }
  }
  if (heaviest == nullptr) return shed;
  // Both directions: gRPC's reads end, it tears the connection down (and
  // its calls), and our duplicate shows POLLHUP at a later check.
  shutdown(heaviest->dup_fd, SHUT_RDWR);
  heaviest->shut_down = true;
  last_shed_ns_ = now_ns;
  shed.push_back(Shed{heaviest->peer, most, heap});
  return shed;
}

}  // namespace acmeva::common
