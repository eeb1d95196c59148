#include "common/tcp_accept.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "common/socket_address.h"

namespace common {

AcceptResult AcceptNext(int listen_fd, int stop_fd,
                        absl::Duration send_timeout) {
  AcceptResult result;
  pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  if (poll(fds, 2, -1) < 0) {
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
  if (fd < 0) return result;  // EMFILE, ECONNABORTED, ...: try again later
  timeval timeout = absl::ToTimeval(send_timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  result.kind = AcceptResult::Kind::kAccepted;
  result.fd = fd;
  result.peer =
      FormatSocketAddress(reinterpret_cast<sockaddr*>(&peer), peer_length);
  return result;
}

}  // namespace common
