// The accept step shared by the TCP servers here (the HTTP server,
// dnstestsrv's DNS-over-TCP and the gRPC listener): wait for a connection or
// for the server's stop eventfd, accept it, and bound how long a send to a
// stuck peer may block. Out of descriptors (EMFILE/ENFILE), it sheds the
// oldest pending connection through a spare descriptor kept for that, and
// pauses briefly, so the listener neither spins nor leaves the backlog full:
// accepting goes on as soon as descriptors are free again.
#ifndef COMMON_TCP_ACCEPT_H_
#define COMMON_TCP_ACCEPT_H_

#include <string>

#include "absl/time/time.h"

namespace acmeva::common {

struct AcceptResult {
  enum class Kind {
    kAccepted,  // fd and peer are set
    kRetry,     // nothing accepted this time (timeout, EINTR, EMFILE, ...)
    kStop,      // stop_fd became readable, or poll failed: end the loop
  };
  Kind kind = Kind::kRetry;
  int fd = -1;       // CLOEXEC, SO_SNDTIMEO = send_timeout unless infinite
  std::string peer;  // "ip:port"
  int error = 0;     // kRetry: accept's errno (EMFILE, ...), 0 = none
};

// Waits at most `wait` for a connection (kRetry, error 0, on timeout).
AcceptResult AcceptNext(int listen_fd, int stop_fd, absl::Duration send_timeout,
                        absl::Duration wait = absl::InfiniteDuration());

// Opens the spare descriptor AcceptNext sheds connections with, if not open
// yet. Called by servers at start-up, while descriptors are still free.
void ReserveSpareDescriptor();

}  // namespace acmeva::common

#endif  // COMMON_TCP_ACCEPT_H_
