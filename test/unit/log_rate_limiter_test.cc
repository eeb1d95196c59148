#include "common/log_rate_limiter.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace acmeva::common {
namespace {

struct Step {
  int64_t at_ms;            // time of the call
  bool allowed;             // expected result
  int64_t suppressed = -1;  // expected *suppressed when allowed
};

TEST(LogRateLimiterTest, Table) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  LogRateLimiter limiter(3);  // 3 lines per second
  const std::vector<Step> steps = {
      {0, true, 0},
      {10, true, 0},
      {20, true, 0},
      {30, false},
      {500, false},
      {999, false},
      // A new window: the first line reports the 3 dropped ones.
      {1000, true, 3},
      {1001, true, 0},
      {1002, true, 0},
      {1003, false},
      // A long quiet gap: one drop to report, then a full window again.
      {60000, true, 1},
      {60001, true, 0},
      {60002, true, 0},
      {60003, false},
  };
  for (const Step& s : steps) {
    int64_t suppressed = -7;
    const bool allowed =
        limiter.Allow(t0 + absl::Milliseconds(s.at_ms), &suppressed);
    EXPECT_EQ(allowed, s.allowed) << "at " << s.at_ms << " ms";
    if (s.allowed) {
      EXPECT_EQ(suppressed, s.suppressed) << "at " << s.at_ms << " ms";
    }
  }
}

TEST(LogRateLimiterTest, AtLeastOneLinePerSecond) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  LogRateLimiter limiter(0);
  int64_t suppressed = 0;
  EXPECT_TRUE(limiter.Allow(t0, &suppressed));
  EXPECT_FALSE(limiter.Allow(t0 + absl::Milliseconds(1), &suppressed));
  EXPECT_TRUE(limiter.Allow(t0 + absl::Seconds(1), &suppressed));
  EXPECT_EQ(suppressed, 1);
}

}  // namespace
}  // namespace acmeva::common
