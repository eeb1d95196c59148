// The accept step shared by the small TCP servers here (the HTTP server and
// dnstestsrv's DNS-over-TCP): wait for a connection or for the server's stop
// eventfd, accept it, and bound how long a send to a stuck peer may block.
#ifndef COMMON_TCP_ACCEPT_H_
#define COMMON_TCP_ACCEPT_H_

#include <string>

#include "absl/time/time.h"

namespace common {

struct AcceptResult {
  enum class Kind {
    kAccepted,  // fd and peer are set
    kRetry,     // nothing accepted this time (EINTR, EMFILE, ...)
    kStop,      // stop_fd became readable, or poll failed: end the loop
  };
  Kind kind = Kind::kRetry;
  int fd = -1;       // CLOEXEC, SO_SNDTIMEO = send_timeout
  std::string peer;  // "ip:port"
};

AcceptResult AcceptNext(int listen_fd, int stop_fd,
                        absl::Duration send_timeout);

}  // namespace common

#endif  // COMMON_TCP_ACCEPT_H_
