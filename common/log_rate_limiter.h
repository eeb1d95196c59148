// Caps how many lines of one kind reach the log per second. A TLD outage
// makes every DNS try fail at once: one diagnostic line per try would bury
// the audit lines and cost the VA CPU exactly when it is busiest. The
// metrics still count every try; the log keeps a sample, and the next line
// that passes says how many were dropped before it.
#ifndef COMMON_LOG_RATE_LIMITER_H_
#define COMMON_LOG_RATE_LIMITER_H_

#include <cstdint>

#include "absl/time/time.h"

namespace acmeva::common {

// Not thread-safe: one per thread (e.g. per DNS event loop).
class LogRateLimiter {
 public:
  // At most `per_second` lines in any one-second window (at least 1).
  explicit LogRateLimiter(int per_second);

  // True if a line may be written at `now`. Then `*suppressed` is the
  // number of lines refused since the last one allowed (0 if none).
  bool Allow(absl::Time now, int64_t* suppressed);

 private:
  const int per_second_;
  absl::Time window_start_ = absl::InfinitePast();
  int allowed_in_window_ = 0;
  int64_t suppressed_ = 0;
};

}  // namespace acmeva::common

#endif  // COMMON_LOG_RATE_LIMITER_H_
