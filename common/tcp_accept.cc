#include "common/tcp_accept.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/base/const_init.h"
#include "absl/synchronization/mutex.h"
#include "common/socket_address.h"

namespace acmeva::common {
namespace {

ABSL_CONST_INIT absl::Mutex g_spare_mu(absl::kConstInit);
int g_spare_fd ABSL_GUARDED_BY(g_spare_mu) = -1;

void OpenSpareLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_spare_mu) {
  if (g_spare_fd < 0) g_spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

// With no descriptor free, accept() fails and leaves the connection queued:
// poll() reports it again at once, and the peer waits for nothing. Freeing
// the spare lets one accept() succeed; that connection is closed (the peer
// sees a reset rather than a hang) and the spare taken back.
void ShedOnePending(int listen_fd) {
  absl::MutexLock lock(&g_spare_mu);
  if (g_spare_fd < 0) return;
  pollfd pending = {listen_fd, POLLIN, 0};
  if (poll(&pending, 1, 0) != 1) return;  // never block in accept() here
  close(g_spare_fd);
  g_spare_fd = -1;
  int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) close(fd);
  OpenSpareLocked();
}

int PollMillis(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return -1;
  return static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(d), 0, 1 << 30));
}

}  // namespace

void ReserveSpareDescriptor() {
  absl::MutexLock lock(&g_spare_mu);
  OpenSpareLocked();
}

AcceptResult AcceptNext(int listen_fd, int stop_fd, absl::Duration send_timeout,
                        absl::Duration wait) {
  AcceptResult result;
  pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  if (poll(fds, 2, PollMillis(wait)) < 0) {
    if (errno != EINTR) result.kind = AcceptResult::Kind::kStop;
    return result;
  }
  if (fds[1].revents != 0) {
    result.kind = AcceptResult::Kind::kStop;
    return result;
  }
  if ((fds[0].revents & POLLIN) == 0) return result;
  sockaddr_storage peer{};
  socklen_t peer_length = sizeof(peer);
  int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                   SOCK_CLOEXEC);
  if (fd < 0) {
    result.error = errno;
    if (result.error == EMFILE || result.error == ENFILE ||
        result.error == ENOBUFS || result.error == ENOMEM) {
      ShedOnePending(listen_fd);
      // Descriptors come back as connections end: look again shortly,
      // without spinning on a backlog that stays readable meanwhile.
      pollfd stop = {stop_fd, POLLIN, 0};
      poll(&stop, 1, 10);
    }
    return result;  // ECONNABORTED, EINTR, ...: try again
  }
  if (send_timeout != absl::InfiniteDuration()) {
    timeval timeout = absl::ToTimeval(send_timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  }
  result.kind = AcceptResult::Kind::kAccepted;
  result.fd = fd;
  result.peer =
      FormatSocketAddress(reinterpret_cast<sockaddr*>(&peer), peer_length);
  return result;
}

}  // namespace acmeva::common
