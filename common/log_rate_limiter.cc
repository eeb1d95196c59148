#include "common/log_rate_limiter.h"

#include <algorithm>

namespace acmeva::common {

LogRateLimiter::LogRateLimiter(int per_second)
    : per_second_(std::max(per_second, 1)) {}

bool LogRateLimiter::Allow(absl::Time now, int64_t* suppressed) {
  if (now - window_start_ >= absl::Seconds(1)) {
    window_start_ = now;
    allowed_in_window_ = 0;
  }
  if (allowed_in_window_ >= per_second_) {
    ++suppressed_;
    return false;
  }
  ++allowed_in_window_;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace acmeva::common
