// The process's descriptor budget. A flood of connections is a flood of
// descriptors: the soft RLIMIT_NOFILE (often 1024) is raised to the hard
// limit at start-up, and listeners stop taking connections a reserve short
// of it, so DNS sockets, certificate reloads and /metrics always find one.
#ifndef COMMON_FD_LIMIT_H_
#define COMMON_FD_LIMIT_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace acmeva::common {

struct FdLimit {
  int64_t soft = 0;  // after raising
  int64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard one (idempotent) and returns
// both.
absl::StatusOr<FdLimit> RaiseFdLimitToHard();

// Descriptors kept free for everything but accepted connections: an eighth
// of the limit, at least 32 and at most 1024.
int64_t FdReserve(int64_t soft_limit);

// Descriptors open in this process now (entries of /proc/self/fd), or -1.
int64_t CountOpenFds();

}  // namespace acmeva::common

#endif  // COMMON_FD_LIMIT_H_
