#include "common/fd_limit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace acmeva::common {

absl::StatusOr<FdLimit> RaiseFdLimitToHard() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      return absl::InternalError(absl::StrCat("setrlimit(RLIMIT_NOFILE, ",
                                              limit.rlim_max,
                                              "): ", std::strerror(errno)));
    }
    limit = raised;
  }
  auto clamp = [](rlim_t v) {
    return v == RLIM_INFINITY ? INT64_MAX : static_cast<int64_t>(v);
  };
  return FdLimit{clamp(limit.rlim_cur), clamp(limit.rlim_max)};
}

int64_t FdReserve(int64_t soft_limit) {
  return std::clamp<int64_t>(soft_limit / 8, 32, 1024);
}

int64_t CountOpenFds() {
  // getdents64 on an O_DIRECTORY descriptor rather than opendir(): no heap,
  // and one descriptor, which may be the last one free.
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  int64_t count = 0;
  alignas(8) char buffer[32 * 1024];
  while (true) {
    long n = syscall(SYS_getdents64, dir, buffer, sizeof(buffer));
    if (n <= 0) break;
    for (long offset = 0; offset < n;) {
      auto* entry = reinterpret_cast<dirent64*>(buffer + offset);
      if (entry->d_name[0] != '.') ++count;
      offset += entry->d_reclen;
    }
  }
  close(dir);
  return count - 1;  // not the directory descriptor itself
}

}  // namespace acmeva::common
