#include "va/deadline.h"

#include <algorithm>
#include <limits>

namespace acmeva::va {

std::optional<absl::Time> CallerDeadline(int64_t unix_seconds,
                                         int32_t nanoseconds) {
  if (unix_seconds == std::numeric_limits<int64_t>::max()) return std::nullopt;
  return absl::FromUnixSeconds(unix_seconds) + absl::Nanoseconds(nanoseconds);
}

absl::Time ValidationDeadline(absl::Time now,
                              std::optional<absl::Time> caller_deadline,
                              const DeadlineConfig& config) {
  const absl::Time fallback = now + config.default_timeout;
  if (!caller_deadline.has_value()) return fallback;
  const absl::Duration given =
      std::max(*caller_deadline - now, absl::ZeroDuration());
  const absl::Duration reserve =
      config.return_overhead +
      std::min(given * config.return_share, config.max_return_reserve);
  return std::min(*caller_deadline - reserve, fallback);
}

}  // namespace acmeva::va
